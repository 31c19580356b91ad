// The local stack's Edge Runtime: every function under the given folder in one Deno
// process, routed by the first path segment as Supabase routes /functions/v1/<name>.
// Prints {"port": N} once listening; exits when its stdin closes (the stack has gone).
const [functionsDir, ...names] = Deno.args;
const handlers = new Map<string, (req: Request) => Promise<Response>>();
for (const name of names) {
  const module = await import(new URL(`file://${functionsDir}/${name}/handler.ts`).href);
  handlers.set(name, module.handlerFromEnv());
}

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.log(JSON.stringify({ port })),
}, async (req) => {
  const name = new URL(req.url).pathname.split("/")[1] ?? "";
  const handler = handlers.get(name);
  if (!handler) {
    return new Response(JSON.stringify({ code: "NOT_FOUND", message: "Function not found" }), {
      status: 404,
      headers: { "Content-Type": "application/json" },
    });
  }
  try {
    return await handler(req);
  } catch (error) {
    console.error(`${name}:`, error);
    return new Response(JSON.stringify({ error: "The function failed; see the stack's log." }), {
      status: 500,
      headers: { "Content-Type": "application/json" },
    });
  }
});

for await (const _ of Deno.stdin.readable) { /* wait for the parent to close stdin */ }
await server.shutdown();
Deno.exit(0);
