/** What `devaipod up` does (loaded only when it runs). */
import type { AgentProfile } from "../agents/profiles.ts";
import { parseJsonc } from "../devcontainer/jsonc.ts";
import { chooseAgent } from "../agents/choose.ts";
import { basename, dirname, join, resolve } from "node:path";
import { resolveDevcontainer } from "../devcontainer/resolve.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import {
  loadUserConfig,
  locateToml,
  providerSettings,
  unappliedKeys,
} from "../config/user_config.ts";
import {
  ConfigError,
  ConflictError,
  EnvironmentError,
  formatDiagnostic,
  NotFoundError,
  UsageError,
} from "../errors.ts";
import type { UserConfig } from "../config/user_config.ts";
import { LABELS } from "../labels.ts";
import { isComplete, workspaceObjects } from "../pods/inventory.ts";
import { printable } from "../util/printable.ts";
import {
  checkoutSource,
  hostReachingSettings,
  sourceBaseName,
  sourceDir,
  sourceLabels,
} from "../pods/remote_source.ts";
import type { SourceRecord } from "../pods/remote_source.ts";
import { parseSource, prNoun, redactUrl, sourceLabel } from "../sources/parse.ts";
import { type GitFacts, gitFacts } from "../pods/source.ts";
import { userConfigPath } from "../paths.ts";
import { devaipodDirs } from "../paths.ts";
import { bind } from "../plan/bindings.ts";
import { planUp, type UpInput } from "../plan/up_plan.ts";
import type { Up, UpResult } from "../pods/up.ts";
import { PROVIDERS } from "../agents/providers.ts";
import { gpuChoice } from "./gpu_choice.ts";
import { chooseGator, gatorInput } from "./gator_choice.ts";
import { GATOR_URL } from "../plan/gator_plan.ts";
import { MCP_AGENTS } from "../agents/profiles.ts";
import { gatorRuntime } from "../gator/bundle.ts";
import { bindingLegend, dryRunSteps, formatDryRun } from "../pods/dry_run.ts";
import { entryProblems } from "../proxy/allowlist.ts";
import { checkName, generateName } from "../pods/inventory.ts";
import { workspaceDirs } from "../pods/state.ts";
import { imageOf } from "../pods/image.ts";
import { codeRoot, containerRuntime, currentRuntime, runtimeKind } from "../runtime.ts";
import { materialiseRuntime } from "../runtime_cache.ts";
import type { CliContext } from "./context.ts";
import { Progress } from "../util/progress.ts";
import { configFeatures, hasFeatures, saveLockfile } from "../features/config_features.ts";
import { prepareProjects } from "./projects.ts";
import type { ProjectSource } from "../pods/projects_label.ts";
import type { ConfigFeatures } from "../features/config_features.ts";
import * as p from "../podman/mod.ts";
import { processUid, quadletHost } from "../quadlet/install.ts";
import { workspaceSubnets } from "../quadlet/subnets.ts";
import type { Systemd, SystemdScope } from "../systemd/systemd.ts";

/** Options of `devaipod up`. */
export interface UpOptions {
  name?: string;
  image?: string;
  devcontainer?: string;
  prompt: boolean;
  dryRun?: boolean;
  json?: boolean;
  readyTimeout: number;
  networkIsolation?: string;
  allow?: string[];
  egressNetwork?: string;
  /** The image came from the user config's default-image (the project's config wins). */
  imageIsDefault?: boolean;
  /** `--ref`: the branch, tag or commit of a git URL source. */
  ref?: string;
  /** `--trust-source`: a URL source's devcontainer.json may reach into the host. */
  trustSource?: boolean;
  /** `rebuild`: the workspace came from this URL source (PATH is then its clone). */
  recorded?: SourceRecord;
  /** Who runs the workspace: devaipod through podman (default), systemd from Quadlet units, or a Kubernetes cluster. */
  backend?: string;
  /** `--backend kube`: where, how big, and whether to wait for the Pods. */
  context?: string;
  namespace?: string;
  storage?: string;
  cpu?: string;
  memory?: string;
  /** `--backend kube`: the registry to push devaipod's runtime image to. */
  registry?: string;
  /**
   * What a command built on `up` does once the workspace stands (`run` waits for the agent),
   * instead of `up`'s own report; a failure there leaves the workspace as it is.
   */
  afterUp?: (up: Up, result: UpResult) => Promise<void>;
  wait?: boolean;
  /** `--agent`: the agent profile (over the project's and the user config's choice). */
  agent?: string;
  /** `--gator SCOPE…` (more scopes for the gator), or false for `--no-gator`. */
  gator?: string[] | boolean;
  /** Further projects named on the command line (`rebuild` passes back the recorded ones). */
  projects?: ProjectSource[];
}

