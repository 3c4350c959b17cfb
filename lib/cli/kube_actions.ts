/**
 * The commands' kube side (loaded only when a kube workspace is involved): `up --backend kube`
 * renders the plan as objects and creates them through the API (lib/kube/workspace.ts); `list`,
 * `status`, `stop`, `start`, `delete` and `logs` find the workspace by this host's record of
 * where it lives, then act by label. Printing only; the work is in lib/kube.
 */
import { ConflictError, FailedError, NotFoundError } from "../errors.ts";
import { LABELS } from "../labels.ts";
import { devaipodDirs } from "../paths.ts";
import { KubeClient } from "../kube/client.ts";
import { loadKubeTarget } from "../kube/kubeconfig.ts";
import { podSchema, podState, workspaceState } from "../kube/pod_state.ts";
import { kubeName } from "../kube/render.ts";
import {
  kubeDelete,
  kubeStart,
  kubeStop,
  kubeUp,
  kubeWorkspaces,
  workspacePods,
} from "../kube/workspace.ts";
import { kubeRecords, readKubeRecord, removeKubeRecord, writeKubeRecord } from "../kube/records.ts";
import type { KubeListRow } from "../kube/workspace.ts";
import type { KubeRecord } from "../kube/records.ts";
import { podName, withWorkspaceEnv } from "../plan/pod_plan.ts";
import { kubeExec } from "../kube/exec.ts";
import { gitFacts } from "../pods/source.ts";
import { Progress } from "../util/progress.ts";
import type { CliContext } from "./context.ts";
import { z } from "zod";
import { helperArgv } from "../ssh/bridge.ts";
import type { BridgeTarget, SessionRunner } from "../ssh/bridge.ts";
import { kubeRunner } from "../kube/session_runner.ts";
import type { RenderOptions } from "./render_action.ts";
import { renderTable } from "./table.ts";

/** A client of the cluster and namespace `where` names (the kubeconfig's defaults otherwise). */
export function kubeClient(
  ctx: CliContext,
  where: { context?: string; namespace?: string },
): KubeClient {
  return KubeClient.connect(loadKubeTarget(ctx.deps.env, where));
}

function progressOf(ctx: CliContext): Progress {
  return new Progress({ write: (l) => ctx.err(l), quiet: ctx.globals.quiet });
}

/** Options of `up --backend kube`: the render's, and the wait's. */
export type KubeUpOptions =
  & Pick<
    RenderOptions,
    | "name"
    | "image"
    | "devcontainer"
    | "networkIsolation"
    | "allow"
    | "egressNetwork"
    | "context"
    | "namespace"
    | "storage"
    | "cpu"
    | "memory"
    | "registry"
    | "json"
  >
  & { wait?: boolean; readyTimeout: number };

