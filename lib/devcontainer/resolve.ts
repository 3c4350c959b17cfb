/**
 * The resolve layer: finds and reads devcontainer.json, validates it (every problem at once,
 * each with its line:column), substitutes variables and normalises the lifecycle, giving a
 * {@link ResolvedConfig}. Pure given its inputs: file reads and the environment are passed in.
 *
 * `configuration` is the reference implementation's `configuration` object of
 * `devcontainer read-configuration`, key for key; the other members are devaipod's.
 */
import { dirname, isAbsolute, resolve as resolvePath } from "node:path";
import type { z } from "zod";
import { ConfigError, NotFoundError } from "../errors.ts";
import type { Diagnostic } from "../errors.ts";
import { discoverConfig, wellKnownPaths } from "./discover.ts";
import { denoFs } from "./fs.ts";
import type { ConfigFs } from "./fs.ts";
import { duplicateKeys, parseJsonc } from "./jsonc.ts";
import type { JsoncDocument, JsonPath } from "./jsonc.ts";
import { DEFAULT_WAIT_FOR, lifecycleSteps } from "./lifecycle.ts";
import type { LifecycleStep } from "./lifecycle.ts";
import {
  DEVAIPOD_CUSTOMIZATION_KEYS,
  DevcontainerSchema,
  HOOK_NAMES,
  KNOWN_KEYS,
} from "./schema.ts";
import type { DevaipodCustomizations, DevcontainerConfig, HookName } from "./schema.ts";
import { substituteLocal, VariableError } from "./substitute.ts";
import { defaultWorkspaceLayout, devcontainerId, idLabelsFor } from "./workspace.ts";

/** What resolving needs. */
export interface ResolveInput {
  /** The project folder (absolute). */
  folder: string;
  /** `--devcontainer PATH|NAME`. */
  devcontainer?: string;
  /** Where a relative `--devcontainer` path starts (default: the project folder). */
  cwd?: string;
  /** The host environment, for `${localEnv:…}`. */
  env: Readonly<Record<string, string>>;
  platform?: typeof Deno.build.os;
  fs?: ConfigFs;
}

/** How the workspace image comes to be. */
export type ImageSource =
  | { kind: "image"; image: string }
  | {
    kind: "dockerfile";
    /** Absolute path of the Dockerfile. */
    dockerfile: string;
    /** Absolute build context (default: the Dockerfile's folder). */
    context: string;
    args: Record<string, string>;
    target?: string;
    cacheFrom: string[];
    options: string[];
  }
  | { kind: "compose"; files: string[]; service: string; runServices?: string[] };

/** A devcontainer.json, resolved. */
export interface ResolvedConfig {
  /** Absolute path of the devcontainer.json read. */
  configFile: string;
  /** The project folder on the host. */
  workspaceFolder: string;
  /** The workspace folder inside the container. */
  containerWorkspaceFolder: string;
  /** The `--mount` that brings the project in (absent for Compose). */
  workspaceMount?: string;
  /** `${devcontainerId}` of this project and config. */
  devcontainerId: string;
  source: ImageSource;
  /** The reference implementation's `configuration`: the file, legacy keys moved, variables substituted. */
  configuration: Record<string, unknown>;
  /** The same, typed. */
  config: DevcontainerConfig;
  lifecycle: { steps: LifecycleStep[]; waitFor: HookName };
  devaipod: DevaipodCustomizations;
  /** Entrypoints the config's Features contribute: run, in order, before the workspace idles. */
  entrypoints?: string[];
  warnings: Diagnostic[];
  /** Applies this config's local substitution to more values (image metadata). */
  substitute<T>(value: T): T;
}

/** Formats a JSON path the way people write it: `build.args.X`, `forwardPorts[1]`. */
export function formatPath(path: JsonPath): string {
  return path.reduce<string>(
    (acc, p) =>
      typeof p === "number"
        ? `${acc}[${p}]`
        : /^[A-Za-z_$][\w$]*$/.test(p)
        ? (acc ? `${acc}.${p}` : p)
        : `${acc}[${JSON.stringify(p)}]`,
    "",
  );
}

