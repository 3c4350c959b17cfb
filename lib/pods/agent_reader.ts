/**
 * The safe reader of the agent's clone: a POSIX sh + git script that runs in the WORKSPACE
 * container (as the workspace user) against the agent's work volume, mounted read-only at
 * {@link AGENT_TREE}, and the pure parser of what it prints. Nothing here runs a process.
 *
 * The agent owns everything in its clone, so nothing of it may act: the script never runs git
 * in the agent's repository and never reads its config, hooks, attributes drivers, fsmonitor,
 * alternates or symbolic links. It copies the agent's `.git/objects`, `HEAD`, `packed-refs`,
 * `shallow` and `refs/heads` with `cp -RP` (links stay links) into a fresh private folder, deletes everything
 * there that is not a plain file or folder (links, FIFOs, devices) and every file in `objects`
 * that is not a loose object or a pack (alternates, grafts, commit-graphs, …), reads the refs as
 * plain text (each checked as a 40- or 64-hex object id) and runs git only in a bare repository
 * it made itself, with no system or global config, no hooks, no fsmonitor, no external diff or
 * textconv and no submodule recursion. The agent's work tree is read only as a work tree
 * (`GIT_WORK_TREE`, a temporary index): git does not follow symbolic links in a work tree.
 * `fetch` then runs `git fetch` in the human's repository from that temporary repository.
 *
 * @example
 * ```ts
 * const nonce = newNonce();
 * const argv = readerCommand({ mode: "status", branch: "devaipod/demo", base, nonce });
 * // podman exec -u USER WORKSPACE ...argv, then:
 * const report = parseReaderOutput(stdout, nonce);
 * ```
 */
import { z } from "zod";
import { AGENT_TREE } from "../plan/pod_plan.ts";
import { isObjectId } from "./git_refs.ts";

/**
 * What the script does: the summary `status` shows, a diff (with patches or stats), a fetch into
 * the human's repository, or the gator's push of the agent's branch to a new forge branch.
 */
export type ReaderMode = "status" | "diff" | "diff-stat" | "fetch" | "push";

/** Where `fetch` puts the agent's branch in the human's repository. */
export function fetchedRef(branch: string): string {
  return `refs/remotes/agent/${branch}`;
}

/**
 * The script. Positional parameters: `$1` the mode, `$2` the agent's tree, `$3` the branch
 * (`devaipod/<workspace>`), `$4` the base commit (or empty), `$5` a fresh nonce (names the temp
 * folder and the section markers), `$6` the human's repository (fetch only).
 *
 * Output: `key=value` lines (values are only object ids, numbers, checked ref names and error
 * codes), then sections, each after a line `@@<nonce> <name>` preceded by a newline. Known
 * failures print `error=<code>` (or, once sections began, an `error` section holding the code),
 * the details on stderr, and exit 0.
 */
