/**
 * `devaipod up`'s podman backend: runs the steps of an {@link UpPlan} in order, with progress,
 * each podman command built by the one translation the dry-run prints (step_commands.ts). When a
 * step fails or the user interrupts, everything this run created is removed again, from the same
 * step list — except volumes, which may hold the user's work; a later `up` of the same name
 * adopts them, and only `delete --volumes` removes them.
 */
import { fetchPinnedBinary } from "../agents/fetch_binary.ts";
import { agentPlatform, cachedPackageDir, OPENCODE_VERSION } from "../agents/opencode.ts";
import { AGENT_VERSIONS, builtinProfile, nodePin } from "../agents/profiles.ts";
import { agentPin } from "../agents/agent_version.ts";
import type { Progress } from "../util/progress.ts";
import { containerExecutor, hostExecutor } from "../devcontainer/executors.ts";
import { hooksFor, runSteps, splitAtWaitFor } from "../devcontainer/lifecycle.ts";
import type { LifecycleStep } from "../devcontainer/lifecycle.ts";
import type { HookName } from "../devcontainer/schema.ts";
import { envListToObject, substituteContainerEnv } from "../devcontainer/substitute.ts";
import { ConflictError, FailedError, InterruptedError, NotFoundError } from "../errors.ts";
import { LABELS } from "../labels.ts";
import type { BindingValues } from "../plan/bindings.ts";
import { copyBindings } from "../plan/bindings.ts";
import {
  addressBindings,
  AGENT_USER,
  DEFAULT_PATH,
  networkAddresses,
  withWorkspaceEnv,
} from "../plan/pod_plan.ts";
import type { PodPlan } from "../plan/pod_plan.ts";
import type { Op, Step, UpPlan } from "../plan/up_plan.ts";
import * as p from "../podman/mod.ts";
import type { Podman } from "../podman/mod.ts";
import { sendFirstPrompt, waitForSession, waitHealthy } from "./agent_http.ts";
import type { AgentEndpoint, TaskOutcome } from "./agent_http.ts";
import { isComplete, workspaceObjects } from "./inventory.ts";
import { startTaskCommand, waitForCliTask } from "./agent_task.ts";
import { removedAny, removeWorkspaceObjects } from "./remove.ts";
import {
  archiveCopy,
  branchCopy,
  cloneProject,
  copyFromVolume,
  disposeCopy,
  migrationNotes,
} from "./source.ts";
import type { ProjectCopy } from "./source.ts";
import { linkShims, writeShims } from "./shims.ts";
import { DOTFILES_UNPACK, fetchDotfiles, withDotfilesStep } from "./dotfiles.ts";
import type { Dotfiles } from "./dotfiles.ts";
import { redactUrl } from "../sources/parse.ts";
import { createHooksDone, markCreateHooksDone, workspaceDirs } from "./state.ts";
import { quadletInputFromPlan } from "../quadlet/from_pod_plan.ts";
import { allServices, waitServices } from "./quadlet_workspace.ts";
import { installedUnits, installUnits, removeUnitFiles } from "../quadlet/install.ts";
import { renderQuadlet } from "../quadlet/render.ts";
import type { Systemd } from "../systemd/systemd.ts";
import { join } from "node:path";
import { ensureGatorProgram } from "../gator/bundle.ts";
import { buildFeatureImage } from "./feature_image.ts";
import { parseScope } from "../gator/scopes.ts";
import { scopesFileText } from "../gator/scopes_file.ts";
import {
  chownCommand,
  type Filler,
  filler,
  imageUserCommand,
  secretCreateCommand,
  stepCommands,
  taskCommand,
  undoCommand,
  workspaceUserCommand,
} from "./step_commands.ts";

/** What `up` needs from its surroundings. */
export interface UpDeps {
  podman: Podman;
  hostEnv: Readonly<Record<string, string>>;
  progress: Progress;
  /** Hook output and notes (stderr unless quiet). */
  log: (text: string) => void;
  cacheDir: string;
  stateDir: string;
  /** Test hook: stop the process (as SIGKILL would) after this many podman steps. */
  stopAfterStep?: number;
  /** The systemd manager that runs Quadlet units (`up --backend quadlet` only). */
  systemd?: Systemd;
}

/** What `up` made. */
export interface UpResult {
  workspace: string;
  pod: string;
  image: string;
  /** The agent's server as seen from the host. */
  agentUrl: string;
  containers: { workspace: string; agent: string };
  volumes: string[];
  task?: string;
  sessionId?: string;
  seconds: number;
  /** Milestones in ms since the devaipod process started (for benchmarks and diagnosis). */
  timings: { workspaceReadyMs: number | null; agentReadyMs: number | null; doneMs: number | null };
}

/** Fails when a forwardPorts port is already taken on 127.0.0.1 (before anything is published). */
export function checkPortsFree(ports: readonly number[]): void {
  const taken = ports.filter((port) => {
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return false;
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse) return true;
      throw err;
    }
  });
  if (taken.length) {
    throw new ConflictError(
      `forwardPorts: ${taken.join(", ")} ${
        taken.length === 1 ? "is" : "are"
      } already in use on 127.0.0.1`,
      {
        hint: "stop what listens there, or change forwardPorts in devcontainer.json",
      },
    );
  }
}

