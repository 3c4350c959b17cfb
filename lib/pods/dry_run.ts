/**
 * The dry-run backend: prints the steps of an {@link UpPlan}, each with the podman commands `up`
 * runs for it (from the same translation, step_commands.ts) and, for steps done on the host,
 * what they do. Values only known while applying appear as `<binding>`, with a legend.
 */
import {
  bindingLegend as legendOf,
  type BindingName,
  BINDINGS,
  copyBindings,
} from "../plan/bindings.ts";
import type { Op, UpPlan } from "../plan/up_plan.ts";
import type { LifecycleCommand } from "../devcontainer/lifecycle.ts";
import { formatArgv } from "../errors.ts";
import { redactUrl } from "../sources/parse.ts";
import { placeholderFiller, stepCommands } from "./step_commands.ts";

/** One podman command in the dry-run. */
export interface DryRunCommand {
  /** `podman` and its arguments, as `up` runs them (bindings as `<name>`). */
  argv: string[];
  /** What goes on stdin (never a secret's value). */
  stdin?: string;
  /** When it runs, if not always. */
  when?: string;
}

/** One step in the dry-run (`--dry-run --json`: `steps`). */
export interface DryRunStep {
  /** The step's id: stable, unique in the plan. */
  id: string;
  /** What it does, for people. */
  step: string;
  commands: DryRunCommand[];
  /** What is done on the host (no podman), or how the commands are used. */
  action?: string;
  /** Skipped unless this binding was produced. */
  when?: BindingName;
  produces?: BindingName[];
  /** What it creates: rollback removes it, except volumes. */
  creates?: string;
}

/** The dry-run of `up`: every step, in order. */
export function dryRunSteps(plan: UpPlan): DryRunStep[] {
  return plan.steps.map((step) => {
    const commands = stepCommands(step, placeholderFiller).map((c): DryRunCommand => ({
      argv: [...(c.program ?? ["podman"]), ...c.command.argv],
      ...(c.stdin ? { stdin: c.stdin } : {}),
      ...(c.when ? { when: c.when } : {}),
    }));
    const action = actionOf(step.op);
    return {
      id: step.id,
      step: step.title,
      commands,
      ...(action ? { action } : {}),
      ...(step.when ? { when: step.when } : {}),
      ...(step.produces.length ? { produces: step.produces } : {}),
      ...(step.creates ? { creates: `${step.creates.kind} ${step.creates.name}` } : {}),
    };
  });
}

/** The bindings a plan uses, with what each holds. */
export function bindingLegend(plan: UpPlan): Record<string, string> {
  const used = new Set(plan.steps.flatMap((s) => [...s.produces, ...s.needs]));
  const known = Object.keys(BINDINGS) as BindingName[];
  // The fixed bindings in their order, then the further projects' copies.
  const names = [...known, ...[...used].filter((b) => !known.includes(b))];
  return Object.fromEntries(
    names.filter((b) => used.has(b)).map((b) => [b, legendOf(b)]),
  );
}

