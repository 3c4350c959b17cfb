/**
 * Which scopes, endpoints and tokens a workspace's gator gets, from the user config's `[gator]`
 * (or upstream's `[service-gator]`), the workspace's source and the flags. Pure.
 *
 * ```toml
 * [gator]
 * scopes = ["github:octo/*=read"]        # devaipod's own scope strings
 * ca-file = "/etc/ssl/corp-ca.pem"       # more CAs the gator trusts
 * [gator.endpoints]
 * jira = "https://example.atlassian.net" # JIRA has no default; forges default to their .com
 * [gator.gh]                             # upstream's keys, where they mean the same:
 * read = true                            #   global read (github:*=read)
 * [gator.gh.repos]
 * "octo/demo" = { read = true, create-draft = true }
 * [gator.gh.prs]
 * "octo/demo#2" = { pending-review = true }
 * [gator.jira.projects]
 * "DEMO" = { read = true, create = true }
 * ```
 */
import { z } from "zod";
import { UsageError } from "../errors.ts";
import { apiBase, parseSource } from "../sources/parse.ts";
import type { ForgeKind, Source } from "../sources/parse.ts";
import { addScopes, parseScope, permissionsOf, targetProblem } from "./scopes.ts";
import type { GatorService, Permission, Scope } from "./scopes.ts";

const flags = z.strictObject({
  read: z.boolean().optional(),
  "create-draft": z.boolean().optional(),
  "pending-review": z.boolean().optional(),
  "push-new-branch": z.boolean().optional(),
  create: z.boolean().optional(),
  write: z.boolean().optional(),
});
const targets = z.record(z.string().min(1), flags);
const forgeSection = z.strictObject({
  read: z.boolean().optional(),
  repos: targets.optional(),
  projects: targets.optional(),
  prs: targets.optional(),
  mrs: targets.optional(),
});
const url = z.string().regex(/^https?:\/\/[^\s?#]+$/, "expected an http(s) URL");

/** The `[gator]` (or `[service-gator]`) table of the user config. */
export const GatorConfigSchema = z.strictObject({
  enabled: z.boolean().optional(),
  /** Upstream's; the gator's port is devaipod's own (accepted, not applied). */
  port: z.number().int().optional(),
  scopes: z.array(
    z.string().superRefine((value, ctx) => {
      try {
        parseScope(value, "scope");
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message.replace(/^scope: /, "") });
      }
    }),
  ).optional(),
  "ca-file": z.string().regex(/^\//, "expected an absolute path").optional(),
  endpoints: z.strictObject({
    github: url.optional(),
    gitlab: url.optional(),
    forgejo: url.optional(),
    jira: url.optional(),
  }).optional(),
  gh: forgeSection.optional(),
  github: forgeSection.optional(),
  gitlab: forgeSection.optional(),
  forgejo: forgeSection.optional(),
  gitea: forgeSection.optional(),
  jira: forgeSection.optional(),
});
/** The parsed table. */
export type GatorConfig = z.infer<typeof GatorConfigSchema>;

const SECTION_SERVICE: Readonly<Record<string, GatorService>> = {
  gh: "github",
  github: "github",
  gitlab: "gitlab",
  forgejo: "forgejo",
  gitea: "forgejo",
  jira: "jira",
};

/**
 * The scopes a `[gator]` table grants: its `scopes`, then upstream's tables (`read = true` is
 * global read; each target's `key = true` flags are its permissions). `where` names the table in
 * errors (an unknown permission, a bad target).
 */
export function configScopes(config: GatorConfig | undefined, where: string): Scope[] {
  if (!config) return [];
  let scopes = (config.scopes ?? []).map((s) => parseScope(s, `${where} scopes`));
  for (const [key, service] of Object.entries(SECTION_SERVICE)) {
    const section = config[key as keyof GatorConfig] as z.infer<typeof forgeSection> | undefined;
    if (!section || typeof section !== "object") continue;
    const found: Scope[] = section.read ? [{ service, target: "*", permissions: ["read"] }] : [];
    for (const table of [section.repos, section.projects, section.prs, section.mrs]) {
      for (const [target, f] of Object.entries(table ?? {})) {
        const problem = targetProblem(service, target);
        if (problem) throw scopeError(`${where}.${key}: '${target}': ${problem}`);
        const known = permissionsOf(service);
        const permissions = Object.entries(f).flatMap(([k, on]): Permission[] => {
          if (!on) return [];
          const p = known.find((x) => x === k);
          if (!p) {
            throw scopeError(`${where}.${key}: '${target}': '${k}' is not a ${service} permission`);
          }
          return [p];
        });
        if (permissions.length) found.push({ service, target, permissions });
      }
    }
    scopes = addScopes(scopes, found);
  }
  return scopes;
}

function scopeError(message: string): UsageError {
  return new UsageError(message, {
    hint:
      "a target's permissions are read, create-draft, pending-review, push-new-branch, write (JIRA: read, create, write)",
  });
}

/** The gator's service for a forge kind (Gitea and Forgejo speak the same API). */
export function forgeService(kind: ForgeKind): GatorService {
  return kind === "gitea" ? "forgejo" : kind;
}

/** What a workspace's source gives the gator: its scopes and the forge's API. */
export interface AutoGator {
  scopes: Scope[];
  endpoint?: { service: GatorService; url: string };
}

/**
 * The automatic scopes of a workspace made from a forge: `read` and `create-draft` on the
 * repository, and for a pull request `pending-review` on that pull request. A local folder or a
 * git URL on no known forge gets none.
 */
export function autoScopes(
  sourceUrl: string | undefined,
  forges: Readonly<Record<string, ForgeKind>>,
  known: Readonly<Record<string, ForgeKind>>,
): AutoGator {
  if (!sourceUrl) return { scopes: [] };
  let source: Source;
  try {
    source = parseSource(sourceUrl, forges);
  } catch {
    return { scopes: [] };
  }
  if (source.kind === "pr") {
    const service = forgeService(source.forge);
    const repo = `${source.owner}/${source.repo}`;
    return {
      scopes: [
        { service, target: repo, permissions: ["read", "create-draft"] },
        { service, target: `${repo}#${source.number}`, permissions: ["pending-review"] },
      ],
      endpoint: { service, url: source.apiBase },
    };
  }
  if (source.kind !== "git") return { scopes: [] };
  const m =
    /^(?:https?:\/\/|ssh:\/\/|git:\/\/)?(?:[^@/]+@)?([^/:]+(?::\d+)?)[/:](.+?)(?:\.git)?\/?$/
      .exec(source.url);
  if (!m) return { scopes: [] };
  const host = (m[1] ?? "").toLowerCase();
  const kind = forges[host] ?? known[host];
  const path = m[2] ?? "";
  if (!kind) return { scopes: [] };
  const service = forgeService(kind);
  if (targetProblem(service, path)) return { scopes: [] };
  const scheme = source.url.startsWith("http://") ? "http" : "https";
  return {
    scopes: [{ service, target: path, permissions: ["read", "create-draft"] }],
    endpoint: { service, url: apiBase(kind, scheme, host) },
  };
}
