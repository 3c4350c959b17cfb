/**
 * What `devaipod render` does (loaded only when it runs): resolve the project as `up --dry-run`
 * does, plan it, and print or write the target's units. Nothing is created or started, podman
 * is not called, and no secret value enters the plan: values are `<redacted>` from the start.
 */
import { join, resolve } from "node:path";
import { agentPlatform, cachedBinaryPath, opencodePin } from "../agents/opencode.ts";
import { loadUserConfig, providerSettings, unappliedKeys } from "../config/user_config.ts";
import type { UserConfig } from "../config/user_config.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { ConflictError, formatDiagnostic, shellQuote, UsageError } from "../errors.ts";
import { devaipodDirs, userConfigPath } from "../paths.ts";
import { DEFAULT_PATH, planPod } from "../plan/pod_plan.ts";
import type { PlanInput, PodPlan, ProxyRuntime } from "../plan/pod_plan.ts";
import { checkName, generateName } from "../pods/inventory.ts";
import { workspaceDirs } from "../pods/state.ts";
import { imageOf } from "../pods/image.ts";
import { chosenAgent, resolveProject } from "./up_action.ts";
import { entryProblems } from "../proxy/allowlist.ts";
import type { AgentUser } from "../quadlet/from_pod_plan.ts";
import { quadletInputFromPlan } from "../quadlet/from_pod_plan.ts";
import { installedUnits } from "../quadlet/install.ts";
import { renderQuadlet } from "../quadlet/render.ts";
import { renderKube } from "../kube/render.ts";
import type { LifecycleStep } from "../devcontainer/lifecycle.ts";
import type { KubeOptions } from "../kube/render.ts";
import type { GpuChoice } from "../gpu/gpu.ts";
import { gpuChoice } from "./gpu_choice.ts";
import { contextNamespace, kubeSecretCommands, kubeYaml } from "../kube/output.ts";
import type { QuadletInput, QuadletUnit } from "../quadlet/render.ts";
import { secretCommands } from "../quadlet/secrets.ts";
import type { SecretCommand } from "../quadlet/secrets.ts";
import { subnetsFrom, workspaceSubnets } from "../quadlet/subnets.ts";
import { containerRuntime, currentRuntime } from "../runtime.ts";
import { parseSource } from "../sources/parse.ts";
import { hasFeatures } from "../features/config_features.ts";
import { sha256Hex } from "../util/hash.ts";
import type { CliContext } from "./context.ts";

/** The targets `render` knows. */
export const RENDER_TARGETS = ["quadlet", "kube"] as const;

/** Options of `devaipod render`. */
export interface RenderOptions {
  target: string;
  output?: string;
  force?: boolean;
  json?: boolean;
  name?: string;
  image?: string;
  devcontainer?: string;
  networkIsolation?: string;
  allow?: string[];
  egressNetwork?: string;
  subnet?: string;
  agentUser?: string;
  namespace?: string;
  context?: string;
  storage?: string;
  cpu?: string;
  memory?: string;
  registry?: string;
}

/** The agent's uid:gid in rendered units when `--agent-user` is not given. */
export const DEFAULT_AGENT_USER = "1000:1000";

/** Parses `--agent-user UID:GID`; root is refused (the agent never runs as root). */
export function parseAgentUser(text: string): AgentUser {
  const m = /^(\d{1,10}):(\d{1,10})$/.exec(text);
  if (!m) throw new UsageError(`--agent-user: expected UID:GID, got '${text}'`);
  const uid = Number(m[1]);
  const gid = Number(m[2]);
  if (uid === 0) throw new UsageError("--agent-user: the agent never runs as root (uid 0)");
  if (uid >= 2 ** 32 - 1 || gid >= 2 ** 32 - 1) {
    throw new UsageError(`--agent-user: '${text}' is out of range`);
  }
  return { uid, gid };
}