/** Polls the agent's own health check (`podman healthcheck run`) until healthy or `timeoutMs`. */
export async function waitHealthCheck(
  podman: Podman,
  container: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !podman.interrupted) {
    if (await podman.run(p.healthcheckRun(container), { timeoutMs: 10_000 }).catch(() => false)) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * The workspace user's bindings from `USER_AND_OC`'s output (uid, gid, `oc` or `none`). The
 * agent runs as the workspace's user (never root: uid 0 becomes 1000:1000), so both can edit the
 * same files.
 */
export function userBindings(ids: p.ExecResult): BindingValues {
  const [uidText, gidText, ocText] = ids.stdout.trim().split("\n");
  let uid = Number(uidText);
  let gid = Number(gidText);
  if (ids.code !== 0 || uidText === "" || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new FailedError(
      `cannot find the workspace user's uid in the image: ${ids.stderr.trim()}`,
    );
  }
  if (uid === 0) [uid, gid] = [1000, 1000];
  return {
    "user.uid": String(uid),
    "user.gid": String(gid),
    "user.oc": ocText === "oc" ? "oc" : "none",
  };
}

/** What `up` applies: its plan, and where the project is. */
export interface UpRequest {
  plan: UpPlan;
  /** The project folder (absolute). */
  projectPath: string;
  /** The project came from a URL or pull request (the note when its volume is adopted). */
  fromSource?: boolean;
}

/** Runs `up`: the plan's steps, in order, on podman; on failure, rolls back from the same list. */
export class Up {
  readonly #deps: UpDeps;
  readonly #req: UpRequest;
  /** Undo actions for what this run created, newest last. */
  readonly #undo: { what: string; run: () => Promise<unknown> }[] = [];
  #counted = 0;
  /** When milestones were reached, in ms since the process started. */
  readonly #marks: { workspaceReady?: number; agentReady?: number } = {};
  /** The bindings produced so far. */
  readonly #values: BindingValues = {};
  /** What the run learned that is not a binding. */
  #existing = new Set<string>();
  #dotfiles: Dotfiles | undefined;
  #password = "";
  #copy: ProjectCopy | undefined;
  /** The further projects' temporary copies (gone with the first one's). */
  #projectCopies: ProjectCopy[] = [];
  #endpoint: AgentEndpoint | undefined;
  #sessionId: string | undefined;
  /** A CLI agent's task was started. */
  #cliTask = false;
  /** The id of the step running now ("rollback" while rolling back). */
  #current = "";

  constructor(req: UpRequest, deps: UpDeps) {
    this.#req = req;
    this.#deps = deps;
  }

  /** The id of the plan step running now: each podman call belongs to it (the contract test). */
  get currentStep(): string {
    return this.#current;
  }

  /** The bindings this run produced (for the contract test). */
  get values(): Readonly<BindingValues> {
    return this.#values;
  }

  /** Runs a podman command of the current step. */
  #run<T>(command: p.PodmanCommand<T>, options?: p.PodmanRunOptions): Promise<T> {
    return this.#deps.podman.run(command, options);
  }

  /** Counts a step that changed something; the test hook stops the process here. */
  #stepDone(): void {
    this.#counted++;
    if (this.#deps.stopAfterStep !== undefined && this.#counted >= this.#deps.stopAfterStep) {
      // Simulates SIGKILL: no cleanup, no message.
      Deno.exit(137);
    }
  }

  /** Runs up; on failure removes what it created (not volumes) and rethrows. */
  async run(): Promise<UpResult> {
    const started = performance.now();
    try {
      await this.#apply();
      const ms = (t?: number) => (t === undefined ? null : Math.round(t));
      const plan = this.#req.plan.pod;
      return {
        workspace: plan.workspace,
        pod: plan.pod.name,
        image: plan.image,
        agentUrl: this.#endpoint?.url ?? plan.agentUrl,
        containers: {
          workspace: plan.workspaceContainer.name,
          agent: plan.agentContainer.name,
        },
        volumes: plan.volumes.map((v) => v.name),
        ...(plan.task !== undefined ? { task: plan.task } : {}),
        ...(this.#sessionId ? { sessionId: this.#sessionId } : {}),
        seconds: (performance.now() - started) / 1000,
        timings: {
          workspaceReadyMs: ms(this.#marks.workspaceReady),
          agentReadyMs: ms(this.#marks.agentReady),
          doneMs: ms(performance.now()),
        },
      };
    } catch (err) {
      await this.#rollback(err);
      throw err;
    } finally {
      if (this.#copy) await disposeCopy(this.#copy);
      for (const copy of this.#projectCopies.splice(0)) await disposeCopy(copy);
    }
  }

  async #rollback(err: unknown): Promise<void> {
    if (this.#undo.length === 0) return;
    const why = err instanceof InterruptedError ? "interrupted" : "failed";
    this.#deps.log(`up ${why}: removing what it created (volumes are kept)\n`);
    this.#current = "rollback";
    for (const { what, run } of this.#undo.reverse()) {
      try {
        await run();
      } catch (undoErr) {
        this.#deps.log(
          `  could not remove ${what}: ${(undoErr as Error).message.split("\n")[0]}\n`,
        );
      }
    }
  }

  /** The steps in order; a group's steps at once, counted when all are done. */
  async #apply(): Promise<void> {
    const steps = this.#req.plan.steps;
    const due = (s: Step) => s.when === undefined || this.#values[s.when] !== undefined;
    for (let start = 0; start < steps.length;) {
      const step = steps[start] as Step;
      let end = start + 1;
      while (step.group && steps[end]?.group === step.group) end++;
      const batch = steps.slice(start, end).filter(due);
      start = end;
      if (!step.group) {
        if (due(step)) await this.#step(step);
        continue;
      }
      if (batch.length === 0) continue;
      await this.#deps.progress.step(batch.map((s) => s.title).join("; "), async () => {
        const settled = await Promise.allSettled(batch.map((s) => this.#step(s, false)));
        const failed = settled.find((r) => r.status === "rejected");
        if (failed) throw failed.reason;
      });
      if (step.group === "imports") await this.#afterImports();
      for (const s of batch) if (s.counted) this.#stepDone();
    }
  }

  /** Runs one step: its undo registered (before, for a pod or a container), then counted. */
  async #step(step: Step, count = true): Promise<void> {
    this.#current = step.id;
    const undo = step.creates ? undoCommand(step.creates) : undefined;
    const early = step.creates?.kind === "pod" || step.creates?.kind === "container";
    const register = () => {
      if (undo && step.creates) {
        this.#undo.push({
          what: `${step.creates.kind} ${step.creates.name}`,
          run: () => this.#run(undo, { cleanup: true }),
        });
      }
    };
    if (early) register();
    const changed = await this.#do(step);
    if (!early && changed !== false) register();
    if (count && step.counted && changed !== false) this.#stepDone();
  }

  /** The project's temporary copy is gone once the volumes are filled. */
  async #afterImports(): Promise<void> {
    for (const copy of this.#projectCopies.splice(0)) await disposeCopy(copy);
    if (!this.#copy) return;
    const copy = this.#copy;
    this.#copy = undefined;
    await disposeCopy(copy);
  }

  /** What one step does; `false` when it changed nothing (an adopted volume, a cached image). */
  async #do(step: Step): Promise<boolean | void> {
    const { progress, log } = this.#deps;
    const f = filler(this.#values);
    const op = step.op;
    const commands = () => stepCommands(step, f);
    switch (op.kind) {
      case "leftovers":
        this.#existing = await this.#clearLeftovers(op.workspace, op.unitDir);
        return false;
      case "user-secrets":
        await this.#checkUserSecrets(op);
        return false;
      case "dotfiles":
        this.#dotfiles = await progress.step(
          `dotfiles: clone ${redactUrl(op.url)}`,
          () => fetchDotfiles({ url: op.url, ...(op.script ? { script: op.script } : {}) }),
        );
        return false;
      case "initialize":
        await progress.step(step.title, () => runSteps(op.steps, hostExecutor(op.cwd), log));
        return false;
      case "image": {
        const [exists, make] = commands();
        if (await this.#run(exists?.command as p.PodmanCommand<boolean>)) return false;
        const title = op.build ? `build ${op.image} from ${op.build.file}` : `pull ${op.image}`;
        await progress.step(title, async () => {
          try {
            await this.#run(make?.command as p.PodmanCommand<unknown>);
          } catch (err) {
            if (op.build || err instanceof InterruptedError) throw err;
            throw new NotFoundError(
              `image ${op.image} is not available: it is not in local storage and cannot be pulled`,
              { hint: "check the name, build it locally, or pull it yourself", cause: err },
            );
          }
        });
        return true;
      }
      case "features":
        return await buildFeatureImage(
          (command) => this.#run(command),
          op.build,
          (title, fn) => progress.step(title, fn),
        );
      case "inspect-image": {
        const [inspected] = await this.#run(p.imageInspect(op.image));
        const path = inspected?.Config?.Env.find((e) => e.startsWith("PATH="))?.slice(5);
        this.#values["image.path"] = path || DEFAULT_PATH;
        this.#values["image.arch"] = inspected?.Architecture ?? Deno.build.arch;
        return false;
      }
      case "agent-binary":
        this.#values["agent.binary"] = await this.#agentBinary(op.agent, op.version);
        return false;
      case "shims": {
        const agent = this.#req.plan.pod.agent;
        const options = {
          url: op.agentUrl,
          ...(op.injected ? {} : { agentBinary: "opencode" }),
          ...(agent.mode === "cli"
            ? { cliAgent: { title: agent.title, workspace: this.#req.plan.pod.workspace } }
            : {}),
        };
        if (op.imageOc === undefined) {
          // Before anything is created: a taken port would fail the pod half-way.
          checkPortsFree(this.#req.plan.pod.forwardPorts);
          await writeShims(op.dir, { oc: false, ...options });
        } else if (f<string>(op.imageOc) !== "oc") {
          await writeShims(op.dir, { oc: true, ...options });
        }
        return false;
      }
      case "secret": {
        const s = op.secret;
        const value = "env" in s.source
          ? this.#deps.hostEnv[s.source.env] ?? ""
          : this.#newPassword();
        await this.#run(secretCreateCommand(s, value));
        return true;
      }
      case "volume":
        if (this.#existing.has(op.volume.name)) {
          progress.note(`adopting volume ${op.volume.name} from an earlier up`);
          return false;
        }
        await this.#run(commands()[0]?.command as p.PodmanCommand<unknown>);
        return true;
      case "copy":
        await this.#copyProject(op);
        return false;
      case "import":
        await this.#run(commands()[0]?.command as p.PodmanCommand<unknown>);
        return true;
      case "allow-file":
        // Each entry once (the plan's list): `rebuild` passes back the whole file, defaults included.
        await Deno.writeTextFile(
          op.path,
          `# devaipod: hosts the agent may reach (one per line)\n${op.entries.join("\n")}\n`,
        );
        return false;
      case "scopes-file":
        await Deno.writeTextFile(
          op.path,
          scopesFileText(op.scopes.map((s) => parseScope(s, op.path))),
        );
        return false;
      case "gator-program":
        await ensureGatorProgram(op.runtime);
        return false;
      case "network":
        await this.#run(p.networkCreate(op.network));
        return true;
      case "addresses": {
        const inspected = await this.#run(p.networkInspect(op.internal, op.link));
        const [internal, link] = [op.internal, op.link].map((name) => {
          const subnet = inspected.find((x) => x.name === name)?.subnets
            .find((x) => x.subnet.includes("."))?.subnet;
          if (!subnet) throw new FailedError(`network ${name} has no IPv4 subnet`);
          return subnet;
        });
        Object.assign(
          this.#values,
          addressBindings(networkAddresses(internal as string, link as string)),
        );
        return false;
      }
      case "pod":
      case "container":
        await progress.step(
          step.title,
          () => this.#run(commands()[0]?.command as p.PodmanCommand<unknown>),
        );
        if (step.creates?.name === this.#req.plan.pod.workspaceContainer.name) {
          this.#marks.workspaceReady = performance.now();
        }
        return true;
      case "workspace-user":
        Object.assign(this.#values, userBindings(await this.#run(workspaceUserCommand(op))));
        return false;
      case "image-user":
        Object.assign(this.#values, userBindings(await this.#run(imageUserCommand(op))));
        return false;
      case "subnets": {
        await this.#checkSubnets(op);
        Object.assign(
          this.#values,
          addressBindings(networkAddresses(op.subnets.internal, op.subnets.link)),
        );
        return false;
      }
      case "units":
        await this.#startUnits(op, step.title);
        this.#marks.workspaceReady = performance.now();
        return true;
      case "chown": {
        const chown = await this.#run(chownCommand(op, f));
        if (chown.code !== 0) {
          throw new FailedError(
            `cannot hand the workspace to ${f<string>(op.owner)}: ${chown.stderr.trim()}`,
          );
        }
        return false;
      }
      case "link-shims":
        for (const line of await linkShims(this.#deps.podman, op.container)) {
          progress.note(line);
        }
        return false;
      case "agent-port": {
        const published = await this.#run(p.containerPort(op.container, op.port));
        this.#endpoint = { url: `http://127.0.0.1:${published.port}`, password: this.#password };
        return false;
      }
      case "wait-agent":
        await this.#waitAgent(op, step.title);
        return false;
      case "hooks":
        await runContainerHooks({ ...this.#deps, podman: this.#deps.podman }, {
          steps: op.steps,
          event: "create",
          workspace: op.workspace,
          remoteUser: op.remoteUser,
          agent: op.agent,
          agentUser: f<string>(AGENT_USER),
          workdir: op.workdir,
          hooksDir: workspaceDirs(this.#deps.stateDir, this.#req.plan.pod.workspace).hooks,
          remoteEnv: op.remoteEnv,
          waitFor: op.waitFor,
          ...(this.#dotfiles ? { dotfiles: this.#dotfiles } : {}),
        });
        return false;
      case "task":
        if (op.exec) {
          const { container, argv, workdir } = op.exec;
          await progress.step(step.title, async () => {
            const r = await this.#run(startTaskCommand(container, argv, workdir));
            if (r.code !== 0) {
              throw new FailedError(
                `the agent's task did not start: ${(r.stderr || r.stdout).trim()}`,
              );
            }
          });
          this.#cliTask = true;
          return false;
        }
        this.#sessionId = await progress.step(step.title, () => this.#sendTask(op, f));
        return false;
    }
  }

  /** No network on this host may already have one of the units' subnets. */
  async #checkSubnets(op: Extract<Op, { kind: "subnets" }>): Promise<void> {
    const ours = new Set([op.internal, op.link]);
    const wanted = new Set([op.subnets.internal, op.subnets.link]);
    for (const network of await this.#run(p.networkLs())) {
      if (ours.has(network.name)) continue;
      const clash = network.subnets.find((s) => wanted.has(s.subnet));
      if (clash) {
        throw new ConflictError(
          `network ${network.name} already has the subnet ${clash.subnet} this workspace's units need`,
          { hint: "pick the name of another workspace (--name), or remove that network" },
        );
      }
    }
  }

  /**
   * Renders the plan's pod as Quadlet units with the bindings learned so far, installs them,
   * reloads systemd and starts the pod's service. Its undo (registered before the start) stops
   * the service, removes the files, reloads, and removes the networks the units made.
   */
  async #startUnits(op: Extract<Op, { kind: "units" }>, title: string): Promise<void> {
    const systemd = this.#deps.systemd;
    if (!systemd) throw new Error("up --backend quadlet needs a systemd driver");
    const pod = this.#req.plan.pod;
    const subnets = {
      internal: this.#values["net.internalSubnet"] ?? "",
      link: this.#values["net.linkSubnet"] ?? "",
    };
    const units = renderQuadlet(quadletInputFromPlan(pod, {
      subnets,
      agentUser: {
        uid: Number(this.#values["user.uid"] ?? 1000),
        gid: Number(this.#values["user.gid"] ?? 1000),
      },
      values: this.#values,
    }));
    const rendered = units.map((u) => u.file).sort();
    if (rendered.join() !== [...op.files].sort().join()) {
      throw new FailedError(
        `the rendered units (${rendered.join(", ")}) are not the plan's (${op.files.join(", ")})`,
        { hint: "this is a bug in devaipod; rerun with --verbose and report the output" },
      );
    }
    const iso = pod.isolation;
    const networks = iso ? [iso.network.name, iso.linkNetwork.name] : [];
    this.#undo.push({
      what: `units ${op.service}`,
      run: async () => {
        // Every unit's service: the networks' and volumes' stay active after the pod's stop, and
        // would not make their objects again for the next up.
        await systemd.stop(allServices(op.service, op.files), { cleanup: true }).catch(() => {});
        await removeUnitFiles(op.files.map((f) => join(op.dir, f)));
        await systemd.daemonReload({ cleanup: true });
        if (networks.length) {
          await this.#run(p.networkRm(networks, { force: true }), { cleanup: true })
            .catch(() => {});
        }
      },
    });
    await this.#deps.progress.step(title, async () => {
      await installUnits(op.dir, units);
      const [reload, start] = stepCommands(
        { id: "units", title, op, produces: [], needs: [] },
        filler(this.#values),
      );
      await systemd.run(reload?.command.argv ?? []);
      await systemd.run(start?.command.argv ?? []);
      await this.#waitUnits(systemd, op);
    });
  }

  /** The containers' services must be active before the next step ({@link waitServices}). */
  #waitUnits(systemd: Systemd, op: Extract<Op, { kind: "units" }>): Promise<void> {
    return waitServices(systemd, op.containers, {
      interrupted: () => this.#deps.podman.interrupted,
    });
  }

  #newPassword(): string {
    this.#password ||= crypto.randomUUID().replaceAll("-", "") +
      crypto.randomUUID().replaceAll("-", "");
    return this.#password;
  }

  /** Removes leftovers of an earlier, unfinished `up` of this name (never its volumes). */
  async #clearLeftovers(workspace: string, unitDir?: string): Promise<Set<string>> {
    const podman = this.#deps.podman;
    const units = unitDir ? await installedUnits(unitDir, workspace) : [];
    if (units.length) {
      throw new ConflictError(
        `workspace ${workspace} already exists (its Quadlet units are in ${unitDir})`,
        {
          hint:
            `\`devaipod start ${workspace}\` starts it; \`devaipod delete ${workspace}\` removes it`,
        },
      );
    }
    const found = await workspaceObjects(podman, workspace);
    if (isComplete(found)) {
      throw new ConflictError(`workspace ${workspace} already exists`, {
        hint:
          `\`devaipod start ${workspace}\` starts it; \`devaipod delete ${workspace}\` removes it`,
      });
    }
    const removed = await removeWorkspaceObjects(podman, found, { volumes: false, cleanup: true });
    if (removedAny(removed)) {
      this.#deps.log(`removed the leftovers of an unfinished up of ${workspace}\n`);
    }
    return new Set(found.volumes.map((v) => v.Name));
  }

  /** The user's own podman secrets named in `[trusted] secrets` must exist before anything is made. */
  async #checkUserSecrets(op: Extract<Op, { kind: "user-secrets" }>): Promise<void> {
    const wanted = Object.entries(op.secrets);
    const names = new Set(await this.#run(p.secretNames()));
    const missing = wanted.filter(([, secret]) => !names.has(secret));
    if (missing.length === 0) return;
    const [variable, secret] = missing[0] ?? [];
    throw new NotFoundError(
      `${op.configFile ?? "user config"}: [trusted] secrets: ${variable}=${secret}: ` +
        `there is no podman secret named ${secret}${
          missing.length > 1 ? ` (nor ${missing.slice(1).map(([, s]) => s).join(", ")})` : ""
        }`,
      { hint: `create it first: printf %s "$VALUE" | podman secret create ${secret} -` },
    );
  }

  /**
   * The injected agent from the cache (fetched and checked when missing): opencode's binary, or
   * another profile's package folder (mounted whole: a binary and its companions, or a tree).
   */
  async #agentBinary(agent: string, version: string | undefined): Promise<string> {
    const arch = this.#values["image.arch"] ?? Deno.build.arch;
    const platform = agentPlatform(arch);
    const profile = builtinProfile(agent);
    if (!platform || profile?.install.kind !== "npm") {
      throw new FailedError(`${profile?.title ?? agent} has no Linux build for ${arch}`, {
        hint: agent === "opencode"
          ? 'use an image with its own opencode and set customizations.devaipod.agentBinary to "image"'
          : "use an image with the agent installed, as a custom profile ([agents.NAME])",
      });
    }
    const registry = this.#deps.hostEnv.DEVAIPOD_NPM_REGISTRY;
    const cacheDir = this.#deps.cacheDir;
    const install = profile.install;
    const shown = agent === "opencode"
      ? version ?? OPENCODE_VERSION
      : AGENT_VERSIONS[agent as keyof typeof AGENT_VERSIONS];
    return await this.#deps.progress.step(
      `agent binary ${agent} ${shown} (${platform})`,
      async () => {
        const pin = agent === "opencode"
          ? await agentPin(platform, version, { cacheDir, ...(registry ? { registry } : {}) })
          : install.pin(platform);
        const path = await fetchPinnedBinary(pin, {
          cacheDir,
          log: (l) => this.#deps.progress.note(l),
          ...(registry ? { registry } : {}),
        });
        if (agent === "opencode") return path;
        const dir = cachedPackageDir(cacheDir, pin);
        if (install.runtime === "node") {
          const node = await fetchPinnedBinary(nodePin(platform), {
            cacheDir,
            log: (l) => this.#deps.progress.note(l),
            ...(registry ? { registry } : {}),
          });
          await besideAs(node, join(dir, "node"));
        }
        return dir;
      },
    );
  }

  /**
   * The copy of the project: fills the human's volume when it was made now (or an adopted one
   * is empty), and the agent's clone when its volume is missing (or empty). A workspace made
   * before agents had their own clone gets the agent's clone from the human's current tree.
   * Produces the archives the imports read, and the commit the agent starts from.
   */
  async #copyProject(op: Extract<Op, { kind: "copy" }>): Promise<void> {
    const { progress } = this.#deps;
    const podman = this.#deps.podman;
    let populate = !this.#existing.has(op.workVolume);
    let fillAgent = !this.#existing.has(op.agentVolume);
    const adopted = [op.workVolume, op.agentVolume].filter((v) => this.#existing.has(v));
    if (adopted.length) {
      // An adopted volume may be empty when an earlier up stopped before filling it.
      const empty = await emptyVolumes(podman, this.#req.plan.pod, op.image, adopted);
      if (empty.has(op.workVolume)) populate = true;
      if (empty.has(op.agentVolume)) {
        // Made again, with the commit its clone will hold; nothing is lost.
        await podman.run(p.volumeRm([op.agentVolume]));
        this.#existing.delete(op.agentVolume);
        fillAgent = true;
      }
    }
    if (!populate && this.#req.fromSource) {
      progress.note(
        `${op.workVolume} keeps the files of an earlier up of this name, not this clone's (\`delete --volumes\` starts afresh)`,
      );
    }
    if (!populate && !fillAgent) return;
    const migrate = !populate;
    const label = migrate
      ? `the agent's clone into ${op.agentVolume} (from the human's tree in ${op.workVolume})`
      : `copy the project into ${op.workVolume}${fillAgent ? ` and ${op.agentVolume}` : ""} (${
        op.git ? "git clone of HEAD" : "files"
      })`;
    await progress.step(label, async () => {
      const copy = migrate
        ? await copyFromVolume(podman, op.workVolume, op.root)
        : await cloneProject(op.root, op.git);
      if (op.project === undefined) this.#copy = copy;
      else this.#projectCopies.push(copy);
      const names = copyBindings(op.project);
      // Both archives first (the agent's once its branch is made); the imports run at once.
      if (populate) this.#values[names.work] = await archiveCopy(copy);
      if (fillAgent && copy.commit) await branchCopy(copy, op.branch);
      if (fillAgent) this.#values[names.agent] = await archiveCopy(copy);
      if (copy.commit) this.#values[names.commit] = copy.commit;
      if (populate && copy.commit) progress.note(`at commit ${copy.commit.slice(0, 12)}`);
      if (!fillAgent) return;
      if (migrate) {
        for (
          const line of migrationNotes({
            workVolume: op.workVolume,
            agentVolume: op.agentVolume,
            branch: op.branch,
            commit: copy.commit,
            hooks: copy.hooks,
          })
        ) progress.note(line);
      } else if (copy.commit) {
        progress.note(`the agent's clone: branch ${op.branch}`);
      }
    });
  }

  async #waitAgent(op: Extract<Op, { kind: "wait-agent" }>, title: string): Promise<void> {
    const { podman, progress } = this.#deps;
    await progress.step(title, async () => {
      const healthy = this.#endpoint && op.via === "http"
        ? await waitHealthy(this.#endpoint, op.timeoutSeconds * 1000)
        : await waitHealthCheck(this.#deps.podman, op.container, op.timeoutSeconds * 1000);
      if (podman.interrupted) throw new InterruptedError();
      const agent = this.#req.plan.pod.agent;
      if (!healthy && agent.mode === "cli") {
        const probe = this.#req.plan.pod.agentContainer.healthCheck?.command.at(-1);
        throw new FailedError(
          `${agent.title}'s program is not in the agent container (its check: ${probe})`,
          {
            hint: agent.name in AGENT_VERSIONS
              ? 'with customizations.devaipod.agentBinary "image", the image must have it on its PATH'
              : "a custom agent runs what the image brings: install it in the image",
          },
        );
      }
      if (!healthy) {
        const logs = await this.#run(p.containerLogs(op.container, { tail: 15 })).catch(() => ({
          stdout: "",
          stderr: "",
        }));
        const tail = (logs.stdout + logs.stderr).trim().split("\n").slice(-15).join("\n  ");
        throw new FailedError(
          `the agent did not become healthy within ${op.timeoutSeconds}s; its last log lines:\n  ${
            tail || "(none)"
          }`,
          { hint: "raise --ready-timeout, or look at `devaipod logs NAME -c agent`" },
        );
      }
    });
    this.#marks.agentReady = performance.now();
    // Without isolation the wait was over HTTP: record a first health state (podman's own timer
    // runs it from now on, where systemd is there).
    if (op.via === "http") {
      await this.#run(p.healthcheckRun(op.container)).catch(() => false);
    }
  }

  /**
   * After {@link run}: waits until the agent finished the task `up` gave it, or `timeoutMs`
   * passed (`running`). Through the proxy's agent client with isolation, else the published port.
   */
  async waitForTask(timeoutMs: number): Promise<TaskOutcome> {
    const step = this.#req.plan.steps.find((s) => s.op.kind === "task");
    const op = step?.op.kind === "task" ? step.op : undefined;
    if (op?.exec && this.#cliTask) {
      const output = this.#req.plan.pod.agent.output ?? "text";
      return await waitForCliTask(this.#deps.podman, op.exec.container, output, timeoutMs);
    }
    const sessionId = this.#sessionId;
    if (!op || !sessionId) throw new Error("up gave the agent no task to wait for");
    if (!op.proxy) {
      if (!this.#endpoint) throw new Error("the agent's port is not known");
      return await waitForSession(this.#endpoint, sessionId, timeoutMs);
    }
    const f = filler(this.#values);
    const request = {
      url: f<string>(op.proxy.url),
      password: this.#password,
      wait: { sessionId, timeoutMs },
    };
    const r = await this.#run(
      taskCommand(op, new TextEncoder().encode(JSON.stringify(request))),
    );
    let answer: { outcome?: TaskOutcome; error?: string };
    try {
      answer = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}");
    } catch {
      answer = { error: (r.stderr || r.stdout).trim() || `exit ${r.code}` };
    }
    if (!answer.outcome) {
      throw new FailedError(`could not follow the agent's work: ${answer.error ?? "no answer"}`);
    }
    return answer.outcome;
  }

  async #sendTask(op: Extract<Op, { kind: "task" }>, f: Filler): Promise<string> {
    if (!op.proxy) {
      if (!this.#endpoint) throw new Error("the agent's port is not known");
      return await sendFirstPrompt(this.#endpoint, op.task);
    }
    const request = { url: f<string>(op.proxy.url), password: this.#password, task: op.task };
    const r = await this.#run(
      taskCommand(op, new TextEncoder().encode(JSON.stringify(request))),
    );
    let answer: Record<string, unknown>;
    try {
      answer = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}");
    } catch {
      answer = { error: (r.stderr || r.stdout).trim() || `exit ${r.code}` };
    }
    if (typeof answer.sessionId !== "string") {
      throw new FailedError(`the agent did not take the task: ${answer.error ?? "no session"}`);
    }
    return answer.sessionId;
  }
}

/**
 * Which of a workspace's adopted `volumes` are empty (an earlier up stopped before filling
 * them): one throwaway container lists them all, read-only.
 */
async function emptyVolumes(
  podman: Podman,
  plan: PodPlan,
  image: string,
  volumes: readonly string[],
): Promise<Set<string>> {
  const listing = await podman.run(p.containerRun({
    name: `${plan.pod.name}-probe`,
    image,
    labels: { [LABELS.workspace]: plan.workspace, [LABELS.role]: "probe" },
    mounts: volumes.map((v, i) => ({
      type: "volume",
      source: v,
      target: `/v${i}`,
      readonly: true,
    })),
    entrypoint: [
      "/bin/sh",
      "-c",
      volumes.map((_, i) => `echo "${i}=$(ls -A /v${i} | head -n 1)"`).join("; "),
    ],
  }));
  const code = await podman.run(p.containerWait(listing));
  const out = await podman.run(p.containerLogs(listing));
  await podman.run(p.containerRm([listing], { force: true }), { cleanup: true });
  if (code !== 0) return new Set();
  const lines = new Set(out.stdout.split("\n"));
  return new Set(volumes.filter((_, i) => lines.has(`${i}=`)));
}

/** Which container to run hooks in, and how. */
export interface HookTargets {
  steps: readonly LifecycleStep[];
  event: "create" | "start";
  workspace: string;
  remoteUser?: string | undefined;
  agent: string;
  agentUser: string;
  workdir: string;
  hooksDir: string;
  remoteEnv?: Readonly<Record<string, string | null>> | undefined;
  /** The last hook before the workspace counts as ready. */
  waitFor?: HookName | undefined;
  /** Dotfiles to install with the create hooks (after postCreateCommand). */
  dotfiles?: Dotfiles;
}

/**
 * Runs the hooks of `event` in both containers: after a create (or at the first start of a
 * container whose create hooks never completed) onCreate, updateContent, postCreate and
 * postStart; at later starts postStart only. postAttach runs at attach (`ssh`, interactive `exec`).
 */
export async function runContainerHooks(
  deps: Pick<UpDeps, "podman" | "progress" | "log">,
  t: HookTargets,
): Promise<void> {
  const { podman, progress, log } = deps;
  const targets = [
    { role: "workspace", container: t.workspace, user: t.remoteUser },
    { role: "agent", container: t.agent, user: t.agentUser },
  ];
  // Per container: its steps for this event, how to run them, and whether creation is done.
  const plans = [];
  for (const target of targets) {
    const [inspected] = await podman.run(p.containerInspect(target.container));
    if (!inspected) continue;
    const done = await createHooksDone(t.hooksDir, inspected.Id);
    const creating = t.event === "create" || !done;
    const hooks: HookName[] = (creating ? hooksFor("create") : hooksFor("start"))
      .filter((h) => h !== "postAttachCommand");
    const env = t.remoteEnv && target.role === "workspace"
      ? substituteContainerEnv(
        Object.fromEntries(
          Object.entries(t.remoteEnv).filter((e): e is [string, string] => e[1] !== null),
        ),
        envListToObject(inspected.Config.Env),
      )
      : undefined;
    const exec = containerExecutor(podman, target.container, {
      workdir: t.workdir,
      ...(target.user ? { user: target.user } : {}),
      ...(env ? { env } : {}),
      ...(target.role === "workspace" ? { wrap: withWorkspaceEnv } : {}),
    });
    const steps = t.steps.filter((s) => hooks.includes(s.hook));
    const withDotfiles = creating && t.dotfiles !== undefined;
    plans.push({
      ...target,
      id: inspected.Id,
      done,
      exec,
      withDotfiles,
      steps: withDotfiles ? withDotfilesStep(steps, t.dotfiles?.script) : steps,
    });
  }
  const dotfiles = t.dotfiles;
  const receivers = plans.filter((x) => x.withDotfiles);
  if (dotfiles && receivers.length) {
    await progress.step(
      `dotfiles ${dotfiles.commit.slice(0, 12)} into ~/dotfiles of the ${
        receivers.map((x) => x.role).join(" and the ")
      }`,
      async () => {
        for (const x of receivers) {
          const r = await podman.run(
            p.containerExec({
              container: x.container,
              command: ["/bin/sh", "-c", DOTFILES_UNPACK],
              ...(x.user ? { user: x.user } : {}),
            }, dotfiles.tarball),
          );
          if (r.code !== 0) {
            throw new FailedError(
              `cannot copy the dotfiles into the ${x.role}: ${r.stderr.trim() || `exit ${r.code}`}`,
              { hint: "the image needs sh, mkdir and tar" },
            );
          }
        }
      },
    );
  }
  // The hooks up to waitFor in both containers come first: then the workspace counts as ready.
  const phases = plans.map((x) => ({ ...x, ...splitAtWaitFor(x.steps, t.waitFor) }));
  for (const phase of ["beforeReady", "afterReady"] as const) {
    for (const x of phases) {
      const steps = x[phase];
      if (steps.length === 0) continue;
      const names = [...new Set(steps.map((s) => s.origin === "dotfiles" ? "dotfiles" : s.hook))]
        .join(", ");
      await progress.step(`${names} in the ${x.role}`, () => runSteps(steps, x.exec, log));
    }
    if (phase === "beforeReady" && phases.some((x) => x.afterReady.length > 0)) {
      progress.note(
        `ready after ${t.waitFor ?? "updateContentCommand"} (waitFor); the later hooks run now`,
      );
    }
  }
  for (const x of plans) if (!x.done) await markCreateHooksDone(t.hooksDir, x.id);
}

/** Puts the file `source` at `target` (a hard link, else a copy), unless a file of its size is there. */
async function besideAs(source: string, target: string): Promise<void> {
  const [from, to] = await Promise.all([
    Deno.stat(source),
    Deno.stat(target).catch(() => undefined),
  ]);
  if (to?.isFile && to.size === from.size) return;
  await Deno.remove(target).catch(() => {});
  await Deno.link(source, target).catch(() => Deno.copyFile(source, target));
}
