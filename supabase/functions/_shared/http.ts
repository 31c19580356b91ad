// JSON responses and errors shared by the functions: every refusal is one sentence.

const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers": "authorization, x-client-info, apikey, content-type",
  "Access-Control-Allow-Methods": "POST, OPTIONS",
};

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...CORS_HEADERS },
  });
}

export function failure(status: number, message: string): Response {
  return json(status, { error: message });
}

export function preflight(): Response {
  return new Response(null, { status: 204, headers: CORS_HEADERS });
}

/** The bearer token of a request, or null. */
export function bearer(req: Request): string | null {
  const value = req.headers.get("Authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match ? match[1] : null;
}

/** HTTP status for a PostgREST error, from the SQLSTATE the database raised. */
export function statusForSqlState(code: string | undefined): number {
  switch (code) {
    case "42501":
      return 403;
    case "22023":
      return 400;
    case "PT404":
      return 404;
    case "PT409":
      return 409;
    case "PT429":
      return 429;
    default:
      return 500;
  }
}

/** Equal strings in time independent of where they differ (secrets compared here). */
export function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
