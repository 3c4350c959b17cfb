/**
 * Kube workspaces through the API: `up` creates a render's objects (with its Secrets' values)
 * and waits for the Pods, rolling back all but the claims when anything fails; `list`, `status`,
 * `stop` (the Pods go, the claims and the rest stay), `start` (the Pods again, from the spec
 * kept at `up`), `delete` and `logs` select by the workspace label. Where a workspace lives is
 * this host's record (records.ts); the cluster's labels say what exists.
 */
import { z } from "zod";
import { ConflictError, FailedError, NotFoundError } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import type { Progress } from "../util/progress.ts";
import { KINDS, kubeObjectSchema } from "./client.ts";
import type { KubeClient } from "./client.ts";
import { podSchema, podState, readiness, workspaceState } from "./pod_state.ts";
import type { KubePod } from "./pod_state.ts";
import type { KubeObject, KubeRender, KubeSecret } from "./render.ts";
import { fillWorkspace } from "./fill.ts";
import { podHooks, runKubeHooks } from "./hooks.ts";
import type { HookPod } from "./hooks.ts";
import type { LifecycleStep } from "../devcontainer/lifecycle.ts";
import type { FillTarget } from "./fill.ts";

/** The ConfigMap that keeps a workspace's Pod specs, so `start` can make them again. */
export function podsConfigMapName(pod: string): string {
  return `${pod}-pods`;
}

/** The role of that ConfigMap. */
export const PODS_ROLE = "pods";

/** What `up --backend kube` needs beyond the client. */
export interface KubeUpInput {
  workspace: string;
  /** The pod name prefix (`devaipod-NAME`). */
  pod: string;
  render: KubeRender;
  /** The value of a Secret devaipod makes (from the host's environment, or random). */
  secretValue(secret: KubeSecret): string | undefined;
  /** Labels for the Secrets and the Pods' ConfigMap (the render labels the rest). */
  labels: Readonly<Record<string, string>>;
  /** Annotations of the Pods' ConfigMap (`list` reads the project, image and task there). */
  annotations?: Readonly<Record<string, string>>;
  readyTimeoutSeconds: number;
  /** Return once the objects exist (do not wait for the Pods, copy nothing). */
  noWait?: boolean;
  /** Where the project goes once the Pods run; absent: they start empty. */
  fill?: FillTarget;
  /** The lifecycle hooks, run in these Pods after the copy (and again by `start`). */
  hooks?: { steps: readonly LifecycleStep[]; pods: readonly HookPod[] };
}

