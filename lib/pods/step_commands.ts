/**
 * The one translation of `up`'s plan steps into podman commands. `up` runs these commands (with
 * the bindings filled); the dry-run prints them (with `<binding>` in their place). Both call the
 * same builders, so what `--dry-run` shows is what `up` does.
 */
import { startTaskCommand } from "./agent_task.ts";
import type { BindingValues, Planned } from "../plan/bindings.ts";
import { fill, placeholders } from "../plan/bindings.ts";
import { USER_AND_OC } from "../plan/pod_plan.ts";
import type { PlannedSecret } from "../plan/pod_plan.ts";
import { linkShimsCommand } from "../plan/shim_links.ts";
import type { Created, Op, Step } from "../plan/up_plan.ts";
import type { BuildSpec, ContainerSpec, PodSpec } from "../plan/spec.ts";
import type { FeatureBuild } from "../features/build_features.ts";
import { join } from "node:path";
import * as p from "../podman/mod.ts";
import { LABELS } from "../labels.ts";
import { SYSTEMCTL, systemctlProgram } from "../systemd/systemd.ts";

/** How a step's templates become values: filled from bindings, or shown as `<name>`. */
export type Filler = <T>(value: Planned<T>) => T;

/** The filler of a running `up`. */
export function filler(values: BindingValues): Filler {
  return <T>(v: Planned<T>): T => fill<T>(v, values);
}

/** When `up` asks systemd whether the containers' services are active. */
export const UNITS_POLL = "every 250 ms until each is active";

/** The dry-run's filler: every binding as `<name>`. */
export const placeholderFiller: Filler = <T>(v: Planned<T>): T => placeholders<T>(v);

/** One command of a step, as the dry-run shows it: podman's, or systemctl's. */
export interface StepCommand {
  command: p.PodmanCommand<unknown>;
  /** The program and its leading flags when not podman (`systemctl --user`). */
  program?: readonly string[];
  /** What its stdin holds, never a secret's value (`<value of $VAR>`). */
  stdin?: string;
  /** When it runs, if not always (`the image is missing`). */
  when?: string;
}

/** The `podman build` of a Features image: offline (the base is already here), layer-cached. */
export function featureBuildSpec(build: FeatureBuild): BuildSpec {
  return {
    tag: build.tag,
    file: join(build.context, "Containerfile"),
    context: build.context,
    pull: "never",
    extraArgs: ["--layers"],
  };
}

/** `secret create` of a planned secret, with its value on stdin. */
export function secretCreateCommand(s: PlannedSecret, value: string): p.PodmanCommand<string> {
  return p.secretCreate(s.name, value, { labels: s.labels });
}

/** What a secret's stdin is shown as. */
function secretStdin(s: PlannedSecret): string {
  return "env" in s.source ? `<value of $${s.source.env}>` : "<a new random password>";
}

/** The exec that reads the workspace user's uid, gid and own `oc`. */
export function workspaceUserCommand(
  op: Extract<Op, { kind: "workspace-user" }>,
): p.PodmanCommand<p.ExecResult> {
  return p.containerExec({
    container: op.container,
    command: ["sh", "-c", USER_AND_OC, "sh", ...(op.remoteUser ? [op.remoteUser] : [])],
  });
}

/** The exec that hands the copied project to the workspace user. */
export function chownCommand(
  op: Extract<Op, { kind: "chown" }>,
  f: Filler,
): p.PodmanCommand<p.ExecResult> {
  return p.containerExec({
    container: op.container,
    user: "0",
    command: ["chown", "-R", f<string>(op.owner), op.target],
  });
}

/** The throwaway container that reads the workspace user's uid, gid and own `oc` (Quadlet). */
export function imageUserCommand(
  op: Extract<Op, { kind: "image-user" }>,
): p.PodmanCommand<p.ExecResult> {
  return p.containerRunOnce(op.image, "sh", [
    "-c",
    USER_AND_OC,
    "sh",
    ...(op.remoteUser ? [op.remoteUser] : []),
  ]);
}

/** The agent client's exec in the proxy's container (the task goes on stdin). */
export function taskCommand(
  op: Extract<Op, { kind: "task" }>,
  stdin?: Uint8Array,
): p.PodmanCommand<p.ExecResult> {
  if (!op.proxy) throw new Error("the task goes through the proxy only with isolation");
  return p.containerExec(
    { container: op.proxy.container, command: op.proxy.argv, interactive: true },
    stdin,
  );
}

