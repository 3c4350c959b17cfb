/**
 * The gator's MCP server in process, driven by the official SDK's client, in front of the
 * recording forge stand-in: allowed calls reach it with the token, denied calls never do.
 */
import { Client } from "npm:@modelcontextprotocol/sdk@1.32.2/client/index.js";
import { StreamableHTTPClientTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/client/streamableHttp.js";
import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import {
  FORGEJO_TOKEN,
  GITHUB_TOKEN,
  GITLAB_TOKEN,
  JIRA_TOKEN,
  JIRA_USER,
  type StandInCall,
  startForgeStandIn,
} from "../../tests/support/forge_standin.ts";
import { forgejoClient } from "./forgejo.ts";
import { githubClient } from "./github.ts";
import { gitlabClient } from "./gitlab.ts";
import { jiraClient } from "./jira.ts";
import { parseScope } from "./scopes.ts";
import type { Scope } from "./scopes.ts";
import { startGator } from "./server.ts";
import type { GatorLogRecord } from "./server.ts";

const SECRET = "a-per-workspace-secret";

async function withGator(
  scopes: Scope[],
  body: (
    ctx: {
      client: Client;
      url: string;
      calls: () => Promise<StandInCall[]>;
      log: GatorLogRecord[];
      scopes: Scope[];
    },
  ) => Promise<void>,
): Promise<void> {
  await using standIn = await startForgeStandIn();
  const log: GatorLogRecord[] = [];
  const gator = startGator({
    listen: { hostname: "127.0.0.1", port: 0 },
    secret: SECRET,
    scopes: () => scopes,
    clients: {
      forges: {
        github: githubClient({ api: standIn.apis.github, token: GITHUB_TOKEN }),
        gitlab: gitlabClient({ api: standIn.apis.gitlab, token: GITLAB_TOKEN }),
        forgejo: forgejoClient({ api: standIn.apis.forgejo, token: FORGEJO_TOKEN }),
      },
      jira: jiraClient({ url: standIn.apis.jira, token: JIRA_TOKEN, username: JIRA_USER }),
    },
    log: (r) => log.push(r),
  });
  const url = `http://127.0.0.1:${gator.addr.port}/mcp`;
  const client = new Client({ name: "test", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${SECRET}` } },
    }),
  );
  try {
    await body({ client, url, calls: () => standIn.calls(), log, scopes });
  } finally {
    await client.close();
    await gator.close();
  }
}

function textOf(result: Awaited<ReturnType<Client["callTool"]>>): string {
  const content = result.content as { type: string; text?: string }[];
  return content.map((c) => c.text ?? "").join("");
}

Deno.test("the gator lists its tools to the SDK's client, forge and JIRA ones", async () => {
  await withGator([], async ({ client }) => {
    const { tools } = await client.listTools();
    const names = tools.map((t: { name: string }) => t.name).sort();
    for (
      const name of [
        "read_file",
        "list_tree",
        "read_issue",
        "read_pull_request",
        "search",
        "list_pull_requests",
        "create_draft_pull_request",
        "comment",
        "create_pending_review",
        "jira_read_issue",
        "jira_search",
        "jira_create_issue",
        "jira_comment",
      ]
    ) {
      assert(names.includes(name), `${name} in ${names.join(", ")}`);
    }
  });
});

Deno.test("allowed calls reach the forge with the token; denied calls never reach it", async () => {
  const scopes = [
    parseScope("github:octo/demo=read,create-draft", "test"),
    parseScope("github:octo/demo#2=pending-review", "test"),
    parseScope("jira:DEMO=read", "test"),
  ];
  await withGator(scopes, async ({ client, calls, log }) => {
    const allowed = [
      { name: "read_file", arguments: { repo: "octo/demo", path: "README.md" } },
      { name: "read_pull_request", arguments: { repo: "octo/demo", number: 2 } },
      {
        name: "create_draft_pull_request",
        arguments: { repo: "octo/demo", title: "t", head: "agent/x", base: "main" },
      },
      {
        name: "create_pending_review",
        arguments: {
          repo: "octo/demo",
          number: 2,
          comments: [{ path: "src/main.ts", line: 1, body: "nit" }],
        },
      },
      { name: "jira_read_issue", arguments: { key: "DEMO-1" } },
    ];
    const denied = [
      { name: "read_file", arguments: { repo: "octo/secret", path: "SECRET.md" } },
      { name: "comment", arguments: { repo: "octo/demo", number: 1, body: "hi" } },
      {
        name: "create_pending_review",
        arguments: { repo: "octo/demo", number: 1, comments: [] },
      },
      { name: "jira_create_issue", arguments: { project: "DEMO", summary: "s" } },
      { name: "jira_read_issue", arguments: { key: "OTHER-1" } },
    ];
    for (const call of allowed) {
      const r = await client.callTool(call);
      assert(!r.isError, `${call.name}: ${textOf(r)}`);
    }
    assertEquals(
      textOf(await client.callTool(allowed[0] ?? denied[0] ?? { name: "" })),
      "# demo\n",
    );
    const before = (await calls()).length;
    for (const call of denied) {
      const r = await client.callTool(call);
      assert(r.isError, `${call.name} was allowed: ${textOf(r)}`);
      assertMatch(textOf(r), /^denied: \S+ needs the scope \S+=/);
    }
    const recorded = await calls();
    assertEquals(recorded.length, before, "no denied call reached the stand-in");
    assert(recorded.every((c) => c.authorized), "every call carried the token");
    assert(!recorded.some((c) => c.path.includes("octo/secret")));
    // Five allowed calls and one repeat logged as allowed, five denied; the stand-in saw only the allowed.
    assertEquals(log.filter((r) => r.decision === "deny").length, denied.length);
    assertEquals(
      log.filter((r) => r.decision === "deny").map((r) => r.scope),
      [
        "github:octo/secret=read",
        "github:octo/demo=write",
        "github:octo/demo=pending-review",
        "jira:DEMO=create",
        "jira:OTHER=read",
      ],
    );
    assert(log.filter((r) => r.decision === "allow").every((r) => r.outcome === "ok"));
    const review = recorded.find((c) => c.method === "POST" && c.path.endsWith("/reviews"));
    assert(review, "the review reached the stand-in");
    const draft = recorded.find((c) => c.method === "POST" && c.path.endsWith("/pulls"));
    assertEquals((draft?.body as { draft?: boolean } | undefined)?.draft, true);
  });
});

Deno.test("a scope added while the gator runs applies to the next call", async () => {
  await withGator([], async ({ client, scopes }) => {
    const call = { name: "read_issue", arguments: { repo: "octo/demo", number: 1 } };
    assert((await client.callTool(call)).isError);
    scopes.push(parseScope("github:octo/*=read", "test"));
    const r = await client.callTool(call);
    assert(!r.isError, textOf(r));
    assertMatch(textOf(r), /"number": 1/);
  });
});

Deno.test("the gator refuses requests without the workspace's bearer secret", async () => {
  await withGator([parseScope("github:*=read", "test")], async ({ url, calls }) => {
    for (const auth of [undefined, "Bearer wrong", `Basic ${btoa(`x:${SECRET}`)}`]) {
      const r = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(auth ? { authorization: auth } : {}),
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      assertEquals(r.status, 401, String(auth));
      await r.body?.cancel();
    }
    assertEquals((await calls()).length, 0);
  });
});

Deno.test("a forge's error reaches the agent as a tool error, logged with its status", async () => {
  await withGator([parseScope("github:*=read", "test")], async ({ client, log }) => {
    const r = await client.callTool({
      name: "read_issue",
      arguments: { repo: "octo/demo", number: 99 },
    });
    assert(r.isError);
    assertMatch(textOf(r), /404/);
    assertEquals(log.at(-1)?.outcome, 404);
  });
});

Deno.test("jira_search stays in its project: JQL that names projects or breaks out is refused", async () => {
  await withGator([parseScope("jira:DEMO=read", "test")], async ({ client, calls }) => {
    const ok = await client.callTool({
      name: "jira_search",
      arguments: { project: "DEMO", jql: 'summary ~ "a (b"' },
    });
    assert(!ok.isError, textOf(ok));
    for (const jql of ["project = OTHER", ") OR (project = OTHER", "x OR PROJECT in (A)", "a)"]) {
      const r = await client.callTool({ name: "jira_search", arguments: { project: "DEMO", jql } });
      assert(r.isError, `${jql}: ${textOf(r)}`);
    }
    assertEquals((await calls()).filter((c) => c.service === "jira").length, 1);
  });
});

Deno.test("push_branch needs push-new-branch, and only takes agent/… branch names", async () => {
  await withGator([parseScope("github:octo/demo=read", "test")], async ({ client, calls }) => {
    const denied = await client.callTool({
      name: "push_branch",
      arguments: { repo: "octo/demo", branch: "agent/x" },
    });
    assertMatch(textOf(denied), /needs the scope github:octo\/demo=push-new-branch/);
    for (const branch of ["main", "agent/", "agent/../main", "agent/x.lock", "feature/x"]) {
      const r = await client.callTool({
        name: "push_branch",
        arguments: { repo: "octo/demo", branch },
      });
      assert(r.isError, branch);
    }
    assertEquals((await calls()).length, 0);
  });
});

Deno.test("GitLab and Forgejo go through the same tools and scopes as GitHub", async () => {
  const scopes = [
    parseScope("gitlab:octo/demo=read,create-draft", "test"),
    parseScope("forgejo:octo/demo#2=pending-review", "test"),
    parseScope("forgejo:octo/demo=read", "test"),
  ];
  await withGator(scopes, async ({ client, calls }) => {
    for (const forge of ["gitlab", "forgejo"]) {
      const r = await client.callTool({
        name: "read_file",
        arguments: { forge, repo: "octo/demo", path: "README.md" },
      });
      assertEquals(textOf(r), "# demo\n", forge);
      const pr = await client.callTool({
        name: "read_pull_request",
        arguments: { forge, repo: "octo/demo", number: 2 },
      });
      assertMatch(textOf(pr), /"diff":/, forge);
    }
    const draft = await client.callTool({
      name: "create_draft_pull_request",
      arguments: { forge: "gitlab", repo: "octo/demo", title: "t", head: "agent/x" },
    });
    assert(!draft.isError, textOf(draft));
    const review = await client.callTool({
      name: "create_pending_review",
      arguments: { forge: "forgejo", repo: "octo/demo", number: 2, body: "looks fine" },
    });
    assert(!review.isError, textOf(review));
    const before = (await calls()).length;
    for (
      const call of [
        { forge: "gitlab", name: "create_pending_review", number: 2 },
        { forge: "forgejo", name: "create_draft_pull_request" },
        { forge: "forgejo", name: "create_pending_review", number: 3 },
      ]
    ) {
      const r = await client.callTool({
        name: call.name,
        arguments: {
          forge: call.forge,
          repo: "octo/demo",
          title: "t",
          head: "agent/x",
          body: "b",
          ...(call.number ? { number: call.number } : {}),
        },
      });
      assertMatch(textOf(r), /^denied: /, JSON.stringify(call));
    }
    const recorded = await calls();
    assertEquals(recorded.length, before, "no denied call reached a forge");
    assert(recorded.every((c) => c.authorized));
    const draftCall = recorded.find((c) => c.service === "gitlab" && c.method === "POST");
    assertMatch(JSON.stringify(draftCall?.body), /"title":"Draft: t"/);
  });
});
