import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { UsageError } from "../errors.ts";
import { KNOWN_FORGES } from "../sources/parse.ts";
import { formatScope } from "./scopes.ts";
import { autoScopes, configScopes, GatorConfigSchema } from "./settings.ts";

const auto = (url: string | undefined, forges: Record<string, "github" | "gitlab"> = {}) => {
  const a = autoScopes(url, forges, KNOWN_FORGES);
  return { scopes: a.scopes.map(formatScope), endpoint: a.endpoint };
};

Deno.test("autoScopes() of a pull request URL: read and draft on its repository, pending review on it", () => {
  assertEquals(auto("https://github.com/octo/demo/pull/7"), {
    scopes: ["github:octo/demo=read,create-draft", "github:octo/demo#7=pending-review"],
    endpoint: { service: "github", url: "https://api.github.com" },
  });
  assertEquals(auto("https://gitlab.com/group/sub/proj/-/merge_requests/3"), {
    scopes: ["gitlab:group/sub/proj=read,create-draft", "gitlab:group/sub/proj#3=pending-review"],
    endpoint: { service: "gitlab", url: "https://gitlab.com/api/v4" },
  });
  assertEquals(auto("https://codeberg.org/octo/demo/pulls/4").scopes, [
    "forgejo:octo/demo=read,create-draft",
    "forgejo:octo/demo#4=pending-review",
  ]);
  assertEquals(auto("http://127.0.0.1:8080/octo/demo/pull/2", { "127.0.0.1:8080": "github" }), {
    scopes: ["github:octo/demo=read,create-draft", "github:octo/demo#2=pending-review"],
    endpoint: { service: "github", url: "http://127.0.0.1:8080/api/v3" },
  });
});

Deno.test("autoScopes() of a clone URL on a forge: read and draft; elsewhere or local: none", () => {
  assertEquals(auto("https://github.com/octo/demo.git").scopes, [
    "github:octo/demo=read,create-draft",
  ]);
  assertEquals(auto("git@github.com:octo/demo.git").scopes, ["github:octo/demo=read,create-draft"]);
  assertEquals(auto("ssh://git@gitlab.com/group/proj").scopes, [
    "gitlab:group/proj=read,create-draft",
  ]);
  assertEquals(auto("https://git.example.com/octo/demo.git").scopes, []);
  assertEquals(auto("file:///srv/demo.git").scopes, []);
  assertEquals(auto(undefined).scopes, []);
});

Deno.test("configScopes() reads devaipod's scopes and upstream's [service-gator] tables", () => {
  const config = GatorConfigSchema.parse({
    scopes: ["jira:OPS=read"],
    gh: {
      read: true,
      repos: { "octo/*": { read: true }, "octo/demo": { read: true, "create-draft": true } },
      prs: { "octo/demo#123": { read: true, write: true } },
    },
    jira: { projects: { DEMO: { read: true, create: true, write: false } } },
  });
  assertEquals(configScopes(config, "u.toml: [gator]").map(formatScope), [
    "jira:OPS=read",
    "github:*=read",
    "github:octo/*=read",
    "github:octo/demo=read,create-draft",
    "github:octo/demo#123=read,write",
    "jira:DEMO=read,create",
  ]);
});

Deno.test("configScopes() refuses a permission its service lacks, or a bad target, naming the table", () => {
  const bad = GatorConfigSchema.parse({ jira: { projects: { DEMO: { "create-draft": true } } } });
  const err = assertThrows(() => configScopes(bad, "u.toml: [gator]"), UsageError);
  assertEquals(
    err.message,
    "u.toml: [gator].jira: 'DEMO': 'create-draft' is not a jira permission",
  );
  const target = GatorConfigSchema.parse({ gh: { repos: { "octo": { read: true } } } });
  const t = assertThrows(() => configScopes(target, "t"), UsageError);
  assertEquals(t.message.startsWith("t.gh: 'octo': "), true, t.message);
  assertEquals(GatorConfigSchema.safeParse({ scopes: ["github:octo=read"] }).success, false);
});
