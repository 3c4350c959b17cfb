/**
 * `devaipod up`: applies a {@link PodPlan} with podman, step by step, with progress. When a step
 * fails or the user interrupts, everything this run created is removed again — except volumes,
 * which may hold the user's work; a later `up` of the same name adopts them, and only
 * `delete --volumes` removes them.
 */
import { fetchPinnedBinary } from "../agents/fetch_binary.ts";
import { agentPlatform, OPENCODE_VERSION } from "../agents/opencode.ts";
import { agentPin } from "../agents/agent_version.ts";
import type { Progress } from "../cli/progress.ts";
import { containerExecutor, hostExecutor } from "../devcontainer/executors.ts";
import { hooksFor, runSteps, splitAtWaitFor } from "../devcontainer/lifecycle.ts";
import type { LifecycleStep } from "../devcontainer/lifecycle.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import type { HookName } from "../devcontainer/schema.ts";
import { envListToObject, substituteContainerEnv } from "../devcontainer/substitute.ts";
import {
  ConfigError,
  ConflictError,
  FailedError,
  InterruptedError,
  NotFoundError,
  UsageError,
} from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import {
  AGENT_PORT,
  networkAddresses,
  planPod,
  podWithAddresses,
  USER_AND_OC,
  withAddresses,
  withAgentBase,
  withAgentUser,
  withWorkspaceEnv,
} from "../plan/pod_plan.ts";
import { CONTAINER_PROGRAMS, containerDenoArgv, RUNTIME_PATHS } from "../plan/pod_plan.ts";
import type { NetworkAddresses, ProxyRuntime } from "../plan/pod_plan.ts";
import { join } from "node:path";
import type { PodPlan } from "../plan/pod_plan.ts";
import * as p from "../podman/mod.ts";
import type { Podman } from "../podman/mod.ts";
import { sha256Hex } from "../util/hash.ts";
import { sendFirstPrompt, waitHealthy } from "./agent_http.ts";
import type { AgentEndpoint } from "./agent_http.ts";
import { isComplete, workspaceObjects } from "./inventory.ts";
import {
  archiveCopy,
  branchCopy,
  cloneProject,
  copyFromVolume,
  disposeCopy,
  gitRoot,
  isGitProject,
  migrationNotes,
} from "./source.ts";
import { linkShims, writeShims } from "./shims.ts";
import { DOTFILES_UNPACK, fetchDotfiles, withDotfilesStep } from "./dotfiles.ts";
import { redactUrl } from "../sources/parse.ts";
import type { Dotfiles, DotfilesConfig } from "./dotfiles.ts";
import { createHooksDone, markCreateHooksDone, workspaceDirs } from "./state.ts";

/** What `up` was asked. */
export interface UpRequest {
  /** The project folder (absolute). */
  projectPath: string;
  workspace: string;
  resolved?: ResolvedConfig;
  /** `--image`: run this image (overrides the config's image/build). */
  image?: string;
  task?: string;
  noPrompt?: boolean;
  readyTimeoutSeconds: number;
  /** More host variables the agent may receive (the user config's `[env] allowlist`). */
  envAllowlist?: readonly string[];
  /** The user config's `[env.vars]` (both containers) and `[trusted.env]` (workspace only). */
  envVars?: Readonly<Record<string, string>>;
  trustedEnv?: Readonly<Record<string, string>>;
  /** devcontainer.json `secrets` with their values (from the host), for the workspace only. */
  workspaceSecrets?: Readonly<Record<string, string>>;
  /** `[trusted] secrets`: variable → the user's own podman secret (checked, never removed). */
  userSecrets?: Readonly<Record<string, string>>;
  /** The user's dotfiles (user config `[dotfiles]`), installed after postCreateCommand. */
  dotfiles?: DotfilesConfig;
  /** More pod labels (where a URL source came from). */
  labels?: Readonly<Record<string, string>>;
  /** devaipod's runtime for the SSH bridge's helper in the workspace. */
  helperRuntime?: ProxyRuntime;
  /** `[agent] version`: another opencode release than the pinned one. */
  agentVersion?: string;
  /** Where `userSecrets` were configured (for the error when one is missing). */
  userConfigFile?: string;
  /**
   * Egress isolation: the agent behind devaipod's proxy (absent: the agent shares the pod's
   * network). `allow`: hosts beyond the agent profile's and the config's `allowedDomains` (the
   * user config's `[network-isolation] allowed_domains`, `--allow`).
   */
  isolation?: { egressNetwork: string; runtime: ProxyRuntime; allow: readonly string[] };
}

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