/** What {@link renderPlanInput} needs: the resolved project and this host's settings. */
export interface RenderPlanParts {
  workspace: string;
  folder: string;
  resolved?: ResolvedConfig;
  image: string;
  user: UserConfig;
  /** The host's environment; only which variables are set is used, never a value. */
  hostEnv: Readonly<Record<string, string>>;
  dirs: { cache: string; state: string };
  /** How containers run devaipod's own code (the proxy, the SSH helper). */
  runtime: ProxyRuntime;
  arch: string;
  networkIsolation: boolean;
  allow?: readonly string[];
  egressNetwork?: string;
  /** The GPUs the workspace gets (lib/gpu). */
  gpu?: GpuChoice;
}

/**
 * The planner's input for a render: as `up --dry-run` builds it, with every value that could
 * be secret replaced by `<redacted>` (keys, workspace secrets, the password). Differences from
 * `up`: the image's PATH is not read (the default PATH is used), and the user config's
 * `[trusted.env]` reaches the workspace as secrets by reference, like devcontainer.json's
 * `secrets`, since its values must not be written into a unit. Also returns the declared
 * secrets that are not set on the host (left out, as `up` leaves them out).
 */
export function renderPlanInput(parts: RenderPlanParts): { input: PlanInput; unset: string[] } {
  const { resolved, user } = parts;
  const redacted = Object.fromEntries(
    Object.entries(parts.hostEnv).filter(([, v]) => v !== "").map(([k]) => [k, "<redacted>"]),
  );
  const userSecrets = Object.fromEntries(
    (user.trusted?.secrets ?? []).map((entry) => {
      const eq = entry.indexOf("=");
      return [entry.slice(0, eq), entry.slice(eq + 1)];
    }),
  );
  const declared = Object.keys(resolved?.config.secrets ?? {});
  const unset = declared.filter((k) => redacted[k] === undefined && !(k in userSecrets));
  const workspaceSecrets = [
    ...declared.filter((k) => redacted[k] !== undefined),
    ...Object.keys(user.trusted?.env ?? {}),
  ].filter((k) => !(k in userSecrets)).sort();
  const platform = agentPlatform(parts.arch) ?? "linux-x64";
  const input: PlanInput = {
    workspace: parts.workspace,
    ...(resolved ? { resolved } : {}),
    image: parts.image,
    projectPath: parts.folder,
    hostEnv: redacted,
    ...(resolved?.devaipod.agentBinary === "image" ? {} : {
      agentBinary: cachedBinaryPath(parts.dirs.cache, {
        ...opencodePin(platform),
        ...(user.agent?.version ? { version: user.agent.version } : {}),
      }),
    }),
    shimsDir: workspaceDirs(parts.dirs.state, parts.workspace).shims,
    ...(parts.gpu?.devices.length ? { gpu: parts.gpu } : {}),
    imagePath: DEFAULT_PATH,
    ...(user.env?.allowlist ? { envAllowlist: user.env.allowlist } : {}),
    ...(user.env?.vars ? { envVars: user.env.vars } : {}),
    ...(workspaceSecrets.length ? { workspaceSecrets } : {}),
    ...(Object.keys(userSecrets).length ? { userSecrets } : {}),
    helperRuntime: parts.runtime,
    ...(parts.networkIsolation
      ? {
        isolation: {
          egressNetwork: parts.egressNetwork ?? "podman",
          runtime: parts.runtime,
          allowFile: join(workspaceDirs(parts.dirs.state, parts.workspace).root, "allow"),
          allow: [...(user["network-isolation"]?.allowed_domains ?? []), ...(parts.allow ?? [])],
          ...providerSettings(user),
        },
      }
      : {}),
  };
  return { input, unset };
}

/** One thing to do on the host before the units start. */
export interface SetupStep {
  what: string;
  command: string;
}

/** The command that writes the proxy's allowlist where the proxy's unit mounts it. */
function allowlistStep(plan: PodPlan): SetupStep[] {
  const iso = plan.isolation;
  if (!iso) return [];
  const dir = iso.allowFile.slice(0, iso.allowFile.lastIndexOf("/"));
  return [{
    what: "the proxy's allowlist",
    command: `mkdir -p ${shellQuote(dir)} && printf '%s\\n' ${
      iso.allow.map(shellQuote).join(" ")
    } > ${shellQuote(iso.allowFile)}`,
  }];
}