const KUBE_ONLY = ["context", "namespace", "storage", "cpu", "memory", "registry"] as const;

/** Resolves the project's devcontainer.json; `undefined` for a project without one run with `--image`. */
export async function resolveProject(
  ctx: CliContext,
  folder: string,
  options: Pick<UpOptions, "image" | "devcontainer">,
  verb = "run",
): Promise<ResolvedConfig | undefined> {
  try {
    return await resolveDevcontainer({
      folder,
      cwd: ctx.deps.cwd(),
      env: ctx.deps.env.toObject(),
      ...(options.devcontainer ? { devcontainer: options.devcontainer } : {}),
    });
  } catch (err) {
    // A project without devcontainer.json runs with --image.
    if (
      err instanceof NotFoundError && err.message.startsWith("no devcontainer.json") &&
      options.image
    ) return undefined;
    if (err instanceof NotFoundError && err.message.startsWith("no devcontainer.json")) {
      throw new NotFoundError(err.message, {
        hint: `add a devcontainer.json, or ${verb} an image with --image IMAGE`,
      });
    }
    throw err;
  }
}

/**
 * Runs `up` from SOURCE (a folder, a git URL or a pull request URL), or prints its plan. A URL
 * is cloned on the host first, into the workspace's state folder (a temporary one for
 * `--dry-run`), and removed again when `up` fails.
 */
