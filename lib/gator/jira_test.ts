import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import {
  callLines,
  JIRA_TOKEN,
  JIRA_USER,
  startForgeStandIn,
} from "../../tests/support/forge_standin.ts";
import { ForgeError } from "./forge.ts";
import { jiraClient } from "./jira.ts";

async function jira(token = JIRA_TOKEN) {
  const standIn = await startForgeStandIn();
  return {
    standIn,
    client: jiraClient({ url: standIn.apis.jira, username: JIRA_USER, token }),
  };
}

Deno.test("jiraClient() reads an issue with its comments and links its page", async () => {
  const { standIn, client } = await jira();
  await using _ = standIn;
  assertEquals(await client.issue("DEMO-1"), {
    key: "DEMO-1",
    summary: "Demo needs a voice",
    description: "The demo should print more.",
    status: "To Do",
    url: `${standIn.apis.jira}/browse/DEMO-1`,
    comments: [{ author: "Alice", body: "On it.", created: "2024-01-02T03:04:05.000+0000" }],
  });
  assertEquals(callLines(await standIn.calls()), [
    "GET /rest/api/2/issue/DEMO-1?fields=summary%2Cdescription%2Cstatus%2Ccomment",
  ]);
});

Deno.test("jiraClient() searches by JQL, at most the limit", async () => {
  const { standIn, client } = await jira();
  await using _ = standIn;
  assertEquals(await client.search("project = DEMO", 5), [
    { key: "DEMO-1", summary: "Demo needs a voice", status: "To Do" },
  ]);
  assertEquals(await client.search("project = OTHER"), []);
  assertEquals(callLines(await standIn.calls()), [
    "GET /rest/api/2/search?jql=project+%3D+DEMO&maxResults=5&fields=summary%2Cstatus",
    "GET /rest/api/2/search?jql=project+%3D+OTHER&maxResults=50&fields=summary%2Cstatus",
  ]);
});

Deno.test("jiraClient() creates a Task unless told the type", async () => {
  const { standIn, client } = await jira();
  await using _ = standIn;
  assertEquals(await client.create("DEMO", { summary: "Louder", description: "More output." }), {
    key: "DEMO-2",
    url: `${standIn.apis.jira}/browse/DEMO-2`,
  });
  await client.create("DEMO", { summary: "Crash", description: "", type: "Bug" });
  const calls = await standIn.calls();
  assertEquals(callLines(calls), ["POST /rest/api/2/issue", "POST /rest/api/2/issue"]);
  assertEquals(calls.map((c) => c.body), [
    {
      fields: {
        project: { key: "DEMO" },
        summary: "Louder",
        description: "More output.",
        issuetype: { name: "Task" },
      },
    },
    {
      fields: {
        project: { key: "DEMO" },
        summary: "Crash",
        description: "",
        issuetype: { name: "Bug" },
      },
    },
  ]);
});

Deno.test("jiraClient() passes JIRA's field errors through", async () => {
  const { standIn, client } = await jira();
  await using _ = standIn;
  const err = await assertRejects(
    () => client.create("NOPE", { summary: "x", description: "" }),
    ForgeError,
  );
  assertEquals(
    err.message,
    "JIRA answered 400 for POST /issue: project: valid project is required",
  );
});

Deno.test("jiraClient() comments on an issue", async () => {
  const { standIn, client } = await jira();
  await using _ = standIn;
  const { id } = await client.comment("DEMO-1", "Done.");
  assertEquals(typeof id, "string");
  const [call] = await standIn.calls();
  assertEquals(callLines(call ? [call] : []), ["POST /rest/api/2/issue/DEMO-1/comment"]);
  assertEquals(call?.body, { body: "Done." });
});

Deno.test("jiraClient() passes JIRA's errorMessages through on a 404", async () => {
  const { standIn, client } = await jira();
  await using _ = standIn;
  const err = await assertRejects(() => client.issue("DEMO-9"), ForgeError);
  assertEquals([err.service, err.status], ["JIRA", 404]);
  assertEquals(
    err.message,
    "JIRA answered 404 for GET /issue/DEMO-9: " +
      "Issue does not exist or you do not have permission to see it.",
  );
  await assertRejects(() => client.issue("../search"), /'\.' or '\.\.' segment/);
  assertEquals(callLines(await standIn.calls()), [
    "GET /rest/api/2/issue/DEMO-9?fields=summary%2Cdescription%2Cstatus%2Ccomment",
  ]);
});

Deno.test("jiraClient() with a wrong token gets JIRA's 401", async () => {
  const { standIn, client } = await jira("wrong-token");
  await using _ = standIn;
  const err = await assertRejects(() => client.comment("DEMO-1", "Done."), ForgeError);
  assertEquals(err.status, 401);
  assertEquals(
    err.message,
    "JIRA answered 401 for POST /issue/DEMO-1/comment: " +
      "You are not authenticated. Authentication required to perform this operation.",
  );
  assertEquals(callLines(await standIn.calls()), [
    "(unauthorized) POST /rest/api/2/issue/DEMO-1/comment",
  ]);
});

Deno.test("jiraClient() without a username sends the token as a bearer token", async () => {
  const standIn = await startForgeStandIn();
  await using _ = standIn;
  const seen: (string | null)[] = [];
  const client = jiraClient({
    url: standIn.apis.jira,
    token: JIRA_TOKEN,
    fetch: (input, init) => {
      seen.push(new Headers(init?.headers).get("authorization"));
      return fetch(input, init);
    },
  });
  await assertRejects(() => client.issue("DEMO-1"), /401/);
  assertEquals(seen, [`Bearer ${JIRA_TOKEN}`]);
});