/** Host paths the units bind-mount, other than the allowlist: they must exist at start. */
function hostPaths(input: QuadletInput, plan: PodPlan): string[] {
  const paths = input.containers.flatMap((c) =>
    (c.mounts ?? []).flatMap((m) => (m.type === "bind" ? [m.source] : []))
  );
  return [...new Set(paths)].filter((p) => p !== plan.isolation?.allowFile).sort();
}

/** A fully qualified image has a registry host first (`quay.io/…`, `localhost/…`). */
function isQualified(image: string): boolean {
  const first = image.split("/")[0] ?? "";
  return image.includes("/") && (first.includes(".") || first.includes(":") ||
    first === "localhost");
}

/** Writes the units into `dir`; an existing different file needs `force`. */
async function writeUnits(
  dir: string,
  units: readonly QuadletUnit[],
  force: boolean,
): Promise<{ path: string; action: "wrote" | "unchanged" | "replaced" }[]> {
  await Deno.mkdir(dir, { recursive: true });
  const plans = await Promise.all(units.map(async (u) => {
    const path = join(dir, u.file);
    const old = await Deno.readTextFile(path).catch((err) => {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    });
    return { unit: u, path, old };
  }));
  const clashes = plans.filter((p) => p.old !== undefined && p.old !== p.unit.text);
  if (clashes.length && !force) {
    throw new ConflictError(
      `${clashes.map((c) => c.path).join(", ")} ${
        clashes.length === 1 ? "exists" : "exist"
      } with other content; nothing was written`,
      { hint: "--force replaces them" },
    );
  }
  const out: { path: string; action: "wrote" | "unchanged" | "replaced" }[] = [];
  for (const p of plans) {
    if (p.old === p.unit.text) {
      out.push({ path: p.path, action: "unchanged" });
      continue;
    }
    await Deno.writeTextFile(p.path, p.unit.text);
    out.push({ path: p.path, action: p.old === undefined ? "wrote" : "replaced" });
  }
  return out;
}

/**
 * Units in `dir` from an earlier render of this workspace (by their workspace label, as labels
 * are the state) that this render no longer has.
 */
async function staleUnits(
  dir: string,
  workspace: string,
  units: readonly QuadletUnit[],
): Promise<string[]> {
  const current = new Set(units.map((u) => join(dir, u.file)));
  return (await installedUnits(dir, workspace)).filter((path) => !current.has(path));
}

/** A render's plan and what it was made from ({@link renderAction} and `up --backend kube`). */
export interface RenderPlan {
  workspace: string;
  plan: PodPlan;
  image: string;
  build: boolean;
  agentUser: AgentUser;
  subnets: ReturnType<typeof subnetsFrom> | undefined;
  folder: string;
  configFile: string | undefined;
  /** The project's lifecycle hooks (`up --backend kube` runs them). */
  steps: readonly LifecycleStep[];
  /** The user config's `[kube]` defaults. */
  kube: NonNullable<UserConfig["kube"]>;
}

/**
 * The planner's input for a render: as `up --dry-run` builds it, with every value that could
 * be secret replaced by `<redacted>` (keys, workspace secrets, the password). Differences from
 * `up`: the image's PATH is not read (the default PATH is used), and the user config's
 * `[trusted.env]` reaches the workspace as secrets by reference, like devcontainer.json's
 * `secrets`, since its values must not be written into a unit. Declared secrets that are not set
 * on the host are left out, with a warning, as `up` leaves them out.
 */
