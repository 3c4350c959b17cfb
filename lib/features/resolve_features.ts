/**
 * From a config's `features` to the Features to install, in order: each reference parsed,
 * fetched (dependencies too, transitively), its options checked, then ordered by the spec's
 * rounds. Also gives the lockfile entries of what was resolved.
 */
import { dirname } from "node:path";
import type { JsonPath, Position } from "../devcontainer/jsonc.ts";
import { formatPath } from "../devcontainer/resolve.ts";
import { ConfigError, DevaipodError } from "../errors.ts";
import type { Diagnostic } from "../errors.ts";
import {
  DEFAULT_COLLECTION,
  FeatureRefError,
  FOLDED_INTO_OPTIONS,
  parseFeatureRef,
  resourceOf,
} from "./feature_ref.ts";
import type { FeatureRef } from "./feature_ref.ts";
import { fetchFeature } from "./fetch_feature.ts";
import type { FetchDeps, FetchedFeature } from "./fetch_feature.ts";
import { installOrder, InstallOrderError } from "./install_order.ts";
import type { OrderNode } from "./install_order.ts";
import type { LockEntry, Lockfile } from "./lockfile.ts";
import { checkOptions, userOptionsObject } from "./options.ts";
import type { OptionValue, UserOptions } from "./options.ts";

/** The keys of devcontainer.json that name Features. */
export interface FeaturesConfig {
  features?: Readonly<Record<string, UserOptions | Readonly<Record<string, unknown>>>>;
  overrideFeatureInstallOrder?: readonly string[];
}

/** A Feature to install. */
export interface ResolvedFeature {
  fetched: FetchedFeature;
  /** Its options, defaults filled in (what its install script gets). */
  options: Record<string, OptionValue>;
  /** Named in devcontainer.json (false: only a dependency of one that is). */
  named: boolean;
}

/** The Features of a config, in install order. */
export interface FeatureResolution {
  features: ResolvedFeature[];
  warnings: string[];
  /** What `devcontainer-lock.json` records (OCI and tarball Features). */
  lock: Record<string, LockEntry>;
}

/** Where the config is, for local Features and error locations. */
export interface FeatureContext {
  configFile: string;
  /** Where a JSON path of the config starts (for errors); default: the file alone. */
  locate?: (path: JsonPath) => Position;
}

interface Pending {
  ref: FeatureRef;
  options: Record<string, OptionValue>;
  named: boolean;
  path: JsonPath;
  parent?: string;
}

interface Node {
  pending: Pending;
  fetched: FetchedFeature;
  key: string;
  options: Record<string, OptionValue>;
  deps: Pending[];
}

function canonical(options: Readonly<Record<string, OptionValue>>): string {
  return JSON.stringify(Object.keys(options).sort().map((k) => [k, options[k]]));
}

/** The Features a config names, deprecated ids folded into options as the reference does. */
function named(config: FeaturesConfig): { id: string; options: Record<string, OptionValue> }[] {
  const list = Object.entries(config.features ?? {})
    .filter(([, v]) => v !== false)
    .map(([id, v]) => ({ id, options: { ...userOptionsObject(v as UserOptions) } }));
  for (const [old, { into, options }] of Object.entries(FOLDED_INTO_OPTIONS)) {
    const at = list.findIndex((f) => f.id === old);
    if (at === -1) continue;
    list.splice(at, 1);
    const qualified = `${DEFAULT_COLLECTION}/${into}`;
    const target = list.find((f) =>
      f.id === into || f.id === qualified || f.id.startsWith(`${qualified}:`)
    );
    if (target) Object.assign(target.options, options);
    else list.push({ id: `${qualified}:1`, options: { ...options } });
  }
  return list;
}

/**
 * Resolves and orders a config's Features. Errors name the config's file and the Feature's key
 * (a bad reference, a bad option, a cycle); fetch errors say which Feature needed the missing one.
 */
