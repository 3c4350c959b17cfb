/**
 * The gator's scopes and its one decision: may this call act on this target? Deny by default;
 * pure, so the server only asks and the tests table every case.
 *
 * A scope is written `SERVICE:TARGET=PERMISSION[,PERMISSION…]`:
 *
 * - `github:octo/demo=read,create-draft` one repository;
 * - `github:octo/*=read` every repository of an owner (GitLab: every project under a group);
 * - `github:*=read` every repository (global read: it matches every target);
 * - `github:octo/demo#2=pending-review` one pull request only;
 * - `gitlab:group/sub/project=read`, `forgejo:octo/demo=read` (`gitea:` is the same service);
 * - `jira:DEMO=read,create`, `jira:*=read`.
 *
 * Forge permissions: `read`, `create-draft` (pull requests only as drafts), `pending-review`
 * (a review left pending, never submitted), `push-new-branch` (only new `agent/…` branches) and
 * `write` (comments, and everything above). JIRA: `read`, `create`, `write` (comments, and
 * everything above).
 */
import { UsageError } from "../errors.ts";

/** The services the gator speaks to. */
export const GATOR_SERVICES = ["github", "gitlab", "forgejo", "jira"] as const;
/** One of {@link GATOR_SERVICES}. */
export type GatorService = (typeof GATOR_SERVICES)[number];

/** What a scope may grant on a forge's repository (or one of its pull requests). */
export const FORGE_PERMISSIONS = [
  "read",
  "create-draft",
  "pending-review",
  "push-new-branch",
  "write",
] as const;
/** What a scope may grant on a JIRA project. */
export const JIRA_PERMISSIONS = ["read", "create", "write"] as const;
/** A permission of either kind. */
export type Permission =
  | (typeof FORGE_PERMISSIONS)[number]
  | (typeof JIRA_PERMISSIONS)[number];

/** One grant: a service, a target pattern and what it permits there. */
export interface Scope {
  service: GatorService;
  /** `*`, `owner/*`, `owner/repo`, `owner/repo#N`; for JIRA `*` or a project key. */
  target: string;
  permissions: Permission[];
}

/** A call's need: on `service`, `permission` on `target` (a repository, or a JIRA project). */
export interface Need {
  service: GatorService;
  /** `owner/repo` (GitLab: `group/…/project`), or a JIRA project key. */
  target: string;
  permission: Permission;
  /** The pull request the call acts on, if any: a `#N` scope grants only there. */
  number?: number;
}

/** The decision on one {@link Need}: the scope that grants it, or none. */
export type Decision = { allow: true; scope: string } | { allow: false; missing: string };

const SERVICE_ALIASES: Readonly<Record<string, GatorService>> = {
  github: "github",
  gh: "github",
  gitlab: "gitlab",
  forgejo: "forgejo",
  gitea: "forgejo",
  jira: "jira",
};

/** A name segment as forges allow them (no `..`, no escapes). */
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9_.-]+$/;
const JIRA_KEY = /^[A-Z][A-Z0-9_]*$/;

/** The permissions a service knows. */
export function permissionsOf(service: GatorService): readonly Permission[] {
  return service === "jira" ? JIRA_PERMISSIONS : FORGE_PERMISSIONS;
}

/** Why `target` is not a valid target of `service`, or undefined when it is. */
export function targetProblem(service: GatorService, target: string): string | undefined {
  if (target === "*") return undefined;
  if (service === "jira") {
    return JIRA_KEY.test(target) ? undefined : "expected '*' or a JIRA project key such as DEMO";
  }
  const [path = "", number, ...rest] = target.split("#");
  if (rest.length || (number !== undefined && !/^[1-9][0-9]*$/.test(number))) {
    return "expected '#' and a pull request number after the repository";
  }
  const parts = path.split("/");
  const last = parts.at(-1);
  const repoParts = service === "gitlab" ? parts.length >= 2 : parts.length === 2;
  if (!repoParts || !parts.slice(0, -1).every((p) => SEGMENT.test(p))) {
    return service === "gitlab"
      ? "expected '*', 'group/*', 'group/project' or 'group/project#N'"
      : "expected '*', 'owner/*', 'owner/repo' or 'owner/repo#N'";
  }
  if (last === "*") {
    return number === undefined ? undefined : "a pull request needs a repository, not '*'";
  }
  return last !== undefined && SEGMENT.test(last)
    ? undefined
    : `'${last}' is not a repository name`;
}