export const READER_SCRIPT = String.raw`set -u
mode=$1 tree=$2 branch=$3 base=$4 nonce=$5 target=${"$"}{6-}
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES \
  GIT_COMMON_DIR GIT_CONFIG GIT_CONFIG_PARAMETERS GIT_CONFIG_COUNT GIT_EXTERNAL_DIFF \
  GIT_DIFF_OPTS GIT_NAMESPACE GIT_REPLACE_REF_BASE GIT_SHALLOW_FILE GIT_GRAFT_FILE \
  GIT_PAGER GIT_SSH GIT_SSH_COMMAND GIT_ASKPASS GIT_TRACE GIT_CEILING_DIRECTORIES
say() { printf '%s=%s\n' "$1" "$2"; }
sections=
stop() {
  if [ -n "$sections" ]; then section error; printf '%s\n' "$1"; else say error "$1"; fi
  [ $# -lt 2 ] || printf '%s\n' "$2" >&2
  exit 0
}
section() { sections=1; printf '\n@@%s %s\n' "$nonce" "$1"; }
hexok() {
  case $1 in '' | *[!0-9a-f]*) return 1 ;; esac
  [ ${"$"}{#1} -eq 40 ] || [ ${"$"}{#1} -eq 64 ]
}
refok() {
  case $1 in refs/heads/?*) ;; *) return 1 ;; esac
  case $1 in *..* | *//* | */.* | */ | *.lock | *[!A-Za-z0-9._/-]*) return 1 ;; esac
}
small() { [ "$(wc -c <"$1")" -le 300 ]; }
command -v git >/dev/null 2>&1 || stop no-git "git is not installed in the workspace container"
say reader 1
refok "refs/heads/$branch" || stop bad-branch "invalid branch name: $branch"
[ -z "$base" ] || hexok "$base" || stop bad-base "invalid base commit: $base"
[ -d "$tree" ] || stop no-tree "$tree is not mounted"
real=$(cd -P "$tree" && pwd -P) || stop no-tree "cannot enter $tree"
A=$real/.git
[ ! -L "$A" ] || stop unsafe ".git is a symbolic link"
[ -e "$A" ] || stop not-git "$tree has no .git"
[ -d "$A" ] || stop unsafe ".git is not a folder"
T=${"$"}{TMPDIR:-/tmp}/devaipod-agent-read-$nonce
umask0=$(umask)
umask 077
mkdir "$T" || stop tmp "cannot make $T"
trap 'cd /; rm -rf "$T"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir "$T/src" "$T/src/refs" "$T/home" || stop tmp "cannot fill $T"
# Pin .git: from here on paths are relative to the folder itself, whatever is renamed meanwhile.
cd -P "$A" || stop unsafe "cannot enter .git"
[ "$(pwd -P)" = "$A" ] || stop unsafe ".git moved while being read"
for f in objects HEAD packed-refs shallow; do
  if [ -e "$f" ] || [ -L "$f" ]; then cp -RP "$f" "$T/src/" || stop copy "cannot copy .git/$f"; fi
done
if [ -e refs/heads ] || [ -L refs/heads ]; then
  cp -RP refs/heads "$T/src/refs/" || stop copy "cannot copy .git/refs/heads"
fi
cd "$T" || stop tmp "cannot enter $T"
# Plain files and folders only: links, FIFOs, sockets and devices go before git sees the copy.
find src ! -type d ! -type f -exec rm -f {} + || stop tmp "cannot clean the copy"
[ -d src/objects ] || stop not-git "$tree/.git has no objects"
# Loose objects and packs only: no alternates, grafts, commit-graphs or other helpers.
find src/objects -type f ! -path 'src/objects/[0-9a-f][0-9a-f]/*' \
  ! -path 'src/objects/pack/pack-*.pack' ! -path 'src/objects/pack/pack-*.idx' \
  -exec rm -f {} + || stop tmp "cannot clean the copy"
readref() {
  v=
  if [ -f "src/$1" ]; then
    if small "src/$1"; then IFS= read -r v <"src/$1" || :; fi
  elif [ -f src/packed-refs ]; then
    while IFS=' ' read -r id name; do
      if [ "$name" = "$1" ]; then v=$id; break; fi
    done <src/packed-refs
  fi
  if hexok "$v"; then printf '%s\n' "$v"; fi
}
tip=$(readref "refs/heads/$branch")
head= head_ref= h=
if [ -f src/HEAD ] && small src/HEAD; then IFS= read -r h <src/HEAD || :; fi
case $h in
  'ref: '*) r=${"$"}{h#ref: }; if refok "$r"; then head_ref=$r; head=$(readref "$r"); fi ;;
  *) if hexok "$h"; then head=$h; fi ;;
esac
say tip "$tip"
say head "$head"
say head_ref "$head_ref"
id=${"$"}{tip:-$head}
[ -n "$id" ] || stop no-branch "neither $branch nor HEAD names a commit"
G=$T/repo.git
fmt=sha1 init=
if [ ${"$"}{#id} -eq 64 ]; then fmt=sha256 init=--object-format=sha256; fi
# git for the temporary repository: no system or global config, no hooks, no fsmonitor, no
# submodules, no pager; the human's own HOME comes back only for the fetch into their repository.
home0=${"$"}{HOME-} home0set=${"$"}{HOME+1} xdg0=${"$"}{XDG_CONFIG_HOME-} xdg0set=${"$"}{XDG_CONFIG_HOME+1}
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$T/home" XDG_CONFIG_HOME="$T/home" \
  GIT_OPTIONAL_LOCKS=0 GIT_TERMINAL_PROMPT=0 GIT_NO_REPLACE_OBJECTS=1 GIT_INDEX_FILE="$T/index"
safe='-c core.hooksPath=/dev/null -c core.fsmonitor=false -c core.quotePath=false
  -c core.untrackedCache=false -c color.ui=false -c diff.ignoreSubmodules=all
  -c submodule.recurse=false -c log.showSignature=false'
# shellcheck disable=SC2086
g() { git --no-pager --git-dir="$G" $safe "$@"; }
# shellcheck disable=SC2086
w() { git --no-pager --git-dir="$G" --work-tree="$real" $safe "$@"; }
# git in the human's repository, with the human's own config and umask (hooks and fsmonitor
# still off).
h() (
  if [ -n "$home0set" ]; then HOME=$home0; else unset HOME; fi
  if [ -n "$xdg0set" ]; then XDG_CONFIG_HOME=$xdg0; else unset XDG_CONFIG_HOME; fi
  unset GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL GIT_INDEX_FILE
  umask "$umask0"
  git --no-pager -C "$target" -c core.hooksPath=/dev/null -c core.fsmonitor=false "$@"
)
git init -q --bare --template= $init "$G" >/dev/null 2>"$T/err" \
  || stop git-failed "git init: $(cat "$T/err")"
rm -rf "$G/objects" && mv src/objects "$G/objects" && mkdir -p "$G/objects/info" "$G/objects/pack" \
  || stop tmp "cannot move the objects"
# A shallow clone's boundary, when every line of it is an object id.
if [ -f src/shallow ]; then
  ok=1
  while IFS= read -r l; do hexok "$l" || ok=; done <src/shallow
  if [ -n "$ok" ]; then cp src/shallow "$G/shallow" || stop tmp "cannot copy .git/shallow"; fi
fi
say format "$fmt"
base_present=0
if [ -n "$base" ] && g cat-file -e "$base^{commit}" 2>/dev/null; then base_present=1; fi
say base_present "$base_present"
if [ -n "$tip" ] && [ "$base_present" = 1 ]; then
  n=$(g rev-list --count "$base..$tip" 2>"$T/err") || stop git-failed "git rev-list: $(cat "$T/err")"
  say ahead "$n"
fi
diffopts='--no-ext-diff --no-textconv --no-renames --ignore-submodules=all --no-color'
if [ "$mode" = push ]; then
  # The gator's push: the agent's branch to a NEW branch agent/… of the forge ($6 the URL, $7
  # the branch, $8 a file holding the HTTP header with the token, $9 CA certificates or empty).
  # Never forced, never onto a branch that exists: the lease expects the branch to be absent.
  new=${"$"}{7-} auth=${"$"}{8-} ca=${"$"}{9-}
  [ -n "$tip" ] || stop no-branch "the agent's clone has no branch $branch"
  case $new in agent/?*) ;; *) stop bad-branch "only agent/… branches are pushed: $new" ;; esac
  refok "refs/heads/$new" || stop bad-branch "invalid branch name: $new"
  n=0
  if [ -n "$auth" ]; then
    IFS= read -r hdr <"$auth" || :
    export GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="$hdr"
    n=1
  fi
  if [ -n "$ca" ] && [ "$n" = 1 ]; then
    export GIT_CONFIG_KEY_1=http.sslCAInfo GIT_CONFIG_VALUE_1="$ca"
    n=2
  elif [ -n "$ca" ]; then
    export GIT_CONFIG_KEY_0=http.sslCAInfo GIT_CONFIG_VALUE_0="$ca"
    n=1
  fi
  export GIT_CONFIG_COUNT=$n
  nofollow='-c http.followRedirects=false'
  # shellcheck disable=SC2086
  if g $nofollow ls-remote --exit-code "$target" "refs/heads/$new" >/dev/null 2>"$T/err"; then
    stop branch-exists "the forge already has the branch $new: the gator pushes only new branches"
  else
    [ $? -eq 2 ] || stop push-failed "git ls-remote: $(cat "$T/err")"
  fi
  g -c gc.auto=0 -c push.gpgSign=false -c push.recurseSubmodules=no -c http.followRedirects=false \
    push --porcelain \
    --no-verify "--force-with-lease=refs/heads/$new:" "$target" "$tip:refs/heads/$new" \
    >"$T/out" 2>"$T/err" || stop push-failed "$(cat "$T/err" "$T/out")"
  say pushed "$tip"
  exit 0
fi
if [ "$mode" = fetch ]; then
  [ -n "$tip" ] || stop no-branch "the agent's clone has no branch $branch"
  g update-ref "refs/heads/$branch" "$tip" 2>"$T/err" || stop git-failed "$(cat "$T/err")"
  h rev-parse --git-dir >/dev/null 2>&1 || stop target-not-git "$target is not in a git repository"
  ref=refs/remotes/agent/$branch
  say previous "$(h rev-parse -q --verify "$ref^{commit}" 2>/dev/null)"
  v=$(git version | sed 's/^git version //')
  major=${"$"}{v%%.*} rest=${"$"}{v#*.}
  minor=${"$"}{rest%%.*}
  nofetchhead=
  if [ "$major" -gt 2 ] 2>/dev/null || { [ "$major" -eq 2 ] && [ "$minor" -ge 29 ]; } 2>/dev/null; then
    nofetchhead=--no-write-fetch-head
  fi
  h -c fetch.fsckObjects=true -c gc.auto=0 -c maintenance.auto=false -c submodule.recurse=false \
    fetch --quiet --no-tags --no-recurse-submodules $nofetchhead "$G" "+refs/heads/$branch:$ref" \
    2>"$T/err" || stop fetch-failed "$(cat "$T/err")"
  say fetched "$(h rev-parse -q --verify "$ref^{commit}" 2>/dev/null)"
  exit 0
fi
uncommitted=
if [ -n "$head" ] && g cat-file -e "$head^{commit}" 2>/dev/null; then
  w read-tree "$head" 2>"$T/err" || stop git-failed "git read-tree: $(cat "$T/err")"
  w ls-files -z --others --exclude-standard >"$T/untracked" 2>"$T/err" \
    || stop git-failed "git ls-files: $(cat "$T/err")"
  say untracked "$(tr -cd '\000' <"$T/untracked" | wc -c | tr -d ' ')"
  # Untracked files join the temporary index (their blobs the temporary repository): the diff
  # shows them as new.
  w update-index --add -z --stdin <"$T/untracked" >/dev/null 2>&1 || :
  # FIFOs, sockets and devices are never opened: they leave the index (shown as deleted).
  (cd "$real" && find . -name .git -prune -o ! -type f ! -type d ! -type l \
    -exec sh -c 'for f do printf "%s\0" "${"$"}{f#./}"; done' sh {} +) >"$T/special" 2>/dev/null || :
  say special "$(tr -cd '\000' <"$T/special" | wc -c | tr -d ' ')"
  w update-index --force-remove -z --stdin <"$T/special" >/dev/null 2>&1 || :
  w update-index -q --ignore-submodules --refresh >/dev/null 2>&1 || :
  # shellcheck disable=SC2086
  if w diff --quiet $diffopts "$head" -- 2>"$T/err"; then uncommitted=0; else
    [ $? -eq 1 ] || stop git-failed "git diff: $(cat "$T/err")"
    uncommitted=1
  fi
fi
say uncommitted "$uncommitted"
[ "$mode" != status ] || exit 0
if [ -n "$tip" ] && [ "$base_present" = 1 ]; then
  section log
  g log --no-decorate --no-mailmap --format='%H %s' "$base..$tip" -- || stop git-failed "git log"
  section committed-files
  g diff --name-status -z $diffopts "$base" "$tip" -- || stop git-failed "git diff"
  section committed-numstat
  g diff --numstat -z $diffopts "$base" "$tip" -- || stop git-failed "git diff"
  if [ "$mode" = diff-stat ]; then
    section committed-stat
    g diff --stat=100 $diffopts "$base" "$tip" -- || stop git-failed "git diff"
  else
    section committed-patch
    g diff $diffopts "$base" "$tip" -- || stop git-failed "git diff"
  fi
fi
if [ -n "$uncommitted" ]; then
  section special
  cat "$T/special"
  section uncommitted-files
  w diff --name-status -z $diffopts "$head" -- || stop git-failed "git diff"
  section uncommitted-numstat
  w diff --numstat -z $diffopts "$head" -- || stop git-failed "git diff"
  if [ "$mode" = diff-stat ]; then
    section uncommitted-stat
    w diff --stat=100 $diffopts "$head" -- || stop git-failed "git diff"
  else
    section uncommitted-patch
    w diff $diffopts "$head" -- || stop git-failed "git diff"
  fi
fi
section end
`;