export async function upAction(
  ctx: CliContext,
  path: string,
  task: string | undefined,
  options: UpOptions,
): Promise<void> {
  if (options.backend !== "kube") {
    const flag = KUBE_ONLY.find((k) => options[k] !== undefined) ??
      (options.wait === false ? "no-wait" : undefined);
    if (flag) throw new UsageError(`--${flag} goes with --backend kube`);
  } else {
    if (options.dryRun) {
      throw new UsageError("--dry-run with --backend kube: the objects are what `render` prints", {
        hint: "devaipod render SOURCE --target kube",
      });
    }
    if (options.projects?.length) {
      throw new UsageError(
        "--backend kube takes one project: a workspace of several runs with the podman backend",
      );
    }
    if (task !== undefined) {
      throw new UsageError("--backend kube takes no task yet: the agent is not reached from here", {
        hint: "up without a task, then give it in the agent",
      });
    }
    if (options.agent !== undefined && options.agent !== "opencode") {
      throw new UsageError(
        `--agent ${options.agent} with --backend kube: the cluster runs opencode only`,
        {
          hint: "run other agents with the podman or quadlet backend",
        },
      );
    }
    const { kubeUpAction } = await import("./kube_actions.ts");
    return await kubeUpAction(ctx, path, options);
  }
  const userPath = userConfigPath(ctx.deps.env, ctx.globals.config);
  const user = await loadUserConfig(userPath, ctx.globals.config !== undefined);
  for (const w of unappliedKeys(user)) ctx.err(`warning: ${userPath}: ${w}`);
  // Checked before anything happens: the proxy would refuse the whole list for one bad entry.
  const badAllow = entryProblems(options.allow ?? []);
  if (badAllow.length) throw new UsageError(`--allow: ${badAllow.join("; ")}`);
  // `rebuild` passes the clone's folder and the recorded source.
  const parsed = options.recorded ? undefined : parseSource(path, user.forges ?? {});
  // A bare repository named by its path is cloned like a file:// URL.
  const facts = parsed?.kind === "path" ? await gitFacts(resolve(ctx.deps.cwd(), path)) : undefined;
  const source = facts?.bare
    ? { kind: "git" as const, url: resolve(ctx.deps.cwd(), path) }
    : parsed;
  if (!source || source.kind === "path") {
    if (options.ref !== undefined) {
      throw new UsageError("--ref needs a git or pull request URL: a folder is used as it is");
    }
    const folder = resolve(ctx.deps.cwd(), path);
    await upFrom(
      ctx,
      { user, userPath },
      folder,
      task,
      options,
      options.recorded,
      undefined,
      facts,
    );
    return;
  }
  const workspace = checkName(options.name ?? generateName(sourceBaseName(source)));
  const dirs = devaipodDirs(ctx.deps.env);
  if (!options.dryRun) await refuseExisting(ctx, workspace);
  const scratch = options.dryRun
    ? await Deno.makeTempDir({ prefix: "devaipod-dry-run-" })
    : undefined;
  const dir = scratch
    ? join(scratch, "source")
    : sourceDir(workspaceDirs(dirs.state, workspace).root);
  // A clone left by an unfinished up of this name is made again.
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const stateRootExisted = await Deno.stat(dirname(dir)).then(() => true, () => false);
  await Deno.mkdir(dirname(dir), { recursive: true });
  const progress = new Progress({ write: (l) => ctx.err(l), quiet: ctx.globals.quiet });
  // Set the moment the workspace exists: from then on its clone is the workspace's own.
  let kept = false;
  try {
    const record = await progress.step(
      `clone ${sourceLabel(source)}${options.ref ? ` at ${options.ref}` : ""}`,
      () =>
        checkoutSource(source, dir, {
          ref: options.ref,
          env: ctx.deps.env.toObject(),
          note: (l) => progress.note(l),
        }),
    );
    progress.note(
      `at commit ${record.commit.slice(0, 12)}${
        record.pr ? ` (${prNoun(record.pr.forge)} into ${printable(record.pr.base)})` : ""
      }`,
    );
    await upFrom(
      ctx,
      { user, userPath },
      dir,
      task,
      { ...options, name: workspace },
      record,
      () => kept = !options.dryRun,
    );
  } finally {
    if (!kept) {
      await Deno.remove(scratch ?? dir, { recursive: true }).catch(() => {});
      // Nothing of a workspace that failed to come up stays in the state folder.
      if (!stateRootExisted && !scratch) await Deno.remove(dirname(dir)).catch(() => {});
    }
  }
}

/**
 * The systemd driver for `up --backend quadlet`, once this host is known to run Quadlet units:
 * a running systemd manager of the scope, and podman 5 or newer (`.pod` units).
 */
async function quadletSystemd(ctx: CliContext, scope: SystemdScope): Promise<Systemd> {
  const systemd = ctx.systemd(scope);
  const manager = await systemd.running();
  const flag = scope === "user" ? " --user" : "";
  if (!manager.ok) {
    throw new EnvironmentError(
      `--backend quadlet needs systemd, and \`systemctl${flag} is-system-running\` says: ${manager.state}`,
      {
        hint: scope === "user"
          ? "log in through a systemd session (or `loginctl enable-linger`), or use --backend podman"
          : "run devaipod where systemd is PID 1, or use --backend podman",
      },
    );
  }
  const version = (await ctx.podman.run(p.version())).Client.Version;
  const major = Number(version.split(".")[0]);
  if (!(major >= 5)) {
    throw new EnvironmentError(
      `--backend quadlet needs podman 5 or newer for .pod units; this is podman ${version}`,
      { hint: "upgrade podman, or use --backend podman (or `devaipod render` to read the units)" },
    );
  }
  return systemd;
}

/**
 * A URL source must not replace the clone of a workspace that exists (the leftovers of an
 * unfinished up are no workspace: `up` clears them, as for a folder).
 */
