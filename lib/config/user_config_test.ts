import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { ConfigError } from "../errors.ts";
import { locateToml, parseUserConfig, redactUserConfig, unappliedKeys } from "./user_config.ts";

const GOOD = `default-image = "localhost/x"
[env]
allowlist = ["MY_KEY"]
[env.vars]
EDITOR = "vim"
[trusted.env]
GH_TOKEN = "ghp_secret"
[trusted]
secrets = ["NPM_TOKEN=npm-token"]
[network-isolation]
allowed_domains = ["api.example.com", "*.example.org"]
[agent]
default = "opencode"
[dotfiles]
url = "https://example.com/dotfiles.git"
script = "setup.sh"
[forges]
"git.example.com" = "github"
"127.0.0.1:8080" = "gitlab"
`;

Deno.test("user config: every key the schema knows", () => {
  assertEquals(parseUserConfig(GOOD, "u.toml"), {
    "default-image": "localhost/x",
    env: { allowlist: ["MY_KEY"], vars: { EDITOR: "vim" } },
    trusted: { env: { GH_TOKEN: "ghp_secret" }, secrets: ["NPM_TOKEN=npm-token"] },
    "network-isolation": { allowed_domains: ["api.example.com", "*.example.org"] },
    agent: { default: "opencode" },
    dotfiles: { url: "https://example.com/dotfiles.git", script: "setup.sh" },
    forges: { "git.example.com": "github", "127.0.0.1:8080": "gitlab" },
  });
  assertEquals(parseUserConfig("", "u.toml"), {});
});

Deno.test("user config: TOML syntax errors carry line:column", () => {
  const err = assertThrows(
    () => parseUserConfig("a = 1\nb = [1,\n[x]\n", "/h/devaipod.toml"),
    ConfigError,
  );
  assertEquals(err.message, "/h/devaipod.toml:3:2: invalid value");
});

Deno.test("user config: unknown keys and wrong types are all reported, each at its line", () => {
  const text = `default-imag = "x"
[env]
allowlist = ["OK", "not a name"]
[network-isolation]
allowed_domains = "api.example.com"
[forges]
"git.example.com" = "github"
"127.0.0.1:8080" = "bitbucket"
`;
  const err = assertThrows(() => parseUserConfig(text, "u.toml"), ConfigError);
  assertEquals(err.problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.message}`), [
    "1:1 default-imag: unknown key",
    "3:1 env.allowlist.1: expected an environment variable name",
    "5:1 network-isolation.allowed_domains: expected array, received string",
    '8:1 forges.127.0.0.1:8080: expected one of "github"|"gitlab"|"forgejo"|"gitea"',
  ]);
});

Deno.test("user config: locating keys in tables and dotted keys", () => {
  const text = "[a]\nx = 1\n[a.b]\n  y = 2\nc.d = 3\n";
  assertEquals(locateToml(text, ["a", "x"]), { line: 2, column: 1 });
  assertEquals(locateToml(text, ["a", "b", "y"]), { line: 4, column: 3 });
  assertEquals(locateToml(text, ["a", "b", "c", "d"]), { line: 5, column: 1 });
  assertEquals(locateToml(text, ["a", "missing"]), { line: 1, column: 1 });
  const quoted = '[forges]\n"git.example.com" = "github"\n  "h:1" = "x"\n';
  assertEquals(locateToml(quoted, ["forges", "h:1"]), { line: 3, column: 3 });
  assertEquals(locateToml(quoted, ["forges", "git.example.com"]), { line: 2, column: 1 });
});

Deno.test("user config: trusted values are redacted for printing", () => {
  const redacted = redactUserConfig(parseUserConfig(GOOD, "u.toml"));
  assertEquals(redacted.trusted?.env, { GH_TOKEN: "<redacted>" });
  assertEquals(JSON.stringify(redacted).includes("ghp_secret"), false);
});

Deno.test("user config: allowed_domains are checked as allowlist entries, [agent] default is a profile's name, [agents.NAME] needs a command", () => {
  const text = `[network-isolation]
allowed_domains = ["api.example.com", "*.example.org:8443", "http://10.0.0.5", "not a host", "x.com:70000"]
[agent]
default = "Claude Code"
[agents.goose]
attach = ["goose", "session"]
keys = ["not a var"]
`;
  const err = assertThrows(() => parseUserConfig(text, "u.toml"), ConfigError);
  assertEquals(err.problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.message}`), [
    "2:1 network-isolation.allowed_domains.3: 'not a host': not a host name, *.domain or IP address",
    "2:1 network-isolation.allowed_domains.4: 'x.com:70000': bad port",
    "4:1 agent.default: expected an agent profile's name",
    "5:1 agents.goose.command: expected array, received undefined",
    "7:1 agents.goose.keys.0: expected an environment variable name",
  ]);
});

Deno.test("user config: a custom agent profile parses with its command, attach, keys, hosts and env", () => {
  const config = parseUserConfig(
    `[agent]
default = "goose"
[agents.goose]
command = ["goose", "run", "-t", "{task}"]
attach = ["goose", "session"]
keys = ["OPENAI_API_KEY"]
hosts = ["api.openai.com"]
env = { GOOSE_MODE = "auto" }
`,
    "u.toml",
  );
  assertEquals(config.agent?.default, "goose");
  assertEquals(config.agents?.goose?.command, ["goose", "run", "-t", "{task}"]);
  assertEquals(config.agents?.goose?.env, { GOOSE_MODE: "auto" });
});

Deno.test("user config: [gator] and upstream's [service-gator] are checked, each problem at its line", () => {
  const ok = parseUserConfig(
    `[service-gator]\nport = 9000\n[service-gator.gh]\nread = true\n[gator]\nscopes = ["jira:DEMO=read"]\n`,
    "u.toml",
  );
  assertEquals(ok.gator?.scopes, ["jira:DEMO=read"]);
  assertEquals(unappliedKeys(ok), [
    "[service-gator] port is not applied: the gator listens on devaipod's own port",
  ]);
  const text = `[gator]
scopes = ["github:octo=read"]
[gator.endpoints]
github = "ftp://x"
[gator.gh.repos]
"octo/demo" = { reed = true }
`;
  const err = assertThrows(() => parseUserConfig(text, "u.toml"), ConfigError);
  assertEquals(err.problems.map((p) => `${p.location?.line}:${p.location?.column} ${p.message}`), [
    "2:1 gator.scopes.0: invalid scope 'github:octo=read': expected '*', 'owner/*', 'owner/repo' or 'owner/repo#N'",
    "4:1 gator.endpoints.github: expected an http(s) URL",
    "6:1 gator.gh.repos.octo/demo.reed: unknown key",
  ]);
});
