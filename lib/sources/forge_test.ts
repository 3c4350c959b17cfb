import { FailedError, NotFoundError } from "../errors.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/support/assert.ts";
import { fetchPullRequest } from "./forge.ts";
import { parseSource } from "./parse.ts";
import type { ForgeKind, PullRequestSource } from "./parse.ts";

const FIXTURES = new URL("../../tests/fixtures/forge/", import.meta.url);
const fixture = (name: string) => Deno.readTextFile(new URL(name, FIXTURES));

const HOSTILE_TITLE = "fix: $(touch /tmp/pwned) `id` \"quoted\" 'single'\nsecond line";

interface Seen {
  path: string;
  headers: Headers;
}

/** A forge stand-in on 127.0.0.1: `answer` replies to each request; every request is kept. */
async function withForge(
  answer: (req: Request, origin: string) => Response | Promise<Response>,
  body: (origin: string, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  let origin = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    seen.push({ path: url.pathname + url.search, headers: req.headers });
    return answer(req, origin);
  });
  origin = `http://127.0.0.1:${server.addr.port}`;
  try {
    await body(origin, seen);
  } finally {
    await server.shutdown();
  }
}

function prAt(origin: string, kind: ForgeKind, path: string): PullRequestSource {
  const source = parseSource(`${origin}${path}`, { [new URL(origin).host]: kind });
  assert(source.kind === "pr");
  return source;
}

const json = (text: string, status = 200) =>
  new Response(text, { status, headers: { "content-type": "application/json" } });

Deno.test("forge: GitHub Enterprise pull request is read from /api/v3 with the bearer token", async () => {
  const body = await fixture("github_pull.json");
  await withForge(() => json(body), async (origin, seen) => {
    const pr = prAt(origin, "github", "/octo-org/hello-world/pull/1347");
    const got = await fetchPullRequest(pr, { GITHUB_TOKEN: "ghp_secret" });
    assertEquals(got, {
      number: 1347,
      title: HOSTILE_TITLE,
      baseRef: "main",
      headSha: "6dcb09b5b57875f334f61aebed695e2e4193db5e",
      headRef: "refs/pull/1347/head",
      repoUrl: "https://github.com/octo-org/hello-world.git",
      state: "open",
      webUrl: "https://github.com/octo-org/hello-world/pull/1347",
    });
    assertEquals(seen.map((s) => s.path), ["/api/v3/repos/octo-org/hello-world/pulls/1347"]);
    const headers = seen[0]?.headers;
    assertEquals(headers?.get("authorization"), "Bearer ghp_secret");
    assertEquals(headers?.get("accept"), "application/vnd.github+json");
    assertEquals(headers?.get("user-agent"), "devaipod");
  });
});

Deno.test("forge: without a token no Authorization header is sent", async () => {
  const body = await fixture("github_pull.json");
  await withForge(() => json(body), async (origin, seen) => {
    await fetchPullRequest(prAt(origin, "github", "/o/r/pull/1"), { GITLAB_TOKEN: "other" });
    assertEquals(seen[0]?.headers.has("authorization"), false);
    assertEquals(seen[0]?.headers.has("private-token"), false);
  });
});

Deno.test("forge: GitLab merge request in nested groups uses the encoded project path and PRIVATE-TOKEN", async () => {
  const body = await fixture("gitlab_merge_request.json");
  await withForge(() => json(body), async (origin, seen) => {
    const pr = prAt(origin, "gitlab", "/group/sub/proj/-/merge_requests/3");
    const got = await fetchPullRequest(pr, { GITLAB_TOKEN: "glpat-secret", GITHUB_TOKEN: "x" });
    assertEquals(got, {
      number: 3,
      title: HOSTILE_TITLE,
      baseRef: "main",
      headSha: "8888888888888888888888888888888888888888",
      headRef: "refs/merge-requests/3/head",
      repoUrl: `${origin}/group/sub/proj.git`,
      state: "opened",
      webUrl: "https://gitlab.com/group/sub/proj/-/merge_requests/3",
    });
    assertEquals(seen.map((s) => s.path), ["/api/v4/projects/group%2Fsub%2Fproj/merge_requests/3"]);
    assertEquals(seen[0]?.headers.get("private-token"), "glpat-secret");
    assertEquals(seen[0]?.headers.has("authorization"), false);
  });
});

