// For the functions' tests: a loopback HTTP server standing in for PostgREST's RPC
// endpoint, recording each call, so a test sees exactly what a handler asked of the database.
import { createClient, type SupabaseClient } from "./deps.ts";

export interface RpcCall {
  name: string;
  args: Record<string, unknown>;
}

export interface RpcServer {
  calls: RpcCall[];
  client: SupabaseClient;
  close: () => Promise<void>;
}

export function rpcServer(
  reply: (call: RpcCall) => { status: number; body: unknown },
): RpcServer {
  const calls: RpcCall[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const name = new URL(req.url).pathname.replace(/^\/rest\/v1\/rpc\//, "");
    const call = { name, args: await req.json() };
    calls.push(call);
    const { status, body } = reply(call);
    return new Response(JSON.stringify(body), {
      status,
      headers: { "Content-Type": "application/json" },
    });
  });
  const { port } = server.addr as Deno.NetAddr;
  const client = createClient(`http://127.0.0.1:${port}`, "service-key", {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  return { calls, client, close: () => server.shutdown() };
}
