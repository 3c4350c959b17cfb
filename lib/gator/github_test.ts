import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { callLines, GITHUB_TOKEN, startForgeStandIn } from "../../tests/support/forge_standin.ts";
import { ForgeError } from "./forge.ts";
import { githubClient } from "./github.ts";

async function github(token = GITHUB_TOKEN) {
  const standIn = await startForgeStandIn();
  return { standIn, client: githubClient({ api: standIn.apis.github, token }) };
}

Deno.test("githubClient() reads a file raw, at the default branch or a ref", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  assertEquals(await client.readFile("octo/demo", "README.md"), "# demo\n");
  assertEquals(
    await client.readFile("octo/demo", "src/main.ts", "feature"),
    'console.log("demo");\nconsole.log("feature");\n',
  );
  const calls = await standIn.calls();
  assertEquals(callLines(calls), [
    "GET /repos/octo/demo/contents/README.md",
    "GET /repos/octo/demo/contents/src/main.ts?ref=feature",
  ]);
  assertEquals(calls.map((c) => c.accept), [
    "application/vnd.github.raw+json",
    "application/vnd.github.raw+json",
  ]);
});

Deno.test("githubClient() encodes each segment of a file path", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  await assertRejects(() => client.readFile("octo/demo", "docs/a b#c.md"), ForgeError);
  assertEquals(callLines(await standIn.calls()), [
    "GET /repos/octo/demo/contents/docs/a%20b%23c.md",
  ]);
});

Deno.test("githubClient() refuses '..' in a path and a repository that is not owner/repo", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  const err = await assertRejects(
    () => client.readFile("octo/demo", "../secret/contents/SECRET.md"),
    ForgeError,
  );
  assertEquals(err.status, 0);
  await assertRejects(() => client.defaultBranch("octo/demo/extra"), /is not owner\/repo/);
  await assertRejects(() => client.search("octo/demo OR user:x", "a"), /is not owner\/repo/);
  await assertRejects(() => client.issue("octo/demo", 0), /not a positive integer/);
  assertEquals(await standIn.calls(), []);
});

Deno.test("githubClient() lists the tree of the default branch, or under a path", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  assertEquals(await client.tree("octo/demo"), [
    { path: "README.md", type: "file" },
    { path: "src", type: "dir" },
    { path: "src/main.ts", type: "file" },
  ]);
  assertEquals(await client.tree("octo/demo", "main", "src"), [
    { path: "src/main.ts", type: "file" },
  ]);
  assertEquals(callLines(await standIn.calls()), [
    "GET /repos/octo/demo",
    "GET /repos/octo/demo/git/trees/main?recursive=1",
    "GET /repos/octo/demo/git/trees/main?recursive=1",
  ]);
});

Deno.test("githubClient() reads an issue with its comments", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  const issue = await client.issue("octo/demo", 1);
  assertEquals(issue, {
    number: 1,
    title: "Demo is too quiet",
    body: "It should say more.",
    state: "open",
    author: "alice",
    url: `${standIn.apis.github}/octo/demo/issues/1`,
    comments: [{ author: "bob", body: "Agreed.", created: "2024-01-02T03:04:05Z" }],
  });
  assertEquals(callLines(await standIn.calls()).sort(), [
    "GET /repos/octo/demo/issues/1",
    "GET /repos/octo/demo/issues/1/comments?per_page=100",
  ]);
});

Deno.test("githubClient() reads a pull request with its comments and its diff", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  const pr = await client.pullRequest("octo/demo", 2);
  assertEquals(
    { ...pr, diff: "" },
    {
      number: 2,
      title: "Say more",
      body: "Adds a line.",
      state: "open",
      author: "carol",
      url: `${standIn.apis.github}/octo/demo/pull/2`,
      comments: [{ author: "alice", body: "Looks good.", created: "2024-01-02T03:04:05Z" }],
      draft: false,
      head: "feature",
      base: "main",
      diff: "",
    },
  );
  assert(pr.diff.startsWith("diff --git a/src/main.ts b/src/main.ts\n"), pr.diff);
  assert(pr.diff.includes('+console.log("feature");\n'), pr.diff);
  const calls = await standIn.calls();
  assertEquals(
    calls.map((c) => `${callLines([c])[0]} ${c.accept}`).sort(),
    [
      "GET /repos/octo/demo/issues/2/comments?per_page=100 application/vnd.github+json",
      "GET /repos/octo/demo/pulls/2 application/vnd.github+json",
      "GET /repos/octo/demo/pulls/2 application/vnd.github.diff",
    ],
  );
});

Deno.test("githubClient() searches the repository's issues and pull requests", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  assertEquals(await client.search("octo/demo", "say"), [
    {
      number: 1,
      title: "Demo is too quiet",
      state: "open",
      kind: "issue",
      url: `${standIn.apis.github}/octo/demo/issues/1`,
    },
    {
      number: 2,
      title: "Say more",
      state: "open",
      kind: "pr",
      url: `${standIn.apis.github}/octo/demo/pull/2`,
    },
  ]);
  assertEquals(callLines(await standIn.calls()), [
    "GET /search/issues?q=repo%3Aocto%2Fdemo+say&per_page=50",
  ]);
});

