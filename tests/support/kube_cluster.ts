/**
 * Nodes for the tests' API server: kube-scheduler places pods, kwok plays the kubelet of one fake
 * node, and a small binder plays the storage (claims get volumes), so that a pod reaches Running
 * and Ready, and a deleted pod goes away, without a container runtime. Nothing runs in the pods: kwok writes their status from its stages
 * (tests/kube/kwok/stages.yaml), ignoring probes, images and commands.
 *
 * Both binaries are built once into `$XDG_CACHE_HOME/devaipod-test/kube/` (see kube_build.ts).
 * There is no controller-manager: no ServiceAccounts, no ReplicaSets, no garbage collection, and
 * no node lifecycle (a node stays Ready whatever kwok does).
 */
import { join } from "node:path";

import { collect, freePort } from "./kube_apiserver.ts";
import type { KubeServer } from "./kube_apiserver.ts";
import { kwokPath, kwokStagesFile, schedulerPath } from "./kube_build.ts";

/** The fake node's name. */
export const NODE_NAME = "kwok-node-0";

/** What the fake node offers. */
export const NODE_ALLOCATABLE = { cpu: "4", memory: "8Gi", pods: "110" } as const;

/** A running scheduler and kwok; `stop` ends both and removes their files. */
export interface KubeNodes {
  stop(): Promise<void>;
}

/** Options of `startNodes`. */
export interface NodeOptions {
  /**
   * Run kwok's kubelet server too (HTTPS on loopback, the node's kubelet endpoint), so that the
   * API server's pods/log answers with `logsFile`'s content and pods/exec runs the command on
   * this machine, in `execWorkDir`.
   */
  kubelet?: { logsFile: string; execWorkDir: string };
}

/**
 * Starts kube-scheduler and kwok against `server`, creates the fake node, and waits until the
 * scheduler is ready and kwok has made the node Ready (a few seconds).
 */
export async function startNodes(server: KubeServer, opts: NodeOptions = {}): Promise<KubeNodes> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-kube-nodes-" });
  const procs: Deno.ChildProcess[] = [];
  let binder: { stop(): Promise<void> } | undefined;
  const stop = async () => {
    await binder?.stop();
    for (const p of [...procs].reverse()) {
      try {
        p.kill("SIGTERM");
      } catch { /* gone */ }
      await p.status.catch(() => {});
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const kubeconfig = join(dir, "kubeconfig");
    // JSON is YAML: one cluster, the admin's token (system:masters).
    await Deno.writeTextFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{
          name: "test",
          cluster: { server: server.url, "certificate-authority": server.caFile },
        }],
        users: [{ name: "admin", user: { token: server.adminToken } }],
        contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
        "current-context": "test",
      }),
    );
    const port = freePort();
    const certDir = join(dir, "scheduler-certs");
    const scheduler = new Deno.Command("sh", {
      args: [
        "-c",
        'exec "$0" "$@"',
        schedulerPath(),
        `--kubeconfig=${kubeconfig}`,
        // Its own HTTPS server (healthz/readyz) asks the API server who calls it; these paths
        // are always allowed, the kubeconfigs only stop it complaining.
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        `--secure-port=${port}`,
        `--cert-dir=${certDir}`,
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    procs.push(scheduler);
    const schedErr = collect(scheduler.stderr);
    const kubeletArgs: string[] = [];
    if (opts.kubelet) {
      // Logs and Exec for every pod (kwok's ClusterLogs/ClusterExec, here from a config file
      // rather than its CRDs).
      const extra = join(dir, "kwok-debugging.yaml");
      await Deno.writeTextFile(
        extra,
        [
          {
            apiVersion: "kwok.x-k8s.io/v1alpha1",
            kind: "ClusterLogs",
            metadata: { name: "all" },
            spec: { logs: [{ logsFile: opts.kubelet.logsFile, follow: false }] },
          },
          {
            apiVersion: "kwok.x-k8s.io/v1alpha1",
            kind: "ClusterExec",
            metadata: { name: "all" },
            spec: { execs: [{ local: { workDir: opts.kubelet.execWorkDir } }] },
          },
        ].map((o) => JSON.stringify(o)).join("\n---\n"),
      );
      const kubeletPort = freePort();
      // The API server does not check a kubelet's certificate without
      // --kubelet-certificate-authority: any will do, so the API server's own is reused.
      const certs = join(server.caFile, "..");
      kubeletArgs.push(
        `--config=${extra}`,
        `--server-address=127.0.0.1:${kubeletPort}`,
        `--node-port=${kubeletPort}`,
        `--tls-cert-file=${join(certs, "apiserver.crt")}`,
        `--tls-private-key-file=${join(certs, "apiserver.key")}`,
      );
    }
    const kwok = new Deno.Command("sh", {
      args: [
        "-c",
        'exec "$0" "$@"',
        kwokPath(),
        `--kubeconfig=${kubeconfig}`,
        // The stages; also keeps it off ~/.kwok/kwok.yaml.
        `--config=${kwokStagesFile}`,
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        "--node-ip=127.0.0.1",
        // Without --server-address/--node-port: no kubelet server (logs, exec, port-forward).
        ...kubeletArgs,
      ],
      // kwok writes nothing to HOME that we know of; keep it out of the real one anyway.
      env: { HOME: dir },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    procs.push(kwok);
    const kwokErr = collect(kwok.stderr);
    let exited: string | undefined;
    scheduler.status.then((s) =>
      exited ??= `kube-scheduler exited ${s.code}:\n${schedErr.join("").slice(-3000)}`
    );
    kwok.status.then((s) => exited ??= `kwok exited ${s.code}:\n${kwokErr.join("").slice(-3000)}`);

    const node = await server.request("POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: NODE_NAME,
        annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: {
          "beta.kubernetes.io/arch": "amd64",
          "beta.kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          "kubernetes.io/hostname": NODE_NAME,
          "kubernetes.io/os": "linux",
          "kubernetes.io/role": "agent",
          "node-role.kubernetes.io/agent": "",
          type: "kwok",
        },
      },
      spec: {},
      status: {
        allocatable: NODE_ALLOCATABLE,
        capacity: NODE_ALLOCATABLE,
      },
    });
    if (node.status !== 201) {
      throw new Error(`creating the node answered ${node.status}: ${JSON.stringify(node.body)}`);
    }
    // The API server's TaintNodesByCondition admission gives a new node the taint
    // node.kubernetes.io/not-ready:NoSchedule; the controller-manager's node lifecycle controller
    // would take it off once the node is Ready. There is none: take it off here, or the scheduler
    // answers "1 node(s) had untolerated taint(s)".
    // (KubeServer.request sends JSON only, and a PATCH needs a patch media type.)
    const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(server.caFile)] });
    try {
      const r = await fetch(`${server.url}/api/v1/nodes/${NODE_NAME}`, {
        method: "PATCH",
        client,
        headers: {
          authorization: `Bearer ${server.adminToken}`,
          "content-type": "application/merge-patch+json",
        },
        body: JSON.stringify({ spec: { taints: null } }),
      });
      const text = await r.text();
      if (r.status !== 200) throw new Error(`untainting the node answered ${r.status}: ${text}`);
    } finally {
      client.close();
    }

    const deadline = Date.now() + 60_000;
    let schedClient: Deno.HttpClient | undefined;
    let schedReady = false;
    let nodeReady = false;
    while (Date.now() < deadline) {
      if (exited !== undefined) throw new Error(exited);
      if (!schedReady) {
        try {
          schedClient ??= Deno.createHttpClient({
            caCerts: [await Deno.readTextFile(join(certDir, "kube-scheduler.crt"))],
          });
          const r = await fetch(`https://127.0.0.1:${port}/readyz`, { client: schedClient });
          await r.body?.cancel();
          schedReady = r.status === 200;
        } catch {
          // Not listening yet, or its certificate not (wholly) written yet.
          schedClient?.close();
          schedClient = undefined;
        }
      }
      if (!nodeReady) {
        const n = await server.request("GET", `/api/v1/nodes/${NODE_NAME}`);
        const conds = ((n.body.status as { conditions?: { type: string; status: string }[] })
          ?.conditions) ?? [];
        nodeReady = conds.some((c) => c.type === "Ready" && c.status === "True");
      }
      if (schedReady && nodeReady) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    schedClient?.close();
    if (!schedReady || !nodeReady) {
      throw new Error(
        `not ready within 60s (scheduler ${schedReady}, node ${nodeReady}):\n` +
          `kube-scheduler:\n${schedErr.join("").slice(-2000)}\nkwok:\n${
            kwokErr.join("").slice(-2000)
          }`,
      );
    }
    binder = bindClaims(server, dir);
    return { stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A merge patch (`status` for the status subresource) as admin. */
async function patch(server: KubeServer, path: string, body: unknown): Promise<void> {
  const client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(server.caFile)] });
  try {
    const r = await fetch(`${server.url}${path}`, {
      method: "PATCH",
      client,
      headers: {
        authorization: `Bearer ${server.adminToken}`,
        "content-type": "application/merge-patch+json",
      },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`PATCH ${path}: ${r.status} ${text}`);
  } finally {
    client.close();
  }
}