/** `devaipod up SOURCE --backend kube`. */
export async function kubeUpAction(
  ctx: CliContext,
  source: string,
  options: KubeUpOptions,
): Promise<void> {
  // The planner, loaded only here: the other kube commands (list above all) stay light.
  const [{ kubeRenderOptions, renderPlan, withKubeDefaults }, { renderKube }] = await Promise.all([
    import("./render_action.ts"),
    import("../kube/render.ts"),
  ]);
  const made = await renderPlan(ctx, source, options, "up --backend kube");
  options = { ...options, ...withKubeDefaults(options, made.kube) };
  const client = kubeClient(ctx, options);
  try {
    if (made.build) {
      throw new FailedError(
        `the project builds its image (${made.image}); a cluster pulls images, it builds none`,
        { hint: "build and push the image, then name it in devcontainer.json's `image`" },
      );
    }
    const { root } = await gitFacts(made.folder);
    const dirs = devaipodDirs(ctx.deps.env);
    const record: KubeRecord = {
      workspace: made.workspace,
      context: client.target.context,
      namespace: client.namespace,
      server: client.target.server,
    };
    const known = await readKubeRecord(dirs.state, made.workspace);
    if (known) {
      throw new ConflictError(
        `workspace ${made.workspace} already exists in namespace ${known.namespace} (context ${known.context})`,
        { hint: `\`devaipod delete ${made.workspace}\` first, or choose another --name` },
      );
    }
    let runtimeImage;
    if (options.registry !== undefined) {
      const { buildRuntime, copyProgram, pushRuntime, runtimeImageInput } = await import(
        "./runtime_image_action.ts"
      );
      const input = await runtimeImageInput(ctx);
      const local = await buildRuntime(ctx, input);
      runtimeImage = {
        ref: await pushRuntime(ctx, local, options.registry),
        program: copyProgram(input),
      };
    }
    const render = renderKube(
      made.plan,
      kubeRenderOptions(options, client.namespace, made.agentUser, runtimeImage),
    );
    if (render.hostPaths.length) {
      ctx.info(
        `note: the Pods mount host paths, which must exist on the node that runs them: ${
          render.hostPaths.join(", ")
        }${runtimeImage ? "" : " (--registry brings devaipod's own from an image instead)"}`,
      );
    }
    ctx.info(`up ${made.workspace} in namespace ${record.namespace} (context ${record.context})`);
    // The record comes first, so a workspace half made by an interrupted up can still be found
    // and deleted; a failed up rolls back and forgets it.
    await writeKubeRecord(dirs.state, record);
    let result;
    try {
      result = await kubeUp({
        workspace: made.workspace,
        pod: made.plan.pod.name,
        render,
        secretValue: (s) => {
          if (s.random) {
            return [...crypto.getRandomValues(new Uint8Array(32))]
              .map((b) => b.toString(16).padStart(2, "0")).join("");
          }
          return s.env ? ctx.deps.env.get(s.env) : undefined;
        },
        labels: { [LABELS.workspace]: made.workspace },
        annotations: {
          [LABELS.project]: made.folder,
          [LABELS.image]: made.image,
          ...(made.configFile ? { [LABELS.configFile]: made.configFile } : {}),
        },
        readyTimeoutSeconds: options.readyTimeout,
        ...(options.wait === false ? { noWait: true } : {}),
        fill: {
          projectRoot: root ?? made.folder,
          git: root !== undefined,
          branch: made.plan.agentBranch,
          target: made.plan.workspaceMountTarget,
          workspacePod: {
            pod: kubeName(`${made.plan.pod.name}-workspace`),
            container: "workspace",
            claim: kubeName(made.plan.workspaceVolume),
          },
          agentPod: {
            pod: kubeName(`${made.plan.pod.name}-agent`),
            container: "agent",
            claim: kubeName(made.plan.agentWorkVolume),
          },
        },
        hooks: {
          steps: made.steps,
          pods: [
            {
              pod: kubeName(`${made.plan.pod.name}-workspace`),
              container: "workspace",
              role: "workspace",
            },
            { pod: kubeName(`${made.plan.pod.name}-agent`), container: "agent", role: "agent" },
          ],
        },
      }, { client, progress: progressOf(ctx), log: (t) => ctx.info(t.trimEnd()) });
    } catch (err) {
      await removeKubeRecord(dirs.state, made.workspace);
      throw err;
    }
    if (options.json) return ctx.json(result);
    ctx.out(
      `workspace ${result.workspace} ${
        result.ready ? "is ready" : "is created (its Pods start on their own)"
      } in namespace ${result.namespace} (${result.seconds.toFixed(1)}s)`,
    );
    ctx.out(
      result.ready
        ? "  note:    the project and the agent's clone are in place and the hooks ran; " +
          "dotfiles are not installed on --backend kube yet"
        : "  note:    --no-wait: the project is not copied (the Pods start an empty workspace)",
    );
    ctx.out(`  status:  devaipod status ${result.workspace}`);
    ctx.out(`  delete:  devaipod delete -f ${result.workspace}   (keeps the claims)`);
  } finally {
    client.close();
  }
}

/**
 * The kube workspaces of every context and namespace this host recorded. A cluster that cannot
 * be reached is a warning, not a failure of `list`.
 */
