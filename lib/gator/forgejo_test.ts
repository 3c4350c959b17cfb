import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { callLines, FORGEJO_TOKEN, startForgeStandIn } from "../../tests/support/forge_standin.ts";
import { ForgeError } from "./forge.ts";
import { forgejoClient } from "./forgejo.ts";

const REPO = "/api/v1/repos/octo/demo";

async function forgejo(token = FORGEJO_TOKEN) {
  const standIn = await startForgeStandIn();
  return { standIn, client: forgejoClient({ api: standIn.apis.forgejo, token }) };
}

Deno.test("forgejoClient() reads a raw file, at the default branch or a ref", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  assertEquals(await client.readFile("octo/demo", "README.md"), "# demo\n");
  assertEquals(
    await client.readFile("octo/demo", "src/main.ts", "feature"),
    'console.log("demo");\nconsole.log("feature");\n',
  );
  assertEquals(callLines(await standIn.calls()), [
    `GET ${REPO}/raw/README.md`,
    `GET ${REPO}/raw/src/main.ts?ref=feature`,
  ]);
});

Deno.test("forgejoClient() reads the tree of the default branch page after page", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  assertEquals(await client.tree("octo/demo"), [
    { path: "README.md", type: "file" },
    { path: "src", type: "dir" },
    { path: "src/main.ts", type: "file" },
  ]);
  assertEquals(await client.tree("octo/demo", "feature", "src"), [
    { path: "src/main.ts", type: "file" },
  ]);
  const tree = (ref: string, page: number) =>
    `GET ${REPO}/git/trees/${ref}?recursive=true&per_page=1000&page=${page}`;
  assertEquals(callLines(await standIn.calls()), [
    `GET ${REPO}`,
    tree("main", 1),
    tree("main", 2),
    tree("feature", 1),
    tree("feature", 2),
  ]);
});

Deno.test("forgejoClient() reads an issue with its comments", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  assertEquals(await client.issue("octo/demo", 1), {
    number: 1,
    title: "Demo is too quiet",
    body: "It should say more.",
    state: "open",
    author: "alice",
    url: `${standIn.url}/forgejo/octo/demo/issues/1`,
    comments: [{ author: "bob", body: "Agreed.", created: "2024-01-02T03:04:05Z" }],
  });
  assertEquals(callLines(await standIn.calls()), [
    `GET ${REPO}/issues/1`,
    `GET ${REPO}/issues/1/comments`,
  ]);
});

Deno.test("forgejoClient() reads a pull request with its comments and its .diff", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  const pr = await client.pullRequest("octo/demo", 2);
  assertEquals({ ...pr, diff: "" }, {
    number: 2,
    title: "Say more",
    body: "Adds a line.",
    state: "open",
    author: "carol",
    url: `${standIn.url}/forgejo/octo/demo/pull/2`,
    comments: [{ author: "alice", body: "Looks good.", created: "2024-01-02T03:04:05Z" }],
    draft: false,
    head: "feature",
    base: "main",
    diff: "",
  });
  assert(pr.diff.includes('+console.log("feature");\n'), pr.diff);
  assertEquals(callLines(await standIn.calls()).sort(), [
    `GET ${REPO}/issues/2/comments`,
    `GET ${REPO}/pulls/2`,
    `GET ${REPO}/pulls/2.diff`,
  ]);
});

Deno.test("forgejoClient() searches issues and pull requests by type", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  assertEquals((await client.search("octo/demo", "say")).map((i) => [i.number, i.kind]), [
    [1, "issue"],
    [2, "pr"],
  ]);
  assertEquals(callLines(await standIn.calls()).sort(), [
    `GET ${REPO}/issues?q=say&type=issues&state=all&limit=50`,
    `GET ${REPO}/issues?q=say&type=pulls&state=all&limit=50`,
  ]);
});

Deno.test("forgejoClient() lists pull requests by state", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  assertEquals(await client.listPullRequests("octo/demo", "all"), [{
    number: 2,
    title: "Say more",
    state: "open",
    kind: "pr",
    url: `${standIn.url}/forgejo/octo/demo/pull/2`,
  }]);
  assertEquals(await client.listPullRequests("octo/demo", "closed"), []);
  assertEquals(callLines(await standIn.calls()), [
    `GET ${REPO}/pulls?state=all&limit=50`,
    `GET ${REPO}/pulls?state=closed&limit=50`,
  ]);
});

Deno.test("forgejoClient() creates pull requests as drafts with a WIP: title", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  const created = await client.createDraftPullRequest("octo/demo", {
    title: "Louder",
    body: "More output.",
    head: "louder",
    base: "main",
  });
  assertEquals(created, { number: 3, url: `${standIn.url}/forgejo/octo/demo/pull/3` });
  assertEquals((await client.pullRequest("octo/demo", 3)).draft, true);
  const [call] = await standIn.calls();
  assertEquals(callLines(call ? [call] : []), [`POST ${REPO}/pulls`]);
  assertEquals(call?.body, {
    title: "WIP: Louder",
    body: "More output.",
    head: "louder",
    base: "main",
  });
});

Deno.test("forgejoClient() comments on an issue", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  const { url } = await client.comment("octo/demo", 2, "Nice.", "pr");
  assert(url.startsWith(`${standIn.url}/forgejo/octo/demo/issues/2#issuecomment-`), url);
  const [call] = await standIn.calls();
  assertEquals(callLines(call ? [call] : []), [`POST ${REPO}/issues/2/comments`]);
  assertEquals(call?.body, { body: "Nice." });
});

Deno.test("forgejoClient() leaves a review pending: event PENDING", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  const { id } = await client.createPendingReview("octo/demo", 2, {
    body: "A few notes.",
    comments: [{ path: "src/main.ts", line: 2, body: "Why feature?" }],
  });
  assert(/^\d+$/.test(id), id);
  const [call] = await standIn.calls();
  assertEquals(callLines(call ? [call] : []), [`POST ${REPO}/pulls/2/reviews`]);
  assertEquals(call?.body, {
    body: "A few notes.",
    event: "PENDING",
    comments: [{ path: "src/main.ts", new_position: 2, body: "Why feature?" }],
  });
});

Deno.test("forgejoClient() reads the default branch", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  assertEquals(await client.defaultBranch("octo/demo"), "main");
  assertEquals(callLines(await standIn.calls()), [`GET ${REPO}`]);
});

Deno.test("forgejoClient() passes Forgejo's message through on a 404", async () => {
  const { standIn, client } = await forgejo();
  await using _ = standIn;
  const err = await assertRejects(() => client.pullRequest("octo/demo", 1), ForgeError);
  assertEquals([err.service, err.status], ["Forgejo", 404]);
  assertEquals(
    err.message,
    "Forgejo answered 404 for GET /repos/octo/demo/pulls/1: The target couldn't be found.",
  );
});

Deno.test("forgejoClient() with a wrong token gets Forgejo's 401", async () => {
  const { standIn, client } = await forgejo("wrong-token");
  await using _ = standIn;
  const err = await assertRejects(() => client.readFile("octo/demo", "README.md"), ForgeError);
  assertEquals(err.status, 401);
  assertEquals(callLines(await standIn.calls()), [`(unauthorized) GET ${REPO}/raw/README.md`]);
});