Deno.test("forge: Forgejo pull request is read from /api/v1 with `token` authorization", async () => {
  const body = await fixture("forgejo_pull.json");
  await withForge(() => json(body), async (origin, seen) => {
    const pr = prAt(origin, "forgejo", "/forgejo/forgejo/pulls/42");
    const got = await fetchPullRequest(pr, { FORGEJO_TOKEN: "fj", GITEA_TOKEN: "gt" });
    assertEquals(got, {
      number: 42,
      title: HOSTILE_TITLE,
      baseRef: "forgejo",
      headSha: "4242424242424242424242424242424242424242",
      headRef: "refs/pull/42/head",
      repoUrl: "https://codeberg.org/forgejo/forgejo.git",
      state: "open",
      webUrl: "https://codeberg.org/forgejo/forgejo/pulls/42",
    });
    assertEquals(seen.map((s) => s.path), ["/api/v1/repos/forgejo/forgejo/pulls/42"]);
    assertEquals(seen[0]?.headers.get("authorization"), "token fj");
  });
});

Deno.test("forge: Gitea prefers GITEA_TOKEN and falls back to FORGEJO_TOKEN", async () => {
  const body = await fixture("forgejo_pull.json");
  await withForge(() => json(body), async (origin, seen) => {
    const pr = prAt(origin, "gitea", "/o/r/pulls/42");
    await fetchPullRequest(pr, { GITEA_TOKEN: "gt", FORGEJO_TOKEN: "fj" });
    await fetchPullRequest(pr, { GITEA_TOKEN: "", FORGEJO_TOKEN: "fj" });
    assertEquals(seen.map((s) => s.headers.get("authorization")), ["token gt", "token fj"]);
  });
});

Deno.test("forge: 404 is NotFoundError naming the pull request, hinting at the token", async () => {
  await withForge(() => json(`{"message":"Not Found"}`, 404), async (origin) => {
    const pr = prAt(origin, "github", "/o/r/pull/12");
    const err = await assertRejects(() => fetchPullRequest(pr, {}), NotFoundError);
    assertEquals(err.message, `pull request ${new URL(origin).host}/o/r#12 not found`);
    assertMatch(err.hint ?? "", /\$GITHUB_TOKEN/);
    const mr = prAt(origin, "gitlab", "/g/p/-/merge_requests/5");
    const err2 = await assertRejects(() => fetchPullRequest(mr, {}), NotFoundError);
    assertMatch(err2.message, /^merge request .*\/g\/p!5 not found$/);
    assertMatch(err2.hint ?? "", /\$GITLAB_TOKEN/);
  });
});

Deno.test("forge: 401 and 403 are errors naming the token variable", async () => {
  await withForge(() => json(`{"message":"Bad credentials"}`, 401), async (origin) => {
    const pr = prAt(origin, "github", "/o/r/pull/12");
    const err = await assertRejects(
      () => fetchPullRequest(pr, { GITHUB_TOKEN: "bad" }),
      FailedError,
    );
    assertMatch(err.message, /refused the token in \$GITHUB_TOKEN \(HTTP 401\)/);
    assertEquals(err.message.includes("bad"), false);
  });
  await withForge(() => json(`{"message":"Forbidden"}`, 403), async (origin) => {
    const pr = prAt(origin, "gitea", "/o/r/pulls/12");
    const err = await assertRejects(() => fetchPullRequest(pr, {}), FailedError);
    assertMatch(err.message, /HTTP 403/);
    assertMatch(err.hint ?? "", /\$GITEA_TOKEN or \$FORGEJO_TOKEN/);
  });
});

Deno.test("forge: GitHub's rate limit 403 says so", async () => {
  const answer = () =>
    new Response("{}", { status: 403, headers: { "x-ratelimit-remaining": "0" } });
  await withForge(answer, async (origin) => {
    const pr = prAt(origin, "github", "/o/r/pull/12");
    const err = await assertRejects(() => fetchPullRequest(pr, {}), FailedError);
    assertMatch(err.message, /rate limit/);
    assertMatch(err.hint ?? "", /GITHUB_TOKEN/);
  });
});

