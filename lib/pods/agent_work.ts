/**
 * Bringing the agent's work home: `diff`, `fetch` and the agent fields of `status`. Each finds
 * the workspace container and the agent's clone (its work volume, mounted read-only at
 * {@link AGENT_TREE} in the workspace), runs the safe reader there as the workspace user (see
 * `agent_reader.ts`) and turns its answer into values or typed errors. The agent's repository
 * is only ever read as data; the one write is `fetch`'s ref in the human's repository.
 */
import {
  ConflictError,
  DevaipodError,
  EnvironmentError,
  FailedError,
  NotFoundError,
  UsageError,
} from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import { AGENT_TREE, agentBranch, agentTreeOf } from "../plan/pod_plan.ts";
import type { Podman } from "../podman/driver.ts";
import { containerExec, containerInspect } from "../podman/container.ts";
import type { ContainerInspect, ContainerListEntry } from "../podman/schemas.ts";
import { volumeInspect } from "../podman/volume.ts";
import { printable } from "../util/printable.ts";
import {
  fetchedRef,
  newNonce,
  parseReaderOutput,
  readerCommand,
  ReaderOutputError,
} from "./agent_reader.ts";
import type { ReaderFailure, ReaderMode, ReaderReport } from "./agent_reader.ts";
import { isObjectId } from "./git_refs.ts";
import { findWorkspace, workspaceContainers } from "./inventory.ts";

/** How long the reader may take (it copies the agent's objects). */
const READER_TIMEOUT_MS = 300_000;
/** How long `status` waits for it before saying it could not tell. */
const STATUS_TIMEOUT_MS = 30_000;

/** Where the agent's clone of one workspace is, and how to read it. */
export interface AgentWork {
  workspace: string;
  /** The workspace container's id. */
  container: string;
  /** The user sessions run as in the workspace (its remoteUser, else the image's user). */
  user?: string;
  /** The agent's branch: `devaipod/<workspace>`. */
  branch: string;
  /** The commit the agent's clone started from (its volume's label), when known. */
  base?: string;
  /** The human's repository in the workspace (the workspace volume's mount target). */
  repository: string;
  /** The agent's work volume. */
  volume: string;
  /** A further project's name (its clone is read at its own place), or absent for the first. */
  project?: string;
  /** Where the workspace sees this clone (default {@link AGENT_TREE}). */
  tree?: string;
}

/** The mount of the agent's clone in an inspected workspace container, and the human's tree. */
export function agentMounts(
  inspected: ContainerInspect,
  pod: string,
  project?: string,
): { volume?: string; repository?: string } {
  const tree = project === undefined ? AGENT_TREE : agentTreeOf(project);
  const agent = inspected.Mounts.find((m) => m.Destination === tree && m.Type === "volume");
  const workName = project === undefined ? `${pod}-work` : `${pod}-work-${project}`;
  const work = inspected.Mounts.find((m) => m.Type === "volume" && m.Name === workName);
  const repository = work?.Destination ?? (inspected.Config.WorkingDir || undefined);
  return {
    ...(agent?.Name ? { volume: agent.Name } : {}),
    ...(repository ? { repository } : {}),
  };
}

/** The user the workspace's sessions run as: its remoteUser label, else the container's user. */
export function workspaceUser(inspected: ContainerInspect): string | undefined {
  return inspected.Config.Labels[LABELS.remoteUser] || inspected.Config.User || undefined;
}

/** The names of a workspace's further projects, from its pod's label. */
export function projectNames(label: string | undefined): string[] {
  try {
    const list = JSON.parse(label ?? "[]") as { name?: unknown }[];
    return Array.isArray(list)
      ? list.flatMap((p) => typeof p?.name === "string" ? [p.name] : [])
      : [];
  } catch {
    return [];
  }
}

/** Why a workspace's agent clone cannot be read now. */
type Problem = "no-container" | "stopped" | "old-layout";

/**
 * Finds the agent's clone of workspace `name` (a unique prefix will do). `verb` names the
 * command in errors: a workspace whose container is not running is a {@link ConflictError}
 * (start it), one made before agents had their own clone too (rebuild it).
 */
