/**
 * A real git server for the simulated internet: git's own `git http-backend` (smart HTTP, fetch
 * and push) behind a small CGI gateway, over TLS on 8443 (`/srv/server.pem`), with the bare
 * repositories under /tmp/repos. It stands in for a forge's git host (`github.test`): a request
 * must carry Basic auth whose password is {@link GIT_TOKEN}. `GET /_refs/OWNER/REPO` on plain
 * HTTP 8080 lists a repository's refs as JSON (`{ref: commit}`) for the test.
 *
 * Self-contained: it imports nothing, as it runs alone in a container as `/srv/server-N.ts`.
 */

/** The token the git server takes as the Basic auth password. */
export const GIT_TOKEN = "gh-test-token";
/** The repositories it starts with (empty, bare, pushes accepted). */
export const GIT_REPOS: readonly string[] = ["octo/demo"];
const ROOT = "/tmp/repos";

async function git(...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

function authorized(req: Request): boolean {
  const m = /^Basic (.+)$/.exec(req.headers.get("authorization") ?? "");
  if (!m?.[1]) return false;
  const decoded = atob(m[1]);
  return decoded.slice(decoded.indexOf(":") + 1) === GIT_TOKEN;
}

/** One CGI call of `git http-backend`: the request in, its headers and body out. */
async function backend(req: Request): Promise<Response> {
  if (!authorized(req)) {
    return new Response("authentication required\n", {
      status: 401,
      headers: { "www-authenticate": 'Basic realm="git"' },
    });
  }
  const url = new URL(req.url);
  const body = new Uint8Array(await req.arrayBuffer());
  const env: Record<string, string> = {
    GIT_PROJECT_ROOT: ROOT,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers.get("content-type") ?? "",
    CONTENT_LENGTH: String(body.length),
    REMOTE_USER: "agent",
    REMOTE_ADDR: "127.0.0.1",
    HTTP_CONTENT_ENCODING: req.headers.get("content-encoding") ?? "",
    GIT_HTTP_MAX_REQUEST_BUFFER: "100M",
  };
  const child = new Deno.Command("git", {
    args: ["http-backend"],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(body);
  await writer.close();
  const out = await child.output();
  const bytes = out.stdout;
  // CGI: header lines, a blank line, then the body.
  let split = -1;
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      split = i;
      break;
    }
  }
  if (split < 0) return new Response(new TextDecoder().decode(out.stderr), { status: 500 });
  const head = new TextDecoder().decode(bytes.slice(0, split));
  const headers = new Headers();
  let status = 200;
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
    else headers.append(name, value);
  }
  return new Response(bytes.slice(split + 4), { status, headers });
}

async function refs(path: string): Promise<Response> {
  const repo = path.replace(/^\/_refs\//, "");
  if (!GIT_REPOS.includes(repo)) return new Response("no such repository\n", { status: 404 });
  const text = await git(
    "-C",
    `${ROOT}/${repo}.git`,
    "for-each-ref",
    "--format=%(refname) %(objectname)",
  );
  return Response.json(
    Object.fromEntries(text.split("\n").filter(Boolean).map((l) => l.split(" "))),
  );
}

if (import.meta.main) {
  for (const repo of GIT_REPOS) {
    await git("init", "-q", "--bare", "-b", "main", `${ROOT}/${repo}.git`);
    await git("-C", `${ROOT}/${repo}.git`, "config", "http.receivepack", "true");
  }
  Deno.serve({ hostname: "0.0.0.0", port: 8080, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    return path.startsWith("/_refs/") ? refs(path) : new Response("not found\n", { status: 404 });
  });
  Deno.serve({
    hostname: "0.0.0.0",
    port: 8443,
    cert: Deno.readTextFileSync("/srv/server.pem"),
    key: Deno.readTextFileSync("/srv/server.key"),
    onListen() {},
  }, backend);
}
