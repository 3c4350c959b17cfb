/**
 * The user config, `~/.config/devaipod.toml` (`--config` overrides): parsed with smol-toml,
 * validated strictly with zod, every problem reported with its line:column. Keys follow the
 * upstream devaipod names where they mean the same.
 *
 * ```toml
 * default-image = "localhost/devaipod-test/dev:latest"
 * [env]
 * allowlist = ["MY_API_KEY"]          # host variables the agent may get (with the LLM keys)
 * [env.vars]
 * EDITOR = "vim"                      # set in the workspace and the agent
 * [trusted.env]
 * GH_TOKEN = "…"                      # workspace (and sidecars) only, never the agent
 * [network-isolation]
 * allowed_domains = ["api.example.com"] # more hosts the agent may reach (as `up --allow` adds)
 * [agent]
 * default = "opencode"                # or claude, codex, gemini, or one of [agents.NAME]
 * [agents.goose]                      # a custom agent the image brings
 * command = ["goose", "run", "-t", "{task}"]
 * attach = ["goose", "session"]
 * keys = ["OPENAI_API_KEY"]
 * hosts = ["api.openai.com"]
 * [forges]
 * "git.example.com" = "github"        # a GitHub Enterprise host (also gitlab, forgejo, gitea)
 * [ssh]
 * accept-env = ["EDITOR"]             # env requests the SSH bridge accepts (besides TERM, LANG, LC_*)
 * ```
 */
import { PROVIDERS } from "../agents/providers.ts";
import { parse, TomlError } from "smol-toml";
import { z } from "zod";
import { ConfigError } from "../errors.ts";
import { FORGE_KINDS, redactUrl } from "../sources/parse.ts";
import type { Diagnostic } from "../errors.ts";
import { ENV_NAME } from "../util/env_name.ts";
import { entryProblems } from "../proxy/allowlist.ts";
import { GatorConfigSchema } from "../gator/settings.ts";

const varName = z.string().regex(
  ENV_NAME,
  "expected an environment variable name",
);
const varMap = z.record(varName, z.string());
/** An egress allowlist entry, checked as the proxy will read it. */
const allowEntry = z.string().superRefine((value, ctx) => {
  for (const message of entryProblems([value])) ctx.addIssue({ code: "custom", message });
});

/** A Kubernetes quantity (`2`, `500m`, `4Gi`). */
const quantity = z.string().regex(
  /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/,
  "expected a Kubernetes quantity such as 2, 500m or 4Gi",
);

/** An agent profile's name. */
const AGENT_NAME = /^[a-z][a-z0-9-]*$/;

/** The user config's schema. Strict: a misspelt key is an error, not silently ignored. */
/** The ids of the providers the proxy serves. */
const PROVIDER_IDS = PROVIDERS.map((p) => p.id) as [string, ...string[]];