export async function locateAgentWork(
  podman: Podman,
  name: string,
  verb: string,
  project?: string,
): Promise<AgentWork> {
  const pod = await findWorkspace(podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
  if (project !== undefined) {
    const names = projectNames(pod.Labels[LABELS.projects]);
    if (!names.includes(project)) {
      throw new UsageError(
        `workspace '${workspace}' has no project '${project}'${
          names.length ? ` (its further projects: ${names.join(", ")})` : " (it has one project)"
        }`,
      );
    }
  }
  const container = (await workspaceContainers(podman, workspace)).get(ROLES.workspace);
  const found = await locate(podman, workspace, pod.Name, container, project);
  if ("problem" in found) throw problemError(found.problem, workspace, verb);
  return found.work;
}

async function locate(
  podman: Podman,
  workspace: string,
  pod: string,
  container: ContainerListEntry | undefined,
  project?: string,
): Promise<{ work: AgentWork } | { problem: Problem }> {
  if (!container) return { problem: "no-container" };
  if (container.State !== "running") return { problem: "stopped" };
  const [inspected] = await podman.run(containerInspect(container.Id));
  if (!inspected) return { problem: "no-container" };
  const { volume, repository } = agentMounts(inspected, pod, project);
  if (!volume) return { problem: "old-layout" };
  const [labels] = await podman.run(volumeInspect(volume));
  const base = labels?.Labels[LABELS.agentBase];
  const user = workspaceUser(inspected);
  return {
    work: {
      workspace,
      container: container.Id,
      ...(user ? { user } : {}),
      branch: agentBranch(workspace),
      ...(base && isObjectId(base) ? { base } : {}),
      repository: repository ?? "/",
      volume,
      ...(project !== undefined ? { project, tree: agentTreeOf(project) } : {}),
    },
  };
}

function problemError(problem: Problem, workspace: string, verb: string): DevaipodError {
  switch (problem) {
    case "no-container":
      return new FailedError(`workspace '${workspace}' has no workspace container`, {
        hint: `\`devaipod rebuild ${workspace}\` makes it again`,
      });
    case "stopped":
      return new ConflictError(
        `workspace '${workspace}' is not running: ${verb} reads the agent's clone from its workspace container`,
        { hint: `\`devaipod start ${workspace}\` starts it` },
      );
    case "old-layout":
      return new ConflictError(
        `workspace '${workspace}' has no clone of the agent's own: it was made before agents worked in their own clone`,
        {
          hint: `\`devaipod rebuild ${workspace}\` moves it to the new layout and keeps your tree`,
        },
      );
  }
}

/** Runs the reader in the workspace container: its report, or the failure it reported. */
async function runReaderRaw(
  podman: Podman,
  work: AgentWork,
  mode: ReaderMode,
  timeoutMs = READER_TIMEOUT_MS,
): Promise<ReaderReport | ReaderFailure> {
  const nonce = newNonce();
  const result = await podman.run(
    containerExec({
      container: work.container,
      ...(work.user ? { user: work.user } : {}),
      command: readerCommand({
        mode,
        branch: work.branch,
        nonce,
        ...(work.base ? { base: work.base } : {}),
        ...(mode === "fetch" ? { target: work.repository } : {}),
        ...(work.tree ? { tree: work.tree } : {}),
      }),
    }),
    { timeoutMs },
  );
  if (result.code !== 0) {
    throw new FailedError(
      `cannot read the agent's clone of '${work.workspace}': the reader exited ${result.code}`,
      { hint: lastLines(result.stderr) || "the workspace image needs /bin/sh" },
    );
  }
  try {
    return parseReaderOutput(result.stdout, result.stderr, mode, nonce);
  } catch (err) {
    if (!(err instanceof ReaderOutputError)) throw err;
    throw new FailedError(`unexpected output from the agent's clone reader: ${err.message}`, {
      hint: "this is a bug in devaipod; rerun with --verbose and report the output",
      cause: err,
    });
  }
}

/** Runs the reader; a failure it reports is thrown as a typed error. */
async function runReader(
  podman: Podman,
  work: AgentWork,
  mode: ReaderMode,
  verb: string,
): Promise<ReaderReport> {
  const parsed = await runReaderRaw(podman, work, mode);
  if ("error" in parsed) throw readerError(parsed, work, verb);
  return parsed;
}

/** The last lines of what a command said, shown escaped (it may come from the agent's files). */
function lastLines(text: string, n = 4): string {
  return text.trim().split("\n").slice(-n).map(printable).join("\n  ");
}

/** The typed error for a failure the reader reported. */
export function readerError(f: ReaderFailure, work: AgentWork, verb: string): DevaipodError {
  const ws = work.workspace;
  const detail = lastLines(f.detail);
  switch (f.error) {
    case "no-git":
      return new EnvironmentError(
        `the workspace container of '${ws}' has no git: ${verb} runs git there`,
        { hint: "add git to the workspace's image" },
      );
    case "no-tree":
      return problemError("old-layout", ws, verb);
    case "not-git":
      return new ConflictError(
        `the project of workspace '${ws}' is not a git repository: ${verb} needs one`,
        {
          hint: `the agent's files are at ${AGENT_TREE} in the workspace (\`devaipod exec ${ws}\`)`,
        },
      );
    case "no-branch":
      return new NotFoundError(`the agent's clone in '${ws}' has no branch '${work.branch}'`, {
        hint: `the agent may have renamed it: \`devaipod exec ${ws} -c agent -- git branch\``,
      });
    case "unsafe":
      return new FailedError(`refusing to read the agent's clone in '${ws}': ${detail}`, {
        hint: "the agent changed its .git into something devaipod does not follow",
      });
    case "target-not-git":
      return new ConflictError(
        `the workspace folder '${work.repository}' of '${ws}' is not in a git repository`,
        { hint: detail || "`git init` there first, or work in a git project" },
      );
    case "fetch-failed":
      return new FailedError(`git fetch from the agent's clone of '${ws}' failed`, {
        hint: detail || "rerun with --verbose",
      });
    default:
      return new FailedError(`cannot read the agent's clone of '${ws}' (${f.error})`, {
        hint: detail || "rerun with --verbose",
      });
  }
}

/** What `devaipod diff` shows. */
export interface AgentDiff {
  work: AgentWork;
  report: ReaderReport;
}

/** Reads what the agent committed (base..branch) and left uncommitted (work tree vs HEAD). */
export async function agentDiff(
  podman: Podman,
  name: string,
  options: { stat?: boolean; project?: string } = {},
): Promise<AgentDiff> {
  const work = await locateAgentWork(podman, name, "diff", options.project);
  const report = await runReader(podman, work, options.stat ? "diff-stat" : "diff", "diff");
  return { work, report };
}

/** What `devaipod fetch` did. */
export interface AgentFetch {
  work: AgentWork;
  /** The ref it wrote in the human's repository. */
  ref: string;
  /** Its value before (null when new) and now. */
  previous: string | null;
  commit: string;
  /** Commits on the branch that the base lacks (null when unknown). */
  ahead: number | null;
}

/**
 * Fetches the agent's branch into the human's repository in the workspace, as
 * `refs/remotes/agent/devaipod/<workspace>`, and checks the ref now names the agent's commit.
 */
export async function agentFetch(
  podman: Podman,
  name: string,
  project?: string,
): Promise<AgentFetch> {
  const work = await locateAgentWork(podman, name, "fetch", project);
  const report = await runReader(podman, work, "fetch", "fetch");
  const ref = fetchedRef(work.branch);
  if (!report.tip || report.fetched !== report.tip) {
    throw new FailedError(
      `after fetching, ${ref} names ${report.fetched ?? "nothing"}, not the agent's ${
        report.tip ?? "branch"
      }`,
      { hint: "rerun with --verbose and report the output" },
    );
  }
  return {
    work,
    ref,
    previous: report.previous ?? null,
    commit: report.tip,
    ahead: report.ahead,
  };
}

/** Why `status` could not tell (or `ok`). */
export type AgentCloneState = "ok" | "stopped" | "old-layout" | "not-git" | "no-branch" | "error";

/** The agent fields of `status`: its branch, commits ahead of its base, uncommitted changes. */
export interface AgentWorkSummary {
  clone: AgentCloneState;
  branch: string | null;
  /** The tip of the agent's branch. */
  commit: string | null;
  /** The commit the agent's clone started from. */
  base: string | null;
  ahead: number | null;
  uncommitted: boolean | null;
  /** The branch the agent has checked out (null: detached, or unknown). */
  checkedOut: string | null;
  /** Why the values are missing, for people. */
  note: string | null;
}

/**
 * The summary of the agent's work for `status`. A stopped workspace, an old layout, a project
 * without git, a missing branch or a failed read are states, never errors.
 */
export async function agentWorkSummary(
  podman: Podman,
  workspace: string,
  pod: string,
  container: ContainerListEntry | undefined,
): Promise<AgentWorkSummary> {
  const none = {
    branch: null,
    commit: null,
    base: null,
    ahead: null,
    uncommitted: null,
    checkedOut: null,
  };
  const found = await locate(podman, workspace, pod, container).catch((err) => ({ err }));
  if ("err" in found) {
    return { clone: "error", ...none, note: errorText(found.err) };
  }
  if ("problem" in found) {
    return {
      clone: found.problem === "old-layout" ? "old-layout" : "stopped",
      ...none,
      note: problemError(found.problem, workspace, "status").message,
    };
  }
  const { work } = found;
  const known = { branch: work.branch, base: work.base ?? null };
  const r = await runReaderRaw(podman, work, "status", STATUS_TIMEOUT_MS).catch((err) => ({
    err,
  }));
  if ("err" in r) return { clone: "error", ...none, ...known, note: errorText(r.err) };
  if ("error" in r) {
    const clone: AgentCloneState = r.error === "no-tree"
      ? "old-layout"
      : r.error === "not-git"
      ? "not-git"
      : r.error === "no-branch"
      ? "no-branch"
      : "error";
    return { clone, ...none, ...known, note: readerError(r, work, "status").message };
  }
  return {
    clone: r.tip ? "ok" : "no-branch",
    ...known,
    commit: r.tip,
    ahead: r.ahead,
    uncommitted: r.uncommitted,
    checkedOut: r.headRef?.replace(/^refs\/heads\//, "") ?? null,
    note: r.tip ? null : `the agent's clone has no branch '${work.branch}'`,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
