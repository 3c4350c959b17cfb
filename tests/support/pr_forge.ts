/**
 * A forge for `up PR-URL` tests: serves a bare repository over git's "dumb" HTTP protocol and one
 * recorded forge API answer (a pull or merge request), on 127.0.0.1, counting the API calls.
 */
import { join } from "node:path";

/** An API call the forge saw: its path and the credentials it carried. */
export interface SeenCall {
  path: string;
  auth: string | null;
  token: string | null;
}

/** Serves the bare repository (dumb HTTP) and one recorded forge answer, counting API calls. */
export function forgeServer(
  bare: string,
  api: { path: string; body: () => string },
): { server: Deno.HttpServer<Deno.NetAddr>; seen: SeenCall[]; host: string } {
  const seen: SeenCall[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const path = decodeURIComponent(url.pathname);
    const git = /^\/.+\.git\/(.+)$/.exec(path);
    if (git?.[1] && !git[1].includes("..")) {
      try {
        return new Response(await Deno.readFile(join(bare, git[1])));
      } catch {
        return new Response("not found", { status: 404 });
      }
    }
    seen.push({
      path: url.pathname,
      auth: req.headers.get("authorization"),
      token: req.headers.get("private-token"),
    });
    if (url.pathname === api.path) {
      return new Response(api.body(), { headers: { "content-type": "application/json" } });
    }
    return new Response('{"message":"Not Found"}', { status: 404 });
  });
  return { server, seen, host: `127.0.0.1:${server.addr.port}` };
}
