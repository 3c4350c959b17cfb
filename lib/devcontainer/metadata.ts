/**
 * Image metadata: the `devcontainer.metadata` label an image may carry (a JSON array of config
 * fragments, or one object), merged with devcontainer.json by the spec's rules:
 * booleans OR; capAdd/securityOpt union; mounts last-wins by target; lifecycle hooks all kept,
 * in order; env last-wins per variable; single values last-wins; hostRequirements the maximum.
 * devcontainer.json comes last, so it wins where a value can only be one.
 */
import type { LifecycleCommandInput } from "./schema.ts";

/** The label that holds image metadata. */
export const METADATA_LABEL = "devcontainer.metadata";

/** One metadata entry: a fragment of devcontainer.json (features add an `id`). */
export type MetadataEntry = Record<string, unknown> & { id?: string };

/** The properties a devcontainer.json contributes as the last metadata entry. */
export const CONFIG_METADATA_KEYS = [
  "onCreateCommand",
  "updateContentCommand",
  "postCreateCommand",
  "postStartCommand",
  "postAttachCommand",
  "waitFor",
  "customizations",
  "mounts",
  "containerEnv",
  "containerUser",
  "init",
  "privileged",
  "capAdd",
  "securityOpt",
  "remoteUser",
  "userEnvProbe",
  "remoteEnv",
  "overrideCommand",
  "portsAttributes",
  "otherPortsAttributes",
  "forwardPorts",
  "shutdownAction",
  "updateRemoteUserUID",
  "hostRequirements",
] as const;

/** Reads the label; a malformed label yields no entries and a warning. */
export function parseMetadataLabel(
  label: string | undefined,
): { entries: MetadataEntry[]; warning?: string } {
  if (!label) return { entries: [] };
  let value: unknown;
  try {
    value = JSON.parse(label);
  } catch (err) {
    return {
      entries: [],
      warning: `ignoring image label ${METADATA_LABEL}: ${(err as Error).message}`,
    };
  }
  const isEntry = (v: unknown): v is MetadataEntry =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  if (Array.isArray(value)) return { entries: value.filter(isEntry) };
  if (isEntry(value)) return { entries: [value] };
  return { entries: [], warning: `ignoring image label ${METADATA_LABEL}: not an object or array` };
}

/** The metadata entries of a project: the image's, then devcontainer.json's own (non-empty ones). */
export function metadataEntries(
  imageEntries: readonly MetadataEntry[],
  config: Readonly<Record<string, unknown>>,
): MetadataEntry[] {
  const own: MetadataEntry = {};
  for (const key of CONFIG_METADATA_KEYS) if (key in config) own[key] = config[key];
  return [...imageEntries, own].filter((e) => Object.keys(e).length > 0);
}

/** Keys of devcontainer.json that the merge replaces with merged (plural) forms. */
const REPLACED = [
  "customizations",
  "entrypoint",
  "onCreateCommand",
  "updateContentCommand",
  "postCreateCommand",
  "postStartCommand",
  "postAttachCommand",
  "shutdownAction",
] as const;

const get = <T>(e: MetadataEntry, k: string) => e[k] as T | undefined;

/** The last entry's value of `key` that `accept`s (default: truthy). */
export function lastDefined<T>(
  entries: readonly MetadataEntry[],
  key: string,
  accept: (v: unknown) => boolean = Boolean,
): T | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const v = entries[i]?.[key];
    if (accept(v)) return v as T;
  }
  return undefined;
}

function unionOf(entries: readonly MetadataEntry[], key: string): string[] | undefined {
  const values = [...new Set(entries.flatMap((e) => get<string[]>(e, key) ?? []))];
  return values.length ? values : undefined;
}

function mergeObjects(entries: readonly MetadataEntry[], key: string): Record<string, unknown> {
  return Object.assign({}, ...entries.map((e) => get<Record<string, unknown>>(e, key) ?? {}));
}

/** The target of a mount given as `type=…,source=…,target=…` or as an object. */
export function mountTarget(mount: unknown): string | undefined {
  if (typeof mount === "string") {
    let target: string | undefined;
    for (const part of mount.split(",")) {
      const [key, value] = part.split("=");
      if (key === "target" || key === "destination" || key === "dst") target = value;
    }
    return target;
  }
  return mount && typeof mount === "object" ? (mount as { target?: string }).target : undefined;
}

function mergeMounts(entries: readonly MetadataEntry[]): unknown[] | undefined {
  const all = entries.flatMap((e) => get<unknown[]>(e, "mounts") ?? []);
  const seen = new Set<string | undefined>();
  const kept: unknown[] = [];
  for (let i = all.length - 1; i >= 0; i--) {
    const target = mountTarget(all[i]);
    if (seen.has(target)) continue;
    seen.add(target);
    kept.unshift(all[i]);
  }
  return kept.length ? kept : undefined;
}