export async function renderPlan(
  ctx: CliContext,
  source: string,
  options: Omit<RenderOptions, "target">,
  command = "render",
): Promise<RenderPlan> {
  const agentUser = parseAgentUser(options.agentUser ?? DEFAULT_AGENT_USER);
  const subnets = options.subnet ? subnetsFrom(options.subnet) : undefined;
  const badAllow = entryProblems(options.allow ?? []);
  if (badAllow.length) throw new UsageError(`--allow: ${badAllow.join("; ")}`);
  const userPath = userConfigPath(ctx.deps.env, ctx.globals.config);
  const user = await loadUserConfig(userPath, ctx.globals.config !== undefined);
  for (const w of unappliedKeys(user)) ctx.err(`warning: ${userPath}: ${w}`);
  const parsed = parseSource(source, user.forges ?? {});
  if (parsed.kind !== "path") {
    throw new UsageError(`${command} takes a project folder`, {
      hint: "clone the repository, then use its folder",
    });
  }
  const folder = resolve(ctx.deps.cwd(), source);
  // The user's default image stands in for --image only where the project has no config.
  const fallbackImage = options.image ?? user["default-image"];
  const resolved = await resolveProject(ctx, folder, {
    ...(fallbackImage ? { image: fallbackImage } : {}),
    ...(options.devcontainer ? { devcontainer: options.devcontainer } : {}),
  }, "render");
  for (const w of resolved?.warnings ?? []) ctx.info(`warning: ${formatDiagnostic(w)}`);
  // Renders and the cluster plan opencode: another profile is refused, never silently replaced.
  const { profile } = await chosenAgent(undefined, resolved, user, userPath);
  if (profile.name !== "opencode") {
    throw new UsageError(
      `${command} plans opencode only; this project's agent is ${profile.title} (${profile.name})`,
      {
        hint: command === "render"
          ? `\`devaipod up --agent ${profile.name} --backend quadlet\` runs it as Quadlet units`
          : "run it with the podman or quadlet backend",
      },
    );
  }
  const suffix = (await sha256Hex(folder)).slice(0, 4);
  const workspace = checkName(options.name ?? generateName(folder, () => suffix));
  const made = await imageOf(
    resolved,
    resolved ? options.image : fallbackImage,
    workspace,
    "render",
  );
  if (resolved?.devaipod.projects?.length) {
    throw new UsageError(
      `${resolved.configFile}: customizations.devaipod.projects: \`${command}\` takes one project; a workspace of several runs with \`devaipod up\``,
    );
  }
  if (resolved && hasFeatures(resolved)) {
    throw new UsageError(
      `${resolved.configFile}: its Features install into an image that \`up\` builds; \`${command}\` builds none`,
      {
        hint: command === "render"
          ? "`devaipod up --backend quadlet` builds it and installs the units"
          : "build the image with `devaipod up`, push it, and name it in devcontainer.json's `image`",
      },
    );
  }
  const { image } = made;
  const build = made.build !== undefined;
  const dirs = devaipodDirs(ctx.deps.env);
  const gpu = await gpuChoice(ctx, user, resolved);
  const { input, unset } = renderPlanInput({
    workspace,
    folder,
    gpu,
    ...(resolved ? { resolved } : {}),
    image,
    user,
    hostEnv: ctx.deps.env.toObject(),
    dirs,
    runtime: containerRuntime(currentRuntime(), dirs.cache),
    arch: Deno.build.arch,
    networkIsolation: options.networkIsolation !== "off",
    ...(options.allow ? { allow: options.allow } : {}),
    ...(options.egressNetwork ? { egressNetwork: options.egressNetwork } : {}),
  });
  if (unset.length) {
    ctx.err(
      `warning: ${resolved?.configFile}: secrets: ${unset.join(", ")} ${
        unset.length === 1 ? "is" : "are"
      } not set in your environment; the units leave ${unset.length === 1 ? "it" : "them"} out`,
    );
  }
  return {
    workspace,
    plan: planPod(input),
    image,
    build,
    agentUser,
    subnets,
    folder,
    configFile: resolved?.configFile,
    steps: resolved?.lifecycle.steps ?? [],
    kube: user.kube ?? {},
  };
}