/** The dry-run as text: a numbered step per line, its commands indented under it. */
export function formatDryRun(steps: readonly DryRunStep[], legend: Record<string, string>): string {
  const lines: string[] = [];
  steps.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${s.step}${s.when ? `  (only when <${s.when}> is known)` : ""}`);
    if (s.action) lines.push(`       ${s.action}`);
    for (const c of s.commands) {
      lines.push(
        `       ${c.when ? `[${c.when}] ` : ""}${formatArgv(c.argv)}${
          c.stdin ? ` < ${c.stdin}` : ""
        }`,
      );
    }
  });
  const bound = Object.entries(legend);
  if (bound.length) {
    lines.push("  values known only while applying:");
    for (const [name, what] of bound) lines.push(`    <${name}>  ${what}`);
  }
  return lines.join("\n");
}

/** What a step does on the host, or how its commands are used. */
function actionOf(op: Op): string | undefined {
  switch (op.kind) {
    case "leftovers":
      return `an unfinished up of this name leaves objects: they are removed, its volumes adopted; a complete workspace${
        op.unitDir ? ` (or its Quadlet units in ${op.unitDir})` : ""
      } stops up (exit 9)`;
    case "user-secrets":
      return `each must exist: ${Object.values(op.secrets).join(", ")}`;
    case "dotfiles":
      return `git clone --depth 1 ${redactUrl(op.url)} on the host, archived for both containers${
        op.script ? ` (install script ${op.script})` : ""
      }`;
    case "initialize":
      return `on the host, in ${op.cwd}: ${op.steps.map((s) => commandText(s.command)).join("; ")}`;
    case "image":
      return undefined;
    case "features":
      return `over ${op.build.base}, as ${op.build.containerUser ?? "its user"}: ${
        op.build.features.map((f) => f.userId).join(" → ")
      }`;
    case "inspect-image":
      return "PATH and Architecture from its config";
    case "agent-binary":
      return `opencode ${
        op.version ?? "(pinned)"
      } for <image.arch>, from the cache or the npm registry (integrity checked)`;
    case "shims":
      return op.imageOc === undefined
        ? `write ${op.dir}/opencode-agent (the agent's terminal UI at ${op.agentUrl})`
        : `write ${op.dir}/oc unless <user.oc> is "oc" (the image has its own)`;
    case "copy": {
      const names = copyBindings(op.project);
      const migration = op.project === undefined
        ? `; for a workspace made before agents had their own clone, the agent's clone comes from ${op.workVolume} instead (read, never changed)`
        : "";
      return op.git
        ? `git clone --no-hardlinks ${op.root} on the host at HEAD → <${names.work}>; git branch ${op.branch} there → <${names.agent}>${migration}`
        : `a copy of ${op.root}'s files → <${names.work}> and <${names.agent}>`;
    }
    case "allow-file":
      return `write ${op.path}: ${op.entries.join(", ")}`;
    case "scopes-file":
      return `write ${op.path}: ${op.scopes.join(" ") || "(no scope: every call is denied)"}`;
    case "gator-program":
      return op.runtime.kind === "bundle"
        ? `deno bundle lib/gator/main.ts → ${op.runtime.bundle}, unless it is there`
        : "none: the compiled devaipod runs it";
    case "addresses":
      return "the subnets → the proxy .2, the agent .3 and the gator .4 on the internal network, the proxy .2 and the pod .3 on the link network";
    case "workspace-user":
    case "image-user":
      return "prints uid, gid and whether the image has its own oc (uid 0 → 1000:1000)";
    case "subnets":
      return `no other network may have them; fixed for the units: ${op.internal} ${op.subnets.internal}, ${op.link} ${op.subnets.link}; the proxy .2 and the agent .3 on the internal network, the proxy .2 and the pod .3 on the link network`;
    case "units":
      return `write ${op.files.length} units into ${op.dir} (${
        op.files.join(", ")
      }; \`devaipod render --target quadlet\` prints them), then reload and start the pod's service, which starts every unit`;
    case "wait-agent":
      return op.via === "http"
        ? `GET /global/health on <the agent's port> until healthy, at most ${op.timeoutSeconds}s`
        : `at most ${op.timeoutSeconds}s`;
    case "hooks": {
      const names = [...new Set(op.steps.map((s) => s.hook))].filter((h) =>
        h !== "initializeCommand" && h !== "postAttachCommand"
      );
      return `${names.length ? names.join(", ") : "no lifecycle hooks"}${
        op.dotfiles ? ", dotfiles after postCreateCommand" : ""
      }: one podman exec per command, in the workspace then the agent (waitFor ${op.waitFor})`;
    }
    case "task":
      if (op.via === "exec") {
        return "the agent's program, detached, in its container; its output and exit status in $HOME/.devaipod (what `run` and `attach` read)";
      }
      return op.via === "http"
        ? "POST /session and /session/ID/prompt_async on the agent's port"
        : "the agent client in the proxy's container: POST /session, then the prompt";
    default:
      return undefined;
  }
}

/** A hook's command as a person writes it: the shell text, or the argv. */
function commandText(c: LifecycleCommand): string {
  const one = (argv: readonly string[], form: string) =>
    form === "shell" ? argv.at(-1) ?? "" : formatArgv(argv);
  return c.kind === "single"
    ? one(c.argv, c.form)
    : c.commands.map((x) => `${x.name}: ${one(x.argv, x.form)}`).join(", ");
}
