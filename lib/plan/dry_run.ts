/**
 * `up --dry-run`: the plan as the steps `up` would take, each podman step as its exact argv.
 * Pure. Secret values never appear: they travel on stdin, which is shown as `<redacted>`.
 */
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { displayCommand } from "../devcontainer/lifecycle.ts";
import { containerExec, containerRun } from "../podman/container.ts";
import { imageBuild } from "../podman/image.ts";
import { networkCreate } from "../podman/network.ts";
import { podCreate } from "../podman/pod.ts";
import { secretCreate } from "../podman/secret.ts";
import { volumeCreate, volumeImport } from "../podman/volume.ts";
import type { PodPlan } from "./pod_plan.ts";
import { redactUrl } from "../sources/parse.ts";
import { AGENT_BASE, USER_AND_OC } from "./pod_plan.ts";
import { ROLES } from "../labels.ts";
import { linkShimsExec, SHIM_LINK_DIR } from "./shim_links.ts";

/** One step of the plan. */
export interface DryRunStep {
  step: string;
  /** The podman argv (after `podman`), when the step is a podman command. */
  argv?: string[];
  /** What is sent on stdin (always redacted for secrets). */
  stdin?: string;
  /** What happens on the host or over HTTP, when it is not a podman command. */
  action?: string;
}

/** The steps of `up` for a plan. */
export function dryRunSteps(
  plan: PodPlan,
  resolved: ResolvedConfig | undefined,
  build?: { tag: string },
  dotfiles?: { url: string; script?: string },
): DryRunStep[] {
  const steps: DryRunStep[] = [];
  for (const s of resolved?.lifecycle.steps.filter((x) => x.hook === "initializeCommand") ?? []) {
    const c = s.command;
    steps.push({
      step: "initializeCommand",
      action: c.kind === "single"
        ? displayCommand(c)
        : c.commands.map((x) => `${x.name}: ${displayCommand(x)}`).join("; "),
    });
  }
  if (build && resolved?.source.kind === "dockerfile") {
    const source = resolved.source;
    steps.push({
      step: "build image",
      argv: [
        ...imageBuild({
          tag: build.tag,
          file: source.dockerfile,
          context: source.context,
          buildArgs: source.args,
          ...(source.target ? { target: source.target } : {}),
        }).argv,
      ],
    });
  }
  for (const s of plan.secrets) {
    steps.push({
      step: `secret ${s.variable}${s.container === "workspace" ? " (workspace)" : ""}`,
      argv: [...secretCreate(s.name, "", { labels: s.labels }).argv],
      stdin: "<redacted>",
    });
  }
  // The agent's volume is made once the clone's commit is known: its label records it.
  const agentWork = plan.volumes.filter((v) => v.role === ROLES.agentWork);
  for (const v of plan.volumes.filter((v) => v.role !== ROLES.agentWork)) {
    steps.push({
      step: `volume ${v.role}`,
      argv: [...volumeCreate(v.name, { labels: v.labels }).argv],
    });
  }
  steps.push({
    step: "copy the project",
    action: "git clone of HEAD (or the files) into a temporary folder, archived as <tarball>",
  });
  steps.push({
    step: "the agent's clone",
    action: `git branch ${plan.agentBranch} ${AGENT_BASE} in the same clone, then HEAD on it ` +
      `(git symbolic-ref HEAD refs/heads/${plan.agentBranch}; a folder without git: the same ` +
      "files), archived as <agent tarball>",
  });
  for (const v of agentWork) {
    steps.push({
      step: `volume ${v.role}`,
      argv: [...volumeCreate(v.name, { labels: v.labels }).argv],
    });
  }
  // The two imports run at the same time (up starts both, then waits for both).
  steps.push({
    step: "fill the workspace volume",
    argv: [...volumeImport(plan.workspaceVolume, "<tarball>").argv],
  });
  steps.push({
    step: "fill the agent's volume",
    argv: [...volumeImport(plan.agentWorkVolume, "<agent tarball>").argv],
  });
  if (plan.isolation) {
    steps.push({
      step: "allowlist",
      action: `write the agent's allowlist to ${plan.isolation.allowFile} ` +
        `(its profile's hosts, allowedDomains, [network-isolation] allowed_domains, --allow): ` +
        plan.isolation.allow.join(", "),
    });
    steps.push({ step: "internal network", argv: [...networkCreate(plan.isolation.network).argv] });
    steps.push({ step: "link network", argv: [...networkCreate(plan.isolation.linkNetwork).argv] });
    steps.push({
      step: "addresses",
      action: "the internal network's subnet: .2 the proxy, .3 the agent; " +
        "the link network's: .2 the proxy (its relay to the agent), .3 the pod",
    });
    steps.push({
      step: "egress proxy",
      argv: [...containerRun(plan.isolation.proxyContainer).argv],
    });
  }
  steps.push({ step: "pod", argv: [...podCreate(plan.pod).argv] });
  steps.push({
    step: "workspace container",
    argv: [...containerRun(plan.workspaceContainer).argv],
  });
  steps.push({
    step: "workspace user's uid",
    argv: [
      ...containerExec({
        container: plan.workspaceContainer.name,
        command: [
          "sh",
          "-c",
          USER_AND_OC,
          "sh",
          ...(plan.remoteUser ? [plan.remoteUser] : []),
        ],
      }).argv,
    ],
  });
  steps.push({
    step: `shims into ${SHIM_LINK_DIR}`,
    argv: [...linkShimsExec(plan.workspaceContainer.name).argv],
  });
  steps.push({ step: "agent container", argv: [...containerRun(plan.agentContainer).argv] });
  steps.push({
    step: "wait for the agent",
    action: plan.isolation
      ? "podman healthcheck run (the agent's own GET /global/health with its password) until healthy"
      : "GET http://127.0.0.1:<published port>/global/health with the password",
  });
  const hooks =
    resolved?.lifecycle.steps.filter((x) =>
      x.hook !== "initializeCommand" && x.hook !== "postAttachCommand"
    ) ?? [];
  const dotfilesStep: DryRunStep[] = dotfiles
    ? [{
      step: "dotfiles",
      action:
        `clone ${
          redactUrl(dotfiles.url)
        } on the host (before anything is created); copy it to ~/dotfiles ` +
        `and run ${
          dotfiles.script ?? "its install script (or link its dotfiles)"
        } in the workspace, then in the agent`,
    }]
    : [];
  const beforeStart = hooks.filter((h) => h.hook !== "postStartCommand");
  for (const s of beforeStart) {
    steps.push({
      step: s.hook,
      action: `podman container exec in the workspace, then in the agent`,
    });
  }
  steps.push(...dotfilesStep);
  for (const s of hooks.filter((h) => h.hook === "postStartCommand")) {
    steps.push({
      step: s.hook,
      action: `podman container exec in the workspace, then in the agent`,
    });
  }
  if (plan.task !== undefined) {
    steps.push({
      step: "task",
      action: "POST /session and /session/<id>/prompt_async with the task",
    });
  }
  return steps;
}
