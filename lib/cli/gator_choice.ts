/**
 * The gator a workspace gets, as `up` decides it from the flags (`--gator SCOPE…`, `--no-gator`),
 * the user config's `[gator]`/`[service-gator]` and the workspace's source (automatic scopes).
 * Warnings go to stderr; the decision itself is {@link chooseGator}, pure.
 */
import type { UserConfig } from "../config/user_config.ts";
import { UsageError } from "../errors.ts";
import { addScopes, parseScope } from "../gator/scopes.ts";
import type { GatorService, Scope } from "../gator/scopes.ts";
import { autoScopes, configScopes } from "../gator/settings.ts";
import { GATOR_VARIABLES } from "../gator/tokens.ts";
import type { GatorInput, GatorRuntime, TokenSource } from "../plan/gator_plan.ts";
import { gatorServices } from "../plan/gator_plan.ts";
import { KNOWN_FORGES } from "../sources/parse.ts";

/** What {@link chooseGator} decides from. */
export interface GatorFacts {
  user: UserConfig;
  userPath: string;
  /** `--gator` scopes (true: the bare flag is not possible; false: `--no-gator`). */
  flag?: string[] | boolean;
  /** The URL the workspace came from (a clone or a pull request). */
  sourceUrl?: string;
  /** The URLs of a multi-project workspace's further projects (git URLs). */
  projectUrls?: readonly string[];
  /** Whether the agent is behind the proxy (the gator lives on its internal network). */
  isolated: boolean;
  /** The backend: the gator runs with podman only, for now. */
  backend: "podman" | "quadlet" | "kube";
}

/** The gator's settings, or why there is none. */
export type GatorDecision =
  | {
    on: true;
    scopes: Scope[];
    endpoints: Partial<Record<GatorService, string>>;
    caFile?: string;
    tokens: Record<string, TokenSource>;
    warnings: string[];
  }
  | { on: false; warnings: string[] };

/**
 * Decides the gator: `--no-gator` or `enabled = false` turns it off; otherwise it runs when any
 * scope applies (the config's, the source's automatic ones, `--gator`'s) or `enabled = true`.
 */
export function chooseGator(f: GatorFacts): GatorDecision {
  const table = f.user.gator ?? f.user["service-gator"];
  const tableName = f.user.gator ? "[gator]" : "[service-gator]";
  if (f.flag === false) return { on: false, warnings: [] };
  const flagScopes = Array.isArray(f.flag) ? f.flag.map((s) => parseScope(s, "--gator")) : [];
  if (table?.enabled === false && !flagScopes.length) return { on: false, warnings: [] };
  // The first source's endpoint; every project's repository gets its automatic scopes.
  const auto = autoScopes(f.sourceUrl, f.user.forges ?? {}, KNOWN_FORGES);
  const projectScopes = (f.projectUrls ?? []).flatMap((url) =>
    autoScopes(url, f.user.forges ?? {}, KNOWN_FORGES).scopes
  );
  const scopes = addScopes(
    addScopes(
      addScopes(configScopes(table, `${f.userPath}: ${tableName}`), auto.scopes),
      projectScopes,
    ),
    flagScopes,
  );
  if (!scopes.length && table?.enabled !== true) return { on: false, warnings: [] };
  if (!f.isolated) {
    if (flagScopes.length) {
      throw new UsageError(
        "--gator needs --network-isolation on: the gator lives on the agent's internal network",
      );
    }
    return {
      on: false,
      warnings: ["warning: the gator needs --network-isolation on; the agent gets none"],
    };
  }
  if (f.backend !== "podman") {
    if (flagScopes.length) {
      throw new UsageError(`--gator: the ${f.backend} backend has no gator yet`);
    }
    return {
      on: false,
      warnings: [`warning: the ${f.backend} backend has no gator yet; the agent gets none`],
    };
  }
  const tokens: Record<string, TokenSource> = {};
  for (const v of GATOR_VARIABLES) {
    if (f.user.trusted?.env?.[v] !== undefined) tokens[v] = { trusted: true };
  }
  for (const entry of f.user.trusted?.secrets ?? []) {
    const [variable = "", secret = ""] = entry.split("=");
    if (GATOR_VARIABLES.includes(variable)) tokens[variable] = { userSecret: secret };
  }
  const endpoints: Partial<Record<GatorService, string>> = {
    ...(auto.endpoint ? { [auto.endpoint.service]: auto.endpoint.url } : {}),
    ...(table?.endpoints ?? {}),
  };
  const services = gatorServices(tokens, endpoints);
  const warnings: string[] = [];
  const unserved = [...new Set(scopes.map((s) => s.service))].filter((s) => !services.includes(s));
  if (unserved.length) {
    warnings.push(
      `warning: the gator has no token for ${
        unserved.join(", ")
      }: put one in [trusted.env] or [trusted] secrets of ${f.userPath} (GH_TOKEN, GITLAB_TOKEN, FORGEJO_TOKEN, JIRA_API_TOKEN)`,
    );
  }
  return {
    on: true,
    scopes,
    endpoints,
    ...(table?.["ca-file"] ? { caFile: table["ca-file"] } : {}),
    tokens,
    warnings,
  };
}

/** The plan's gator input for a decision that is on. */
export function gatorInput(
  decision: Extract<GatorDecision, { on: true }>,
  runtime: GatorRuntime,
  scopesFile: string,
): GatorInput {
  return {
    runtime,
    scopes: decision.scopes,
    scopesFile,
    endpoints: decision.endpoints,
    ...(decision.caFile ? { caFile: decision.caFile } : {}),
    tokens: decision.tokens,
  };
}