/** The tag of an image built for a workspace's Dockerfile config (content-addressed by its inputs). */
export async function builtImageTag(
  resolved: ResolvedConfig,
): Promise<{ tag: string; hash: string }> {
  const source = resolved.source;
  if (source.kind !== "dockerfile") throw new Error("not a Dockerfile config");
  const hash = (await sha256Hex(JSON.stringify({
    dockerfile: await Deno.readTextFile(source.dockerfile),
    context: source.context,
    args: source.args,
    target: source.target ?? null,
    options: source.options,
  }))).slice(0, 16);
  return { tag: `localhost/devaipod/${resolved.devcontainerId.slice(0, 12)}:${hash}`, hash };
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

/** Asks the agent something from inside the internal network: through the proxy sidecar. */
export async function agentClient(
  podman: Podman,
  plan: PodPlan,
  request: { url: string; password: string; task?: string },
): Promise<Record<string, unknown>> {
  const proxy = plan.isolation?.proxyContainer;
  if (!proxy) throw new Error("no proxy sidecar");
  const command = proxy.entrypoint?.[0] === RUNTIME_PATHS.deno
    ? containerDenoArgv(CONTAINER_PROGRAMS.agentClient, ["--allow-net"])
    : [RUNTIME_PATHS.binary, "agent-client"];
  const r = await podman.run(
    p.containerExec(
      { container: proxy.name, command },
      new TextEncoder().encode(JSON.stringify(request)),
    ),
  );
  try {
    return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}");
  } catch {
    return { error: (r.stderr || r.stdout).trim() || `exit ${r.code}` };
  }
}

/** What {@link prepareImage} needs: podman, progress, and how to run a step that changes something. */
export interface PrepareImageDeps {
  podman: Podman;
  progress: Progress;
  /** Runs a build or pull (up counts them as steps); default `podman.run`. */
  run?: <T>(command: p.PodmanCommand<T>) => Promise<T>;
}

/**
 * The image a workspace runs: `explicit` (--image) or the config's image, pulled when missing, or
 * the config's Dockerfile built (reused when its content hash was built before). Creates no
 * workspace object, so `rebuild` calls it before it removes anything.
 */
export async function prepareImage(
  deps: PrepareImageDeps,
  resolved: ResolvedConfig | undefined,
  explicit: string | undefined,
  workspace: string,
): Promise<string> {
  const { podman, progress } = deps;
  const run = deps.run ?? (<T>(command: p.PodmanCommand<T>) => podman.run(command));
  if (!explicit && resolved?.source.kind === "dockerfile") {
    const source = resolved.source;
    const { tag, hash } = await builtImageTag(resolved);
    if (await podman.run(p.imageExists(tag))) return tag;
    await progress.step(
      `build ${tag} from ${source.dockerfile}`,
      () =>
        run(p.imageBuild({
          tag,
          file: source.dockerfile,
          context: source.context,
          buildArgs: source.args,
          ...(source.target ? { target: source.target } : {}),
          labels: { [LABELS.configHash]: hash, [LABELS.workspace]: workspace },
          extraArgs: [...source.cacheFrom.flatMap((c) => ["--cache-from", c]), ...source.options],
        })),
    );
    return tag;
  }
  if (!explicit && resolved?.source.kind === "compose") {
    throw new ConfigError("Compose configs are not supported by `up` yet", {
      location: { file: resolved.configFile },
      hint: "use --image IMAGE",
    });
  }
  const image = explicit ??
    (resolved?.source.kind === "image" ? resolved.source.image : undefined);
  if (!image) throw new UsageError("no image to run", { hint: "pass --image IMAGE" });
  if (!(await podman.run(p.imageExists(image)))) {
    await progress.step(`pull ${image}`, async () => {
      try {
        await run(p.imagePull(image));
      } catch (err) {
        if (err instanceof InterruptedError) throw err;
        throw new NotFoundError(
          `image ${image} is not available: it is not in local storage and cannot be pulled`,
          {
            hint: "check the name, build it locally, or pull it yourself",
            cause: err,
          },
        );
      }
    });
  }
  return image;
}

