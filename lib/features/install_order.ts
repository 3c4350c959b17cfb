/**
 * The order Features install in, by the spec's rounds: each round takes every Feature whose
 * `dependsOn` (hard) and `installsAfter` (soft, among the Features present) are installed; of
 * those, only the ones with the highest `overrideFeatureInstallOrder` priority; sorted by a
 * stable comparison. Pure: the graph comes in fetched.
 */
import type { OptionValue } from "./options.ts";

/** One Feature to order: an instance (source and options), and its edges. */
export interface OrderNode {
  /** Identity: two nodes with the same key are one install. */
  key: string;
  /** How messages name it: the reference as written. */
  label: string;
  /** `oci` | `tarball` | `local`: nodes of different kinds compare by label. */
  kind: string;
  /** The source without its version (see `resourceOf`). */
  resource: string;
  /** Other resources it answers to (its `legacyIds`, in the same namespace). */
  aliases: readonly string[];
  /** An OCI tag, compared after the resource. */
  tag?: string;
  /** The content digest, compared last. */
  digest: string;
  /** The options it is installed with (compared after the tag). */
  options: Readonly<Record<string, OptionValue>>;
  /** Keys of the nodes it needs installed first. */
  dependsOn: readonly string[];
  /** Resources it installs after, when they are present. */
  installsAfter: readonly string[];
}

/** The Features cannot be ordered: a cycle, or an edge to nothing. */
export class InstallOrderError extends Error {
  override readonly name = "InstallOrderError";
}

/** Whether `node` is what a soft edge or an override entry `resource` names. */
export function answersTo(node: OrderNode, resource: string): boolean {
  return node.resource === resource || node.aliases.includes(resource);
}

/** Orders options the way the reference does: fewer keys first, then key by key. */
export function compareOptions(
  a: Readonly<Record<string, OptionValue>>,
  b: Readonly<Record<string, OptionValue>>,
): number {
  const ak = Object.keys(a).sort();
  const bk = Object.keys(b).sort();
  if (ak.length !== bk.length) return ak.length - bk.length;
  for (let i = 0; i < ak.length; i++) {
    const key = ak[i] as string;
    if (key !== bk[i]) return key.localeCompare(bk[i] as string);
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (typeof x === "string" && typeof y === "string") return x.localeCompare(y);
    if (typeof x === "boolean" && typeof y === "boolean") return x ? 1 : -1;
    return typeof x === "string" ? 1 : -1;
  }
  return 0;
}

/** The order of two nodes within a round (negative: `a` first). */
export function compareNodes(a: OrderNode, b: OrderNode): number {
  if (a.kind !== b.kind) return a.label.localeCompare(b.label);
  if (a.resource !== b.resource) {
    if (a.kind === "oci") {
      const ns = (r: string) => r.slice(0, r.lastIndexOf("/"));
      const byNamespace = ns(a.resource).localeCompare(ns(b.resource));
      if (byNamespace !== 0) return byNamespace;
    }
    return a.resource.localeCompare(b.resource);
  }
  if (a.tag && b.tag && a.tag !== b.tag) return a.tag.localeCompare(b.tag);
  const byOptions = compareOptions(a.options, b.options);
  if (byOptions !== 0) return byOptions;
  return a.digest.localeCompare(b.digest);
}

/**
 * Orders `nodes` (each key once). `override` is `overrideFeatureInstallOrder` as resources: the
 * first entry installs as early as its dependencies allow. Throws {@link InstallOrderError}
 * naming the Features of a cycle or a missing dependency.
 */
export function installOrder(
  nodes: readonly OrderNode[],
  override: readonly string[] = [],
): OrderNode[] {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  for (const node of nodes) {
    for (const dep of node.dependsOn) {
      if (!byKey.has(dep)) {
        throw new InstallOrderError(
          `Feature '${node.label}' depends on '${dep}', which is not resolved`,
        );
      }
    }
  }
  const priority = new Map<string, number>();
  override.forEach((resource, i) => {
    for (const node of nodes) {
      if (answersTo(node, resource)) {
        priority.set(node.key, Math.max(priority.get(node.key) ?? 0, override.length - i));
      }
    }
  });
  // Soft edges count only toward Features that are present.
  const soft = new Map(nodes.map((n) => [
    n.key,
    n.installsAfter.filter((r) => nodes.some((m) => m.key !== n.key && answersTo(m, r))),
  ]));
  const installed: OrderNode[] = [];
  const done = new Set<string>();
  let left = [...nodes];
  while (left.length) {
    const round = left.filter((n) =>
      n.dependsOn.every((d) => done.has(d)) &&
      (soft.get(n.key) ?? []).every((r) => installed.some((m) => answersTo(m, r)))
    );
    if (!round.length) {
      throw new InstallOrderError(
        `Features depend on each other in a cycle: ${left.map((n) => `'${n.label}'`).join(", ")}`,
      );
    }
    const top = Math.max(...round.map((n) => priority.get(n.key) ?? 0));
    const chosen = round.filter((n) => (priority.get(n.key) ?? 0) === top).sort(compareNodes);
    for (const n of chosen) done.add(n.key);
    installed.push(...chosen);
    left = left.filter((n) => !done.has(n.key));
  }
  return installed;
}
