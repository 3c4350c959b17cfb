import { assertEquals, assertMatch, assertThrows } from "../../tests/support/assert.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { chooseAgent } from "./choose.ts";
import {
  agentProgram,
  BUILTIN_AGENTS,
  builtinProfile,
  customProfile,
  nodePin,
  taskAnswer,
} from "./profiles.ts";
import type { AgentContext } from "./profiles.ts";
import type { PinnedBinary } from "./opencode.ts";

const served: AgentContext = {
  program: ["/opt/devaipod/agent/x"],
  endpoint: (id) => id === "openai" ? "http://proxy.devaipod:3129/openai/v1" : undefined,
};
const direct: AgentContext = { program: ["/opt/devaipod/agent/x"], endpoint: () => undefined };

Deno.test("profiles: every shipped npm profile pins both Linux platforms with sha512 integrities", () => {
  for (const name of BUILTIN_AGENTS) {
    const profile = builtinProfile(name);
    if (profile?.install.kind !== "npm") throw new Error(`${name} is not injected`);
    for (const platform of ["linux-x64", "linux-arm64"] as const) {
      const pin: PinnedBinary = profile.install.pin(platform);
      assertMatch(pin.integrity, /^sha512-[A-Za-z0-9+/]{86}==$/, `${name} ${platform}`);
      assertEquals(pin.member.startsWith("package/"), true);
    }
  }
  const x64 = builtinProfile("codex")?.install;
  if (x64?.kind !== "npm") throw new Error("codex is injected");
  assertEquals(
    x64.pin("linux-arm64").member,
    "package/vendor/aarch64-unknown-linux-musl/bin/codex",
  );
  assertEquals(Object.values(x64.pin("linux-x64").companions ?? {}), ["codex-code-mode-host"]);
});

Deno.test("profiles: opencode is a server; Claude Code, Codex and Gemini CLI are CLIs with their own keys and hosts", () => {
  assertEquals(builtinProfile("opencode")?.mode, "server");
  for (const name of ["claude", "codex", "gemini"]) assertEquals(builtinProfile(name)?.mode, "cli");
  assertEquals(builtinProfile("claude")?.keys.includes("ANTHROPIC_API_KEY"), true);
  assertEquals(builtinProfile("claude")?.keys.includes("OPENAI_API_KEY"), false);
  assertEquals(builtinProfile("codex")?.hosts, ["api.openai.com"]);
  assertEquals(builtinProfile("nope"), undefined);
});

Deno.test("profiles: Claude Code runs headless with JSON output and resumes with --continue", () => {
  const claude = builtinProfile("claude");
  assertEquals(claude?.headless?.("fix it", direct), [
    "/opt/devaipod/agent/x",
    "-p",
    "fix it",
    "--output-format",
    "json",
    "--dangerously-skip-permissions",
  ]);
  assertEquals(claude?.interactive?.(direct, true), [
    "/opt/devaipod/agent/x",
    "--continue",
    "--dangerously-skip-permissions",
  ]);
  assertEquals(claude?.interactive?.(direct, false).includes("--continue"), false);
});

Deno.test("profiles: Codex uses devaipod's OpenAI endpoint as a provider of its own only when the proxy serves it", () => {
  const codex = builtinProfile("codex");
  const argv = codex?.headless?.("fix it", served) ?? [];
  assertEquals(argv.slice(0, 4), [
    "/opt/devaipod/agent/x",
    "exec",
    "--skip-git-repo-check",
    "--dangerously-bypass-approvals-and-sandbox",
  ]);
  assertEquals(argv.at(-1), "fix it");
  assertEquals(argv.includes("model_provider=devaipod"), true);
  assertMatch(argv.join(" "), /base_url="http:\/\/proxy\.devaipod:3129\/openai\/v1"/);
  assertEquals(codex?.headless?.("fix it", direct).includes("model_provider=devaipod"), false);
  assertEquals(codex?.interactive?.(served, true).slice(1, 3), ["resume", "--last"]);
});

Deno.test("profiles: Gemini CLI runs with devaipod's Node.js beside it; image-provided and custom programs by name", () => {
  const gemini = builtinProfile("gemini");
  if (!gemini) throw new Error("gemini is shipped");
  assertEquals(agentProgram(gemini, "/opt/devaipod/agent/bundle/gemini.js"), [
    "/opt/devaipod/agent/node",
    "/opt/devaipod/agent/bundle/gemini.js",
  ]);
  for (const platform of ["linux-x64", "linux-arm64"] as const) {
    assertEquals(nodePin(platform).packageName, `node-${platform}`);
    assertMatch(nodePin(platform).integrity, /^sha512-[A-Za-z0-9+/]{86}==$/);
  }
  assertEquals(agentProgram(gemini, undefined), ["gemini"]);
  const goose = customProfile("goose", {
    command: ["goose", "run", "-t", "{task}"],
    keys: ["OPENAI_API_KEY"],
  });
  assertEquals(goose.mode, "cli");
  assertEquals(goose.headless?.("do {it}", direct), ["goose", "run", "-t", "do {it}"]);
  assertEquals(goose.interactive?.(direct, true), ["/bin/sh", "-l"]);
  assertEquals(goose.keys, ["OPENAI_API_KEY"]);
});

Deno.test("profiles: a task's answer is Claude Code's JSON result (its is_error a failure), else the text printed", () => {
  assertEquals(
    taskAnswer("claude-json", '{"type":"result","is_error":false,"result":"Done."}\n'),
    { text: "Done.", failed: false },
  );
  assertEquals(
    taskAnswer("claude-json", '{"type":"result","is_error":true,"result":"API Error: 400"}'),
    { text: "API Error: 400", failed: true },
  );
  assertEquals(taskAnswer("claude-json", "not json\n"), { text: "not json", failed: false });
  assertEquals(taskAnswer("text", "  Done: it works.\n"), {
    text: "Done: it works.",
    failed: false,
  });
});

Deno.test("agent choice: --agent over the project's over the user's default over opencode; unknown names are errors naming where", () => {
  const custom = { goose: { command: ["goose", "run", "{task}"] } };
  assertEquals(chooseAgent({}).profile.name, "opencode");
  assertEquals(chooseAgent({}).chosen, false);
  const both = {
    project: { name: "codex", where: "/p/.devcontainer.json:3:12" },
    userDefault: { name: "goose", where: "/u.toml:2:1" },
    custom,
  };
  assertEquals(chooseAgent(both).profile.name, "codex");
  assertEquals(chooseAgent({ ...both, flag: "claude" }).profile.name, "claude");
  assertEquals(chooseAgent({ userDefault: both.userDefault, custom }).profile.name, "goose");
  const flag = assertThrows(() => chooseAgent({ flag: "aider", custom }), UsageError);
  assertMatch(
    flag.message,
    /--agent aider: no such agent profile \(known: opencode, claude, codex, gemini, goose\)/,
  );
  const project = assertThrows(
    () => chooseAgent({ project: { name: "aider", where: "/p/.devcontainer.json:3:12" } }),
    ConfigError,
  );
  assertMatch(
    project.message,
    /^\/p\/\.devcontainer\.json:3:12: customizations\.devaipod\.agent: no such/,
  );
  const shadow = assertThrows(
    () => chooseAgent({ custom: { claude: { command: ["x"] } }, userDefault: both.userDefault }),
    ConfigError,
  );
  assertMatch(shadow.message, /^\/u\.toml: \[agents\.claude\]: claude is a profile devaipod ships/);
});