function mergeForwardPorts(entries: readonly MetadataEntry[]): (number | string)[] | undefined {
  const keyed = entries.flatMap((e) => get<(number | string)[]>(e, "forwardPorts") ?? [])
    .map((p) => (typeof p === "number" ? `localhost:${p}` : p));
  const ports = [...new Set(keyed)].map((
    p,
  ) => (/localhost:\d+/.test(p) ? Number.parseInt(p.slice("localhost:".length), 10) : p));
  return ports.length ? ports : undefined;
}

/** Parses `8gb`, `512mb`, `1024` into bytes; anything else is 0. */
export function parseBytes(text: string): number {
  const m = /^(\d+)([tgmk]b)?$/.exec(text);
  if (!m) return 0;
  const unit = m[2]
    ? { t: 2 ** 40, g: 2 ** 30, m: 2 ** 20, k: 2 ** 10 }[m[2][0] as "t" | "g" | "m" | "k"]
    : 1;
  return Number.parseInt(m[1] ?? "0", 10) * unit;
}

type Gpu = boolean | "optional" | { cores?: number; memory?: string } | undefined;

function mergeGpu(a: Gpu, b: Gpu): Gpu {
  if (a === undefined || a === false) return b;
  if (b === undefined || b === false) return a;
  if (a === "optional" && b === "optional") return "optional";
  const ao = typeof a === "object" ? a : {};
  const bo = typeof b === "object" ? b : {};
  const cores = Math.max(ao.cores ?? 0, bo.cores ?? 0);
  const memory = Math.max(parseBytes(ao.memory ?? "0"), parseBytes(bo.memory ?? "0"));
  return { cores: cores || undefined, memory: memory ? `${memory}` : undefined } as Gpu;
}

type HostRequirements = { cpus?: number; memory?: string; storage?: string; gpu?: Gpu };

function mergeHostRequirements(entries: readonly MetadataEntry[]): HostRequirements | undefined {
  const reqs = entries.map((e) => get<HostRequirements>(e, "hostRequirements"));
  // Math.max(0, …): with no entries the reference reports -Infinity; devaipod reports nothing.
  const cpus = Math.max(0, ...reqs.map((r) => r?.cpus || 0));
  const memory = Math.max(0, ...reqs.map((r) => parseBytes(r?.memory || "0")));
  const storage = Math.max(0, ...reqs.map((r) => parseBytes(r?.storage || "0")));
  const gpu = reqs.map((r) => r?.gpu).reduce<Gpu>(mergeGpu, undefined);
  if (!(cpus || memory || storage || gpu)) return undefined;
  return {
    cpus,
    memory: memory ? `${memory}` : undefined,
    storage: storage ? `${storage}` : undefined,
    gpu,
  };
}

function collectCustomizations(
  entries: readonly MetadataEntry[],
): Record<string, unknown[]> | undefined {
  const out: Record<string, unknown[]> = {};
  for (const e of entries) {
    for (const [k, v] of Object.entries(get<Record<string, unknown>>(e, "customizations") ?? {})) {
      (out[k] ??= []).push(v);
    }
  }
  return Object.keys(out).length ? out : undefined;
}

const isBool = (v: unknown) => typeof v === "boolean";

/** The merged configuration: devcontainer.json with the metadata merged in (same shape as the reference's). */
export function mergeConfiguration(
  config: Readonly<Record<string, unknown>>,
  entries: readonly MetadataEntry[],
): Record<string, unknown> {
  const base: Record<string, unknown> = { ...config };
  for (const key of REPLACED) delete base[key];
  const hooks = (hook: string) =>
    entries.map((e) => get<LifecycleCommandInput>(e, hook)).filter(Boolean);
  const entrypoints = entries.map((e) => get<string>(e, "entrypoint")).filter(Boolean);
  return {
    ...base,
    init: entries.some((e) => e.init === true),
    privileged: entries.some((e) => e.privileged === true),
    capAdd: unionOf(entries, "capAdd"),
    securityOpt: unionOf(entries, "securityOpt"),
    entrypoints: entrypoints.length ? entrypoints : undefined,
    mounts: mergeMounts(entries),
    customizations: collectCustomizations(entries),
    onCreateCommands: hooks("onCreateCommand"),
    updateContentCommands: hooks("updateContentCommand"),
    postCreateCommands: hooks("postCreateCommand"),
    postStartCommands: hooks("postStartCommand"),
    postAttachCommands: hooks("postAttachCommand"),
    waitFor: lastDefined(entries, "waitFor"),
    remoteUser: lastDefined(entries, "remoteUser"),
    containerUser: lastDefined(entries, "containerUser"),
    userEnvProbe: lastDefined(entries, "userEnvProbe"),
    remoteEnv: mergeObjects(entries, "remoteEnv"),
    containerEnv: mergeObjects(entries, "containerEnv"),
    overrideCommand: lastDefined(entries, "overrideCommand", isBool),
    portsAttributes: mergeObjects(entries, "portsAttributes"),
    otherPortsAttributes: lastDefined(entries, "otherPortsAttributes"),
    forwardPorts: mergeForwardPorts(entries),
    shutdownAction: lastDefined(entries, "shutdownAction"),
    updateRemoteUserUID: lastDefined(entries, "updateRemoteUserUID", isBool),
    hostRequirements: mergeHostRequirements(entries),
  };
}