/** The argv (after `podman exec … CONTAINER`) that runs {@link READER_SCRIPT}. */
export function readerCommand(options: {
  mode: ReaderMode;
  branch: string;
  /** The commit the agent's clone started from (the volume's label), if known. */
  base?: string;
  nonce: string;
  /** The human's repository (a folder in it), for `fetch`; the remote's URL for `push`. */
  target?: string;
  /** Where the agent's tree is mounted (tests point it elsewhere). */
  tree?: string;
  /** `push`: the new branch, the file holding the HTTP auth header, and CA certificates. */
  push?: { branch: string; headerFile?: string; caFile?: string };
}): string[] {
  return [
    "/bin/sh",
    "-c",
    READER_SCRIPT,
    "devaipod-reader",
    options.mode,
    options.tree ?? AGENT_TREE,
    options.branch,
    options.base ?? "",
    options.nonce,
    options.target ?? "",
    ...(options.push
      ? [options.push.branch, options.push.headerFile ?? "", options.push.caFile ?? ""]
      : []),
  ];
}

/** A fresh nonce: names the script's temporary folder and separates its output sections. */
export function newNonce(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/** The failures the script reports as `error=<code>`. */
export const READER_ERRORS = [
  "no-git",
  "bad-branch",
  "bad-base",
  "no-tree",
  "not-git",
  "unsafe",
  "tmp",
  "copy",
  "no-branch",
  "git-failed",
  "target-not-git",
  "fetch-failed",
  "push-failed",
  "branch-exists",
] as const;

/** One of {@link READER_ERRORS}. */
export type ReaderErrorCode = (typeof READER_ERRORS)[number];

const objectId = z.string().refine((s) => s === "" || isObjectId(s), "not an object id");
const count = z.string().regex(/^\d+$/).transform(Number);
const flag = z.enum(["", "0", "1"]).transform((s) => (s === "" ? null : s === "1"));
const orNull = (s: string) => (s === "" ? null : s);

const HeaderSchema = z.object({
  reader: z.literal("1"),
  tip: objectId.transform(orNull),
  head: objectId.transform(orNull),
  head_ref: z.string().regex(/^(refs\/heads\/[A-Za-z0-9._/-]+)?$/).transform(orNull),
  format: z.enum(["sha1", "sha256"]),
  base_present: z.enum(["0", "1"]).transform((s) => s === "1"),
  ahead: count.optional(),
  untracked: count.optional(),
  special: count.optional(),
  uncommitted: flag.optional(),
  previous: objectId.transform(orNull).optional(),
  fetched: objectId.transform(orNull).optional(),
  pushed: objectId.transform(orNull).optional(),
});

/** One changed file: its status letter (A, M, D, T…) and line counts (null for binary files). */
export interface ChangedFile {
  path: string;
  status: string;
  added: number | null;
  deleted: number | null;
}

/** A set of changes: the files, and git's patch or `--stat` text (when asked for). */
export interface Changes {
  files: ChangedFile[];
  /** `git diff` output (absent in `--stat` mode). */
  patch?: string;
  /** `git diff --stat` output (only in `--stat` mode). */
  stat?: string;
}

/** A commit on the agent's branch. */
export interface AgentCommit {
  commit: string;
  subject: string;
}

/** What the reader found in the agent's clone. */
export interface ReaderReport {
  /** The tip of the agent's branch, or null when the branch is gone. */
  tip: string | null;
  /** The commit the agent's HEAD names (its uncommitted changes are against it). */
  head: string | null;
  /** The branch HEAD is on (`refs/heads/…`), or null when detached (or unreadable). */
  headRef: string | null;
  format: "sha1" | "sha256";
  /** Whether the base commit is in the agent's objects (commits ahead need it). */
  basePresent: boolean;
  /** Commits on the branch that the base lacks (null when unknown). */
  ahead: number | null;
  /** Whether the work tree differs from HEAD, untracked files included (null when unknown). */
  uncommitted: boolean | null;
  /** How many untracked files and folders the work tree holds (null when unknown). */
  untracked: number | null;
  /**
   * `diff`: the work tree's FIFOs, sockets and devices (never opened; a tracked one counts as
   * deleted).
   */
  special?: string[];
  /** `diff`: the commits base..tip, newest first. */
  commits?: AgentCommit[];
  /** `diff`: base..tip. */
  committed?: Changes;
  /** `diff`: the work tree against HEAD. */
  uncommittedChanges?: Changes;
  /** `fetch`: the fetched ref's value before and after. */
  previous?: string | null;
  fetched?: string | null;
  /** `push`: the commit pushed. */
  pushed?: string | null;
}

/** The script's output did not match its contract (a bug, or output cut short). */
export class ReaderOutputError extends Error {
  override readonly name = "ReaderOutputError";
}

/** The script reported a known failure: its code and what it said on stderr. */
export interface ReaderFailure {
  error: ReaderErrorCode;
  detail: string;
}

/** Splits `key=value` lines (the header before the first section). */
function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** The sections after the header, by name (the text between the markers, exactly). */
function sections(text: string, nonce: string): { header: string; sections: Map<string, string> } {
  const marker = new RegExp(`\\n@@${nonce} ([a-z-]+)\\n`, "g");
  const found = new Map<string, string>();
  let header = text;
  let name: string | undefined;
  let from = 0;
  for (const m of text.matchAll(marker)) {
    if (name === undefined) header = text.slice(0, m.index);
    else found.set(name, text.slice(from, m.index));
    name = m[1];
    from = m.index + m[0].length;
  }
  if (name !== undefined) found.set(name, text.slice(from));
  return { header, sections: found };
}

/** `git diff --name-status -z` and `--numstat -z` (without renames) merged by path. */
export function parseFiles(nameStatus: string, numstat: string): ChangedFile[] {
  const status = new Map<string, string>();
  const words = nameStatus.split("\0");
  for (let i = 0; i + 1 < words.length; i += 2) {
    status.set(words[i + 1] as string, words[i] as string);
  }
  const files: ChangedFile[] = [];
  for (const record of numstat.split("\0")) {
    const m = /^(-|\d+)\t(-|\d+)\t([\s\S]+)$/.exec(record.replace(/^\n/, ""));
    if (!m) continue;
    const [, added = "-", deleted = "-", path = ""] = m;
    files.push({
      path,
      status: status.get(path) ?? "M",
      added: added === "-" ? null : Number(added),
      deleted: deleted === "-" ? null : Number(deleted),
    });
  }
  return files;
}

/** `git log --format='%H %s'` lines. */
export function parseLog(text: string): AgentCommit[] {
  return text.split("\n").flatMap((line) => {
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) (.*)$/.exec(line);
    return m ? [{ commit: m[1] as string, subject: m[2] as string }] : [];
  });
}