/** `devaipod render SOURCE --target quadlet|kube`. */
export async function renderAction(
  ctx: CliContext,
  source: string,
  options: RenderOptions,
): Promise<void> {
  if (!(RENDER_TARGETS as readonly string[]).includes(options.target)) {
    throw new UsageError(`--target: unknown target '${options.target}'`, {
      hint: `targets: ${RENDER_TARGETS.join(", ")}`,
    });
  }
  const { workspace, plan, image, build, agentUser, subnets, kube } = await renderPlan(
    ctx,
    source,
    options,
  );
  if (options.target === "kube") {
    await renderKubeTarget(ctx, { workspace, plan, image, build, agentUser }, {
      ...options,
      ...withKubeDefaults(options, kube),
    });
    return;
  }
  const quadlet = quadletInputFromPlan(plan, {
    subnets: subnets ?? workspaceSubnets(workspace),
    agentUser,
  });
  const units = renderQuadlet(quadlet);
  const secrets = secretCommands(quadlet.secrets);
  const setup = allowlistStep(plan);
  const paths = hostPaths(quadlet, plan);

  if (build) {
    ctx.info(`note: build ${image} first (\`devaipod up\` builds it; so does podman build)`);
  }
  if (!isQualified(image)) {
    ctx.info(`warning: image '${image}' is a short name; Quadlet warns, a full name is safer`);
  }
  ctx.info(
    "note: the units start an empty workspace: the project's copy, the agent's clone, " +
      "lifecycle hooks and dotfiles are steps of `up`, not units",
  );
  const written = options.output
    ? await writeUnits(resolve(ctx.deps.cwd(), options.output), units, options.force === true)
    : undefined;
  if (options.output) {
    for (
      const stale of await staleUnits(resolve(ctx.deps.cwd(), options.output), workspace, units)
    ) {
      ctx.err(`warning: ${stale} is from an earlier render and no longer rendered; remove it`);
    }
  }
  if (options.json) {
    ctx.json({
      workspace,
      target: options.target,
      units,
      secrets,
      setup,
      hostPaths: paths,
      ...(written ? { written } : {}),
    });
    return;
  }
  const print = (line: string) => (written ? ctx.out(line) : ctx.err(line));
  if (written) {
    for (const w of written) ctx.out(`${w.action} ${w.path}`);
  } else {
    for (const u of units) ctx.deps.io.stdout(`# file: ${u.file}\n${u.text}`);
  }
  printSetup(print, secrets, setup, paths);
}

/** The commands that make the secrets a render references, then the user's own to check. */
function printSecrets(
  print: (line: string) => void,
  commands: readonly { source: "env" | "random" | "existing"; command: string }[],
  what: string,
  existingNote: string,
): void {
  const made = commands.filter((c) => c.source !== "existing");
  const existing = commands.filter((c) => c.source === "existing");
  if (made.length) {
    print(`create the secrets the ${what} reference (each value comes from your shell):`);
    for (const c of made) print(`  ${c.command}`);
  }
  if (existing.length) {
    print(`your own secrets the ${what} reference (${existingNote}):`);
    for (const c of existing) print(`  ${c.command}`);
  }
}

function printSetup(
  print: (line: string) => void,
  secrets: readonly SecretCommand[],
  setup: readonly SetupStep[],
  paths: readonly string[],
): void {
  printSecrets(print, secrets, "units", "they must exist");
  for (const s of setup) {
    print(`write ${s.what}:`);
    print(`  ${s.command}`);
  }
  if (paths.length) {
    print("host paths the units mount (they must exist):");
    for (const p of paths) print(`  ${p}`);
  }
}

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** A flag's Kubernetes quantity (`2`, `500m`, `4Gi`), or a usage error naming the flag. */
function quantity(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!QUANTITY.test(value)) {
    throw new UsageError(`--${flag}: '${value}' is not a Kubernetes quantity (e.g. 2, 500m, 4Gi)`);
  }
  return value;
}

/** The namespace: `--namespace`, else the kubeconfig context's, else `default`. */
async function kubeNamespace(ctx: CliContext, options: RenderOptions): Promise<string> {
  if (options.namespace) return options.namespace;
  const env = ctx.deps.env;
  const file = env.get("KUBECONFIG")?.split(":").find((f) => f !== "") ??
    (env.get("HOME") ? join(env.get("HOME") as string, ".kube", "config") : undefined);
  const text = file
    ? await Deno.readTextFile(file).catch((err) => {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw err;
    })
    : undefined;
  if (text === undefined) {
    if (options.context) {
      throw new UsageError(`--context: there is no kubeconfig (${file ?? "no HOME"})`);
    }
    return "default";
  }
  return contextNamespace(text, file as string, options.context) ?? "default";
}