/**
 * Parses `SERVICE:TARGET=PERMISSION[,…]`; `where` names the input in the error (`--gator`,
 * `gator add`, a config file's position). Throws a {@link UsageError} that says what is wrong.
 *
 * @example
 * ```ts
 * parseScope("github:octo/demo=read,create-draft", "--gator");
 * // { service: "github", target: "octo/demo", permissions: ["read", "create-draft"] }
 * ```
 */
export function parseScope(text: string, where: string): Scope {
  const m = /^([a-z]+):([^=\s]+)=([a-z,-]+)$/.exec(text.trim());
  const fail = (why: string): never => {
    throw new UsageError(`${where}: invalid scope '${text}': ${why}`, {
      hint: "write SERVICE:TARGET=PERMISSION[,PERMISSION], e.g. github:octo/demo=read,create-draft",
    });
  };
  if (!m) return fail("expected SERVICE:TARGET=PERMISSION[,PERMISSION]");
  const [, name = "", target = "", list = ""] = m;
  const service = SERVICE_ALIASES[name];
  if (!service) return fail(`unknown service '${name}' (github, gitlab, forgejo, gitea or jira)`);
  const problem = targetProblem(service, target);
  if (problem) return fail(problem);
  const known = permissionsOf(service);
  const permissions: Permission[] = [];
  for (const word of list.split(",")) {
    const p = known.find((k) => k === word);
    if (!p) return fail(`'${word}' is not a ${service} permission (${known.join(", ")})`);
    if (!permissions.includes(p)) permissions.push(p);
  }
  return { service, target, permissions };
}

/** The scope as {@link parseScope} reads it back. */
export function formatScope(scope: Scope): string {
  return `${scope.service}:${scope.target}=${scope.permissions.join(",")}`;
}

/** Whether `pattern` (a scope's target) covers `need`'s target and pull request. */
function covers(pattern: string, need: Need): boolean {
  if (pattern === "*") return true;
  const [path = "", number] = pattern.split("#");
  if (number !== undefined && Number(number) !== need.number) return false;
  if (path.endsWith("/*")) return need.target.startsWith(path.slice(0, -1));
  return path === need.target;
}

/** Whether holding `granted` gives `needed`: `write` gives every permission of its service. */
function implies(granted: Permission, needed: Permission): boolean {
  return granted === needed || granted === "write";
}

/**
 * The decision on `need`: allowed when a scope of its service covers its target (a `#N` scope
 * only that pull request) with the permission or `write`. Everything else is denied, naming the
 * scope that would allow it.
 */
export function decide(scopes: readonly Scope[], need: Need): Decision {
  for (const s of scopes) {
    if (s.service !== need.service || !covers(s.target, need)) continue;
    if (s.permissions.some((p) => implies(p, need.permission))) {
      return { allow: true, scope: formatScope(s) };
    }
  }
  return { allow: false, missing: `${need.service}:${need.target}=${need.permission}` };
}

/**
 * `scopes` with `extra` merged in: a scope with the same service and target gains the new
 * permissions; others are appended.
 */
export function addScopes(scopes: readonly Scope[], extra: readonly Scope[]): Scope[] {
  const out = scopes.map((s) => ({ ...s, permissions: [...s.permissions] }));
  for (const e of extra) {
    const same = out.find((s) => s.service === e.service && s.target === e.target);
    if (!same) out.push({ ...e, permissions: [...e.permissions] });
    else {
      for (const p of e.permissions) if (!same.permissions.includes(p)) same.permissions.push(p);
    }
  }
  return out;
}

/**
 * `scopes` without `removed`'s permissions on its service and target; a scope left with none
 * is dropped.
 */
export function removeScope(scopes: readonly Scope[], removed: Scope): Scope[] {
  return scopes.flatMap((s) => {
    if (s.service !== removed.service || s.target !== removed.target) return [s];
    const permissions = s.permissions.filter((p) => !removed.permissions.includes(p));
    return permissions.length ? [{ ...s, permissions }] : [];
  });
}