export async function kubeListRows(ctx: CliContext): Promise<KubeListRow[]> {
  const records = await kubeRecords(devaipodDirs(ctx.deps.env).state);
  const places = new Map<string, { context: string; namespace: string }>();
  for (const r of records) {
    places.set(`${r.context}\n${r.namespace}`, { context: r.context, namespace: r.namespace });
  }
  const rows = await Promise.all([...places.values()].map(async (where) => {
    let client: KubeClient | undefined;
    try {
      client = kubeClient(ctx, where);
      return await kubeWorkspaces(client);
    } catch (err) {
      ctx.err(
        `warning: context ${where.context}, namespace ${where.namespace}: ${
          (err as Error).message
        }`,
      );
      return [];
    } finally {
      client?.close();
    }
  }));
  return rows.flat();
}

/** The client of a recorded workspace. */
function recordClient(ctx: CliContext, record: KubeRecord): KubeClient {
  return kubeClient(ctx, { context: record.context, namespace: record.namespace });
}

/** This host's record of the kube workspace `name`, if any. */
export function kubeRecordOf(ctx: CliContext, name: string): Promise<KubeRecord | undefined> {
  return readKubeRecord(devaipodDirs(ctx.deps.env).state, name);
}

/** `status` of a kube workspace. */
export async function kubeStatusAction(
  ctx: CliContext,
  record: KubeRecord,
  options: { json?: boolean },
): Promise<void> {
  const client = recordClient(ctx, record);
  try {
    const pods = (await workspacePods(client, record.workspace)).map(podState);
    const state = workspaceState(pods);
    const status = {
      name: record.workspace,
      backend: "kube",
      state,
      kube: { context: record.context, namespace: record.namespace, server: record.server },
      pods: pods.map((p) => ({ name: p.name, role: p.role, ready: p.ready, state: p.text })),
    };
    if (options.json) return ctx.json(status);
    for (
      const line of renderTable([
        ["workspace", `${record.workspace} (${state})`],
        ["backend", `kube: namespace ${record.namespace}, context ${record.context}`],
        ...pods.map((p) => [p.role, `${p.name}: ${p.text}`]),
      ])
    ) ctx.out(line);
  } finally {
    client.close();
  }
}

/** `stop` of a kube workspace: its Pods go; everything else stays. */
export async function kubeStopAction(ctx: CliContext, record: KubeRecord): Promise<void> {
  const client = recordClient(ctx, record);
  try {
    const pods = await kubeStop(client, record.workspace, { client, progress: progressOf(ctx) });
    ctx.info(`stopped ${record.workspace} (deleted pods ${pods.join(", ") || "none"})`);
  } finally {
    client.close();
  }
}

/** `start` of a kube workspace: its Pods again, from the specs kept at `up`. */
export async function kubeStartAction(
  ctx: CliContext,
  record: KubeRecord,
  readyTimeout: number,
): Promise<void> {
  const client = recordClient(ctx, record);
  try {
    await kubeStart(client, record.workspace, kubeName(podName(record.workspace)), readyTimeout, {
      client,
      progress: progressOf(ctx),
      log: (t) => ctx.info(t.trimEnd()),
    });
    ctx.info(`started ${record.workspace}`);
  } finally {
    client.close();
  }
}

/** `delete` of a kube workspace: by label; the claims only with `--volumes`. */
export async function kubeDeleteAction(
  ctx: CliContext,
  record: KubeRecord,
  options: { force?: boolean; volumes?: boolean },
): Promise<void> {
  const client = recordClient(ctx, record);
  try {
    const result = await kubeDelete(client, record.workspace, options);
    await removeKubeRecord(devaipodDirs(ctx.deps.env).state, record.workspace);
    ctx.info(
      `deleted ${record.workspace} (${result.deleted.length} objects)${
        result.keptClaims.length
          ? `; kept claims ${result.keptClaims.join(", ")} (delete --volumes removes them)`
          : ""
      }`,
    );
  } finally {
    client.close();
  }
}

/** `logs` of a kube workspace's container, from the API's log subresource. */
export async function kubeLogsAction(
  ctx: CliContext,
  record: KubeRecord,
  role: string,
  tail: number | undefined,
  follow = false,
): Promise<void> {
  const client = recordClient(ctx, record);
  try {
    const name = kubeName(`${podName(record.workspace)}-${role}`);
    const pod = await client.get("Pod", name, podSchema);
    if (!pod) {
      throw new NotFoundError(`workspace ${record.workspace} has no ${role} pod (stopped?)`);
    }
    // A Pod no node runs has no logs (the server answers with nothing): say why instead.
    if (!pod.spec.nodeName) {
      throw new FailedError(`${name} has no logs yet: ${podState(pod).text}`);
    }
    if (follow) {
      const stream = await client.followLogs(name, role, {
        ...(tail !== undefined ? { tail } : {}),
        signal: ctx.deps.signal,
      });
      await stream.pipeTo(Deno.stdout.writable, { preventClose: true }).catch((err) => {
        if (!ctx.deps.signal.aborted) throw err;
      });
      return;
    }
    ctx.deps.io.stdout(await client.logs(name, role, tail));
  } finally {
    client.close();
  }
}

