/** What `devaipod gator` does (loaded only when it runs). */
import { ConflictError, UsageError } from "../errors.ts";
import { addScopes, formatScope, parseScope, removeScope } from "../gator/scopes.ts";
import { parseScopesFile, scopesFileText } from "../gator/scopes_file.ts";
import { LABELS, ROLES } from "../labels.ts";
import { devaipodDirs } from "../paths.ts";
import { GATOR_URL } from "../plan/gator_plan.ts";
import { findWorkspace, workspaceContainers } from "../pods/inventory.ts";
import { workspaceDirs } from "../pods/state.ts";
import type { CliContext } from "./context.ts";

/** What `gator NAME --json` prints. */
export interface GatorReport {
  workspace: string;
  /** Whether the gator's container runs. */
  running: boolean;
  /** The MCP URL the agent uses. */
  url: string;
  scopes: string[];
}

/**
 * `gator NAME [show]` prints the scopes; `add`/`remove SCOPE…` rewrites the scopes file, which
 * the running gator re-reads on its next call (in place: the gator's mount follows the file).
 */
export async function gatorAction(
  ctx: CliContext,
  name: string,
  action: string,
  scopes: string[],
  options: { json?: boolean },
): Promise<void> {
  if (!["show", "add", "remove"].includes(action)) {
    throw new UsageError(`gator: unknown action '${action}' (show, add or remove)`);
  }
  if (action === "show" && scopes.length) {
    throw new UsageError("gator: show takes no scope", { hint: "gator NAME add SCOPE…" });
  }
  if (action !== "show" && !scopes.length) {
    throw new UsageError(`gator ${action}: name at least one scope`, {
      hint: "e.g. github:octo/demo=read,create-draft",
    });
  }
  const parsed = scopes.map((s) => parseScope(s, `gator ${action}`));
  const pod = await findWorkspace(ctx.podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
  const gator = (await workspaceContainers(ctx.podman, workspace)).get(ROLES.gator);
  if (!gator) {
    throw new ConflictError(`workspace ${workspace} has no gator`, {
      hint:
        `\`devaipod rebuild ${workspace}\` keeps it without one; a new workspace gets one with \`up --gator SCOPE\``,
    });
  }
  const file = workspaceDirs(devaipodDirs(ctx.deps.env).state, workspace).gatorScopes;
  const current = parseScopesFile(await Deno.readTextFile(file).catch(() => ""), file);
  let next = current;
  if (action === "add") next = addScopes(current, parsed);
  if (action === "remove") { for (const s of parsed) next = removeScope(next, s); }
  const changed = next.map(formatScope).join(" ") !== current.map(formatScope).join(" ");
  // In place (not a rename): the gator's bind mount holds this file's inode.
  if (changed) await Deno.writeTextFile(file, scopesFileText(next));
  const report: GatorReport = {
    workspace,
    running: gator.State === "running",
    url: GATOR_URL,
    scopes: next.map(formatScope),
  };
  if (options.json) return ctx.json(report);
  if (action !== "show") {
    ctx.info(
      changed ? `${workspace}: the gator's scopes changed` : `${workspace}: nothing changed`,
    );
  }
  ctx.out(`gator of ${workspace} (${report.running ? "running" : "stopped"}), ${report.url}:`);
  if (!report.scopes.length) ctx.out("  no scope: every call is denied");
  for (const s of report.scopes) ctx.out(`  ${s}`);
}