Deno.test("githubClient() keeps a search to its repository", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  for (const query of ["repo:octo/secret", "x org:octo", "(-user:someone)"]) {
    const err = await assertRejects(() => client.search("octo/demo", query), ForgeError);
    assertEquals(err.status, 0);
  }
  assertEquals(await standIn.calls(), []);
  const items = await client.search("octo/demo", "is:pr");
  assertEquals(items.map((i) => i.number), [2]);
});

Deno.test("githubClient() lists pull requests by state", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  assertEquals((await client.listPullRequests("octo/demo")).map((p) => [p.number, p.kind]), [
    [2, "pr"],
  ]);
  assertEquals(await client.listPullRequests("octo/demo", "closed"), []);
  assertEquals(callLines(await standIn.calls()), [
    "GET /repos/octo/demo/pulls?state=open&per_page=100",
    "GET /repos/octo/demo/pulls?state=closed&per_page=100",
  ]);
});

Deno.test("githubClient() creates pull requests as drafts", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  const created = await client.createDraftPullRequest("octo/demo", {
    title: "Louder",
    body: "More output.",
    head: "louder",
    base: "main",
  });
  assertEquals(created, { number: 3, url: `${standIn.apis.github}/octo/demo/pull/3` });
  const [call] = await standIn.calls();
  assertEquals(call?.method, "POST");
  assertEquals(call?.path, "/repos/octo/demo/pulls");
  assertEquals(call?.body, {
    title: "Louder",
    body: "More output.",
    head: "louder",
    base: "main",
    draft: true,
  });
});

Deno.test("githubClient() comments on an issue", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  const { url } = await client.comment("octo/demo", 1, "Thanks.", "issue");
  assert(url.startsWith(`${standIn.apis.github}/octo/demo/issues/1#issuecomment-`), url);
  const [call] = await standIn.calls();
  assertEquals(callLines(call ? [call] : []), ["POST /repos/octo/demo/issues/1/comments"]);
  assertEquals(call?.body, { body: "Thanks." });
});

Deno.test("githubClient() leaves a review pending: no event field", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  const { id } = await client.createPendingReview("octo/demo", 2, {
    body: "A few notes.",
    comments: [{ path: "src/main.ts", line: 2, body: "Why feature?" }],
  });
  assert(/^\d+$/.test(id), id);
  const [call] = await standIn.calls();
  assertEquals(callLines(call ? [call] : []), ["POST /repos/octo/demo/pulls/2/reviews"]);
  assertEquals(call?.body, {
    body: "A few notes.",
    comments: [{ path: "src/main.ts", line: 2, side: "RIGHT", body: "Why feature?" }],
  });
});

Deno.test("githubClient() reads the default branch", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  assertEquals(await client.defaultBranch("octo/demo"), "main");
  assertEquals(callLines(await standIn.calls()), ["GET /repos/octo/demo"]);
});

Deno.test("githubClient() passes GitHub's message through on a 404", async () => {
  const { standIn, client } = await github();
  await using _ = standIn;
  const err = await assertRejects(() => client.issue("octo/demo", 9), ForgeError);
  assertEquals([err.service, err.status], ["GitHub", 404]);
  assertEquals(err.message, "GitHub answered 404 for GET /repos/octo/demo/issues/9: Not Found");
  assertEquals(callLines(await standIn.calls()), ["GET /repos/octo/demo/issues/9"]);
});

Deno.test("githubClient() with a wrong token gets GitHub's 401", async () => {
  const { standIn, client } = await github("wrong-token");
  await using _ = standIn;
  const err = await assertRejects(() => client.defaultBranch("octo/demo"), ForgeError);
  assertEquals(err.status, 401);
  assertEquals(err.message, "GitHub answered 401 for GET /repos/octo/demo: Bad credentials");
  assertEquals(callLines(await standIn.calls()), ["(unauthorized) GET /repos/octo/demo"]);
});

Deno.test("githubClient() sends GitHub's headers and never a token in a record", async () => {
  const seen: Headers[] = [];
  const { standIn } = await github();
  await using _ = standIn;
  const client = githubClient({
    api: standIn.apis.github,
    token: GITHUB_TOKEN,
    fetch: (input, init) => {
      seen.push(new Headers(init?.headers));
      return fetch(input, init);
    },
  });
  await client.defaultBranch("octo/demo");
  const [headers] = seen;
  assertEquals(headers?.get("authorization"), `Bearer ${GITHUB_TOKEN}`);
  assertEquals(headers?.get("accept"), "application/vnd.github+json");
  assertEquals(headers?.get("x-github-api-version"), "2022-11-28");
  assertEquals(headers?.get("user-agent"), "devaipod-gator");
  assert(!JSON.stringify(await standIn.calls()).includes(GITHUB_TOKEN));
});