export async function resolveFeatures(
  config: FeaturesConfig,
  ctx: FeatureContext,
  deps: FetchDeps & { lockfile?: Lockfile },
): Promise<FeatureResolution> {
  const configDir = dirname(ctx.configFile);
  const at = (path: JsonPath) => ({ file: ctx.configFile, ...(ctx.locate?.(path) ?? {}) });
  const warnings: string[] = [];
  const problems: Diagnostic[] = [];
  const parse = (id: string, path: JsonPath): FeatureRef | undefined => {
    try {
      const ref = parseFeatureRef(id, { configDir });
      if (ref.warning) warnings.push(ref.warning);
      return ref;
    } catch (err) {
      if (!(err instanceof FeatureRefError)) throw err;
      problems.push({ message: `${formatPath(path)}: ${err.message}`, location: at(path) });
      return undefined;
    }
  };
  const work: Pending[] = [];
  for (const f of named(config)) {
    const path = ["features", f.id];
    const ref = parse(f.id, path);
    if (ref) work.push({ ref, options: f.options, named: true, path });
  }
  if (problems.length) throw ConfigError.of(problems);

  const fetches = new Map<string, Promise<FetchedFeature>>();
  const fetchOnce = (p: Pending) => {
    const id = p.ref.userId;
    let got = fetches.get(id);
    if (!got) {
      got = fetchFeature(p.ref, deps, deps.lockfile?.features[id]).catch((err) => {
        if (p.parent && err instanceof DevaipodError) {
          err.message = `${err.message} (a dependency of Feature '${p.parent}')`;
        }
        throw err;
      });
      fetches.set(id, got);
    }
    return got;
  };
  const nodes = new Map<string, Node>();
  const keyOf = new Map<Pending, string>();
  while (work.length) {
    const batch = work.splice(0);
    const fetched = await Promise.all(batch.map(fetchOnce));
    batch.forEach((p, i) => {
      const f = fetched[i] as FetchedFeature;
      const key = `${f.digest} ${canonical(p.options)}`;
      keyOf.set(p, key);
      if (nodes.has(key)) {
        if (p.named) (nodes.get(key) as Node).pending.named = true;
        return;
      }
      const checked = checkOptions(f.manifest, p.options);
      for (const e of checked.errors) {
        problems.push({ message: `${formatPath(p.path)}: ${e}`, location: at(p.path) });
      }
      warnings.push(...checked.warnings);
      const depList: Pending[] = [];
      for (const [id, value] of Object.entries(f.manifest.dependsOn ?? {})) {
        const ref = parse(id, [...p.path, "dependsOn", id]);
        if (!ref) continue;
        depList.push({
          ref,
          options: userOptionsObject(value),
          named: false,
          path: p.path,
          parent: p.ref.userId,
        });
      }
      nodes.set(key, { pending: p, fetched: f, key, options: checked.values, deps: depList });
      work.push(...depList);
    });
  }
  if (problems.length) throw ConfigError.of(problems);

  const softResource = (id: string) => {
    try {
      return resourceOf(parseFeatureRef(id, { configDir }).source);
    } catch {
      return id;
    }
  };
  const orderNodes: OrderNode[] = [...nodes.values()].map((n) => {
    const src = n.fetched.ref.source;
    const namespace = src.kind === "oci"
      ? `${src.registry}/${src.repository.slice(0, src.repository.lastIndexOf("/"))}`
      : undefined;
    return {
      key: n.key,
      label: n.pending.ref.userId,
      kind: src.kind,
      resource: resourceOf(src),
      aliases: namespace
        ? (n.fetched.manifest.legacyIds ?? []).map((l) => `${namespace}/${l}`)
        : [],
      ...(src.kind === "oci" && src.tag ? { tag: src.tag } : {}),
      digest: n.fetched.digest,
      options: n.pending.options,
      dependsOn: n.deps.map((d) => keyOf.get(d) as string),
      installsAfter: (n.fetched.manifest.installsAfter ?? []).map(softResource),
    };
  });
  let ordered: OrderNode[];
  try {
    ordered = installOrder(
      orderNodes,
      (config.overrideFeatureInstallOrder ?? []).map(softResource),
    );
  } catch (err) {
    if (!(err instanceof InstallOrderError)) throw err;
    throw new ConfigError(err.message, { location: at(["features"]) });
  }
  for (const entry of config.overrideFeatureInstallOrder ?? []) {
    const resource = softResource(entry);
    if (!orderNodes.some((n) => n.resource === resource || n.aliases.includes(resource))) {
      warnings.push(`overrideFeatureInstallOrder: '${entry}' names no Feature of this config`);
    }
  }
  const lock: Record<string, LockEntry> = {};
  for (const n of nodes.values()) {
    const src = n.fetched.ref.source;
    if (src.kind === "local") continue;
    const dependsOn = Object.keys(n.fetched.manifest.dependsOn ?? {});
    lock[n.pending.ref.userId] = {
      ...(n.fetched.manifest.version !== undefined ? { version: n.fetched.manifest.version } : {}),
      resolved: n.fetched.resolved,
      integrity: n.fetched.digest,
      ...(dependsOn.length ? { dependsOn } : {}),
    };
  }
  return {
    features: ordered.map((o) => {
      const n = nodes.get(o.key) as Node;
      return { fetched: n.fetched, options: n.options, named: n.pending.named };
    }),
    warnings,
    lock,
  };
}