/** Effects of the kube operations. */
export interface KubeDeps {
  client: KubeClient;
  progress: Progress;
  /** Where hooks' output goes. */
  log?: (text: string) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** What `up --backend kube` made. */
export interface KubeUpResult {
  workspace: string;
  context: string;
  namespace: string;
  /** `Kind/name` of each object created (claims that were kept are not among them). */
  created: string[];
  keptClaims: string[];
  ready: boolean;
  /** The commit the project was copied at (a git project whose copy was made). */
  commit?: string;
  seconds: number;
}

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The Pods of a render (by name). */
function podsOf(render: KubeRender): KubeObject[] {
  return render.objects.filter((o) => o.kind === "Pod");
}

/**
 * Creates a workspace's objects and waits until its Pods are ready. Before anything is made it
 * refuses a name that is taken in the namespace (exit 9) and Secrets of the user's own that are
 * missing (exit 6). On any failure after that, it deletes what it created, claims excepted.
 */
export async function kubeUp(input: KubeUpInput, deps: KubeDeps): Promise<KubeUpResult> {
  const { client, progress } = deps;
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const ns = client.namespace;
  const selector = { [LABELS.workspace]: input.workspace };
  await progress.step(`check namespace ${ns} (context ${client.target.context})`, async () => {
    const [pods, maps] = await Promise.all([
      client.list("Pod", selector, kubeObjectSchema),
      client.list("ConfigMap", selector, kubeObjectSchema),
    ]);
    if (pods.length || maps.length) {
      throw new ConflictError(
        `workspace ${input.workspace} already exists in namespace ${ns} (context ${client.target.context})`,
        { hint: `\`devaipod delete ${input.workspace}\` first, or choose another --name` },
      );
    }
    const own = input.render.secrets.filter((s) => !s.env && !s.random);
    const missing: string[] = [];
    for (const s of own) {
      if (!(await client.get("Secret", s.name, kubeObjectSchema))) missing.push(s.name);
    }
    if (missing.length) {
      throw new NotFoundError(
        `the workspace references secrets that do not exist in namespace ${ns}: ${
          missing.join(", ")
        }`,
        { hint: "create them with the key `value` (devaipod render --target kube prints how)" },
      );
    }
  });

  const secrets: KubeObject[] = input.render.secrets.filter((s) => s.env || s.random).map((s) => {
    const value = input.secretValue(s);
    if (value === undefined) {
      throw new NotFoundError(`secret ${s.name}: ${s.env} is not set in your environment`);
    }
    return {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: s.name,
        namespace: ns,
        labels: { ...input.labels, [LABELS.role]: ROLES.secret },
      },
      type: "Opaque",
      data: { value: b64(value) },
    };
  });
  const pods = podsOf(input.render);
  const podsMap: KubeObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: podsConfigMapName(input.pod),
      namespace: ns,
      labels: { ...input.labels, [LABELS.role]: PODS_ROLE },
      ...(input.annotations ? { annotations: { ...input.annotations } } : {}),
    },
    data: {
      "pods.json": JSON.stringify(pods),
      ...(input.hooks ? { "hooks.json": JSON.stringify(input.hooks) } : {}),
    },
  };
  const ordered = [
    ...secrets,
    ...input.render.objects.filter((o) => o.kind !== "Pod"),
    podsMap,
    ...pods,
  ];
  const created: KubeObject[] = [];
  const keptClaims: string[] = [];
  try {
    await progress.step(`create ${ordered.length} objects in namespace ${ns}`, async () => {
      for (const o of ordered) {
        try {
          await client.create(o);
          created.push(o);
        } catch (err) {
          // A claim a deleted workspace left (delete keeps volumes) is the workspace's data.
          if (o.kind === "PersistentVolumeClaim" && err instanceof ConflictError) {
            keptClaims.push(o.metadata.name);
            continue;
          }
          throw err;
        }
      }
      if (keptClaims.length) progress.note(`reusing claims ${keptClaims.join(", ")}`);
    });
    const ready = input.noWait ? false : await waitReady(
      client,
      input.workspace,
      pods.map((p) => p.metadata.name),
      input.readyTimeoutSeconds,
      deps,
    );
    // A kept claim holds the workspace's data: nothing is copied over it.
    const fill = input.fill && {
      ...input.fill,
      workspacePod: keptClaims.includes(input.fill.workspacePod?.claim ?? "")
        ? undefined
        : input.fill.workspacePod,
      agentPod: keptClaims.includes(input.fill.agentPod?.claim ?? "")
        ? undefined
        : input.fill.agentPod,
    };
    const filled = ready && fill && (fill.workspacePod || fill.agentPod)
      ? await progress.step(
        `copy the project into the Pods (${fill.git ? "git clone of HEAD" : "files"})`,
        () => fillWorkspace(client, fill),
      )
      : {};
    const hooks = input.hooks;
    if (ready && hooks && podHooks(hooks.steps).length) {
      await progress.step(
        "lifecycle hooks",
        () => runKubeHooks(client, podHooks(hooks.steps), hooks.pods, deps.log ?? (() => {})),
      );
    }
    return {
      workspace: input.workspace,
      context: client.target.context,
      namespace: ns,
      created: created.map((o) => `${o.kind}/${o.metadata.name}`),
      keptClaims,
      ready,
      ...filled,
      seconds: (now() - started) / 1000,
    };
  } catch (err) {
    const undone = created.filter((o) => o.kind !== "PersistentVolumeClaim").reverse();
    await progress.step(`roll back ${undone.length} objects (claims stay)`, async () => {
      for (const o of undone) {
        await client.delete(o.kind, o.metadata.name, o.kind === "Pod" ? 0 : undefined)
          .catch((e) =>
            progress.note(`could not delete ${o.kind}/${o.metadata.name}: ${e.message}`)
          );
      }
    });
    throw err;
  }
}

/**
 * Waits until the Pods `names` are ready, with a progress line whenever what they wait for
 * changes. A Pod that failed for good stops the wait at once; the timeout says what each Pod
 * still waited for, in the server's words.
 */
