import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { callLines, GITLAB_TOKEN, startForgeStandIn } from "../../tests/support/forge_standin.ts";
import { ForgeError } from "./forge.ts";
import { gitlabClient, unifiedDiff } from "./gitlab.ts";

const PROJECT = "/api/v4/projects/octo%2Fdemo";

async function gitlab(token = GITLAB_TOKEN) {
  const standIn = await startForgeStandIn();
  return { standIn, client: gitlabClient({ api: standIn.apis.gitlab, token }) };
}

Deno.test("gitlabClient() reads a raw file by its encoded path", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  assertEquals(await client.readFile("octo/demo", "README.md"), "# demo\n");
  assertEquals(
    await client.readFile("octo/demo", "src/main.ts", "feature"),
    'console.log("demo");\nconsole.log("feature");\n',
  );
  assertEquals(callLines(await standIn.calls()), [
    `GET ${PROJECT}/repository/files/README.md/raw`,
    `GET ${PROJECT}/repository/files/src%2Fmain.ts/raw?ref=feature`,
  ]);
});

Deno.test("gitlabClient() follows the pages of a recursive tree", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  assertEquals(await client.tree("octo/demo"), [
    { path: "README.md", type: "file" },
    { path: "src", type: "dir" },
    { path: "src/main.ts", type: "file" },
  ]);
  assertEquals(callLines(await standIn.calls()), [
    `GET ${PROJECT}/repository/tree?recursive=true&per_page=100`,
    `GET ${PROJECT}/repository/tree?recursive=true&per_page=100&page=2`,
  ]);
});

Deno.test("gitlabClient() lists the tree under a path at a ref", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  assertEquals(await client.tree("octo/demo", "feature", "src/"), [
    { path: "src/main.ts", type: "file" },
  ]);
  assertEquals(callLines(await standIn.calls()), [
    `GET ${PROJECT}/repository/tree?recursive=true&per_page=100&path=src&ref=feature`,
  ]);
});

Deno.test("gitlabClient() reads an issue with its notes", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  assertEquals(await client.issue("octo/demo", 1), {
    number: 1,
    title: "Demo is too quiet",
    body: "It should say more.",
    state: "opened",
    author: "alice",
    url: `${standIn.url}/gitlab/octo/demo/-/issues/1`,
    comments: [{ author: "bob", body: "Agreed.", created: "2024-01-02T03:04:05Z" }],
  });
  assertEquals(callLines(await standIn.calls()), [
    `GET ${PROJECT}/issues/1`,
    `GET ${PROJECT}/issues/1/notes?sort=asc&order_by=created_at&per_page=100`,
  ]);
});

Deno.test("gitlabClient() reads a merge request without system notes, with a unified diff", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  assertEquals(await client.pullRequest("octo/demo", 2), {
    number: 2,
    title: "Say more",
    body: "Adds a line.",
    state: "opened",
    author: "carol",
    url: `${standIn.url}/gitlab/octo/demo/-/merge_requests/2`,
    comments: [{ author: "alice", body: "Looks good.", created: "2024-01-02T03:04:05Z" }],
    draft: false,
    head: "feature",
    base: "main",
    diff: [
      "diff --git a/src/main.ts b/src/main.ts",
      "--- a/src/main.ts",
      "+++ b/src/main.ts",
      "@@ -1 +1,2 @@",
      ' console.log("demo");',
      '+console.log("feature");',
      "",
    ].join("\n"),
  });
  assertEquals(callLines(await standIn.calls()).sort(), [
    `GET ${PROJECT}/merge_requests/2`,
    `GET ${PROJECT}/merge_requests/2/diffs?per_page=100`,
    `GET ${PROJECT}/merge_requests/2/notes?sort=asc&order_by=created_at&per_page=100`,
  ]);
});

Deno.test("unifiedDiff() marks new and deleted files with /dev/null", () => {
  const file = { old_path: "a.txt", new_path: "a.txt", diff: "@@ -0,0 +1 @@\n+a" };
  assertEquals(
    unifiedDiff([
      { ...file, new_file: true, deleted_file: false },
      { ...file, new_file: false, deleted_file: true, diff: "" },
    ]),
    "diff --git a/a.txt b/a.txt\n--- /dev/null\n+++ b/a.txt\n@@ -0,0 +1 @@\n+a\n" +
      "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ /dev/null\n",
  );
});

Deno.test("gitlabClient() searches issues and merge requests apart", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  assertEquals(await client.search("octo/demo", "say"), [
    {
      number: 1,
      title: "Demo is too quiet",
      state: "opened",
      kind: "issue",
      url: `${standIn.url}/gitlab/octo/demo/-/issues/1`,
    },
    {
      number: 2,
      title: "Say more",
      state: "opened",
      kind: "pr",
      url: `${standIn.url}/gitlab/octo/demo/-/merge_requests/2`,
    },
  ]);
  assertEquals(callLines(await standIn.calls()).sort(), [
    `GET ${PROJECT}/issues?search=say&per_page=50`,
    `GET ${PROJECT}/merge_requests?search=say&per_page=50`,
  ]);
});