function diagnosticAt(
  doc: JsoncDocument,
  path: JsonPath,
  message: string,
  key = false,
): Diagnostic {
  const pos = key ? doc.locateKey(path) : doc.locate(path);
  return { message, location: { file: doc.file, ...pos } };
}

function schemaProblems(doc: JsoncDocument, error: z.ZodError): Diagnostic[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) =>
        diagnosticAt(doc, [...path, k], `${formatPath([...path, k])}: unknown key`, true)
      );
    }
    const message = issue.message.replace(/^Invalid (input|option): /, "");
    return [diagnosticAt(doc, path, path.length ? `${formatPath(path)}: ${message}` : message)];
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Moves the legacy VS Code keys under `customizations.vscode`, as the reference does. */
export function updateLegacyKeys(config: Record<string, unknown>): Record<string, unknown> {
  if (!(config.extensions || config.settings || config.devPort !== undefined)) return config;
  const copy: Record<string, unknown> = { ...config };
  const customizations = (copy.customizations ??= {}) as Record<string, unknown>;
  const vscode = (customizations.vscode ??= {}) as Record<string, unknown>;
  if (copy.extensions) {
    vscode.extensions = ((vscode.extensions as unknown[] | undefined) ?? []).concat(
      copy.extensions as unknown[],
    );
    delete copy.extensions;
  }
  if (copy.settings) {
    vscode.settings = {
      ...(copy.settings as object),
      ...((vscode.settings as object | undefined) ?? {}),
    };
    delete copy.settings;
  }
  if (copy.devPort !== undefined && vscode.devPort === undefined) {
    vscode.devPort = copy.devPort;
    delete copy.devPort;
  }
  return copy;
}

/**
 * The `configFilePath` member the reference adds: a serialised VS Code URI, whose scheme says
 * whether the file was found (`vscode-fileHost`) or named by the user (`file`).
 */
export function configFilePathUri(file: string, chosen: boolean): Record<string, unknown> {
  return { $mid: 1, fsPath: file, path: file, scheme: chosen ? "file" : "vscode-fileHost" };
}

async function checkSource(
  doc: JsoncDocument,
  config: DevcontainerConfig,
  fs: ConfigFs,
  problems: Diagnostic[],
): Promise<void> {
  const dockerfile = config.build?.dockerfile ?? config.dockerFile;
  const dockerfilePath: JsonPath = config.build?.dockerfile !== undefined
    ? ["build", "dockerfile"]
    : ["dockerFile"];
  const hasCompose = config.dockerComposeFile !== undefined;
  if (config.image !== undefined && (dockerfile !== undefined || config.build !== undefined)) {
    problems.push(
      diagnosticAt(
        doc,
        ["image"],
        '"image" and "build" conflict: use an image, or build one from a Dockerfile, not both',
        true,
      ),
    );
  }
  if (hasCompose && (config.image !== undefined || dockerfile !== undefined)) {
    problems.push(
      diagnosticAt(
        doc,
        ["dockerComposeFile"],
        '"dockerComposeFile" conflicts with "image"/"build": a Compose config takes its image from the service',
        true,
      ),
    );
  }
  if (!hasCompose && config.image === undefined && dockerfile === undefined) {
    problems.push(
      config.build !== undefined
        ? diagnosticAt(doc, ["build"], 'build: "dockerfile" is required', true)
        : diagnosticAt(
          doc,
          [],
          'missing one of "image", "build.dockerfile" or "dockerComposeFile"',
        ),
    );
  }
  if (hasCompose && config.service === undefined) {
    problems.push(
      diagnosticAt(
        doc,
        ["dockerComposeFile"],
        '"service" is required with "dockerComposeFile"',
        true,
      ),
    );
  }
  const base = dirname(doc.file);
  if (dockerfile !== undefined && config.image === undefined) {
    const path = resolvePath(base, dockerfile);
    if (!(await fs.isFile(path))) {
      problems.push(diagnosticAt(doc, dockerfilePath, `Dockerfile not found: ${path}`));
    }
  }
  if (hasCompose) {
    const files = typeof config.dockerComposeFile === "string"
      ? [config.dockerComposeFile]
      : config.dockerComposeFile ?? [];
    for (const [i, f] of files.entries()) {
      const path = resolvePath(base, f);
      const at: JsonPath = typeof config.dockerComposeFile === "string"
        ? ["dockerComposeFile"]
        : ["dockerComposeFile", i];
      if (!(await fs.isFile(path))) {
        problems.push(diagnosticAt(doc, at, `Compose file not found: ${path}`));
      }
    }
  }
}