/** The podman commands of a step, in order (none for a step done on the host). */
export function stepCommands(step: Step, f: Filler): StepCommand[] {
  const op = step.op;
  switch (op.kind) {
    case "leftovers": {
      const filter = { [LABELS.workspace]: op.workspace };
      return [
        { command: p.podPs(filter) },
        { command: p.containerPs(filter) },
        { command: p.volumeLs(filter) },
        { command: p.secretNames() },
        { command: p.networkLs(filter) },
        {
          command: p.secretInspect("<name>…"),
          when: "secrets exist (to read their labels)",
        },
        {
          command: p.podRm(`devaipod-${op.workspace}`, { force: true, timeoutSeconds: 0 }),
          when: "an unfinished up left its pod (then also its containers, secrets and networks)",
        },
      ];
    }
    case "user-secrets":
      return [{ command: p.secretNames() }];
    case "image":
      return op.build
        ? [
          { command: p.imageExists(op.image) },
          { command: p.imageBuild(op.build), when: "no image has this tag yet" },
        ]
        : [
          { command: p.imageExists(op.image) },
          { command: p.imagePull(op.image), when: "the image is not in local storage" },
        ];
    case "features":
      return [
        { command: p.imageExists(op.build.tag) },
        {
          command: p.imageInspect(op.build.base),
          when: "no image has this tag yet (its USER and label shape the Containerfile)",
        },
        {
          command: p.imageBuild(featureBuildSpec(op.build)),
          when: `no image has this tag yet; ${op.build.context}/Containerfile installs ${
            op.build.features.map((f) => f.userId).join(", ")
          } in this order`,
        },
      ];
    case "inspect-image":
      return [{ command: p.imageInspect(op.image) }];
    case "secret":
      return [{
        command: secretCreateCommand(op.secret, ""),
        stdin: secretStdin(op.secret),
      }];
    case "volume":
      return [{
        command: p.volumeCreate(op.volume.name, {
          labels: f<Record<string, string>>(op.volume.labels),
        }),
        when: "an earlier up of this name left no such volume (else it is adopted)",
      }];
    case "import":
      return [{ command: p.volumeImport(op.volume, f<string>(op.archive)) }];
    case "network":
      return [{ command: p.networkCreate(op.network) }];
    case "addresses":
      return [{ command: p.networkInspect(op.internal, op.link) }];
    case "subnets":
      return [{ command: p.networkLs() }];
    case "image-user":
      return [{ command: imageUserCommand(op) }];
    case "units": {
      const program = systemctlProgram(op.scope);
      return [
        { program, command: p.voidCommand(SYSTEMCTL.daemonReload()) },
        { program, command: p.voidCommand(SYSTEMCTL.start(op.service)) },
        {
          program,
          command: p.voidCommand(SYSTEMCTL.isActive(op.containers)),
          when: UNITS_POLL,
        },
      ];
    }
    case "pod":
      return [{ command: p.podCreate(f<PodSpec>(op.pod)) }];
    case "container":
      return [{ command: p.containerRun(f<ContainerSpec>(op.container)) }];
    case "workspace-user":
      return [{ command: workspaceUserCommand(op) }];
    case "chown":
      return [{ command: chownCommand(op, f) }];
    case "link-shims":
      return [{
        command: p.containerExec({
          container: op.container,
          user: "0",
          command: linkShimsCommand(),
        }),
      }];
    case "agent-port":
      return [{ command: p.containerPort(op.container, op.port) }];
    case "wait-agent":
      return op.via === "healthcheck"
        ? [
          { command: p.healthcheckRun(op.container), when: "every 250 ms until healthy" },
          { command: p.containerLogs(op.container, { tail: 15 }), when: "it never became healthy" },
        ]
        : [{ command: p.healthcheckRun(op.container), when: "once healthy (its first record)" }];
    case "hooks":
      return [
        { command: p.containerInspect(op.workspace) },
        { command: p.containerInspect(op.agent) },
      ];
    case "task":
      if (op.exec) {
        return [{ command: startTaskCommand(op.exec.container, op.exec.argv, op.exec.workdir) }];
      }
      return op.via === "proxy"
        ? [{ command: taskCommand(op), stdin: "<the task and the password>" }]
        : [];
    case "dotfiles":
    case "initialize":
    case "agent-binary":
    case "shims":
    case "copy":
    case "allow-file":
    case "scopes-file":
    case "gator-program":
      return [];
  }
}

/** The command that removes what a step created, for rollback; none for volumes (user data). */
export function undoCommand(created: Created): p.PodmanCommand<unknown> | undefined {
  switch (created.kind) {
    case "secret":
      return p.secretRm([created.name]);
    case "network":
      return p.networkRm([created.name], { force: true });
    case "pod":
      return p.podRm(created.name, { force: true, timeoutSeconds: 0 });
    case "container":
      return p.containerRm([created.name], { force: true, timeoutSeconds: 0 });
    case "volume":
    case "units":
      // Units are undone by the Quadlet backend (stop, remove the files, reload), not by podman.
      return undefined;
  }
}
