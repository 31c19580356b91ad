import assert from "node:assert/strict";
import { Resend } from "../_shared/deps.ts";
import { rpcServer } from "../_shared/test_support.ts";
import { emailHandler } from "./handler.ts";

Deno.test("only the service role key may drain the outbox", async () => {
  const db = rpcServer(() => ({ status: 200, body: [] }));
  try {
    const handle = emailHandler({
      resend: new Resend("re_test_unused"),
      service: db.client,
      serviceRoleKey: "service-role-key",
      from: "WYNTEK <mail@wyntek.test>",
    });
    const url = "http://functions/send-email";
    for (const auth of [undefined, "Bearer anon-key", "Bearer service-role-ke"]) {
      const headers: Record<string, string> = auth ? { Authorization: auth } : {};
      const response = await handle(new Request(url, { method: "POST", headers }));
      assert.deepEqual(response.status, 403);
      await response.body?.cancel();
    }
    assert.deepEqual(db.calls.length, 0);
    const ok = await handle(new Request(url, {
      method: "POST",
      headers: { Authorization: "Bearer service-role-key" },
    }));
    assert.deepEqual(await ok.json(), { sent: 0, retrying: 0, failed: 0 });
    assert.deepEqual(db.calls.map((c) => c.name), ["claim_emails"]);
  } finally {
    await db.close();
  }
});