Deno.test("gitlabClient() lists merge requests in GitLab's states", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  assertEquals((await client.listPullRequests("octo/demo")).map((p) => [p.number, p.kind]), [
    [2, "pr"],
  ]);
  assertEquals(await client.listPullRequests("octo/demo", "closed"), []);
  assertEquals((await client.listPullRequests("octo/demo", "all")).length, 1);
  assertEquals(callLines(await standIn.calls()), [
    `GET ${PROJECT}/merge_requests?state=opened&per_page=100`,
    `GET ${PROJECT}/merge_requests?state=closed&per_page=100`,
    `GET ${PROJECT}/merge_requests?state=all&per_page=100`,
  ]);
});

Deno.test("gitlabClient() creates merge requests with a Draft: title", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  const created = await client.createDraftPullRequest("octo/demo", {
    title: "Louder",
    body: "More output.",
    head: "louder",
    base: "main",
  });
  assertEquals(created, { number: 3, url: `${standIn.url}/gitlab/octo/demo/-/merge_requests/3` });
  const [call] = await standIn.calls();
  assertEquals(callLines(call ? [call] : []), [`POST ${PROJECT}/merge_requests`]);
  assertEquals(call?.body, {
    source_branch: "louder",
    target_branch: "main",
    title: "Draft: Louder",
    description: "More output.",
  });
});

Deno.test("gitlabClient() comments on issues and merge requests by their own numbers", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  const onIssue = await client.comment("octo/demo", 1, "Thanks.", "issue");
  const onMr = await client.comment("octo/demo", 2, "Nice.", "pr");
  assert(onIssue.url.startsWith(`${standIn.url}/gitlab/octo/demo/-/issues/1#note_`), onIssue.url);
  assert(onMr.url.startsWith(`${standIn.url}/gitlab/octo/demo/-/merge_requests/2#note_`));
  const calls = await standIn.calls();
  assertEquals(callLines(calls), [
    `POST ${PROJECT}/issues/1/notes`,
    `POST ${PROJECT}/merge_requests/2/notes`,
  ]);
  assertEquals(calls.map((c) => c.body), [{ body: "Thanks." }, { body: "Nice." }]);
});

Deno.test("gitlabClient() leaves a review pending as draft notes on the diff's refs", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  const { id } = await client.createPendingReview("octo/demo", 2, {
    body: "A few notes.",
    comments: [{ path: "src/main.ts", line: 2, body: "Why feature?" }],
  });
  const calls = await standIn.calls();
  assertEquals(callLines(calls), [
    `GET ${PROJECT}/merge_requests/2`,
    `POST ${PROJECT}/merge_requests/2/draft_notes`,
    `POST ${PROJECT}/merge_requests/2/draft_notes`,
  ]);
  assertEquals(calls[1]?.body, {
    note: "Why feature?",
    position: {
      position_type: "text",
      base_sha: "b".repeat(40),
      head_sha: "f".repeat(40),
      start_sha: "b".repeat(40),
      new_path: "src/main.ts",
      old_path: "src/main.ts",
      new_line: 2,
    },
  });
  assertEquals(calls[2]?.body, { note: "A few notes." });
  assert(/^\d+$/.test(id), id);
});

Deno.test("gitlabClient() reads the default branch of a project by its full path", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  assertEquals(await client.defaultBranch("octo/demo"), "main");
  await assertRejects(() => client.defaultBranch("group/sub/project"), /404 Not found/);
  await assertRejects(() => client.defaultBranch("demo"), /is not group\/project/);
  assertEquals(callLines(await standIn.calls()), [
    `GET ${PROJECT}`,
    "GET /api/v4/projects/group%2Fsub%2Fproject",
  ]);
});

Deno.test("gitlabClient() passes GitLab's message through on a 404", async () => {
  const { standIn, client } = await gitlab();
  await using _ = standIn;
  const err = await assertRejects(() => client.readFile("octo/demo", "nope.md"), ForgeError);
  assertEquals([err.service, err.status], ["GitLab", 404]);
  assertEquals(
    err.message,
    "GitLab answered 404 for GET /projects/octo%2Fdemo/repository/files/nope.md/raw: " +
      "404 File Not Found",
  );
});

Deno.test("gitlabClient() with a wrong token gets GitLab's 401", async () => {
  const { standIn, client } = await gitlab("wrong-token");
  await using _ = standIn;
  const err = await assertRejects(() => client.issue("octo/demo", 1), ForgeError);
  assertEquals(err.status, 401);
  assertEquals(
    err.message,
    "GitLab answered 401 for GET /projects/octo%2Fdemo/issues/1: 401 Unauthorized",
  );
  assertEquals(callLines(await standIn.calls()), [`(unauthorized) GET ${PROJECT}/issues/1`]);
});