export async function waitReady(
  client: KubeClient,
  workspace: string,
  names: readonly string[],
  timeoutSeconds: number,
  deps: KubeDeps,
): Promise<boolean> {
  const sleep = deps.sleep ?? delay;
  const now = deps.now ?? (() => performance.now());
  return await deps.progress.step(`wait for ${names.length} pods to be ready`, async () => {
    const deadline = now() + timeoutSeconds * 1000;
    let last = "";
    for (;;) {
      const pods = await client.list("Pod", { [LABELS.workspace]: workspace }, podSchema);
      const r = readiness(pods, names);
      if (r.kind === "ready") return true as const;
      if (r.kind === "failed") {
        throw new FailedError(`workspace ${workspace} cannot start: ${r.message}`, {
          hint: `\`kubectl --namespace ${client.namespace} describe pod\` shows the events`,
        });
      }
      if (r.summary !== last) deps.progress.note(r.summary);
      last = r.summary;
      if (now() >= deadline) {
        throw new FailedError(
          `workspace ${workspace}: pods not ready after ${timeoutSeconds}s: ${r.summary}`,
          { hint: "raise --ready-timeout, or see why with `kubectl describe pod`" },
        );
      }
      await sleep(500);
    }
  });
}

/** One kube workspace as `list` shows it. */
export interface KubeListRow {
  name: string;
  pod: string;
  state: string;
  agent: { state: string; health: string };
  project: string | null;
  task: string | null;
  image: string | null;
  created: string | null;
  backend: "kube";
  context: string;
  namespace: string;
}

/**
 * The kube workspaces of a client's namespace: one row per Pods' ConfigMap (every kube workspace
 * has one, stopped or not), with its Pods' states. Two requests.
 */
export async function kubeWorkspaces(client: KubeClient): Promise<KubeListRow[]> {
  const [maps, pods] = await Promise.all([
    client.list(
      "ConfigMap",
      { [LABELS.role]: PODS_ROLE, [LABELS.workspace]: true },
      kubeObjectSchema,
    ),
    client.list("Pod", { [LABELS.workspace]: true }, podSchema),
  ]);
  return maps.map((m): KubeListRow => {
    const ws = m.metadata.labels?.[LABELS.workspace] ?? m.metadata.name;
    const members = pods.filter((p) => p.metadata.labels?.[LABELS.workspace] === ws);
    const states = members.map(podState);
    const agent = states.find((s) => s.role === ROLES.agent);
    const state = workspaceState(states);
    const meta = (k: string) => m.metadata.labels?.[k] ?? m.metadata.annotations?.[k] ?? null;
    return {
      name: ws,
      pod: m.metadata.name.replace(/-pods$/, ""),
      state,
      agent: {
        state: agent ? (agent.ready ? "running" : agent.text) : "missing",
        health: agent ? (agent.ready ? "healthy" : "starting") : "-",
      },
      project: meta(LABELS.project),
      task: meta(LABELS.task),
      image: meta(LABELS.image),
      created: m.metadata.creationTimestamp ?? null,
      backend: "kube",
      context: client.target.context,
      namespace: client.namespace,
    };
  }).sort((a, b) => a.name.localeCompare(b.name));
}

/** The kept Pod specs of a workspace and its hooks (from its ConfigMap). */
async function keptPods(
  client: KubeClient,
  pod: string,
  workspace: string,
): Promise<{ pods: KubeObject[]; hooks?: { steps: LifecycleStep[]; pods: HookPod[] } }> {
  const map = await client.get(
    "ConfigMap",
    podsConfigMapName(pod),
    kubeObjectSchema.extend({ data: z.record(z.string(), z.string()).optional() }),
  );
  const text = map?.data?.["pods.json"];
  if (!text) {
    throw new NotFoundError(
      `workspace ${workspace} has no kept Pod specs (ConfigMap ${
        podsConfigMapName(pod)
      }) in namespace ${client.namespace}`,
      { hint: `\`devaipod delete ${workspace}\` and up again` },
    );
  }
  const hooks = map?.data?.["hooks.json"];
  return {
    pods: JSON.parse(text) as KubeObject[],
    ...(hooks ? { hooks: JSON.parse(hooks) } : {}),
  };
}

/** The Pods a workspace runs now. */
export function workspacePods(client: KubeClient, workspace: string): Promise<KubePod[]> {
  return client.list("Pod", { [LABELS.workspace]: workspace }, podSchema);
}

/**
 * Waits until the workspace has no Pods left, or with `terminatingOnly` none being deleted
 * (terminating ones finish their grace period on their node); the names of those still there
 * after `timeoutSeconds` fail it.
 */