function imageSource(config: DevcontainerConfig, configFile: string): ImageSource {
  const base = dirname(configFile);
  if (config.dockerComposeFile !== undefined) {
    const files = typeof config.dockerComposeFile === "string"
      ? [config.dockerComposeFile]
      : config.dockerComposeFile;
    return {
      kind: "compose",
      files: files.map((f) => resolvePath(base, f)),
      service: config.service ?? "",
      ...(config.runServices ? { runServices: config.runServices } : {}),
    };
  }
  const dockerfile = config.build?.dockerfile ?? config.dockerFile;
  if (dockerfile !== undefined && config.image === undefined) {
    const file = resolvePath(base, dockerfile);
    const context = config.dockerFile !== undefined && config.build?.dockerfile === undefined
      ? config.context
      : config.build?.context;
    const cacheFrom = config.build?.cacheFrom;
    return {
      kind: "dockerfile",
      dockerfile: file,
      context: context ? resolvePath(base, context) : dirname(file),
      args: config.build?.args ?? {},
      ...(config.build?.target ? { target: config.build.target } : {}),
      cacheFrom: cacheFrom === undefined
        ? []
        : typeof cacheFrom === "string"
        ? [cacheFrom]
        : cacheFrom,
      options: config.build?.options ?? [],
    };
  }
  return { kind: "image", image: config.image ?? "" };
}