/** Runs `up`. */
export class Up {
  readonly #deps: UpDeps;
  readonly #req: UpRequest;
  /** Undo actions for what this run created, newest last. */
  readonly #undo: { what: string; run: () => Promise<unknown> }[] = [];
  #steps = 0;
  /** When milestones were reached, in ms since the process started. */
  readonly #marks: { workspaceReady?: number; agentReady?: number } = {};

  constructor(req: UpRequest, deps: UpDeps) {
    this.#req = req;
    this.#deps = deps;
  }

  /** A podman step that counts for the test hook. */
  async #podman<T>(command: p.PodmanCommand<T>): Promise<T> {
    const result = await this.#deps.podman.run(command);
    this.#stepDone();
    return result;
  }

  /** Counts a step that changed something; the test hook stops the process here. */
  #stepDone(): void {
    this.#steps++;
    if (this.#deps.stopAfterStep !== undefined && this.#steps >= this.#deps.stopAfterStep) {
      // Simulates SIGKILL: no cleanup, no message.
      Deno.exit(137);
    }
  }

  /** Runs up; on failure removes what it created (not volumes) and rethrows. */
  async run(): Promise<UpResult> {
    const started = performance.now();
    try {
      const result = await this.#apply();
      const ms = (t?: number) => (t === undefined ? null : Math.round(t));
      return {
        ...result,
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
    }
  }

  async #rollback(err: unknown): Promise<void> {
    if (this.#undo.length === 0) return;
    const why = err instanceof InterruptedError ? "interrupted" : "failed";
    this.#deps.log(`up ${why}: removing what it created (volumes are kept)\n`);
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

  /** Removes leftovers of an earlier, unfinished `up` of this name (never its volumes). */
  async #clearLeftovers(): Promise<Set<string>> {
    const { podman } = this.#deps;
    const { workspace } = this.#req;
    const found = await workspaceObjects(podman, workspace);
    if (isComplete(found)) {
      throw new ConflictError(`workspace ${workspace} already exists`, {
        hint:
          `\`devaipod start ${workspace}\` starts it; \`devaipod delete ${workspace}\` removes it`,
      });
    }
    const cleanup = { cleanup: true };
    for (const pod of found.pods) {
      await podman.run(p.podRm(pod.Name, { force: true, timeoutSeconds: 0 }), cleanup);
    }
    const stray = found.containers.filter((c) => !found.pods.some((pod) => pod.Id === c.Pod));
    if (stray.length) {
      await podman.run(
        p.containerRm(stray.map((c) => c.Id), { force: true, timeoutSeconds: 0 }),
        cleanup,
      );
    }
    if (found.secrets.length) {
      await podman.run(p.secretRm(found.secrets.map((s) => s.Spec.Name)), cleanup);
    }
    if (found.networks.length) {
      await podman.run(p.networkRm(found.networks.map((n) => n.name), { force: true }), cleanup);
    }
    if (found.pods.length || stray.length || found.secrets.length || found.networks.length) {
      this.#deps.log(`removed the leftovers of an unfinished up of ${workspace}\n`);
    }
    return new Set(found.volumes.map((v) => v.Name));
  }

  /** The user's own podman secrets named in `[trusted] secrets` must exist before anything is made. */
  async #checkUserSecrets(): Promise<void> {
    const wanted = Object.entries(this.#req.userSecrets ?? {});
    if (wanted.length === 0) return;
    const names = new Set(await this.#deps.podman.run(p.secretNames()));
    const missing = wanted.filter(([, secret]) => !names.has(secret));
    if (missing.length === 0) return;
    const [variable, secret] = missing[0] ?? [];
    throw new NotFoundError(
      `${this.#req.userConfigFile ?? "user config"}: [trusted] secrets: ${variable}=${secret}: ` +
        `there is no podman secret named ${secret}${
          missing.length > 1 ? ` (nor ${missing.slice(1).map(([, s]) => s).join(", ")})` : ""
        }`,
      { hint: `create it first: printf %s "$VALUE" | podman secret create ${secret} -` },
    );
  }

  #image(): Promise<string> {
    const { podman, progress } = this.#deps;
    return prepareImage(
      { podman, progress, run: (command) => this.#podman(command) },
      this.#req.resolved,
      this.#req.image,
      this.#req.workspace,
    );
  }

  async #agentBinary(image: p.ImageInspect | undefined): Promise<string | undefined> {
    if (this.#req.resolved?.devaipod.agentBinary === "image") return undefined;
    const platform = agentPlatform(image?.Architecture ?? Deno.build.arch);
    if (!platform) {
      throw new FailedError(`opencode has no Linux build for ${image?.Architecture}`, {
        hint:
          'use an image with its own opencode and set customizations.devaipod.agentBinary to "image"',
      });
    }
    const registry = this.#deps.hostEnv.DEVAIPOD_NPM_REGISTRY;
    const version = this.#req.agentVersion;
    return await this.#deps.progress.step(
      `agent binary opencode ${version ?? OPENCODE_VERSION} (${platform})`,
      async () =>
        fetchPinnedBinary(
          await agentPin(platform, version, {
            cacheDir: this.#deps.cacheDir,
            ...(registry ? { registry } : {}),
          }),
          {
            cacheDir: this.#deps.cacheDir,
            log: (l) => this.#deps.progress.note(l),
            ...(registry ? { registry } : {}),
          },
        ),
    );
  }

  async #apply(): Promise<Omit<UpResult, "seconds" | "timings">> {
    const { podman, progress, log } = this.#deps;
    const req = this.#req;
    const cleanup = { cleanup: true };

    // Independent questions first, at once: leftovers of an earlier up, and the project's git state.
    const [existingVolumes, git] = await Promise.all([
      this.#clearLeftovers(),
      isGitProject(req.projectPath),
    ]);

    await this.#checkUserSecrets();
    // Cloned before anything is created: a bad URL stops up with nothing to undo.
    const dotfilesConfig = req.dotfiles;
    const dotfiles = dotfilesConfig
      ? await progress.step(
        `dotfiles: clone ${redactUrl(dotfilesConfig.url)}`,
        () => fetchDotfiles(dotfilesConfig),
      )
      : undefined;
    const init = req.resolved?.lifecycle.steps.filter((s) => hooksFor("up").includes(s.hook)) ?? [];
    if (init.length) {
      await progress.step(
        "initializeCommand (on the host)",
        () => runSteps(init, hostExecutor(req.projectPath), log),
      );
    }

    const image = await this.#image();
    const [[inspected], sourceRoot] = await Promise.all([
      podman.run(p.imageInspect(image)),
      git ? gitRoot(req.projectPath) : Promise.resolve(req.projectPath),
    ]);
    const imagePath = inspected?.Config?.Env.find((e) => e.startsWith("PATH="))?.slice(5) ?? "";
    const agentBinary = await this.#agentBinary(inspected);

    const dirs = workspaceDirs(this.#deps.stateDir, req.workspace);
    const password = crypto.randomUUID().replaceAll("-", "") +
      crypto.randomUUID().replaceAll("-", "");
    const plan: PodPlan = planPod({
      workspace: req.workspace,
      ...(req.resolved ? { resolved: req.resolved } : {}),
      image,
      projectPath: req.projectPath,
      hostEnv: this.#deps.hostEnv,
      ...(agentBinary ? { agentBinary } : {}),
      shimsDir: dirs.shims,
      imagePath,
      password,
      ...(req.task !== undefined ? { task: req.task } : {}),
      ...(req.envAllowlist ? { envAllowlist: req.envAllowlist } : {}),
      ...(req.envVars ? { envVars: req.envVars } : {}),
      ...(req.trustedEnv ? { trustedEnv: req.trustedEnv } : {}),
      ...(req.workspaceSecrets ? { workspaceSecrets: req.workspaceSecrets } : {}),
      ...(req.userSecrets ? { userSecrets: req.userSecrets } : {}),
      ...(req.labels ? { labels: req.labels } : {}),
      ...(req.helperRuntime ? { helperRuntime: req.helperRuntime } : {}),
      ...(req.isolation
        ? {
          isolation: {
            egressNetwork: req.isolation.egressNetwork,
            runtime: req.isolation.runtime,
            allowFile: join(dirs.root, "allow"),
            allow: req.isolation.allow,
          },
        }
        : {}),
    });
    const shimOptions = { url: plan.agentUrl, ...(agentBinary ? {} : { agentBinary: "opencode" }) };
    // Before anything is created: a taken port would fail the pod half-way.
    checkPortsFree(plan.forwardPorts);
    await writeShims(dirs.shims, { oc: false, ...shimOptions });

    const forWorkspace = plan.secrets.filter((s) => s.container === "workspace").length;
    await progress.step(
      `secrets (${plan.secrets.length}: the agent's password and LLM keys${
        forWorkspace ? `, ${forWorkspace} for the workspace` : ""
      })`,
      async () => {
        for (const s of plan.secrets) {
          await this.#podman(p.secretCreate(s.name, s.value, { labels: s.labels }));
          this.#undo.push({
            what: `secret ${s.name}`,
            run: () => podman.run(p.secretRm([s.name]), cleanup),
          });
        }
      },
    );

    let populate = false;
    const agentWork = plan.agentWorkVolume;
    const plannedAgentWork = plan.volumes.find((v) => v.name === agentWork);
    if (!plannedAgentWork) throw new Error(`the plan has no volume ${agentWork}`);
    await progress.step("volumes (workspace and agent home)", async () => {
      for (const v of plan.volumes) {
        if (existingVolumes.has(v.name)) {
          progress.note(`adopting volume ${v.name} from an earlier up`);
          continue;
        }
        // The agent's is made once its clone's commit is known (its label records it).
        if (v.role === ROLES.agentWork) continue;
        await this.#podman(p.volumeCreate(v.name, { labels: v.labels }));
        if (v.role === ROLES.workspaceVolume) populate = true;
      }
    });
    const workVolume = plan.workspaceVolume;
    let fillAgent = !existingVolumes.has(agentWork);
    const adopted = [workVolume, agentWork].filter((v) => existingVolumes.has(v));
    if (adopted.length) {
      // An adopted volume may be empty when an earlier up stopped before filling it.
      const empty = await emptyVolumes(podman, plan, image, adopted);
      if (empty.has(workVolume)) populate = true;
      if (empty.has(agentWork)) {
        // Made again below, with the commit its clone will hold; nothing is lost.
        await podman.run(p.volumeRm([agentWork]));
        fillAgent = true;
      }
    }
    if (!populate && req.labels?.[LABELS.source] !== undefined) {
      progress.note(
        `${workVolume} keeps the files of an earlier up of this name, not this clone's (\`delete --volumes\` starts afresh)`,
      );
    }
    if (populate || fillAgent) {
      // One copy feeds both: the project cloned on the host, or, for a workspace made before the
      // agent had a clone of its own, the human's current tree in the work volume.
      const migrate = !populate;
      const label = migrate
        ? `the agent's clone into ${agentWork} (from the human's tree in ${workVolume})`
        : `copy the project into ${workVolume}${fillAgent ? ` and ${agentWork}` : ""} (${
          git ? "git clone of HEAD" : "files"
        })`;
      const imported = await progress.step(label, async () => {
        const copy = migrate
          ? await copyFromVolume(podman, workVolume, sourceRoot)
          : await cloneProject(sourceRoot, git);
        try {
          // Both archives first (the agent's once its branch is made), then both imports at once.
          const workTar = populate ? await archiveCopy(copy) : undefined;
          if (fillAgent && copy.commit) await branchCopy(copy, plan.agentBranch);
          const agentTar = fillAgent ? await archiveCopy(copy) : undefined;
          if (agentTar) {
            const volume = withAgentBase(plannedAgentWork, copy.commit);
            await this.#podman(p.volumeCreate(volume.name, { labels: volume.labels }));
          }
          const imports = await Promise.allSettled([
            ...(workTar ? [podman.run(p.volumeImport(workVolume, workTar))] : []),
            ...(agentTar ? [podman.run(p.volumeImport(agentWork, agentTar))] : []),
          ]);
          const failed = imports.find((r) => r.status === "rejected");
          if (failed) throw failed.reason;
          if (populate && copy.commit) progress.note(`at commit ${copy.commit.slice(0, 12)}`);
          if (!fillAgent) return imports.length;
          if (migrate) {
            for (
              const line of migrationNotes({
                workVolume,
                agentVolume: agentWork,
                branch: plan.agentBranch,
                commit: copy.commit,
                hooks: copy.hooks,
              })
            ) progress.note(line);
          } else if (copy.commit) {
            progress.note(`the agent's clone: branch ${plan.agentBranch}`);
          }
          return imports.length;
        } finally {
          await disposeCopy(copy);
        }
      });
      // Counted once the temporary copy is gone (the test hook stops the process there).
      for (let i = 0; i < imported; i++) this.#stepDone();
    }

    let ips: NetworkAddresses | undefined;
    if (plan.isolation) {
      const iso = plan.isolation;
      // Each entry once (the plan's list): `rebuild` passes back the whole file, defaults included.
      const allow = iso.allow;
      await Deno.writeTextFile(
        iso.allowFile,
        `# devaipod: hosts the agent may reach (one per line)\n${allow.join("\n")}\n`,
      );
      // The agent's network and the pod's: only the proxy is on both (and relays one way).
      const networks = [iso.network, iso.linkNetwork];
      await progress.step(
        `networks ${networks.map((n) => n.name).join(" and ")} (internal, no DNS)`,
        async () => {
          const made = await Promise.allSettled(networks.map(async (n) => {
            await this.#podman(p.networkCreate(n));
            this.#undo.push({
              what: `network ${n.name}`,
              run: () => podman.run(p.networkRm([n.name], { force: true }), cleanup),
            });
          }));
          const failed = made.find((r) => r.status === "rejected");
          if (failed) throw failed.reason;
        },
      );
      const inspected = await podman.run(p.networkInspect(...networks.map((n) => n.name)));
      const [internalSubnet, linkSubnet] = networks.map((n) => {
        const subnet = inspected.find((x) => x.name === n.name)?.subnets
          .find((x) => x.subnet.includes("."))?.subnet;
        if (!subnet) throw new FailedError(`network ${n.name} has no IPv4 subnet`);
        return subnet;
      });
      ips = networkAddresses(internalSubnet as string, linkSubnet as string);
      const proxy = withAddresses(iso.proxyContainer, ips);
      await progress.step(
        `egress proxy ${proxy.name} (${allow.length} allowed hosts)`,
        async () => {
          this.#undo.push({
            what: `container ${proxy.name}`,
            run: () =>
              podman.run(p.containerRm([proxy.name], { force: true, timeoutSeconds: 0 }), cleanup),
          });
          await this.#podman(p.containerRun(proxy));
        },
      );
    }

    const pod = ips ? podWithAddresses(plan.pod, ips) : plan.pod;
    await progress.step(`pod ${pod.name}`, async () => {
      this.#undo.push({
        what: `pod ${pod.name}`,
        run: () => podman.run(p.podRm(pod.name, { force: true, timeoutSeconds: 0 }), cleanup),
      });
      await this.#podman(p.podCreate(pod));
    });

    const ws = plan.workspaceContainer;
    await progress.step("workspace container", () => this.#podman(p.containerRun(ws)));
    this.#marks.workspaceReady = performance.now();

    // The agent runs as the workspace's user (not root), so both can edit the same files.
    const userArg = plan.remoteUser ? [plan.remoteUser] : [];
    // One exec: the user's uid and gid, and whether the image has its own `oc`.
    const ids = await podman.run(p.containerExec({
      container: ws.name,
      command: ["sh", "-c", USER_AND_OC, "sh", ...userArg],
    }));
    const [uidText, gidText, ocText] = ids.stdout.trim().split("\n");
    let uid = Number(uidText);
    let gid = Number(gidText);
    if (ids.code !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
      throw new FailedError(
        `cannot find the workspace user's uid in the image: ${ids.stderr.trim()}`,
      );
    }
    if (uid === 0) [uid, gid] = [1000, 1000];
    if (populate) {
      const chown = await podman.run(p.containerExec({
        container: ws.name,
        user: "0",
        command: ["chown", "-R", `${uid}:${gid}`, plan.workspaceMountTarget],
      }));
      if (chown.code !== 0) {
        throw new FailedError(`cannot hand the workspace to uid ${uid}: ${chown.stderr.trim()}`);
      }
    }
    if (ocText !== "oc") {
      await writeShims(dirs.shims, { oc: true, ...shimOptions });
    }
    // Login shells reset PATH: links in /usr/local/bin let them find the shims too.
    for (const line of await linkShims(podman, ws.name)) progress.note(line);

    const agent = ips
      ? withAddresses(withAgentUser(plan.agentContainer, uid, gid), ips)
      : withAgentUser(plan.agentContainer, uid, gid);
    await progress.step(
      `agent container (uid ${uid}, no capabilities, no-new-privileges${
        plan.isolation ? ", behind the proxy" : ""
      })`,
      async () => {
        if (plan.isolation) {
          this.#undo.push({
            what: `container ${agent.name}`,
            run: () =>
              podman.run(p.containerRm([agent.name], { force: true, timeoutSeconds: 0 }), cleanup),
          });
        }
        await this.#podman(p.containerRun(agent));
      },
    );

    // The host reaches the agent through the pod's published port; behind the proxy it cannot,
    // and the agent's own health check (with its password) answers instead.
    const endpoint: AgentEndpoint | undefined = plan.isolation ? undefined : {
      url: `http://127.0.0.1:${(await podman.run(p.containerPort(ws.name, AGENT_PORT))).port}`,
      password,
    };
    await progress.step("agent healthy (/global/health)", async () => {
      const healthy = endpoint
        ? await waitHealthy(endpoint, req.readyTimeoutSeconds * 1000)
        : await waitHealthCheck(podman, agent.name, req.readyTimeoutSeconds * 1000);
      if (podman.interrupted) throw new InterruptedError();
      if (!healthy) {
        const logs = await podman.run(p.containerLogs(agent.name, { tail: 15 })).catch(() => ({
          stdout: "",
          stderr: "",
        }));
        const tail = (logs.stdout + logs.stderr).trim().split("\n").slice(-15).join("\n  ");
        throw new FailedError(
          `the agent did not become healthy within ${req.readyTimeoutSeconds}s; its last log lines:\n  ${
            tail || "(none)"
          }`,
          {
            hint: "raise --ready-timeout, or look at `devaipod logs NAME -c agent`",
          },
        );
      }
    });

    this.#marks.agentReady = performance.now();
    // Record a first health state (podman's own timer runs it from now on, where systemd is
    // there), while the hooks run.
    const firstHealthCheck = podman.run(p.healthcheckRun(agent.name)).catch(() => false);

    const steps = req.resolved?.lifecycle.steps ?? [];
    await runContainerHooks(this.#deps, {
      steps,
      event: "create",
      workspace: ws.name,
      remoteUser: plan.remoteUser,
      agent: agent.name,
      agentUser: `${uid}:${gid}`,
      workdir: plan.workdir,
      hooksDir: dirs.hooks,
      remoteEnv: req.resolved?.config.remoteEnv,
      ...(dotfiles ? { dotfiles } : {}),
    });

    let sessionId: string | undefined;
    if (req.task !== undefined && !req.noPrompt) {
      const task = req.task;
      sessionId = await progress.step("send the task to the agent", async () => {
        if (endpoint) return await sendFirstPrompt(endpoint, task);
        const answer = await agentClient(podman, plan, {
          url: `http://${ips?.agent}:${AGENT_PORT}`,
          password,
          task,
        });
        if (typeof answer.sessionId !== "string") {
          throw new FailedError(`the agent did not take the task: ${answer.error ?? "no session"}`);
        }
        return answer.sessionId;
      });
    }

    await firstHealthCheck;
    // From here on the workspace stands: nothing to roll back.
    this.#undo.length = 0;
    return {
      workspace: req.workspace,
      pod: plan.pod.name,
      image,
      agentUrl: endpoint?.url ?? plan.agentUrl,
      containers: { workspace: ws.name, agent: agent.name },
      volumes: plan.volumes.map((v) => v.name),
      ...(req.task !== undefined ? { task: req.task } : {}),
      ...(sessionId ? { sessionId } : {}),
    };
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