type KubeFlag = "context" | "namespace" | "storage" | "cpu" | "memory" | "registry";

/** The kube flags, each the user config's `[kube]` value where the flag is not given. */
export function withKubeDefaults(
  options: Pick<RenderOptions, KubeFlag>,
  kube: NonNullable<UserConfig["kube"]>,
): Pick<RenderOptions, KubeFlag> {
  const pick = (k: KubeFlag) => {
    const v = options[k] ?? kube[k];
    return v !== undefined ? { [k]: v } : {};
  };
  return {
    ...pick("context"),
    ...pick("namespace"),
    ...pick("storage"),
    ...pick("cpu"),
    ...pick("memory"),
    ...pick("registry"),
  };
}

/** The objects' namespace, claim size, requests and limits, from the flags. */
export function kubeRenderOptions(
  options: { storage?: string; cpu?: string; memory?: string },
  namespace: string,
  user: AgentUser,
  runtimeImage?: KubeOptions["runtimeImage"],
): KubeOptions {
  const cpu = quantity("cpu", options.cpu);
  const memory = quantity("memory", options.memory);
  const resources = cpu || memory
    ? { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) }
    : undefined;
  return {
    namespace,
    storage: quantity("storage", options.storage) ?? "10Gi",
    user,
    ...(resources ? { requests: resources, limits: resources } : {}),
    ...(runtimeImage ? { runtimeImage } : {}),
  };
}

/** `render --target kube`: the objects as YAML on stdout, or in `DIR/devaipod-NAME.yaml`. */
async function renderKubeTarget(
  ctx: CliContext,
  parts: { workspace: string; plan: PodPlan; image: string; build: boolean; agentUser: AgentUser },
  options: RenderOptions,
): Promise<void> {
  const namespace = await kubeNamespace(ctx, options);
  let runtimeImage: KubeOptions["runtimeImage"];
  if (options.registry !== undefined) {
    const { copyProgram, runtimeImageInput, runtimeImageTagRef } = await import(
      "./runtime_image_action.ts"
    );
    const input = await runtimeImageInput(ctx);
    runtimeImage = {
      ref: await runtimeImageTagRef(input, options.registry),
      program: copyProgram(input),
    };
  }
  const { objects, secrets, hostPaths } = renderKube(
    parts.plan,
    kubeRenderOptions(options, namespace, parts.agentUser, runtimeImage),
  );
  const yaml = kubeYaml(objects);
  const commands = kubeSecretCommands(namespace, secrets);
  if (parts.build) {
    ctx.info(`note: build ${parts.image} and push it where the cluster pulls from`);
  }
  ctx.info(
    "note: the objects start an empty workspace: the project's copy, the agent's clone, " +
      "lifecycle hooks and dotfiles are steps of `up`, not objects",
  );
  let written: { path: string; action: "wrote" | "unchanged" | "replaced" }[] | undefined;
  if (options.output) {
    written = await writeUnits(
      resolve(ctx.deps.cwd(), options.output),
      [{ file: `${parts.plan.pod.name}.yaml`, text: yaml }],
      options.force === true,
    );
  }
  if (options.json) {
    ctx.json({
      workspace: parts.workspace,
      target: "kube",
      namespace,
      objects,
      secrets: commands,
      hostPaths,
      ...(runtimeImage ? { runtimeImage: runtimeImage.ref } : {}),
      ...(written ? { written } : {}),
    });
    return;
  }
  const print = (line: string) => (written ? ctx.out(line) : ctx.err(line));
  if (written) {
    for (const w of written) ctx.out(`${w.action} ${w.path}`);
  } else {
    ctx.deps.io.stdout(yaml);
  }
  printSecrets(print, commands, "objects", "they must exist, with the key value");
  if (runtimeImage) {
    print(`the Pods copy devaipod's runtime from ${runtimeImage.ref}; push it first:`);
    print(`  devaipod runtime-image ${options.registry}`);
  }
  if (hostPaths.length) {
    print("host paths the Pods mount (they must exist on the node that runs them):");
    for (const p of hostPaths) print(`  ${p}`);
  }
}
