/**
 * The gator sidecar's part of a plan: its container (devaipod's own MCP server, hardened like
 * the proxy, on the internal network at {@link GATOR_HOST} and on the egress network for its
 * forges), its secrets (the tokens, as files only it reads; the bearer secret the agent holds),
 * and what the agent is told (opencode: a `remote` MCP server in its config). Pure.
 */
import { LABELS, ROLES } from "../labels.ts";
import { formatScope } from "../gator/scopes.ts";
import type { GatorService, Scope } from "../gator/scopes.ts";
import { DEFAULT_ENDPOINTS, TOKEN_VARIABLES } from "../gator/tokens.ts";
import { bind, type Named, t, type Template } from "./bindings.ts";
import { SIDECAR_HARDENING, SIDECAR_UID } from "./sidecar.ts";
import type { ContainerSpec, Mount, SecretRef } from "./spec.ts";

/** The name the agent reaches the gator by (an `--add-host` entry). */
export const GATOR_HOST = "gator.devaipod";
/** The gator's port. */
export const GATOR_PORT = 3130;
/** The gator's MCP URL, as the agent sees it. */
export const GATOR_URL = `http://${GATOR_HOST}:${GATOR_PORT}/mcp`;
/** The agent's variable holding the bearer secret the gator wants. */
export const GATOR_SECRET_ENV = "DEVAIPOD_GATOR_SECRET";
/** The gator's address on the internal network (.4). */
export const GATOR_IP: Template = bind("net.gator");

/** Where things appear in the gator's container. */
export const GATOR_PATHS = {
  deno: "/opt/devaipod/bin/deno",
  bundle: "/opt/devaipod/gator.js",
  binary: "/opt/devaipod/bin/devaipod",
  scopes: "/opt/devaipod/gator-scopes",
  tokens: "/run/devaipod-gator",
  secret: "/run/devaipod-gator-secret",
  ca: "/run/devaipod-gator-ca.pem",
} as const;

/** V8's flags for the gator (a per-request MCP server makes garbage at each call). */
export const GATOR_V8_FLAGS = "--max-semi-space-size=1";

/** How the gator sidecar runs: Deno and the bundle, or the compiled devaipod. */
export type GatorRuntime =
  | {
    kind: "bundle";
    deno: string;
    /** Host path of the one-file program (built by `up` unless it is there). */
    bundle: string;
    /** What it is built from: the entry point and deno.json (a path or a URL). */
    entry: string;
    config: string;
  }
  | { kind: "binary"; binary: string };

/** Where a token comes from: a value of `[trusted.env]` (a secret of the workspace), or the user's own podman secret (`[trusted] secrets`). */
export type TokenSource = { trusted: true } | { userSecret: string };

/** What the planner needs for a gator. */
export interface GatorInput {
  runtime: GatorRuntime;
  /** The scopes `up` starts with (written to {@link scopesFile}). */
  scopes: readonly Scope[];
  /** Host path of the scopes file (the gator re-reads it; `devaipod gator` rewrites it). */
  scopesFile: string;
  /** Services' API URLs beyond the defaults (GitHub, GitLab.com, Codeberg; JIRA has none). */
  endpoints: Readonly<Partial<Record<GatorService, string>>>;
  /** Host path of more CA certificates (PEM) the gator trusts. */
  caFile?: string;
  /** The token variables the gator receives, and where each comes from. */
  tokens: Readonly<Record<string, TokenSource>>;
}

/** The gator in a plan. */
export interface PlannedGator {
  container: Named<ContainerSpec>;
  runtime: GatorRuntime;
  scopesFile: string;
  scopes: string[];
  /** The services with a token. */
  services: GatorService[];
}

/** The services `tokens` holds a token for (JIRA only with its endpoint). */
export function gatorServices(
  tokens: Readonly<Record<string, unknown>>,
  endpoints: Readonly<Partial<Record<GatorService, string>>>,
): GatorService[] {
  return (Object.keys(TOKEN_VARIABLES) as GatorService[]).filter((s) =>
    TOKEN_VARIABLES[s].some((v) => v in tokens) &&
    (endpoints[s] ?? DEFAULT_ENDPOINTS[s]) !== undefined
  );
}

/** The name of a workspace secret holding a gator token. */
export function gatorSecretName(pod: string, variable: string): string {
  return `${pod}-gator-${variable.toLowerCase().replaceAll("_", "-")}`;
}

/** The name of the workspace's bearer secret (the agent's and the gator's). */
export function gatorBearerName(pod: string): string {
  return `${pod}-gator-secret`;
}

/** `host[:port]` of a URL, as Deno's `--allow-net` takes it. */
function netHost(url: string): string {
  return new URL(url).host;
}

/**
 * The gator's container: no capabilities, non-root, read-only root; its tokens and the bearer
 * secret as files only it reads; Deno allowed to listen on its internal address and to connect
 * only to its services' hosts.
 */
