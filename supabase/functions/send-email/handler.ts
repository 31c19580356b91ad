// send-email: drain email_outbox through Resend. Called by the service (pg_cron on hosted,
// the local stack's scheduler here) with the service role key. Each row goes out with its
// idempotency key, so a send repeated after a crash is delivered once; failures are
// reported back to finish_email, which schedules the retry.
import { bearer, failure, json, sameSecret } from "../_shared/http.ts";
import { required, resendFromEnv, supabase } from "../_shared/config.ts";
import type { Resend, SupabaseClient } from "../_shared/deps.ts";

export interface EmailDeps {
  resend: Resend;
  service: SupabaseClient;
  serviceRoleKey: string;
  from: string;
  batchSize?: number;
}

interface OutboxRow {
  id: number;
  idempotency_key: string;
  to_email: string;
  subject: string;
  text_body: string;
  html_body: string;
}

// Resend errors that another try cannot fix: the message itself is refused.
const PERMANENT = new Set([
  "validation_error",
  "missing_required_field",
  "invalid_parameter",
  "invalid_idempotent_request",
  "invalid_idempotency_key",
]);

export function emailHandler(deps: EmailDeps): (req: Request) => Promise<Response> {
  return async (req: Request): Promise<Response> => {
    if (req.method !== "POST") return failure(405, "Use POST to send the queued email.");
    const token = bearer(req);
    if (!token || !sameSecret(token, deps.serviceRoleKey)) {
      return failure(403, "Only the service sends the queued email.");
    }
    const claimed = await deps.service.rpc("claim_emails", { max_count: deps.batchSize ?? 20 });
    if (claimed.error) return failure(500, `The outbox could not be read: ${claimed.error.message}`);
    const counts = { sent: 0, retrying: 0, failed: 0 };
    for (const row of (claimed.data ?? []) as OutboxRow[]) {
      const { data, error } = await deps.resend.emails.send({
        from: deps.from,
        to: [row.to_email],
        subject: row.subject,
        text: row.text_body,
        html: row.html_body,
      }, { idempotencyKey: row.idempotency_key });
      const retryable = error ? !PERMANENT.has(error.name) : true;
      const finished = await deps.service.rpc("finish_email", {
        email_id: row.id,
        provider_message_id: data?.id ?? null,
        error: error ? `${error.name}: ${error.message}` : null,
        retryable,
      });
      const state = finished.data as string | null;
      if (state === "sent") counts.sent++;
      else if (state === "pending") counts.retrying++;
      else counts.failed++;
    }
    return json(200, counts);
  };
}

export function handlerFromEnv(): (req: Request) => Promise<Response> {
  const serviceRoleKey = required("SUPABASE_SERVICE_ROLE_KEY");
  return emailHandler({
    resend: resendFromEnv(),
    service: supabase(serviceRoleKey),
    serviceRoleKey,
    from: required("EMAIL_FROM"),
  });
}