async function refuseExisting(ctx: CliContext, workspace: string): Promise<void> {
  if (isComplete(await workspaceObjects(ctx.podman, workspace))) {
    throw new ConflictError(`workspace ${workspace} already exists`, {
      hint:
        `\`devaipod start ${workspace}\` starts it; \`devaipod delete ${workspace}\` removes it; --name picks another name`,
    });
  }
}

/**
 * A config's Features for `up`: resolved (progress on stderr), refused when a URL source's
 * Features reach into the host without --trust-source, and the lockfile written (not for a
 * dry run).
 */
async function featuresFor(
  ctx: CliContext,
  resolved: ResolvedConfig,
  base: string,
  { untrusted, dryRun }: { untrusted: boolean; dryRun: boolean },
): Promise<ConfigFeatures> {
  const progress = new Progress({ write: (l) => ctx.err(l), quiet: ctx.globals.quiet });
  const names = Object.keys(resolved.config.features ?? {}).join(", ");
  const features = await progress.step(
    `resolve Features ${names}`,
    () =>
      configFeatures(resolved, base, {
        cacheDir: devaipodDirs(ctx.deps.env).cache,
        env: ctx.deps.env,
        warn: (l) => progress.note(l),
      }),
  );
  if (untrusted) {
    const before = new Set(hostReachingSettings(resolved));
    const added = hostReachingSettings(features.resolved).filter((r) => !before.has(r));
    if (added.length) {
      throw new ConfigError(
        `${resolved.configFile}: the Features of this devcontainer.json reach into your host:\n  ${
          added.join("\n  ")
        }`,
        {
          hint:
            "read them; if you trust them, run up again with --trust-source (nothing was created)",
        },
      );
    }
  }
  if (!dryRun && await saveLockfile(features)) progress.note(`wrote ${features.lockfile}`);
  return features;
}

