import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import type { UserConfig } from "../config/user_config.ts";
import { UsageError } from "../errors.ts";
import { formatScope } from "../gator/scopes.ts";
import { chooseGator } from "./gator_choice.ts";
import type { GatorFacts } from "./gator_choice.ts";

const facts = (over: Partial<GatorFacts> = {}): GatorFacts => ({
  user: {},
  userPath: "/u.toml",
  isolated: true,
  backend: "podman",
  ...over,
});
const scopes = (f: GatorFacts) => {
  const d = chooseGator(f);
  return d.on ? d.scopes.map(formatScope) : "off";
};
const PR = "https://github.com/octo/demo/pull/2";
const TOKEN: UserConfig = { trusted: { env: { GH_TOKEN: "ghp_x" } } };

Deno.test("chooseGator(): no scope anywhere, no gator", () => {
  assertEquals(scopes(facts()), "off");
  assertEquals(scopes(facts({ sourceUrl: "/a/folder" })), "off");
});

Deno.test("chooseGator(): a pull request URL's scopes, and exactly those", () => {
  assertEquals(scopes(facts({ sourceUrl: PR, user: TOKEN })), [
    "github:octo/demo=read,create-draft",
    "github:octo/demo#2=pending-review",
  ]);
});

Deno.test("chooseGator(): --gator adds to the config's and the source's; --no-gator wins", () => {
  const user: UserConfig = { ...TOKEN, gator: { scopes: ["github:*=read"] } };
  assertEquals(scopes(facts({ user, sourceUrl: PR, flag: ["github:octo/demo=write"] })), [
    "github:*=read",
    "github:octo/demo=read,create-draft,write",
    "github:octo/demo#2=pending-review",
  ]);
  assertEquals(scopes(facts({ user, sourceUrl: PR, flag: false })), "off");
  assertEquals(
    scopes(facts({ user: { gator: { enabled: false } }, sourceUrl: PR })),
    "off",
    "enabled = false turns the automatic scopes off",
  );
  assertEquals(scopes(facts({ user: { gator: { enabled: true } } })), [], "on, granting nothing");
  assertEquals(scopes(facts({ user: { "service-gator": { gh: { read: true } } } })), [
    "github:*=read",
  ]);
});

Deno.test("chooseGator(): tokens from [trusted.env] and [trusted] secrets, endpoints from the source and the config", () => {
  const d = chooseGator(facts({
    sourceUrl: "http://127.0.0.1:9/octo/demo/pull/2",
    user: {
      forges: { "127.0.0.1:9": "github" },
      trusted: { env: { GH_TOKEN: "x", OTHER: "y" }, secrets: ["JIRA_API_TOKEN=my-jira"] },
      gator: { endpoints: { jira: "https://jira.example.com" } },
    },
  }));
  assertEquals(d.on && d.tokens, {
    GH_TOKEN: { trusted: true },
    JIRA_API_TOKEN: { userSecret: "my-jira" },
  });
  assertEquals(d.on && d.endpoints, {
    github: "http://127.0.0.1:9/api/v3",
    jira: "https://jira.example.com",
  });
  assertEquals(d.warnings, []);
});

Deno.test("chooseGator(): warns when a scope's service has no token", () => {
  const d = chooseGator(facts({ sourceUrl: PR }));
  assertEquals(d.on, true);
  assertEquals(d.warnings.length, 1);
  assertEquals(d.warnings[0]?.includes("no token for github"), true, d.warnings[0]);
});

Deno.test("chooseGator(): without isolation or on another backend, --gator is an error and automatic scopes a warning", () => {
  assertThrows(() => chooseGator(facts({ isolated: false, flag: ["github:*=read"] })), UsageError);
  const kube = assertThrows(
    () => chooseGator(facts({ backend: "kube", flag: ["github:*=read"] })),
    UsageError,
  );
  assertEquals(kube.message, "--gator: the kube backend has no gator yet");
  const d = chooseGator(facts({ isolated: false, sourceUrl: PR }));
  assertEquals([d.on, d.warnings.length], [false, 1]);
  const bad = assertThrows(() => chooseGator(facts({ flag: ["github:octo=read"] })), UsageError);
  assertEquals(bad.message.startsWith("--gator: invalid scope 'github:octo=read'"), true);
});

Deno.test("chooseGator(): each further project's repository gets its automatic scopes too", () => {
  assertEquals(
    scopes(facts({
      sourceUrl: PR,
      projectUrls: ["https://github.com/octo/lib", "https://gitlab.com/grp/docs.git"],
      user: TOKEN,
    })),
    [
      "github:octo/demo=read,create-draft",
      "github:octo/demo#2=pending-review",
      "github:octo/lib=read,create-draft",
      "gitlab:grp/docs=read,create-draft",
    ],
  );
  // A folder project brings none.
  assertEquals(scopes(facts({ sourceUrl: "/a/folder", projectUrls: [] })), "off");
});
