import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { UsageError } from "../errors.ts";
import { addScopes, decide, formatScope, parseScope, removeScope } from "./scopes.ts";
import type { Need, Scope } from "./scopes.ts";

const s = (text: string): Scope => parseScope(text, "test");

Deno.test("parseScope() reads service, target and permissions, and formatScope() writes them back", () => {
  for (
    const text of [
      "github:octo/demo=read,create-draft",
      "github:octo/*=read",
      "github:*=read",
      "github:octo/demo#2=pending-review",
      "gitlab:group/sub/project=read,push-new-branch",
      "gitlab:group/*=write",
      "forgejo:octo/demo=read",
      "jira:DEMO=read,create",
      "jira:*=read",
    ]
  ) {
    assertEquals(formatScope(s(text)), text);
  }
  assertEquals(s("gh:octo/demo=read").service, "github");
  assertEquals(s("gitea:octo/demo=read").service, "forgejo");
  assertEquals(s("github:octo/demo=read,read").permissions, ["read"]);
});

Deno.test("parseScope() refuses what it cannot read, naming where and why", () => {
  const cases: [string, RegExp][] = [
    ["github:octo/demo", /expected SERVICE:TARGET=PERMISSION/],
    ["bitbucket:octo/demo=read", /unknown service 'bitbucket'/],
    ["github:octo=read", /expected '\*', 'owner\/\*'/],
    ["github:octo/demo/x=read", /expected '\*', 'owner\/\*'/],
    ["github:../demo=read", /expected '\*', 'owner\/\*'/],
    ["github:octo/..=read", /'\.\.' is not a repository name/],
    ["github:octo/demo#0=read", /pull request number/],
    ["github:octo/*#3=read", /needs a repository/],
    ["github:octo/demo=create", /'create' is not a github permission/],
    ["jira:DEMO=create-draft", /'create-draft' is not a jira permission/],
    ["jira:demo=read", /JIRA project key/],
    ["gitlab:project=read", /'group\/project'/],
  ];
  for (const [text, pattern] of cases) {
    const err = assertThrows(() => parseScope(text, "--gator"), UsageError);
    assertEquals(err.message.startsWith(`--gator: invalid scope '${text}': `), true, err.message);
    assertEquals(pattern.test(err.message), true, `${text}: ${err.message}`);
  }
});

const need = (
  target: string,
  permission: Need["permission"],
  extra: Partial<Need> = {},
): Need => ({ service: "github", target, permission, ...extra });

Deno.test("decide() denies by default and names the scope that would allow the call", () => {
  assertEquals(decide([], need("octo/demo", "read")), {
    allow: false,
    missing: "github:octo/demo=read",
  });
});

Deno.test("decide() grants a permission only on the targets its scope covers", () => {
  const scopes = [s("github:octo/demo=read,create-draft"), s("github:team/*=read")];
  const table: [Need, boolean][] = [
    [need("octo/demo", "read"), true],
    [need("octo/demo", "create-draft"), true],
    [need("octo/demo", "pending-review"), false],
    [need("octo/demo", "push-new-branch"), false],
    [need("octo/demo", "write"), false],
    [need("octo/other", "read"), false],
    [need("octo/demo-evil", "read"), false],
    [need("team/x", "read"), true],
    [need("team-evil/x", "read"), false],
    [need("team/x", "create-draft"), false],
    [{ service: "gitlab", target: "octo/demo", permission: "read" }, false],
  ];
  for (const [n, allowed] of table) {
    assertEquals(decide(scopes, n).allow, allowed, JSON.stringify(n));
  }
});

Deno.test("decide() gives global read with '*': it matches every repository (upstream's '*/*' matched none)", () => {
  const scopes = [s("github:*=read")];
  assertEquals(decide(scopes, need("anyone/anything", "read")), {
    allow: true,
    scope: "github:*=read",
  });
  assertEquals(decide(scopes, need("anyone/anything", "create-draft")).allow, false);
  assertEquals(decide([s("jira:*=read")], { service: "jira", target: "X", permission: "read" }), {
    allow: true,
    scope: "jira:*=read",
  });
});

Deno.test("decide() lets a '#N' scope act on that pull request alone", () => {
  const scopes = [s("github:octo/demo#2=pending-review")];
  assertEquals(decide(scopes, need("octo/demo", "pending-review", { number: 2 })).allow, true);
  assertEquals(decide(scopes, need("octo/demo", "pending-review", { number: 3 })).allow, false);
  assertEquals(decide(scopes, need("octo/demo", "pending-review")).allow, false);
  // A repository scope covers its pull requests.
  assertEquals(
    decide(
      [s("github:octo/demo=pending-review")],
      need("octo/demo", "pending-review", { number: 9 }),
    )
      .allow,
    true,
  );
});

Deno.test("decide() treats write as every permission of its service, and GitLab groups as prefixes", () => {
  const scopes = [s("gitlab:group/*=write")];
  const gl = (target: string, permission: Need["permission"]): Need => ({
    service: "gitlab",
    target,
    permission,
  });
  for (const p of ["read", "create-draft", "pending-review", "push-new-branch", "write"] as const) {
    assertEquals(decide(scopes, gl("group/sub/project", p)).allow, true, p);
  }
  assertEquals(decide(scopes, gl("other/project", "read")).allow, false);
  assertEquals(
    decide([s("jira:DEMO=write")], { service: "jira", target: "DEMO", permission: "create" }).allow,
    true,
  );
  assertEquals(
    decide([s("jira:DEMO=create")], { service: "jira", target: "DEMO", permission: "read" }).allow,
    false,
  );
});

Deno.test("addScopes() merges permissions of the same target; removeScope() drops emptied scopes", () => {
  const base = [s("github:octo/demo=read")];
  const added = addScopes(base, [s("github:octo/demo=create-draft"), s("jira:DEMO=read")]);
  assertEquals(added.map(formatScope), ["github:octo/demo=read,create-draft", "jira:DEMO=read"]);
  assertEquals(base.map(formatScope), ["github:octo/demo=read"], "the input is not changed");
  assertEquals(
    removeScope(added, s("github:octo/demo=read")).map(formatScope),
    ["github:octo/demo=create-draft", "jira:DEMO=read"],
  );
  assertEquals(removeScope(added, s("jira:DEMO=read,create")).map(formatScope), [
    "github:octo/demo=read,create-draft",
  ]);
});
