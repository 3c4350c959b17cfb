/**
 * What `devaipod diff` and `devaipod fetch` print (loaded only when one runs). The reading is in
 * `lib/pods/agent_work.ts`; everything the agent wrote (subjects, paths, patches) reaches a
 * terminal with its control characters shown escaped, and a pipe unchanged.
 */
import { agentDiff, agentFetch } from "../pods/agent_work.ts";
import type { AgentDiff, AgentFetch, AgentWorkSummary } from "../pods/agent_work.ts";
import type { Changes } from "../pods/agent_reader.ts";
import { printable } from "../util/printable.ts";
import type { CliContext } from "./context.ts";

/** `text` with control characters other than newline and tab shown escaped (`\x1b`). */
export function forTerminal(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => printable(c));
}

const short = (id: string | null | undefined) => (id ? id.slice(0, 12) : "?");
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The `diff --json` document (stable; documented in docs/cli.md). */
export function diffJson({ work, report }: AgentDiff): Record<string, unknown> {
  const changes = (c: Changes | undefined) =>
    c
      ? { files: c.files, ...(c.patch !== undefined ? { patch: c.patch } : { stat: c.stat }) }
      : null;
  return {
    workspace: work.workspace,
    project: work.project ?? null,
    branch: work.branch,
    base: work.base ?? null,
    commit: report.tip,
    ahead: report.ahead,
    head: report.head,
    checkedOut: report.headRef?.replace(/^refs\/heads\//, "") ?? null,
    commits: report.commits ?? [],
    committed: changes(report.committed),
    uncommitted: changes(report.uncommittedChanges),
    untracked: report.untracked,
    special: report.special ?? [],
  };
}

/** `devaipod diff NAME [--stat] [--json]`. */
export async function diffAction(
  ctx: CliContext,
  name: string,
  options: { stat?: boolean; json?: boolean; project?: string },
): Promise<void> {
  const found = await agentDiff(ctx.podman, name, {
    stat: options.stat === true,
    ...(options.project !== undefined ? { project: options.project } : {}),
  });
  if (options.json) return ctx.json(diffJson(found));
  const { work, report } = found;
  const shown = (text: string) => ctx.deps.io.stdoutIsTerminal ? forTerminal(text) : text;
  const body = (c: Changes) => shown(c.patch ?? c.stat ?? "");

  if (!work.base) {
    ctx.info(
      `committed: unknown (the commit the agent started from is not recorded on ${work.volume})`,
    );
  } else if (!report.basePresent) {
    ctx.info(`committed: unknown (the agent's clone lacks its base ${short(work.base)})`);
  } else if (!report.tip) {
    ctx.info(`committed: none (the agent's clone has no branch ${work.branch})`);
  } else {
    const commits = report.commits ?? [];
    ctx.info(
      `# committed on ${work.branch} since ${short(work.base)}: ${
        plural(commits.length, "commit")
      }`,
    );
    for (const c of commits) ctx.info(`#   ${short(c.commit)} ${printable(c.subject)}`);
    if (report.committed && (report.committed.patch || report.committed.stat)) {
      ctx.deps.io.stdout(body(report.committed));
    }
  }
  const checkedOut = report.headRef?.replace(/^refs\/heads\//, "");
  const against = `${short(report.head)}${
    checkedOut ? ` on ${printable(checkedOut)}` : " (detached)"
  }`;
  if (!report.uncommittedChanges) {
    ctx.info("# uncommitted: unknown (the agent's HEAD names no commit in its clone)");
  } else if (!report.uncommittedChanges.files.length) {
    ctx.info(`# uncommitted: none (the agent's work tree matches ${against})`);
  } else {
    const files = report.uncommittedChanges.files.length;
    ctx.info(
      `# uncommitted in the agent's work tree, against ${against}: ${plural(files, "file")}`,
    );
    ctx.deps.io.stdout(body(report.uncommittedChanges));
  }
  if (report.special?.length) {
    ctx.info(
      `# not regular files, never opened: ${report.special.map((p) => printable(p)).join(", ")}`,
    );
  }
  if (checkedOut !== undefined && checkedOut !== work.branch) {
    ctx.info(`# note: the agent has ${printable(checkedOut)} checked out, not ${work.branch}`);
  }
}

/** The `fetch --json` document (stable; documented in docs/cli.md). */
export function fetchJson(f: AgentFetch): Record<string, unknown> {
  return {
    workspace: f.work.workspace,
    project: f.work.project ?? null,
    branch: f.work.branch,
    ref: f.ref,
    commit: f.commit,
    previous: f.previous,
    base: f.work.base ?? null,
    ahead: f.ahead,
    repository: f.work.repository,
  };
}

/** `devaipod fetch NAME [--json]`. */
export async function fetchAction(
  ctx: CliContext,
  name: string,
  options: { json?: boolean; project?: string },
): Promise<void> {
  const f = await agentFetch(ctx.podman, name, options.project);
  if (options.json) return ctx.json(fetchJson(f));
  const ws = f.work.workspace;
  const remote = f.ref.replace(/^refs\/remotes\//, "");
  const change = f.previous === f.commit
    ? "already up to date"
    : f.previous
    ? `was ${short(f.previous)}`
    : "new";
  const ahead = f.ahead === null ? "" : `, ${plural(f.ahead, "commit")} ahead of its base`;
  ctx.out(`${f.ref} ${short(f.commit)} (${change}${ahead})`);
  ctx.info(`fetched ${f.work.branch} into the repository at ${f.work.repository} in ${ws}`);
  ctx.info(`next, in the workspace (\`devaipod ssh ${ws}\`):`);
  ctx.info(`  git log -p HEAD..${remote}    the agent's commits`);
  ctx.info(`  git merge ${remote}           take them`);
}

/** The `status` row of the agent's work: its branch, commits ahead, uncommitted changes. */
export function workRow(w: AgentWorkSummary, workspace: string): string {
  if (w.clone !== "ok") {
    return `${w.clone}${w.note ? `: ${printable(w.note)}` : ""}`;
  }
  const parts = [
    w.ahead === null ? "commits ahead unknown" : `${plural(w.ahead, "commit")} ahead of its base`,
    w.uncommitted === null
      ? "uncommitted changes unknown"
      : w.uncommitted
      ? "uncommitted changes"
      : "no uncommitted changes",
  ];
  const elsewhere = w.checkedOut !== null && w.checkedOut !== w.branch
    ? ` (${printable(w.checkedOut)} checked out)`
    : "";
  return `${w.branch}${elsewhere}: ${parts.join(", ")} (devaipod diff ${workspace})`;
}