function changes(found: Map<string, string>, prefix: string): Changes | undefined {
  const files = found.get(`${prefix}-files`);
  const numstat = found.get(`${prefix}-numstat`);
  if (files === undefined || numstat === undefined) return undefined;
  const patch = found.get(`${prefix}-patch`);
  const stat = found.get(`${prefix}-stat`);
  return {
    files: parseFiles(files, numstat),
    ...(patch !== undefined ? { patch } : {}),
    ...(stat !== undefined ? { stat } : {}),
  };
}

/**
 * Reads the script's stdout: a {@link ReaderReport}, or the {@link ReaderFailure} it reported.
 * Throws {@link ReaderOutputError} when the output breaks the contract (a `diff` must end with
 * its `end` section).
 */
export function parseReaderOutput(
  stdout: string,
  stderr: string,
  mode: ReaderMode,
  nonce: string,
): ReaderReport | ReaderFailure {
  const { header, sections: found } = sections(stdout, nonce);
  const values = keyValues(header);
  const error = values.error ?? found.get("error")?.trim();
  if (error !== undefined) {
    if (!(READER_ERRORS as readonly string[]).includes(error)) {
      throw new ReaderOutputError(`unknown error code '${error}'`);
    }
    return { error: error as ReaderErrorCode, detail: stderr.trim() };
  }
  const parsed = HeaderSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ReaderOutputError(
      `${issue?.path.join(".") || "output"}: ${issue?.message ?? "does not match"}`,
    );
  }
  const h = parsed.data;
  if ((mode === "diff" || mode === "diff-stat") && !found.has("end")) {
    throw new ReaderOutputError("the output ends before its last section");
  }
  const log = found.get("log");
  const special = found.get("special");
  const committed = changes(found, "committed");
  const uncommittedChanges = changes(found, "uncommitted");
  return {
    tip: h.tip,
    head: h.head,
    headRef: h.head_ref,
    format: h.format,
    basePresent: h.base_present,
    ahead: h.ahead ?? null,
    uncommitted: h.uncommitted ?? null,
    untracked: h.untracked ?? null,
    ...(log !== undefined ? { commits: parseLog(log) } : {}),
    ...(special !== undefined ? { special: special.split("\0").filter(Boolean) } : {}),
    ...(committed ? { committed } : {}),
    ...(uncommittedChanges ? { uncommittedChanges } : {}),
    ...(h.previous !== undefined ? { previous: h.previous } : {}),
    ...(h.fetched !== undefined ? { fetched: h.fetched } : {}),
    ...(h.pushed !== undefined ? { pushed: h.pushed } : {}),
  };
}
