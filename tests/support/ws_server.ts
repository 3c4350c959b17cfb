/**
 * A tiny HTTP server the SSH bridge tests start inside a workspace (with the Deno that `up`
 * mounts there): `ws_server.ts tcp PORT` on 127.0.0.1, or `ws_server.ts unix PATH`. It answers
 * every request with `hello from the workspace <PID>` and prints `listening` once it listens.
 */
if (import.meta.main) {
  const [mode, where] = Deno.args;
  const handler = () => new Response(`hello from the workspace ${Deno.pid}\n`);
  const onListen = () => console.log("listening");
  if (mode === "unix" && where) {
    await Deno.remove(where).catch(() => {});
    Deno.serve({ transport: "unix", path: where, onListen }, handler);
  } else {
    Deno.serve({ hostname: "127.0.0.1", port: Number(where), onListen }, handler);
  }
}
