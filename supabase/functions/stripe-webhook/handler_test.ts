import assert from "node:assert/strict";
import { Stripe } from "../_shared/deps.ts";
import { rpcServer } from "../_shared/test_support.ts";
import { webhookHandler } from "./handler.ts";

const SECRET = "whsec_test_0123456789abcdef";
const stripe = new Stripe("sk_test_unused", { httpClient: Stripe.createFetchHttpClient() });
const crypto = Stripe.createSubtleCryptoProvider();
const event = {
  id: "evt_test_1",
  object: "event",
  type: "checkout.session.completed",
  data: { object: { id: "cs_test_1", object: "checkout.session", amount_total: 1000 } },
};

async function delivery(payload: string, opts: { secret?: string; timestamp?: number } = {}) {
  const header = await stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: opts.secret ?? SECRET,
    timestamp: opts.timestamp,
    cryptoProvider: crypto,
  });
  return new Request("http://functions/stripe-webhook", {
    method: "POST",
    headers: { "Stripe-Signature": header, "Content-Type": "application/json" },
    body: payload,
  });
}

Deno.test("a correctly signed event goes to handle_stripe_event once, as sent", async () => {
  const db = rpcServer(() => ({ status: 200, body: { outcome: "credited" } }));
  try {
    const handle = webhookHandler({ stripe, webhookSecret: SECRET, service: db.client });
    const response = await handle(await delivery(JSON.stringify(event)));
    assert.deepEqual(response.status, 200);
    assert.deepEqual((await response.json()).outcome, "credited");
    assert.deepEqual(db.calls.length, 1);
    assert.deepEqual(db.calls[0].name, "handle_stripe_event");
    assert.deepEqual(db.calls[0].args, { event });
  } finally {
    await db.close();
  }
});

Deno.test("wrong secret, tampered body, stale or missing signature reach no database", async () => {
  const db = rpcServer(() => ({ status: 200, body: { outcome: "credited" } }));
  try {
    const handle = webhookHandler({ stripe, webhookSecret: SECRET, service: db.client });
    const payload = JSON.stringify(event);
    const refused = [
      await delivery(payload, { secret: "whsec_someone_else" }),
      await delivery(payload, { timestamp: Math.floor(Date.now() / 1000) - 301 }),
      new Request("http://functions/stripe-webhook", {
        method: "POST",
        headers: (await delivery(payload)).headers,
        body: payload.replace("1000", "1"),
      }),
      new Request("http://functions/stripe-webhook", { method: "POST", body: payload }),
    ];
    for (const request of refused) {
      const response = await handle(request);
      assert.deepEqual(response.status, 400);
      assert.match((await response.json()).error, /signature/i);
    }
    assert.deepEqual((await handle(new Request("http://functions/stripe-webhook"))).status, 405);
    assert.deepEqual(db.calls.length, 0);
  } finally {
    await db.close();
  }
});

Deno.test("a database failure answers 500 so that Stripe delivers again", async () => {
  const db = rpcServer(() => ({ status: 500, body: { code: "XX000", message: "down" } }));
  try {
    const handle = webhookHandler({ stripe, webhookSecret: SECRET, service: db.client });
    const response = await handle(await delivery(JSON.stringify(event)));
    assert.deepEqual(response.status, 500);
    await response.body?.cancel();
  } finally {
    await db.close();
  }
});