export async function waitGone(
  client: KubeClient,
  workspace: string,
  timeoutSeconds: number,
  deps: Pick<KubeDeps, "sleep" | "now">,
  terminatingOnly = false,
): Promise<void> {
  const sleep = deps.sleep ?? delay;
  const now = deps.now ?? (() => performance.now());
  const deadline = now() + timeoutSeconds * 1000;
  for (;;) {
    const left = (await workspacePods(client, workspace))
      .filter((p) => !terminatingOnly || p.metadata.deletionTimestamp);
    if (left.length === 0) return;
    if (now() >= deadline) {
      throw new FailedError(
        `workspace ${workspace}: pods still terminating after ${timeoutSeconds}s: ${
          left.map((p) => p.metadata.name).join(", ")
        }`,
        { hint: "their node has not confirmed the deletion; `kubectl describe pod` says why" },
      );
    }
    await sleep(250);
  }
}

/**
 * `stop`: deletes the Pods and waits until they are gone (so that `start` can make them again);
 * the claims, Services, policies, Secrets and the specs stay.
 */
export async function kubeStop(
  client: KubeClient,
  workspace: string,
  deps: KubeDeps,
  timeoutSeconds = 120,
): Promise<string[]> {
  const pods = await workspacePods(client, workspace);
  await deps.progress.step(`delete ${pods.length} pods`, async () => {
    for (const p of pods) await client.delete("Pod", p.metadata.name);
    await waitGone(client, workspace, timeoutSeconds, deps);
  });
  return pods.map((p) => p.metadata.name);
}

/** `start`: makes the Pods again from the kept specs and waits until they are ready. */
export async function kubeStart(
  client: KubeClient,
  workspace: string,
  pod: string,
  readyTimeoutSeconds: number,
  deps: KubeDeps,
): Promise<void> {
  const { pods, hooks } = await keptPods(client, pod, workspace);
  // Pods still terminating (a stop just now) must be gone before theirs can be made again.
  if ((await workspacePods(client, workspace)).some((p) => p.metadata.deletionTimestamp)) {
    await deps.progress.step(
      "wait for the stopped pods to go",
      () => waitGone(client, workspace, readyTimeoutSeconds, deps, true),
    );
  }
  const running = new Set((await workspacePods(client, workspace)).map((p) => p.metadata.name));
  await deps.progress.step(`create ${pods.length - running.size} pods`, async () => {
    for (const p of pods) if (!running.has(p.metadata.name)) await client.create(p);
  });
  await waitReady(client, workspace, pods.map((p) => p.metadata.name), readyTimeoutSeconds, deps);
  // New Pods are new containers: their create hooks run again.
  if (hooks && podHooks(hooks.steps).length) {
    await deps.progress.step(
      "lifecycle hooks",
      () => runKubeHooks(client, podHooks(hooks.steps), hooks.pods, deps.log ?? (() => {})),
    );
  }
}

/** What `delete` removed and kept. */
export interface KubeDeleteResult {
  deleted: string[];
  keptClaims: string[];
}

/**
 * `delete`: every object labelled with the workspace, Pods first; the claims only with
 * `volumes`. Refused while Pods run unless `force` (exit 9).
 */
export async function kubeDelete(
  client: KubeClient,
  workspace: string,
  options: { force?: boolean; volumes?: boolean },
): Promise<KubeDeleteResult> {
  const selector = { [LABELS.workspace]: workspace };
  const pods = await workspacePods(client, workspace);
  if (pods.length && !options.force) {
    throw new ConflictError(`workspace ${workspace} is running`, {
      hint: `\`devaipod stop ${workspace}\` first, or \`devaipod delete -f ${workspace}\``,
    });
  }
  const result: KubeDeleteResult = { deleted: [], keptClaims: [] };
  for (const kind of KINDS) {
    const objects = kind === "Pod" ? pods : await client.list(kind, selector, kubeObjectSchema);
    for (const o of objects) {
      if (kind === "PersistentVolumeClaim" && !options.volumes) {
        result.keptClaims.push(o.metadata.name);
        continue;
      }
      if (await client.delete(kind, o.metadata.name, kind === "Pod" ? 0 : undefined)) {
        result.deleted.push(`${kind}/${o.metadata.name}`);
      }
    }
  }
  return result;
}
