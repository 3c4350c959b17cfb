/**
 * What `devaipod up SOURCE` was given: a local path, a git URL to clone, or the web URL of a
 * pull request (GitHub, Forgejo, Gitea) or merge request (GitLab). Pure: no I/O.
 *
 * An argument is a URL when it has a scheme (`https://…`, `ssh://…`, `file://…`), or is
 * scp-like with a user part (`git@host:owner/repo.git`). `host:path` without `user@` stays a
 * path, because it reads just as well as a file name with a colon in it.
 */
import { UsageError } from "../errors.ts";

/** The forges whose pull request URLs devaipod understands. */
export const FORGE_KINDS = ["github", "gitlab", "forgejo", "gitea"] as const;

/** One of {@link FORGE_KINDS}. */
export type ForgeKind = (typeof FORGE_KINDS)[number];

/** A pull (merge) request named by its web URL. */
export interface PullRequestSource {
  kind: "pr";
  forge: ForgeKind;
  /** Host name, with the port when the URL has one (`127.0.0.1:8080`). */
  host: string;
  scheme: "https" | "http";
  /** The owner; for GitLab the full group path (`group/sub`), without the project. */
  owner: string;
  repo: string;
  number: number;
  /** The canonical web URL of the pull request. */
  webUrl: string;
  /** Root of the forge's REST API (`https://api.github.com`, `…/api/v4`, `…/api/v1`). */
  apiBase: string;
  /** Clone URL of the base repository: `scheme://host/owner/repo.git`. */
  repoUrl: string;
}

/** What `devaipod up` was given. */
export type Source =
  | { kind: "path"; path: string }
  | { kind: "git"; url: string; host?: string }
  | PullRequestSource;

/** Hosts whose forge is known without configuration. `[forges]` entries take precedence. */
export const KNOWN_FORGES: Readonly<Record<string, ForgeKind>> = {
  "github.com": "github",
  "gitlab.com": "gitlab",
  "codeberg.org": "forgejo",
  "gitea.com": "gitea",
};

const FORGE_NAMES: Record<ForgeKind, string> = {
  github: "GitHub",
  gitlab: "GitLab",
  forgejo: "Forgejo",
  gitea: "Gitea",
};

type Shape = "pull" | "pulls" | "merge_requests";

const SHAPE_OF: Record<ForgeKind, Shape> = {
  github: "pull",
  gitlab: "merge_requests",
  forgejo: "pulls",
  gitea: "pulls",
};

const GIT_SCHEMES = new Set(["ssh", "git", "file", "git+ssh", "ssh+git"]);

/** Owner, group and repository names as forges allow them (no `..`, no escapes). */
const NAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]+$/;

/** `user@host:path`, where the host holds no slash (git's own scp-like rule). */
const SCP_LIKE = /^([^@/:\s]+)@([^/:\s]+):(.+)$/;

/**
 * Classifies `arg`. `forges` maps further hosts (with their port, if any) to their kind; it
 * comes from the `[forges]` table of the user config. A PR-shaped URL on a host that is neither
 * known nor declared is a {@link UsageError}: devaipod never guesses the forge.
 */
export function parseSource(
  arg: string,
  forges: Readonly<Record<string, ForgeKind>> = {},
): Source {
  if (arg === "") throw new UsageError("the source is empty");
  if (arg.startsWith("-")) {
    throw new UsageError(`source '${arg}' begins with '-'`, {
      hint: `for a folder of that name, write ./${arg}`,
    });
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(arg)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const scp = SCP_LIKE.exec(arg);
    if (!scp) return { kind: "path", path: arg };
    const [, user = "", host = ""] = scp;
    if (user.startsWith("-") || host.startsWith("-")) {
      throw new UsageError(`invalid git address '${arg}'`);
    }
    return { kind: "git", url: arg, host: host.toLowerCase() };
  }
  if (scheme === "http" || scheme === "https") return parseWebUrl(arg, scheme, forges);
  if (GIT_SCHEMES.has(scheme)) {
    const url = parseUrl(arg);
    if (url.hostname.startsWith("-") || url.username.startsWith("-")) {
      throw new UsageError(`invalid git URL '${redactUrl(arg)}'`);
    }
    if (url.password !== "") throw credentialsInUrl(arg);
    return { kind: "git", url: arg, ...(url.host ? { host: url.host.toLowerCase() } : {}) };
  }
  throw new UsageError(`unsupported URL scheme '${scheme}://' in '${redactUrl(arg)}'`, {
    hint: "give a folder, a git URL (https, http, ssh, git, file, or git@host:owner/repo), " +
      "or the web URL of a pull request",
  });
}

/** Credentials in a clone URL would be kept in .git/config inside the workspace, where the agent reads. */
function credentialsInUrl(arg: string): UsageError {
  return new UsageError(`the URL '${redactUrl(arg)}' holds credentials`, {
    hint:
      "the clone would keep them in .git/config inside the workspace, which the agent can read; " +
      "use a git credential helper or an ssh key instead",
  });
}

function parseUrl(arg: string): URL {
  try {
    return new URL(arg);
  } catch (err) {
    throw new UsageError(`invalid URL '${redactUrl(arg)}'`, { cause: err });
  }
}

