// stripe-webhook: verify the Stripe-Signature header with the official SDK, then hand the
// event to one SQL function, handle_stripe_event, which decides everything (credit once,
// amount checks, refunds) in one transaction. Deployed with verify_jwt = false: Stripe
// signs its requests, it sends no Supabase JWT.
import { failure, json } from "../_shared/http.ts";
import { required, stripeFromEnv, supabase } from "../_shared/config.ts";
import { Stripe, type SupabaseClient } from "../_shared/deps.ts";

/** Stripe's own default: a signature older than five minutes is a replay. */
export const TOLERANCE_SECONDS = 300;

export interface WebhookDeps {
  stripe: Stripe;
  webhookSecret: string;
  service: SupabaseClient;
}

const cryptoProvider = Stripe.createSubtleCryptoProvider();

export function webhookHandler(deps: WebhookDeps): (req: Request) => Promise<Response> {
  return async (req: Request): Promise<Response> => {
    if (req.method !== "POST") return failure(405, "Stripe delivers webhooks with POST.");
    const signature = req.headers.get("Stripe-Signature");
    if (!signature) return failure(400, "The Stripe-Signature header is missing.");
    const payload = await req.text();
    let event: Stripe.Event;
    try {
      event = await deps.stripe.webhooks.constructEventAsync(
        payload,
        signature,
        deps.webhookSecret,
        TOLERANCE_SECONDS,
        cryptoProvider,
      );
    } catch (error) {
      return failure(400, `The webhook signature does not verify: ${(error as Error).message}`);
    }
    const handled = await deps.service.rpc("handle_stripe_event", { event });
    if (handled.error) {
      // 500 makes Stripe deliver again later; nothing was committed.
      console.error(`stripe-webhook: ${event.id} failed:`, handled.error.message);
      return failure(500, "The event could not be recorded; Stripe will retry.");
    }
    return json(200, { received: true, ...(handled.data as Record<string, unknown>) });
  };
}

export function handlerFromEnv(): (req: Request) => Promise<Response> {
  return webhookHandler({
    stripe: stripeFromEnv(),
    webhookSecret: required("STRIPE_WEBHOOK_SECRET"),
    service: supabase(required("SUPABASE_SERVICE_ROLE_KEY")),
  });
}