Deno.test("forge: an answer that is not JSON is a FailedError naming the URL", async () => {
  await withForge(() => json("<html>maintenance</html>"), async (origin) => {
    const pr = prAt(origin, "github", "/o/r/pull/12");
    const err = await assertRejects(() => fetchPullRequest(pr, {}), FailedError);
    assertEquals(err.message, `invalid JSON from ${origin}/api/v3/repos/o/r/pulls/12`);
  });
});

Deno.test("forge: an answer of the wrong shape is a FailedError naming URL and field", async () => {
  const pull = JSON.parse(await fixture("github_pull.json"));
  delete pull.head.sha;
  pull.base.repo.clone_url = "ext::sh -c touch% /tmp/pwned";
  await withForge(() => json(JSON.stringify(pull)), async (origin) => {
    const pr = prAt(origin, "github", "/o/r/pull/12");
    const err = await assertRejects(() => fetchPullRequest(pr, {}), FailedError);
    assertMatch(
      err.message,
      new RegExp(`^unexpected answer from ${origin}/api/v3/repos/o/r/pulls/12: `),
    );
    assertMatch(err.message, /base\.repo\.clone_url: expected an http\(s\) clone URL/);
    assertMatch(err.message, /head\.sha: /);
  });
});

Deno.test("forge: an unreachable host is a FailedError naming the URL", async () => {
  let closedOrigin = "";
  await withForge(() => json("{}"), (origin) => {
    closedOrigin = origin;
    return Promise.resolve();
  });
  const pr = prAt(closedOrigin, "gitlab", "/g/p/-/merge_requests/1");
  const err = await assertRejects(() => fetchPullRequest(pr, {}), FailedError);
  assertMatch(
    err.message,
    new RegExp(`^cannot reach ${closedOrigin}/api/v4/projects/g%2Fp/merge_requests/1: `),
  );
});

Deno.test("forge: redirects are followed on the same host only, keeping the token there", async () => {
  const body = await fixture("github_pull.json");
  const answer = (req: Request, origin: string) => {
    const path = new URL(req.url).pathname;
    if (path.startsWith("/api/v3/repos/old/")) {
      return new Response(null, {
        status: 301,
        headers: { location: "/api/v3/repositories/1/pulls/2" },
      });
    }
    if (path.startsWith("/api/v3/repos/away/")) {
      const elsewhere = origin.replace("127.0.0.1", "localhost");
      return new Response(null, { status: 302, headers: { location: `${elsewhere}/steal` } });
    }
    return json(body);
  };
  await withForge(answer, async (origin, seen) => {
    const moved = await fetchPullRequest(prAt(origin, "github", "/old/r/pull/2"), {
      GITHUB_TOKEN: "t",
    });
    assertEquals(moved.title, HOSTILE_TITLE);
    assertEquals(seen.map((s) => [s.path, s.headers.get("authorization")]), [
      ["/api/v3/repos/old/r/pulls/2", "Bearer t"],
      ["/api/v3/repositories/1/pulls/2", "Bearer t"],
    ]);
    const pr = prAt(origin, "github", "/away/r/pull/2");
    const err = await assertRejects(() => fetchPullRequest(pr, { GITHUB_TOKEN: "t" }), FailedError);
    assertMatch(err.message, /redirected to http:\/\/localhost:\d+; not following it/);
  });
});

Deno.test("forge: a hostile title is returned verbatim", async () => {
  const marker = await Deno.makeTempDir({ prefix: "devaipod-forge-" });
  try {
    const title = `$(touch ${marker}/pwned) \`touch ${marker}/pwned2\` ; rm -rf / #\n\t"'\\`;
    const pull = JSON.parse(await fixture("forgejo_pull.json"));
    pull.title = title;
    await withForge(() => json(JSON.stringify(pull)), async (origin) => {
      const got = await fetchPullRequest(prAt(origin, "forgejo", "/o/r/pulls/42"), {});
      assertEquals(got.title, title);
    });
    assertEquals([...Deno.readDirSync(marker)], []);
  } finally {
    await Deno.remove(marker, { recursive: true });
  }
});