export const UserConfigSchema = z.strictObject({
  "default-image": z.string().optional(),
  env: z.strictObject({ allowlist: z.array(varName).optional(), vars: varMap.optional() })
    .optional(),
  trusted: z.strictObject({
    env: varMap.optional(),
    secrets: z.array(
      z.string().regex(
        /^[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9][A-Za-z0-9_.-]*$/,
        'expected "ENV_NAME=podman-secret-name"',
      ),
    )
      .optional(),
  }).optional(),
  dotfiles: z.strictObject({ url: z.string().optional(), script: z.string().optional() })
    .optional(),
  agent: z.strictObject({
    // A shipped profile (opencode, claude, codex, gemini) or one of [agents.NAME].
    default: z.string().regex(AGENT_NAME, "expected an agent profile's name").optional(),
    version: z.string().regex(
      /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/,
      'expected an opencode release version such as "1.18.18"',
    ).optional(),
  }).optional(),
  // Custom agent profiles: agents the image brings (goose, aider, an in-house one).
  agents: z.record(
    z.string().regex(AGENT_NAME, "expected a name of letters, digits and -"),
    z.strictObject({
      command: z.array(z.string()).min(1, "expected the agent's headless command"),
      attach: z.array(z.string()).min(1).optional(),
      keys: z.array(varName).optional(),
      hosts: z.array(allowEntry).optional(),
      env: varMap.optional(),
      "state-dirs": z.array(z.string().regex(/^[^/]/, "expected a path under HOME")).optional(),
    }),
  ).optional(),
  // More hosts the agent may reach through the egress proxy, as `up --allow` adds them.
  "network-isolation": z.strictObject({ allowed_domains: z.array(allowEntry).optional() })
    .optional(),
  // Variables an SSH client may set in bridge sessions, besides TERM, LANG, COLORTERM and LC_*.
  ssh: z.strictObject({ "accept-env": z.array(varName).optional() }).optional(),
  // The gator: scopes, endpoints and CA (docs/gator.md); upstream's [service-gator] is the same.
  gator: GatorConfigSchema.optional(),
  "service-gator": GatorConfigSchema.optional(),
  // Hosts (with their port, if any) whose pull request URLs `up` takes, and which forge they run.
  forges: z.record(z.string().min(1), z.enum(FORGE_KINDS)).optional(),
  // GPUs: "auto" (default: when the host has one), true or false; for the agent (default), the
  // workspace, or all.
  gpu: z.strictObject({
    enabled: z.union([z.boolean(), z.literal("auto")]).optional(),
    target: z.enum(["agent", "workspace", "all"]).optional(),
  }).optional(),
  // The proxy's provider endpoints: a gateway in a provider's place (by provider id), and more CA
  // certificates to trust for provider calls (a TLS-inspecting corporate proxy).
  providers: z.strictObject({
    upstreams: z.partialRecord(
      z.enum(PROVIDER_IDS),
      z.string().regex(/^https?:\/\/[^\s?#]+$/, "expected an http(s) URL"),
    ).optional(),
    "ca-file": z.string().regex(/^\//, "expected an absolute path").optional(),
  }).optional(),
  // `--backend kube` and `render --target kube`: defaults of their flags.
  kube: z.strictObject({
    context: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
    storage: quantity.optional(),
    cpu: quantity.optional(),
    memory: quantity.optional(),
    // Where `up --backend kube` pushes devaipod's runtime image (host[:port][/path]).
    registry: z.string().regex(/^[a-z0-9][a-z0-9.:/_-]*$/, "expected host[:port][/path]")
      .optional(),
  }).optional(),
});
/** A validated user config. */
export type UserConfig = z.infer<typeof UserConfigSchema>;

/**
 * Keys the schema accepts (they are upstream devaipod's) that `up` does not apply yet, each with
 * what the user loses; `up` warns about them rather than ignoring them silently.
 */
export function unappliedKeys(config: UserConfig): string[] {
  const out: string[] = [];
  if (config.dotfiles?.script !== undefined && config.dotfiles.url === undefined) {
    out.push("[dotfiles] script has no url: no dotfiles are installed");
  }
  for (const table of ["gator", "service-gator"] as const) {
    if (config[table]?.port !== undefined) {
      out.push(`[${table}] port is not applied: the gator listens on devaipod's own port`);
    }
  }
  return out;
}

/**
 * Where `path` (table names, then a key) is written in TOML text: the key's line and column,
 * or the table header's, or 1:1. Good for the configs people write (one table per header).
 */
export function locateToml(
  text: string,
  path: readonly (string | number)[],
): { line: number; column: number } {
  const keys = path.filter((p): p is string => typeof p === "string");
  const lines = text.split("\n");
  let table: string[] = [];
  let best = { line: 1, column: 1 };
  for (const [i, raw] of lines.entries()) {
    const header = /^\s*\[([^\]]+)\]\s*(#.*)?$/.exec(raw);
    if (header) {
      table = (header[1] ?? "").split(".").map((k) => k.trim().replace(/^"|"$/g, ""));
      if (
        keys.slice(0, table.length).join(".") === table.join(".") && table.length <= keys.length
      ) {
        best = { line: i + 1, column: raw.indexOf("[") + 1 };
      }
      continue;
    }
    // A bare (possibly dotted) key, or one quoted key (which may hold dots and colons).
    const m = /^(\s*)(?:"([^"]+)"|([A-Za-z0-9_.-]+))\s*=/.exec(raw);
    if (!m) continue;
    const full = [...table, ...(m[2] !== undefined ? [m[2]] : (m[3] ?? "").split("."))];
    if (full.length <= keys.length && full.every((k, j) => k === keys[j])) {
      best = { line: i + 1, column: (m[1] ?? "").length + 1 };
      if (full.length === keys.length) return best;
    }
  }
  return best;
}

/** Parses and validates user-config text; throws {@link ConfigError} with every problem. */
export function parseUserConfig(text: string, file: string): UserConfig {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError(
        err.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "invalid TOML",
        {
          location: { file, line: err.line, column: err.column },
          cause: err,
        },
      );
    }
    throw err;
  }
  const result = UserConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const problems: Diagnostic[] = result.error.issues.flatMap((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    const paths = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...path, k]) : [path];
    return paths.map((p) => ({
      message: issue.code === "unrecognized_keys"
        ? `${p.join(".")}: unknown key`
        : `${p.join(".")}: ${issue.message.replace(/^Invalid (input|option): /, "")}`,
      location: { file, ...locateToml(text, p) },
    }));
  });
  problems.sort((a, b) =>
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    (a.location?.column ?? 0) - (b.location?.column ?? 0)
  );
  throw ConfigError.of(problems, { hint: 'see docs/config.md, "User config", for the keys' });
}

/** Reads the user config; a missing file is an empty config (unless it was named with --config). */
export async function loadUserConfig(path: string, explicit: boolean): Promise<UserConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound && !explicit) return {};
    if (err instanceof Deno.errors.NotFound) {
      throw new ConfigError(`--config ${path}: no such file`);
    }
    throw err;
  }
  return parseUserConfig(text, path);
}

/** The user config with secret values replaced, for printing. */
export function redactUserConfig(config: UserConfig): UserConfig {
  const trusted = config.trusted;
  const dotfilesUrl = config.dotfiles?.url;
  return {
    ...config,
    ...(trusted?.env
      ? {
        trusted: {
          ...trusted,
          env: Object.fromEntries(Object.keys(trusted.env).map((k) => [k, "<redacted>"])),
        },
      }
      : {}),
    // A dotfiles URL may carry a token (https://TOKEN@host/…).
    ...(dotfilesUrl !== undefined
      ? { dotfiles: { ...config.dotfiles, url: redactUrl(dotfilesUrl) } }
      : {}),
  };
}

/** The user config's `[providers]` as the plan's isolation takes them. */
export function providerSettings(
  config: UserConfig,
): { providerUpstreams?: Record<string, string>; providerCaFile?: string } {
  const p = config.providers;
  return {
    ...(p?.upstreams
      ? {
        providerUpstreams: Object.fromEntries(
          Object.entries(p.upstreams).flatMap(([k, v]) => (v ? [[k, v]] : [])),
        ),
      }
      : {}),
    ...(p?.["ca-file"] ? { providerCaFile: p["ca-file"] } : {}),
  };
}
