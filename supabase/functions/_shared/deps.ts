// The npm packages every function uses, pinned in one place (deno.lock holds their hashes).
export { default as Stripe } from "npm:stripe@18.5.0";
export { createClient } from "npm:@supabase/supabase-js@2.119.1";
export type { SupabaseClient } from "npm:@supabase/supabase-js@2.119.1";
export { Resend } from "npm:resend@4.8.0";
