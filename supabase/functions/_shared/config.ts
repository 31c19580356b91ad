// Configuration from the environment (Edge Function secrets on hosted Supabase).
import { createClient, Resend, Stripe, type SupabaseClient } from "./deps.ts";

export function required(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`The secret ${name} is not set; see the README's Edge Functions section.`);
  return value;
}

/** A Supabase client for the service role, or for a caller's own JWT. */
export function supabase(key: string, userToken?: string): SupabaseClient {
  return createClient(required("SUPABASE_URL"), key, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: userToken ? { headers: { Authorization: `Bearer ${userToken}` } } : {},
  });
}

/**
 * The Stripe client. STRIPE_API_BASE points it at another API origin (the local stack's
 * test-mode stand-in); hosted projects leave it unset and talk to Stripe.
 */
export function stripeFromEnv(): Stripe {
  const options: Stripe.StripeConfig = {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 2,
    timeout: 20_000,
  };
  const base = Deno.env.get("STRIPE_API_BASE");
  if (base) {
    const url = new URL(base);
    options.host = url.hostname;
    options.protocol = url.protocol === "http:" ? "http" : "https";
    options.port = Number(url.port || (url.protocol === "http:" ? 80 : 443));
  }
  return new Stripe(required("STRIPE_SECRET_KEY"), options);
}

/** The Resend client (RESEND_BASE_URL, read by the SDK itself, moves it to a stand-in). */
export function resendFromEnv(): Resend {
  return new Resend(required("RESEND_API_KEY"));
}