/** Reads the config file at `configFile` for the project in `folder`. */
export async function resolveConfigFile(
  configFile: string,
  input: Omit<ResolveInput, "devcontainer" | "cwd"> & { chosen?: boolean },
): Promise<ResolvedConfig> {
  const fs = input.fs ?? denoFs;
  const platform = input.platform ?? Deno.build.os;
  let text: string;
  try {
    text = await fs.readTextFile(configFile);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NotFoundError(`dev container config ${configFile} not found`);
    }
    throw err;
  }
  const doc = parseJsonc(text, configFile);
  if (doc.value === null || typeof doc.value !== "object" || Array.isArray(doc.value)) {
    throw new ConfigError("must contain a JSON object", {
      location: { file: configFile, ...doc.locate([]) },
      hint: 'a devcontainer.json is one object, e.g. { "image": "debian:bookworm" }',
    });
  }
  const raw = doc.value as Record<string, unknown>;

  const warnings: Diagnostic[] = [];
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) {
      warnings.push(
        diagnosticAt(
          doc,
          [key],
          `unknown property "${key}" (kept, but devaipod does not use it)`,
          true,
        ),
      );
    }
  }
  // Another tool's key here must never break `up`: a warning, not an error.
  const customizations = raw.customizations;
  const devaipod = isObject(customizations) ? customizations.devaipod : undefined;
  if (isObject(devaipod)) {
    for (const key of Object.keys(devaipod)) {
      if (DEVAIPOD_CUSTOMIZATION_KEYS.has(key)) continue;
      const path = ["customizations", "devaipod", key];
      warnings.push(
        diagnosticAt(
          doc,
          path,
          `${formatPath(path)}: unknown key, ignored (devaipod knows ${
            [...DEVAIPOD_CUSTOMIZATION_KEYS].join(", ")
          })`,
          true,
        ),
      );
    }
  }
  for (const dup of duplicateKeys(doc)) {
    warnings.push({
      message: `${formatPath(dup.path)} is given more than once; the last one counts`,
      location: { file: configFile, ...dup.position },
    });
  }

  const parsed = DevcontainerSchema.safeParse(raw);
  const problems: Diagnostic[] = parsed.success ? [] : schemaProblems(doc, parsed.error);
  if (parsed.success) await checkSource(doc, parsed.data, fs, problems);

  const updated = updateLegacyKeys(raw);
  const layout = await defaultWorkspaceLayout({
    fs,
    localWorkspaceFolder: input.folder,
    platform,
    compose: "dockerComposeFile" in updated,
    workspaceFolder: typeof updated.workspaceFolder === "string"
      ? updated.workspaceFolder
      : undefined,
    hasWorkspaceMount: "workspaceMount" in updated,
    workspaceMount: typeof updated.workspaceMount === "string" ? updated.workspaceMount : undefined,
  });

  let substituted: Record<string, unknown> = updated;
  try {
    substituted = substituteLocal(updated, {
      platform,
      env: input.env,
      localWorkspaceFolder: input.folder,
      containerWorkspaceFolder: layout.workspaceFolder,
    });
  } catch (err) {
    if (!(err instanceof VariableError)) throw err;
    problems.push(diagnosticAt(doc, err.path, err.message));
  }
  if (problems.length > 0) {
    problems.sort((a, b) =>
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0)
    );
    throw ConfigError.of(problems, {
      hint: "fix devcontainer.json; `devaipod config` checks it without starting anything",
    });
  }

  // Substitution changes strings only, so the validated value keeps its shape and type.
  const config = substituteLocal(parsed.success ? parsed.data : ({} as DevcontainerConfig), {
    platform,
    env: input.env,
    localWorkspaceFolder: input.folder,
    containerWorkspaceFolder: layout.workspaceFolder,
  });
  const containerWorkspaceFolder = config.workspaceFolder ?? layout.workspaceFolder;
  const workspaceMount = "workspaceMount" in config ? config.workspaceMount : layout.workspaceMount;
  const hooks: Partial<Record<HookName, DevcontainerConfig[HookName]>> = {};
  for (const hook of HOOK_NAMES) if (config[hook] !== undefined) hooks[hook] = config[hook];

  return {
    configFile,
    workspaceFolder: input.folder,
    containerWorkspaceFolder,
    ...(workspaceMount !== undefined ? { workspaceMount } : {}),
    devcontainerId: await devcontainerId(idLabelsFor(input.folder, configFile)),
    source: imageSource(config, configFile),
    configuration: {
      ...substituted,
      configFilePath: configFilePathUri(configFile, input.chosen === true),
    },
    config,
    lifecycle: {
      steps: lifecycleSteps([{ origin: "devcontainer.json", hooks }]),
      waitFor: config.waitFor ?? DEFAULT_WAIT_FOR,
    },
    devaipod: config.customizations?.devaipod ?? {},
    warnings,
    substitute: (value) =>
      substituteLocal(value, {
        platform,
        env: input.env,
        localWorkspaceFolder: input.folder,
        containerWorkspaceFolder: layout.workspaceFolder,
      }),
  };
}

/** Finds the project's devcontainer.json and resolves it. */
export async function resolveDevcontainer(input: ResolveInput): Promise<ResolvedConfig> {
  const fs = input.fs ?? denoFs;
  if (!isAbsolute(input.folder)) {
    throw new Error(`project folder must be absolute: ${input.folder}`);
  }
  if (!(await fs.isDirectory(input.folder))) {
    throw new NotFoundError(`project folder ${input.folder} does not exist`);
  }
  const configFile = await discoverConfig(fs, input.folder, input.devcontainer, input.cwd);
  if (!configFile) {
    const [preferred] = wellKnownPaths(input.folder);
    throw new NotFoundError(`no devcontainer.json in ${input.folder}`, {
      hint: `create ${preferred} (or .devcontainer.json), or choose one with --devcontainer PATH`,
    });
  }
  return resolveConfigFile(configFile, { ...input, chosen: input.devcontainer !== undefined });
}
