/**
 * What a kube workspace's Pods say about themselves, as devaipod reads it: the schema of the
 * fields it uses, one line per Pod for progress, and whether the workspace is ready, still
 * coming, or failed for good (an image that cannot be pulled, a container that cannot be made or
 * keeps crashing). Pure: table-tested without a cluster.
 */
import { z } from "zod";
import { LABELS } from "../labels.ts";
import { objectMetaSchema } from "./client.ts";

const conditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
}).passthrough();

const containerStatusSchema = z.object({
  name: z.string(),
  ready: z.boolean().optional(),
  restartCount: z.number().optional(),
  state: z.object({
    waiting: z.object({ reason: z.string().optional(), message: z.string().optional() })
      .passthrough().optional(),
    running: z.object({}).passthrough().optional(),
    terminated: z.object({
      reason: z.string().optional(),
      message: z.string().optional(),
      exitCode: z.number().optional(),
    }).passthrough().optional(),
  }).passthrough().optional(),
}).passthrough();

/** The fields of a Pod devaipod reads. */
export const podSchema = z.object({
  metadata: objectMetaSchema,
  spec: z.object({
    nodeName: z.string().optional(),
    containers: z.array(z.object({ name: z.string(), image: z.string().optional() }).passthrough()),
  }).passthrough(),
  status: z.object({
    phase: z.string().optional(),
    conditions: z.array(conditionSchema).optional(),
    containerStatuses: z.array(containerStatusSchema).optional(),
    message: z.string().optional(),
    reason: z.string().optional(),
  }).passthrough().optional(),
}).passthrough();

/** A Pod as the API server returns it. */
export type KubePod = z.infer<typeof podSchema>;

/** Waiting reasons that do not clear up by waiting longer. */
const FATAL_WAITING = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
  "CrashLoopBackOff",
]);

/** One Pod's state: ready, coming (with what it waits for), or failed (with the reason). */
export interface PodState {
  name: string;
  role: string;
  ready: boolean;
  /** Short text for progress and errors. */
  text: string;
  /** Set when waiting longer will not help. */
  failure?: string;
}

/** The state of one Pod. */
export function podState(pod: KubePod): PodState {
  const name = pod.metadata.name;
  const role = pod.metadata.labels?.[LABELS.role] ?? name;
  const status = pod.status ?? {};
  const condition = (type: string) => status.conditions?.find((c) => c.type === type);
  const base = { name, role };
  if (pod.metadata.deletionTimestamp) return { ...base, ready: false, text: "terminating" };
  if (status.phase === "Failed" || status.phase === "Succeeded") {
    const why = status.message ?? status.reason ?? `phase ${status.phase}`;
    return { ...base, ready: false, text: why, failure: why };
  }
  for (const c of status.containerStatuses ?? []) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && FATAL_WAITING.has(waiting.reason)) {
      const why = `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`;
      return { ...base, ready: false, text: why, failure: why };
    }
  }
  const scheduled = condition("PodScheduled");
  if (!pod.spec.nodeName) {
    if (scheduled?.status === "False") {
      return {
        ...base,
        ready: false,
        text: `not scheduled: ${scheduled.message ?? scheduled.reason ?? "no reason given"}`,
      };
    }
    return { ...base, ready: false, text: "not scheduled yet (no scheduler has taken it)" };
  }
  if (condition("Ready")?.status === "True") return { ...base, ready: true, text: "ready" };
  const waiting = status.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  if (waiting?.reason) return { ...base, ready: false, text: waiting.reason };
  if (status.phase === "Running") return { ...base, ready: false, text: "running, not ready" };
  return { ...base, ready: false, text: (status.phase ?? "pending").toLowerCase() };
}

/** Whether a workspace's Pods are ready, still coming, or failed. */
export type Readiness =
  | { kind: "ready" }
  | { kind: "waiting"; summary: string }
  | { kind: "failed"; message: string };

/**
 * The readiness of the Pods `expected` names, from those the server listed.
 *
 * @example
 * ```ts
 * readiness([], ["devaipod-demo-agent"]); // { kind: "waiting", summary: "devaipod-demo-agent: not created" }
 * ```
 */
export function readiness(pods: readonly KubePod[], expected: readonly string[]): Readiness {
  const states = new Map(pods.map((p) => [p.metadata.name, podState(p)]));
  const failed = expected.map((n) => states.get(n)).find((s) => s?.failure);
  if (failed) return { kind: "failed", message: `${failed.name}: ${failed.failure}` };
  const notReady = expected.filter((n) => !states.get(n)?.ready);
  if (notReady.length === 0) return { kind: "ready" };
  return {
    kind: "waiting",
    summary: notReady.map((n) => {
      const s = states.get(n);
      return `${s?.role ?? n}: ${s?.text ?? "not created"}`;
    }).join("; "),
  };
}

/** A workspace's state from its Pods' states: `stopped` (none), `failed`, `running`, `starting`. */
export function workspaceState(states: readonly PodState[]): string {
  if (states.length === 0) return "stopped";
  if (states.some((s) => s.failure)) return "failed";
  return states.every((s) => s.ready) ? "running" : "starting";
}
