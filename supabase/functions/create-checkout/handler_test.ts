import assert from "node:assert/strict";
import { Stripe } from "../_shared/deps.ts";
import { rpcServer } from "../_shared/test_support.ts";
import { checkoutHandler } from "./handler.ts";

const stripe = new Stripe("sk_test_unused", { httpClient: Stripe.createFetchHttpClient() });

Deno.test("create-checkout refuses what is not a signed-in POST naming a pack", async () => {
  const db = rpcServer(() => ({ status: 200, body: {} }));
  try {
    const handle = checkoutHandler({
      stripe,
      asUser: () => db.client,
      service: db.client,
      successUrl: "http://127.0.0.1/done",
      cancelUrl: "http://127.0.0.1/cancel",
    });
    const url = "http://functions/create-checkout";
    const auth = { Authorization: "Bearer user-jwt" };
    const cases: [Request, number, RegExp][] = [
      [new Request(url), 405, /POST/],
      [new Request(url, { method: "POST", body: '{"pack_id":"starter"}' }), 401, /Sign in/],
      [new Request(url, { method: "POST", headers: auth, body: "{" }), 400, /JSON/],
      [new Request(url, { method: "POST", headers: auth, body: '{"pack":"x"}' }), 400, /pack/],
    ];
    for (const [request, status, message] of cases) {
      const response = await handle(request);
      assert.deepEqual(response.status, status);
      assert.match((await response.json()).error, message);
    }
    assert.deepEqual(db.calls.length, 0);
  } finally {
    await db.close();
  }
});

Deno.test("a pack the database refuses is reported with its message and status", async () => {
  const db = rpcServer(() => ({
    status: 404,
    body: { code: "PT404", message: "There is no token pack gold on sale; choose one from the list." },
  }));
  try {
    const handle = checkoutHandler({
      stripe,
      asUser: () => db.client,
      service: db.client,
      successUrl: "http://127.0.0.1/done",
      cancelUrl: "http://127.0.0.1/cancel",
    });
    const response = await handle(new Request("http://functions/create-checkout", {
      method: "POST",
      headers: { Authorization: "Bearer user-jwt" },
      body: '{"pack_id":"gold"}',
    }));
    assert.deepEqual(response.status, 404);
    assert.match((await response.json()).error, /no token pack gold/);
    assert.deepEqual(db.calls.map((c) => c.name), ["start_purchase"]);
  } finally {
    await db.close();
  }
});