/**
 * The cluster's storage, played in the test (there is no controller-manager to bind claims, and
 * no provisioner): every 200 ms, each pending claim gets a hostPath PersistentVolume under `dir`
 * of its size, and both are marked bound, as a provisioner and the binder would. The scheduler
 * then places the Pods that use them.
 */
function bindClaims(server: KubeServer, dir: string): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const r = await server.request("GET", "/api/v1/persistentvolumeclaims");
        // deno-lint-ignore no-explicit-any
        for (const c of (r.body.items ?? []) as any[]) {
          if (c.spec.volumeName || c.metadata.deletionTimestamp) continue;
          const ns = c.metadata.namespace;
          const name = c.metadata.name;
          const pv = `pv-${ns}-${name}`.slice(0, 63);
          const made = await server.request("POST", "/api/v1/persistentvolumes", {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name: pv },
            spec: {
              capacity: { storage: c.spec.resources.requests.storage },
              accessModes: c.spec.accessModes,
              persistentVolumeReclaimPolicy: "Retain",
              hostPath: { path: join(dir, "volumes", pv) },
              claimRef: { namespace: ns, name, uid: c.metadata.uid },
            },
          });
          if (made.status !== 201 && made.status !== 409) {
            throw new Error(`PV ${pv}: ${made.status} ${JSON.stringify(made.body)}`);
          }
          const claim = `/api/v1/namespaces/${ns}/persistentvolumeclaims/${name}`;
          await patch(server, claim, {
            metadata: {
              annotations: {
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
              },
            },
            spec: { volumeName: pv },
          });
          await patch(server, `${claim}/status`, {
            status: {
              phase: "Bound",
              accessModes: c.spec.accessModes,
              capacity: { storage: c.spec.resources.requests.storage },
            },
          });
          await patch(server, `/api/v1/persistentvolumes/${pv}/status`, {
            status: { phase: "Bound" },
          });
        }
      } catch (err) {
        if (!stopped) console.error(`binding claims: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