/** `up` of a folder: the project's own, or the clone of a URL source (`record`). */
async function upFrom(
  ctx: CliContext,
  { user, userPath }: { user: UserConfig; userPath: string },
  folder: string,
  task: string | undefined,
  options: UpOptions,
  record: SourceRecord | undefined,
  onCreated: () => void = () => {},
  known?: GitFacts,
): Promise<void> {
  // The user's default image stands in for --image when the project has no devcontainer.json.
  if (!options.image && user["default-image"]) {
    options = { ...options, image: user["default-image"], imageIsDefault: true };
  }
  let resolved = await resolveProject(ctx, folder, options);
  if (resolved && options.imageIsDefault) options = { ...options, image: undefined };
  for (const w of resolved?.warnings ?? []) ctx.info(`warning: ${formatDiagnostic(w)}`);
  const trusted = options.trustSource === true;
  if (record && !trusted) {
    const text = resolved ? await Deno.readTextFile(resolved.configFile).catch(() => "") : "";
    const risks = hostReachingSettings(resolved, text);
    if (risks.length) {
      throw new ConfigError(
        `${resolved?.configFile}: this devcontainer.json comes from ${record.url} and reaches into your host:\n  ${
          risks.join("\n  ")
        }`,
        {
          hint: "read it; if you trust it, run up again with --trust-source (nothing was created)",
        },
      );
    }
  }
  const labels = record
    ? { ...sourceLabels(record), ...(trusted ? { [LABELS.sourceTrusted]: "true" } : {}) }
    : undefined;
  const workspace = checkName(options.name ?? generateName(folder));
  const dirs = devaipodDirs(ctx.deps.env);
  const hostEnv = ctx.deps.env.toObject();
  // `[trusted] secrets`: ENV=podman-secret (the user's own secrets, mounted into the workspace).
  const userSecrets = Object.fromEntries(
    (user.trusted?.secrets ?? []).map((entry) => {
      const eq = entry.indexOf("=");
      return [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
  const quadlet = options.backend === "quadlet";
  // Quadlet units are files anyone may read: `[trusted.env]` values reach the workspace as
  // secrets, like devcontainer.json's, never as lines of a unit.
  const trustedEnv = user.trusted?.env ?? {};
  const secretEnv = quadlet ? { ...hostEnv, ...trustedEnv } : hostEnv;
  // devcontainer.json `secrets`: their values come from the host's environment.
  const declared = Object.keys(resolved?.config.secrets ?? {});
  const unset = declared.filter((k) => hostEnv[k] === undefined && !(k in userSecrets));
  if (unset.length) {
    ctx.err(
      `warning: ${resolved?.configFile}: secrets: ${unset.join(", ")} ${
        unset.length === 1 ? "is" : "are"
      } not set in your environment; the workspace starts without ${
        unset.length === 1 ? "it" : "them"
      }`,
    );
  }
  // Their names only: `up` reads each value from the environment when it makes the secret.
  const workspaceSecrets = [
    ...declared.filter((k) => hostEnv[k] !== undefined && !(k in userSecrets)),
    ...(quadlet ? Object.keys(trustedEnv).filter((k) => !declared.includes(k)) : []),
  ];
  // The agent's allowlist beyond its profile's and allowedDomains: as --allow adds them.
  const moreHosts = [
    ...(user["network-isolation"]?.allowed_domains ?? []),
    ...(options.allow ?? []),
  ];
  const dotfiles = user.dotfiles?.url
    ? {
      url: user.dotfiles.url,
      ...(user.dotfiles.script !== undefined ? { script: user.dotfiles.script } : {}),
    }
    : undefined;
  // The SSH bridge's helper runs from devaipod's own runtime, mounted into the workspace; the
  // proxy sidecar runs the same. Run from a URL, it is fetched into the cache (below).
  const runtime = currentRuntime();
  const helperRuntime = containerRuntime(runtime, dirs.cache);
  const dryRun = options.dryRun === true;
  const { image: baseImage, build } = await imageOf(resolved, options.image, workspace);
  const features = resolved && hasFeatures(resolved)
    ? await featuresFor(ctx, resolved, baseImage, { untrusted: !!record && !trusted, dryRun })
    : undefined;
  if (features) resolved = features.resolved;
  const image = features?.build.tag ?? baseImage;
  const { root } = known ?? await gitFacts(folder);
  const git = root !== undefined;
  const stateDirs = workspaceDirs(dirs.state, workspace);
  // Further projects: the command line's, then customizations.devaipod.projects.
  const projectSources: ProjectSource[] = [
    ...(options.projects ?? []),
    ...(resolved?.devaipod.projects ?? []).map((source) => ({ source, from: "config" as const })),
  ];
  if (projectSources.length && options.backend === "quadlet") {
    throw new UsageError(
      "--backend quadlet takes one project: a workspace of several runs with the podman backend",
    );
  }
  const projects = projectSources.length
    ? await prepareProjects(projectSources, {
      folder,
      stateRoot: stateDirs.root,
      taken: basename(root ?? folder),
      dryRun,
      forges: user.forges ?? {},
      note: (l) => ctx.err(`  ${l}`),
    })
    : [];
  const host = quadletHost(ctx.deps.env, processUid());
  const { profile, chosen } = await chosenAgent(options.agent, resolved, user, userPath);
  if (user.agent?.version && profile.name !== "opencode") {
    ctx.err(
      `warning: ${userPath}: [agent] version is opencode's; ${profile.title} runs devaipod's pinned version`,
    );
  }
  const injected = resolved?.devaipod.agentBinary !== "image" && profile.install.kind === "npm";
  const gatorDecision = chooseGator({
    user,
    userPath,
    ...(options.gator !== undefined ? { flag: options.gator } : {}),
    ...(record ? { sourceUrl: record.url } : {}),
    projectUrls: projects.map((p) => p.source.slice(p.source.indexOf(":") + 1))
      .filter((url) => parseSource(url, user.forges ?? {}).kind === "git"),
    isolated: options.networkIsolation === "on",
    backend: quadlet ? "quadlet" : options.backend === "kube" ? "kube" : "podman",
  });
  for (const w of gatorDecision.warnings) ctx.err(w);
  if (gatorDecision.on && !MCP_AGENTS.includes(profile.name)) {
    ctx.err(
      `warning: ${profile.title} is not told about the gator (opencode, Claude Code and Codex are); its tools are at ${GATOR_URL}`,
    );
  }
  const gator = gatorDecision.on
    ? gatorInput(
      gatorDecision,
      await gatorRuntime(runtime, dirs.cache),
      stateDirs.gatorScopes,
    )
    : undefined;
  // The gator's tokens from [trusted.env] become its secrets: their values are read from here.
  const gatorValues = Object.fromEntries(
    Object.entries(gator?.tokens ?? {}).flatMap(([v, from]) =>
      "trusted" in from && user.trusted?.env?.[v] !== undefined ? [[v, user.trusted.env[v]]] : []
    ),
  );
  const gpu = await gpuChoice(ctx, user, resolved);
  // One input, from the flags and the user config, for the dry-run and for up alike.
  const input: UpInput = {
    workspace,
    ...(resolved ? { resolved } : {}),
    image,
    ...(build ? { build } : {}),
    ...(features ? { features: features.build } : {}),
    projectPath: folder,
    projectRoot: root ?? folder,
    git,
    ...(projects.length ? { projects } : {}),
    hostEnv: secretEnv,
    ...(injected ? { agentBinary: bind("agent.binary") } : {}),
    shimsDir: stateDirs.shims,
    ...(chosen ? { agent: profile } : {}),
    ...(gpu.devices.length ? { gpu } : {}),
    ...(task !== undefined ? { task } : {}),
    noPrompt: !options.prompt,
    readyTimeoutSeconds: options.readyTimeout,
    ...(user.env?.allowlist ? { envAllowlist: user.env.allowlist } : {}),
    ...(user.env?.vars ? { envVars: user.env.vars } : {}),
    // [trusted.env] values go into the workspace's argv; the dry-run shows them as <redacted>.
    ...(user.trusted?.env && !quadlet
      ? {
        trustedEnv: dryRun
          ? Object.fromEntries(Object.keys(user.trusted.env).map((k) => [k, "<redacted>"]))
          : user.trusted.env,
      }
      : {}),
    ...(workspaceSecrets.length ? { workspaceSecrets } : {}),
    ...(Object.keys(userSecrets).length ? { userSecrets, userConfigFile: userPath } : {}),
    ...(labels ? { labels } : {}),
    helperRuntime,
    ...(dotfiles ? { dotfiles } : {}),
    ...(user.agent?.version ? { agentVersion: user.agent.version } : {}),
    ...(options.networkIsolation === "on"
      ? {
        isolation: {
          egressNetwork: options.egressNetwork ?? "podman",
          runtime: helperRuntime,
          allowFile: join(stateDirs.root, "allow"),
          allow: moreHosts,
          ...providerSettings(user),
        },
        ...(gator ? { gator } : {}),
      }
      : {}),
    unitDir: host.unitDir,
    ...(quadlet
      ? {
        quadlet: { unitDir: host.unitDir, scope: host.scope, subnets: workspaceSubnets(workspace) },
      }
      : {}),
  };
  const plan = planUp(input);

  if (dryRun) {
    const steps = dryRunSteps(plan);
    const legend = bindingLegend(plan);
    if (options.json) {
      ctx.json({ workspace, pod: plan.pod.pod.name, image, steps, bindings: legend });
    } else {
      ctx.out(`up would create workspace ${workspace} (pod ${plan.pod.pod.name}) from ${image}:`);
      ctx.out(formatDryRun(steps, legend));
    }
    return;
  }

  const progress = new Progress({ write: (l) => ctx.err(l), quiet: ctx.globals.quiet });
  const systemd = quadlet ? await quadletSystemd(ctx, host.scope) : undefined;
  if (options.networkIsolation === "off") {
    ctx.err(
      "warning: --network-isolation off: the agent can reach any host, and send your code and keys anywhere",
    );
  }
  const inAgent = plan.pod.secrets.filter((s) =>
    s.container === "agent" && s.source && "env" in s.source
  ).map((s) => s.variable);
  if (inAgent.length) {
    ctx.err(
      `warning: ${inAgent.join(", ")} ${inAgent.length === 1 ? "enters" : "enter"} the agent: ${
        options.networkIsolation === "off"
          ? "without the proxy there are no provider endpoints to hold keys"
          : "the proxy holds keys only for " + PROVIDERS.map((p) => p.key).join(", ")
      }`,
    );
  }
  ctx.info(`up ${workspace} from ${record?.url ?? folder}`);
  if (runtimeKind(runtime) === "url") {
    await progress.step(
      `devaipod's runtime from ${redactUrl(codeRoot(runtime).href)}`,
      () => {
        const authTokens = ctx.deps.env.get("DENO_AUTH_TOKENS");
        return materialiseRuntime(runtime, dirs.cache, authTokens ? { authTokens } : {});
      },
    );
  }
  const stop = ctx.deps.env.get("DEVAIPOD_TEST_STOP_AFTER_STEP");
  // Loaded only to apply: the dry-run plans without the podman backend.
  const { Up } = await import("../pods/up.ts");
  const up = new Up({ plan, projectPath: folder, fromSource: record !== undefined }, {
    podman: ctx.podman,
    hostEnv: { ...secretEnv, ...gatorValues },
    progress,
    ...(systemd ? { systemd } : {}),
    log: (t) => {
      if (!ctx.globals.quiet) ctx.deps.io.stderr(t);
    },
    cacheDir: dirs.cache,
    stateDir: dirs.state,
    ...(stop ? { stopAfterStep: Number(stop) } : {}),
  });
  const result = await up.run();
  onCreated();
  if (options.afterUp) return await options.afterUp(up, result);

  if (options.json) {
    ctx.json(result);
    return;
  }
  ctx.out(`workspace ${result.workspace} is ready (${result.seconds.toFixed(1)}s)`);
  ctx.out(`  shell:   devaipod ssh ${result.workspace}`);
  ctx.out(`  agent:   devaipod attach ${result.workspace}`);
  ctx.out(`  status:  devaipod status ${result.workspace}`);
  ctx.out(
    `  delete:  devaipod delete ${result.workspace}   (keeps the volumes; --volumes removes them)`,
  );
}

/** `file:line:col` of a setting in a config file (the file alone when it cannot be read). */
export async function writtenAt(
  file: string,
  locate: (text: string, file: string) => { line: number; column: number },
): Promise<string> {
  const text = await Deno.readTextFile(file).catch(() => undefined);
  if (text === undefined) return file;
  const at = locate(text, file);
  return `${file}:${at.line}:${at.column}`;
}

/**
 * The agent profile for a workspace: `--agent`, the project's `customizations.devaipod.agent`,
 * the user config's `[agent] default`, or opencode (lib/agents/choose.ts); a name is refused at
 * the `file:line:col` where it is written.
 */
export async function chosenAgent(
  flag: string | undefined,
  resolved: ResolvedConfig | undefined,
  user: UserConfig,
  userPath: string,
): Promise<{ profile: AgentProfile; chosen: boolean }> {
  return chooseAgent({
    ...(flag !== undefined ? { flag } : {}),
    ...(resolved?.devaipod.agent
      ? {
        project: {
          name: resolved.devaipod.agent,
          where: await writtenAt(resolved.configFile, (text, file) =>
            parseJsonc(text, file).locate(["customizations", "devaipod", "agent"])),
        },
      }
      : {}),
    ...(user.agent?.default
      ? {
        userDefault: {
          name: user.agent.default,
          where: await writtenAt(userPath, (text) => locateToml(text, ["agent", "default"])),
        },
      }
      : {}),
    ...(user.agents ? { custom: user.agents } : {}),
  });
}
