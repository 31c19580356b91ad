// create-checkout: a signed-in POST {"pack_id"} -> {"purchase_id", "url"} of a Stripe
// Checkout Session. The purchase row and its price come from the database (start_purchase
// runs as the caller, so RLS and auth.uid() decide whose it is); the client sends only
// which pack it wants.
import { bearer, failure, json, preflight, statusForSqlState } from "../_shared/http.ts";
import { required, stripeFromEnv, supabase } from "../_shared/config.ts";
import type { Stripe, SupabaseClient } from "../_shared/deps.ts";

export interface CheckoutDeps {
  stripe: Stripe;
  /** A client that acts as the caller (their JWT) for start_purchase. */
  asUser: (token: string) => SupabaseClient;
  /** The service role, for recording the session on the purchase. */
  service: SupabaseClient;
  successUrl: string;
  cancelUrl: string;
}

interface StartedPurchase {
  id: string;
  pack_id: string;
  pack_name: string;
  tokens: number;
  amount_cents: number;
  currency: string;
  email: string | null;
}

function withPurchase(url: string, purchaseId: string): string {
  const target = new URL(url);
  target.searchParams.set("purchase_id", purchaseId);
  return target.toString();
}

export function checkoutHandler(deps: CheckoutDeps): (req: Request) => Promise<Response> {
  return async (req: Request): Promise<Response> => {
    if (req.method === "OPTIONS") return preflight();
    if (req.method !== "POST") return failure(405, 'Use POST with a JSON body {"pack_id": "..."}.');
    const token = bearer(req);
    if (!token) return failure(401, "Sign in to buy tokens.");
    let packId: unknown;
    try {
      packId = (await req.json())?.pack_id;
    } catch {
      return failure(400, 'The request body must be JSON like {"pack_id": "starter"}.');
    }
    if (typeof packId !== "string" || packId.length === 0 || packId.length > 40) {
      return failure(400, 'Say which pack to buy: {"pack_id": "starter"}.');
    }

    const started = await deps.asUser(token).rpc("start_purchase", { pack_id: packId });
    if (started.error) {
      // 42501: no user behind the token (the anon key), or not allowed at all.
      if (started.error.code === "42501") return failure(401, "Sign in to buy tokens.");
      return failure(statusForSqlState(started.error.code), started.error.message);
    }
    const purchase = started.data as StartedPurchase;

    let session: Stripe.Checkout.Session;
    try {
      session = await deps.stripe.checkout.sessions.create({
        mode: "payment",
        client_reference_id: purchase.id,
        customer_email: purchase.email ?? undefined,
        line_items: [{
          quantity: 1,
          price_data: {
            currency: purchase.currency,
            unit_amount: purchase.amount_cents,
            product_data: { name: purchase.pack_name },
          },
        }],
        metadata: { purchase_id: purchase.id, pack_id: purchase.pack_id },
        payment_intent_data: { metadata: { purchase_id: purchase.id } },
        success_url: withPurchase(deps.successUrl, purchase.id),
        cancel_url: withPurchase(deps.cancelUrl, purchase.id),
      }, { idempotencyKey: `checkout-${purchase.id}` });
    } catch (error) {
      console.error(`create-checkout: Stripe refused purchase ${purchase.id}:`, String(error));
      await deps.service.rpc("record_checkout_session", {
        purchase_id: purchase.id,
        session_id: null,
      });
      return failure(502, "The payment page could not be opened; nothing was charged. Try again in a minute.");
    }
    const recorded = await deps.service.rpc("record_checkout_session", {
      purchase_id: purchase.id,
      session_id: session.id,
    });
    if (recorded.error) {
      console.error(`create-checkout: could not record ${session.id}:`, recorded.error.message);
      return failure(500, "The checkout could not be recorded; nothing was charged. Try again.");
    }
    return json(200, { purchase_id: purchase.id, url: session.url });
  };
}

export function handlerFromEnv(): (req: Request) => Promise<Response> {
  const anonKey = required("SUPABASE_ANON_KEY");
  return checkoutHandler({
    stripe: stripeFromEnv(),
    asUser: (token) => supabase(anonKey, token),
    service: supabase(required("SUPABASE_SERVICE_ROLE_KEY")),
    successUrl: required("CHECKOUT_SUCCESS_URL"),
    cancelUrl: required("CHECKOUT_CANCEL_URL"),
  });
}