export function gatorContainer(
  pod: string,
  image: string,
  base: Record<string, string>,
  internalNetwork: string,
  egressNetwork: string,
  gator: GatorInput,
  /** The agent's clone (its volume, mounted read-only at `target`) and branch, for pushes. */
  agentClone: { volume: string; target: string; branch: string },
): PlannedGator {
  const services = gatorServices(gator.tokens, gator.endpoints);
  const endpoints = services.flatMap((s) => {
    const url = gator.endpoints[s] ?? DEFAULT_ENDPOINTS[s];
    return url ? [[s, url] as const] : [];
  });
  const listen: Template = t`${GATOR_IP}:${GATOR_PORT}`;
  const flags: (string | Template)[] = [
    "--listen",
    listen,
    "--secret-file",
    GATOR_PATHS.secret,
    "--scopes-file",
    GATOR_PATHS.scopes,
    "--tokens-dir",
    GATOR_PATHS.tokens,
    ...endpoints.flatMap(([s, url]) => ["--endpoint", `${s}=${url}`]),
    ...(gator.caFile ? ["--ca-file", GATOR_PATHS.ca] : []),
    "--agent-tree",
    agentClone.target,
    "--agent-branch",
    agentClone.branch,
  ];
  const reads = [
    "/opt/devaipod",
    GATOR_PATHS.tokens,
    GATOR_PATHS.secret,
    ...(gator.caFile ? [GATOR_PATHS.ca] : []),
  ];
  const nets = [...new Set(endpoints.map(([, url]) => netHost(url)))];
  const runtime = gator.runtime;
  const entrypoint: (string | Template)[] = runtime.kind === "bundle"
    ? [
      GATOR_PATHS.deno,
      "run",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--no-prompt",
      // A small young generation: the idle gator stays near its start size (see the bench).
      `--v8-flags=${GATOR_V8_FLAGS}`,
      t`--allow-net=${listen}${nets.map((n) => `,${n}`).join("")}`,
      `--allow-read=${reads.join(",")},${agentClone.target}`,
      // The push: the safe reader's script, with sh and git, in a private folder of /tmp.
      "--allow-run=/bin/sh",
      "--allow-write=/tmp",
      "--allow-env",
      GATOR_PATHS.bundle,
      ...flags,
    ]
    : [GATOR_PATHS.binary, "gator-serve", ...flags];
  const mounts: Mount[] = [
    ...(runtime.kind === "bundle"
      ? [
        { type: "bind", source: runtime.deno, target: GATOR_PATHS.deno, readonly: true } as Mount,
        {
          type: "bind",
          source: runtime.bundle,
          target: GATOR_PATHS.bundle,
          readonly: true,
        } as Mount,
      ]
      : [
        {
          type: "bind",
          source: runtime.binary,
          target: GATOR_PATHS.binary,
          readonly: true,
        } as Mount,
      ]),
    { type: "bind", source: gator.scopesFile, target: GATOR_PATHS.scopes, readonly: true },
    { type: "tmpfs", target: "/tmp" },
    // Read-only: the gator reads the agent's commits from it and never runs anything of it.
    { type: "volume", source: agentClone.volume, target: agentClone.target, readonly: true },
    ...(gator.caFile
      ? [{ type: "bind", source: gator.caFile, target: GATOR_PATHS.ca, readonly: true } as Mount]
      : []),
  ];
  const file = (name: string, target: string): SecretRef => ({
    name,
    type: "mount",
    target,
    mode: 0o400,
    uid: SIDECAR_UID,
    gid: SIDECAR_UID,
  });
  const secrets: SecretRef[] = [
    file(gatorBearerName(pod), GATOR_PATHS.secret),
    ...Object.entries(gator.tokens).map(([variable, source]) =>
      file(
        "userSecret" in source ? source.userSecret : gatorSecretName(pod, variable),
        `${GATOR_PATHS.tokens}/${variable}`,
      )
    ),
  ];
  return {
    container: {
      name: `${pod}-gator`,
      image,
      labels: { ...base, [LABELS.role]: ROLES.gator },
      networks: [t`${internalNetwork}:ip=${GATOR_IP}`, egressNetwork],
      ...SIDECAR_HARDENING,
      mounts,
      secrets,
      entrypoint,
      stopTimeoutSeconds: 2,
    },
    runtime,
    scopesFile: gator.scopesFile,
    scopes: gator.scopes.map(formatScope),
    services,
  };
}

/**
 * opencode's config with the gator as a `remote` MCP server, its bearer secret read from the
 * agent's environment when opencode loads the config (the secret is never in the plan).
 */
export function withGatorMcp(opencodeConfig: string | undefined): string {
  const config = opencodeConfig ? JSON.parse(opencodeConfig) as Record<string, unknown> : {};
  return JSON.stringify({
    ...config,
    mcp: {
      gator: {
        type: "remote",
        url: GATOR_URL,
        enabled: true,
        headers: { Authorization: `Bearer {env:${GATOR_SECRET_ENV}}` },
      },
    },
  });
}