function parseWebUrl(
  arg: string,
  scheme: "http" | "https",
  forges: Readonly<Record<string, ForgeKind>>,
): Source {
  const url = parseUrl(arg);
  const host = url.host.toLowerCase();
  if (host === "" || host.startsWith("-")) throw new UsageError(`invalid URL '${redactUrl(arg)}'`);
  const segments = url.pathname.split("/").filter((s) => s !== "");
  const found = prShape(segments);
  if (!found) {
    // Over http(s) a user name is usually a token (https://TOKEN@host/…).
    if (url.password !== "" || url.username !== "") throw credentialsInUrl(arg);
    return { kind: "git", url: arg, host };
  }
  const forge = declaredForge(host, forges) ?? KNOWN_FORGES[host];
  if (forge === undefined) {
    throw new UsageError(
      `${host} is not a known forge, so devaipod cannot tell how to read its pull requests`,
      {
        hint: `declare it in ~/.config/devaipod.toml: [forges] "${host}" = "github" ` +
          `(or "gitlab", "forgejo", "gitea")`,
      },
    );
  }
  if (SHAPE_OF[forge] !== found.shape) {
    throw new UsageError(
      `${host} is ${FORGE_NAMES[forge]}: ${prNoun(forge)}s look like ` +
        exampleUrl(forge, `${scheme}://${host}`),
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new UsageError(`the ${prNoun(forge)} URL '${redactUrl(arg)}' holds credentials`, {
      hint: `remove them; devaipod reads the token from ${tokenHint(forge)}`,
    });
  }
  const { owner, repo } = found;
  for (const name of [...owner.split("/"), repo]) {
    if (!NAME.test(name)) {
      throw new UsageError(`'${name}' in '${arg}' is not a valid owner or repository name`);
    }
  }
  const number = /^[0-9]+$/.test(found.number) ? Number(found.number) : NaN;
  if (!Number.isSafeInteger(number) || number <= 0) {
    throw new UsageError(
      `'${found.number}' in '${arg}' is not a ${prNoun(forge)} number (a positive integer)`,
    );
  }
  const origin = `${scheme}://${host}`;
  return {
    kind: "pr",
    forge,
    host,
    scheme,
    owner,
    repo,
    number,
    webUrl: `${origin}/${owner}/${repo}/${webPath(forge)}/${number}`,
    apiBase: apiBase(forge, scheme, host),
    repoUrl: `${origin}/${owner}/${repo}.git`,
  };
}

/** The PR-shaped part of a URL path, whatever the forge; undefined when it is not one. */
function prShape(
  segments: readonly string[],
): { shape: Shape; owner: string; repo: string; number: string } | undefined {
  const dash = segments.indexOf("-");
  if (dash >= 2 && segments[dash + 1] === "merge_requests" && dash + 2 < segments.length) {
    return {
      shape: "merge_requests",
      owner: segments.slice(0, dash - 1).join("/"),
      repo: segments[dash - 1] ?? "",
      number: segments[dash + 2] ?? "",
    };
  }
  const [owner, repo, word, number] = segments;
  if (
    owner !== undefined && repo !== undefined && number !== undefined &&
    (word === "pull" || word === "pulls")
  ) {
    return { shape: word, owner, repo, number };
  }
  return undefined;
}

function declaredForge(
  host: string,
  forges: Readonly<Record<string, ForgeKind>>,
): ForgeKind | undefined {
  for (const [key, kind] of Object.entries(forges)) {
    if (key.toLowerCase() === host) return kind;
  }
  return undefined;
}

function webPath(forge: ForgeKind): string {
  return forge === "github" ? "pull" : forge === "gitlab" ? "-/merge_requests" : "pulls";
}

function exampleUrl(forge: ForgeKind, origin: string): string {
  return forge === "gitlab"
    ? `${origin}/GROUP/PROJECT/-/merge_requests/N`
    : `${origin}/OWNER/REPO/${webPath(forge)}/N`;
}

/** The REST API root of a forge of `forge` kind at `host`. */
export function apiBase(forge: ForgeKind, scheme: string, host: string): string {
  switch (forge) {
    case "github":
      return host === "github.com" ? "https://api.github.com" : `${scheme}://${host}/api/v3`;
    case "gitlab":
      return `${scheme}://${host}/api/v4`;
    case "forgejo":
    case "gitea":
      return `${scheme}://${host}/api/v1`;
  }
}

function tokenHint(forge: ForgeKind): string {
  switch (forge) {
    case "github":
      return "$GITHUB_TOKEN";
    case "gitlab":
      return "$GITLAB_TOKEN";
    case "forgejo":
      return "$FORGEJO_TOKEN";
    case "gitea":
      return "$GITEA_TOKEN (or $FORGEJO_TOKEN)";
  }
}

/** "pull request", or "merge request" for GitLab. */
export function prNoun(forge: ForgeKind): string {
  return forge === "gitlab" ? "merge request" : "pull request";
}

/** `url` with any user name and password removed (unparsable input comes back unchanged). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === "" && u.password === "") return url;
    u.username = "";
    u.password = "";
    return u.href;
  } catch {
    return url;
  }
}

/**
 * A short description for messages: the path, the URL (without credentials), or
 * `host/owner/repo#N` (`!N` for a GitLab merge request).
 */
export function sourceLabel(source: Source): string {
  switch (source.kind) {
    case "path":
      return source.path;
    case "git":
      return redactUrl(source.url);
    case "pr":
      return `${source.host}/${source.owner}/${source.repo}` +
        `${source.forge === "gitlab" ? "!" : "#"}${source.number}`;
  }
}