/** The Pod `name`, refused unless a node runs it (the server's exec answer would say less). */
async function runningPod(
  client: KubeClient,
  record: KubeRecord,
  name: string,
  role: string,
): Promise<void> {
  const pod = await client.get("Pod", name, podSchema);
  if (!pod) {
    throw new ConflictError(`workspace ${record.workspace} has no ${role} pod: it is stopped`, {
      hint: `\`devaipod start ${record.workspace}\``,
    });
  }
  if (pod.status?.phase !== "Running") {
    throw new ConflictError(`${name} is not running: ${podState(pod).text}`);
  }
}

const LOGIN_SHELL = [
  "/bin/sh",
  "-c",
  "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi",
];

/**
 * `exec` in a kube workspace's container, through the API's exec subresource: this process's
 * stdin, stdout and stderr are the command's (a terminal in raw mode, with its size, when stdin is
 * one). Returns the command's exit code.
 */
export async function kubeExecAction(
  ctx: CliContext,
  record: KubeRecord,
  role: string,
  command: readonly string[],
): Promise<number> {
  const client = recordClient(ctx, record);
  const tty = Deno.stdin.isTerminal();
  try {
    const argv = command.length ? command : LOGIN_SHELL;
    const pod = kubeName(`${podName(record.workspace)}-${role}`);
    await runningPod(client, record, pod, role);
    const proc = await kubeExec(client, {
      pod,
      container: role,
      command: role === "workspace" ? withWorkspaceEnv(argv) : argv,
      stdin: true,
      tty,
    });
    if (tty) {
      Deno.stdin.setRaw(true);
      const { columns, rows } = Deno.consoleSize();
      proc.resize(columns, rows);
    }
    const input = Deno.stdin.readable.pipeTo(proc.stdin).catch(() => {});
    const output = Promise.all([
      proc.stdout.pipeTo(Deno.stdout.writable, { preventClose: true }),
      proc.stderr.pipeTo(Deno.stderr.writable, { preventClose: true }),
    ]);
    const code = await proc.status;
    await output;
    proc.close();
    void input;
    return code;
  } finally {
    if (tty) Deno.stdin.setRaw(false);
    client.close();
  }
}

/**
 * The SSH bridge's way into a kube workspace: sessions through the API's exec in its workspace
 * Pod, whose spec gives the folder and devaipod's helper (for sftp and forwarding).
 */
export function kubeBridge(
  ctx: CliContext,
  record: KubeRecord,
): { runner: SessionRunner; target: Promise<BridgeTarget>; close(): void } {
  const client = recordClient(ctx, record);
  const name = kubeName(`${podName(record.workspace)}-workspace`);
  const target = (async (): Promise<BridgeTarget> => {
    await runningPod(client, record, name, "workspace");
    const pod = await client.get("Pod", name, podSpecSchema);
    const container = pod?.spec.containers.find((c) => c.name === "workspace");
    const helper = helperArgv((container?.volumeMounts ?? []).map((m) => m.mountPath));
    return {
      workspace: record.workspace,
      container: name,
      workdir: container?.workingDir ?? "/",
      ...(helper ? { helper } : {}),
    };
  })();
  return { runner: kubeRunner(client), target, close: () => client.close() };
}

/** The fields of a Pod's spec the bridge reads. */
const podSpecSchema = z.object({
  spec: z.object({
    containers: z.array(
      z.object({
        name: z.string(),
        workingDir: z.string().optional(),
        volumeMounts: z.array(z.object({ mountPath: z.string() }).passthrough()).optional(),
      }).passthrough(),
    ),
  }).passthrough(),
}).passthrough();
