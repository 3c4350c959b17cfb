/**
 * `up --backend kube` and the workspace's life through the API, against a real API server
 * (tests/support/kube_apiserver.ts) as a user bound to exactly devaipod's documented Role. The
 * first tests run without a scheduler or a kubelet: Pods are created but never scheduled, so they
 * check what devaipod asks of the server and how it reads the answers: objects by label, the wait
 * that times out saying why, the rollback that keeps the claims, the server's refusals passed
 * through. The last ones add kube-scheduler and a kwok node (tests/support/kube_cluster.ts), so
 * Pods are placed and reported Running and Ready (nothing runs in them): the wait ends ready,
 * stop and start go through it, and the scheduler's and the "kubelet's" failures reach the user.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { denoDir, denoProgram, devaipodPermissionFlags, runDevaipod } from "./support/cli.ts";
import { KubeServer, kubeTest } from "./support/kube_apiserver.ts";
import { startNodes } from "./support/kube_cluster.ts";
import type { KubeNodes } from "./support/kube_cluster.ts";
import type { KubeAnswer } from "./support/kube_apiserver.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { project } from "./support/workspaces.ts";
import { run } from "./support/process.ts";
import { registryUnavailable, startRegistry } from "./support/registry.ts";

const NS = "devaipod-up";
const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Reads `stream` until its text holds `expected` (or `ms` pass); the text read. */
async function readUntil(
  stream: ReadableStream<Uint8Array>,
  expected: string,
  ms: number,
): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + ms;
  while (!text.includes(expected) && Date.now() < deadline) {
    const next = await Promise.race([
      reader.read(),
      new Promise<undefined>((r) =>
        setTimeout(() => r(undefined), Math.max(0, deadline - Date.now()))
      ),
    ]);
    if (!next || next.done) break;
    text += next.value;
  }
  await reader.cancel();
  return text;
}

/** Names of the objects of `kind` (plural path) labelled with `workspace`, as admin sees them. */
async function names(server: KubeServer, path: string, workspace: string): Promise<string[]> {
  const r: KubeAnswer = await server.request(
    "GET",
    `${path}?labelSelector=${encodeURIComponent(`io.devaipod.workspace=${workspace}`)}`,
  );
  assertEquals(r.status, 200, JSON.stringify(r.body));
  // deno-lint-ignore no-explicit-any
  return (r.body.items as any[]).map((o) => o.metadata.name).sort();
}

const core = (plural: string) => `/api/v1/namespaces/${NS}/${plural}`;
const policies = `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`;

/** Every object of a workspace by kind, as the server has them. */
type Objects = Record<
  "pods" | "services" | "configmaps" | "secrets" | "claims" | "policies",
  string[]
>;

async function objects(server: KubeServer, workspace: string): Promise<Objects> {
  return {
    pods: await names(server, core("pods"), workspace),
    services: await names(server, core("services"), workspace),
    configmaps: await names(server, core("configmaps"), workspace),
    secrets: await names(server, core("secrets"), workspace),
    claims: await names(server, core("persistentvolumeclaims"), workspace),
    policies: await names(server, policies, workspace),
  };
}

interface Env {
  server: KubeServer;
  tmp: string;
  dir: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * A server with the namespace and Role, a project, and devaipod's env for `user`; with `nodes`,
 * a scheduler and a kwok node whose kubelet serves `logs` as every container's log.
 */
async function setUp(
  user = "devaipod",
  options: { nodes?: boolean; config?: (tmp: string) => Record<string, unknown> } = {},
): Promise<Env & { logs: string }> {
  const server = await KubeServer.start(["devaipod", "less"]);
  const tmp = await Deno.makeTempDir({ prefix: "devaipod-kube-up-" });
  let nodes: KubeNodes | undefined;
  const logs = "opencode server listening on http://0.0.0.0:4096\n";
  try {
    await server.namespaceWithRole(NS, ["devaipod"], [["less", "networkpolicies", "create"]]);
    if (options.nodes) {
      const logsFile = join(tmp, "container.log");
      // The CRI log format a kubelet keeps: time, stream, tag, the line.
      await Deno.writeTextFile(logsFile, `2026-11-28T00:00:00.000000000Z stdout F ${logs}`);
      nodes = await startNodes(server, { kubelet: { logsFile, execWorkDir: tmp } });
    }
    const kubeconfig = join(tmp, "kubeconfig");
    await server.writeKubeconfig(kubeconfig, user, NS);
    const dir = await project(
      options.config?.(tmp) ?? { image: DEV_IMAGE, secrets: { GH_TOKEN: {} } },
    );
    return {
      server,
      tmp,
      dir,
      logs,
      env: {
        KUBECONFIG: kubeconfig,
        XDG_STATE_HOME: join(tmp, "state"),
        GH_TOKEN: "ghp_kube_test_value",
      },
      cleanup: async () => {
        await nodes?.stop();
        await server.stop();
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        await Deno.remove(tmp, { recursive: true }).catch(() => {});
      },
    };
  } catch (err) {
    await nodes?.stop();
    await server.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw err;
  }
}

kubeTest(
  "kube backend: up --registry pushes devaipod's runtime image to a real registry, and the Pods copy devaipod's code and the agent from it by digest, mounting nothing of the node's",
  async () => {
    assertEquals(registryUnavailable, undefined, registryUnavailable);
    const t = await setUp();
    const registry = await startRegistry();
    const env = { ...t.env, CONTAINERS_REGISTRIES_CONF: registry.registriesConf };
    const devaipod = (...args: string[]) => runDevaipod(args, { env });
    const ws = "kreg";
    try {
      // A registry that is not one fails before anything is made.
      const bad = await devaipod(
        "up",
        t.dir,
        "--backend",
        "kube",
        "--name",
        ws,
        "--registry",
        "http://x",
      );
      assertEquals(bad.code, 2, bad.stderr);
      assertMatch(bad.stderr, /--registry 'http:\/\/x': not a registry/);
      assertEquals((await objects(t.server, ws)).pods, []);
      // --registry is kube's.
      const podmanUp = await devaipod("up", t.dir, "--name", ws, "--registry", registry.address);
      assertEquals(podmanUp.code, 2, podmanUp.stderr);
      assertMatch(podmanUp.stderr, /--registry goes with --backend kube/);

      const up = await devaipod(
        "up",
        t.dir,
        "--backend",
        "kube",
        "--name",
        ws,
        "--registry",
        registry.address,
        "--no-wait",
      );
      assertEquals(up.code, 0, up.stderr);
      assertMatch(up.stderr, /✓ push to 127\.0\.0\.1:\d+/);
      assertEquals(up.stderr.includes("host paths"), false, up.stderr);
      const pods = await t.server.request(
        "GET",
        `${core("pods")}?labelSelector=${encodeURIComponent(`io.devaipod.workspace=${ws}`)}`,
      );
      // deno-lint-ignore no-explicit-any
      const items = (pods.body as any).items as any[];
      assertEquals(items.length, 3);
      const refs = new Set<string>();
      for (const pod of items) {
        assertEquals(pod.spec.volumes.filter((v: Record<string, unknown>) => v.hostPath), []);
        const [init] = pod.spec.initContainers;
        refs.add(init.image);
      }
      assertEquals(refs.size, 1);
      const [ref] = [...refs];
      assertMatch(
        ref ?? "",
        new RegExp(`^${registry.address}/devaipod-runtime@sha256:[0-9a-f]{64}$`),
      );
      assert(await registry.hasManifest("devaipod-runtime", ref?.split("@")[1] ?? ""), ref);
      const del = await devaipod("delete", "-f", ws);
      assertEquals(del.code, 0, del.stderr);
    } finally {
      await registry.close();
      await t.cleanup();
    }
  },
);

kubeTest(
  "kube backend: up creates the objects with the Role's token; list, status, stop, start and delete act by label; the claims survive delete",
  async () => {
    const t = await setUp();
    const devaipod = (...args: string[]) => runDevaipod(args, { env: t.env });
    const ws = "kup";
    try {
      const up = await devaipod(
        "up",
        t.dir,
        "--backend",
        "kube",
        "--name",
        ws,
        "--no-wait",
        "--json",
      );
      assertEquals(up.code, 0, up.stderr);
      const result = JSON.parse(up.stdout);
      assertEquals([result.workspace, result.namespace, result.context, result.ready], [
        ws,
        NS,
        "test",
        false,
      ]);
      assertMatch(up.stderr, /✓ create \d+ objects in namespace devaipod-up/);
      const made = await objects(t.server, ws);
      assertEquals(made.pods, [
        `devaipod-${ws}-agent`,
        `devaipod-${ws}-proxy`,
        `devaipod-${ws}-workspace`,
      ]);
      assertEquals(made.claims, [
        `devaipod-${ws}-agent-home`,
        `devaipod-${ws}-agent-work`,
        `devaipod-${ws}-work`,
      ]);
      assertEquals(made.configmaps, [`devaipod-${ws}-allow`, `devaipod-${ws}-pods`]);
      assertEquals(made.secrets, [
        `devaipod-${ws}-opencode-server-password`,
        `devaipod-${ws}-ws-gh-token`,
      ]);
      assertEquals(made.policies.length, 3);
      // The Secret holds the value from the environment; nothing printed it.
      const secret = await t.server.request("GET", `${core("secrets")}/devaipod-${ws}-ws-gh-token`);
      // deno-lint-ignore no-explicit-any
      assertEquals(atob((secret.body as any).data.value), "ghp_kube_test_value");
      assertEquals((up.stdout + up.stderr).includes("ghp_kube_test_value"), false);

      // A second up of the same name is a conflict, and changes nothing.
      const again = await devaipod("up", t.dir, "--backend", "kube", "--name", ws, "--no-wait");
      assertEquals(again.code, 9, again.stderr);
      assertMatch(again.stderr, /workspace kup already exists in namespace devaipod-up/);

      // list and status by label: the Pods are there, not scheduled (no scheduler runs here).
      const listed = JSON.parse((await devaipod("list", "--backend", "kube", "--json")).stdout);
      assertEquals(
        listed.map((r: Record<string, unknown>) => [r.name, r.state, r.backend, r.namespace]),
        [[ws, "starting", "kube", NS]],
      );
      const status = await devaipod("status", ws, "--json");
      assertEquals(status.code, 0, status.stderr);
      const s = JSON.parse(status.stdout);
      assertEquals(s.backend, "kube");
      assertEquals(s.pods.length, 3);
      for (const p of s.pods) assertMatch(p.state, /not scheduled yet/);

      // logs: a Pod no node runs has none, and logs says why.
      const logs = await devaipod("logs", ws, "-c", "agent");
      assertEquals(logs.code, 1, `${logs.stdout}\n${logs.stderr}`);
      assertMatch(logs.stderr, /devaipod-kup-agent has no logs yet: not scheduled yet/);
      // exec needs a running Pod, and says why there is none.
      const exec = await devaipod("exec", ws, "--", "true");
      assertEquals(exec.code, 9, exec.stderr);
      assertMatch(exec.stderr, /devaipod-kup-workspace is not running: not scheduled yet/);

      // delete without -f refuses while Pods exist.
      const refused = await devaipod("delete", ws);
      assertEquals(refused.code, 9, refused.stderr);

      // stop: the Pods go, everything else stays; list says stopped.
      const stop = await devaipod("stop", ws);
      assertEquals(stop.code, 0, stop.stderr);
      const stopped = await objects(t.server, ws);
      assertEquals(stopped.pods, []);
      assertEquals(stopped.claims.length, 3);
      assertEquals(stopped.configmaps, made.configmaps);
      const listedStopped = JSON.parse((await devaipod("list", "--json")).stdout);
      assertEquals(listedStopped.map((r: { state: string }) => r.state), ["stopped"]);

      // start: the same Pods again from the kept specs; the wait times out saying why.
      const start = await devaipod("start", ws, "--ready-timeout", "1");
      assertEquals(start.code, 1, start.stderr);
      assertMatch(start.stderr, /pods not ready after 1s: .*not scheduled yet/);
      assertEquals((await objects(t.server, ws)).pods, made.pods);

      // delete -f: everything labelled goes but the claims; the record too.
      const del = await devaipod("delete", "-f", ws);
      assertEquals(del.code, 0, del.stderr);
      assertMatch(del.stderr, /kept claims/);
      const left = await objects(t.server, ws);
      assertEquals(left, {
        ...Object.fromEntries(Object.keys(left).map((k) => [k, []])),
        claims: made.claims,
      });
      assertEquals((await devaipod("list", "--json")).stdout.trim(), "[]");
      assertEquals((await devaipod("delete", ws)).code, 6);

      // up again reuses the kept claims (the workspace's data).
      const reuse = await devaipod("up", t.dir, "--backend", "kube", "--name", ws, "--no-wait");
      assertEquals(reuse.code, 0, reuse.stderr);
      assertMatch(
        reuse.stderr,
        /reusing claims devaipod-kup-work, devaipod-kup-agent-home, devaipod-kup-agent-work/,
      );
      const gone = await devaipod("delete", "-f", "--volumes", ws);
      assertEquals(gone.code, 0, gone.stderr);
      // --volumes deletes the claims: the server marks them, and the protection finalizer (which
      // a controller-manager removes once no Pod uses them; none runs here) is all that holds them.
      for (const claim of made.claims) {
        const c = await t.server.request("GET", `${core("persistentvolumeclaims")}/${claim}`);
        // deno-lint-ignore no-explicit-any
        const meta = (c.body as any).metadata;
        assert(meta?.deletionTimestamp, `${claim} is not being deleted: ${JSON.stringify(meta)}`);
        assertEquals(meta.finalizers, ["kubernetes.io/pvc-protection"]);
      }
    } finally {
      await t.cleanup();
    }
  },
);

kubeTest(
  "kube backend: up waits for the Pods, and a wait that times out rolls back everything but the claims, saying what the Pods waited for",
  async () => {
    const t = await setUp();
    try {
      const up = await runDevaipod(
        ["up", t.dir, "--backend", "kube", "--name", "late", "--ready-timeout", "2"],
        { env: t.env },
      );
      assertEquals(up.code, 1, up.stderr);
      assertMatch(
        up.stderr,
        /pods not ready after 2s: workspace: not scheduled yet \(no scheduler has taken it\)/,
      );
      assertMatch(up.stderr, /✓ roll back \d+ objects \(claims stay\)/);
      const left = await objects(t.server, "late");
      assertEquals(left.claims.length, 3);
      for (const kind of ["pods", "services", "configmaps", "secrets", "policies"] as const) {
        assertEquals(left[kind], [], kind);
      }
      const listed = await runDevaipod(["list", "--json"], { env: t.env });
      assertEquals(listed.stdout.trim(), "[]", "a failed up leaves no record");
    } finally {
      await t.cleanup();
    }
  },
);

kubeTest(
  "kube backend: with one verb less in the Role, up fails with the server's message (exit 11) and rolls back what it made",
  async () => {
    const t = await setUp("less");
    try {
      const up = await runDevaipod(
        ["up", t.dir, "--backend", "kube", "--name", "less", "--no-wait"],
        { env: t.env },
      );
      assertEquals(up.code, 11, up.stderr);
      assertMatch(
        up.stderr,
        /create NetworkPolicy devaipod-less-agent: 403 .*cannot create resource "networkpolicies" in API group "networking.k8s.io"/,
      );
      assertMatch(up.stderr, /hint: .*devaipod's Role/);
      const left = await objects(t.server, "less");
      assertEquals(left.claims.length, 3);
      assert(
        (["pods", "services", "configmaps", "secrets", "policies"] as const).every((k) =>
          left[k].length === 0
        ),
        JSON.stringify(left),
      );
    } finally {
      await t.cleanup();
    }
  },
);

kubeTest(
  "kube backend with a scheduler and a kwok node: up waits until the Pods are ready, copies the project in and runs the hooks through exec; list says running; logs and exec reach the node; stop and start go through the same wait and hooks; up over kept claims copies nothing",
  async () => {
    // The workspace folder is a scratch folder of the test: kwok runs exec's commands on this
    // machine, so the project's copy lands there.
    const t = await setUp("devaipod", {
      nodes: true,
      config: (tmp) => ({
        image: DEV_IMAGE,
        workspaceMount: `source=\${localWorkspaceFolder},target=${join(tmp, "ws")},type=bind`,
        workspaceFolder: join(tmp, "ws"),
        postCreateCommand: "echo made | tee -a made.txt",
      }),
    });
    const devaipod = (...args: string[]) => runDevaipod(args, { env: t.env });
    const ws = "ready";
    try {
      await Deno.writeTextFile(join(t.dir, "hello.txt"), "hello from the project\n");
      for (
        const args of [["init", "-q"], ["add", "-A"], ["commit", "-qm", "the project"]]
      ) {
        const g = await run("git", [
          "-C",
          t.dir,
          "-c",
          "user.name=t",
          "-c",
          "user.email=t@t",
          ...args,
        ]);
        assertEquals(g.code, 0, g.stderr);
      }
      const head = (await run("git", ["-C", t.dir, "rev-parse", "HEAD"])).stdout.trim();
      const up = await devaipod("up", t.dir, "--backend", "kube", "--name", ws, "--json");
      assertEquals(up.code, 0, up.stderr);
      const result = JSON.parse(up.stdout);
      assertEquals([result.ready, result.commit], [true, head]);
      assertMatch(up.stderr, /✓ wait for 3 pods to be ready/);
      // The project went through exec's stdin into the Pods: the human's tree, then the agent's
      // clone on its own branch (here both land in one folder, the agent's last).
      const copied = join(t.tmp, "ws");
      assertEquals(await Deno.readTextFile(join(copied, "hello.txt")), "hello from the project\n");
      assertEquals(
        (await run("git", ["-C", copied, "symbolic-ref", "HEAD"])).stdout.trim(),
        `refs/heads/devaipod/${ws}`,
      );
      assertEquals((await run("git", ["-C", copied, "rev-parse", "HEAD"])).stdout.trim(), head);
      // The hooks ran through exec in both Pods (kwok: on this machine, in its scratch folder),
      // their output on stderr.
      assertMatch(up.stderr, /✓ lifecycle hooks/);
      assertMatch(up.stderr, /^made$/m);
      assertEquals(await Deno.readTextFile(join(t.tmp, "made.txt")), "made\nmade\n");
      const pods = await t.server.request("GET", `${core("pods")}/devaipod-${ws}-agent`);
      // deno-lint-ignore no-explicit-any
      assertEquals((pods.body as any).spec.nodeName, "kwok-node-0");
      const listed = JSON.parse((await devaipod("list", "--json")).stdout);
      assertEquals(
        listed.map((r: { name: string; state: string; agent: { health: string } }) => [
          r.name,
          r.state,
          r.agent.health,
        ]),
        [[ws, "running", "healthy"]],
      );
      // logs through the API's log subresource, from the node's kubelet.
      const logs = await devaipod("logs", ws, "-c", "agent");
      assertEquals(logs.code, 0, logs.stderr);
      assertEquals(logs.stdout, t.logs);
      // -f streams it, and keeps following until Ctrl-C.
      const follow = new Deno.Command(denoProgram(), {
        args: [
          "run",
          "--quiet",
          ...devaipodPermissionFlags(),
          MAIN,
          "logs",
          ws,
          "-c",
          "agent",
          "-f",
        ],
        env: { NO_COLOR: "1", DENO_DIR: denoDir(), ...t.env },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const followed = await readUntil(follow.stdout, t.logs, 20_000);
      assertEquals(followed, t.logs);
      follow.kill("SIGINT");
      const [ended, stderr] = await Promise.all([
        follow.status,
        new Response(follow.stderr).text(),
      ]);
      assertEquals(ended.code, 130, stderr);
      // exec through the API's exec subresource (its WebSocket protocol), which the API server
      // passes to the node's kubelet: kwok runs the command on this machine, in a scratch folder.
      const exec = await devaipod(
        "exec",
        ws,
        "-c",
        "agent",
        "--",
        "sh",
        "-c",
        "echo out; echo err >&2",
      );
      assertEquals([exec.code, exec.stdout, exec.stderr], [0, "out\n", "err\n"]);
      // A command that fails: a kubelet's Status says NonZeroExitCode with the code (unit-tested
      // in lib/kube/exec_test.ts); kwok's says InternalError, which devaipod passes through.
      const failed = await devaipod("exec", ws, "-c", "agent", "--", "sh", "-c", "exit 3");
      assertEquals(failed.code, 11, failed.stderr);
      assertMatch(failed.stderr, /exec in devaipod-ready-agent: .*exit status 3/);
      // stdin reaches it (a command that reads a known length: kwok's exec does not pass on the
      // end of stdin, which the protocol's v5 close sends).
      const data = "0123456789".repeat(10_000);
      const piped = await runDevaipod(["exec", ws, "-c", "agent", "--", "head", "-c", "100000"], {
        env: t.env,
        stdin: data,
      });
      assertEquals([piped.code, piped.stdout.length, piped.stdout === data], [0, 100_000, true]);
      // ssh: the real OpenSSH client, devaipod's bridge as its ProxyCommand, the session through
      // the API's exec (HOME: the bridge's keys and known host go to the test's folder).
      const bridged = await runDevaipod(["ssh", ws, "--", "echo", "bridged"], {
        env: { ...t.env, HOME: t.tmp },
      });
      assertEquals([bridged.code, bridged.stdout], [0, "bridged\n"], bridged.stderr);

      const stop = await devaipod("stop", ws);
      assertEquals(stop.code, 0, stop.stderr);
      // stop returns once the node confirmed the deletions (kwok), so the Pods are gone.
      assertMatch(stop.stderr, /✓ delete 3 pods/);
      assertEquals((await objects(t.server, ws)).pods, []);
      const start = await devaipod("start", ws);
      assertEquals(start.code, 0, start.stderr);
      assertMatch(start.stderr, /✓ wait for 3 pods to be ready/);
      // New Pods, new containers: the create hooks ran again in both.
      assertEquals(await Deno.readTextFile(join(t.tmp, "made.txt")), "made\n".repeat(4));
      const again = JSON.parse((await devaipod("status", ws, "--json")).stdout);
      assertEquals(again.state, "running");
      assertEquals(again.pods.map((p: { ready: boolean }) => p.ready), [true, true, true]);
      assertEquals((await devaipod("delete", "-f", ws)).code, 0);

      // The claims stayed, and hold the user's work: up again copies nothing over it.
      await Deno.writeTextFile(join(copied, "hello.txt"), "the user's work\n");
      const again2 = await devaipod("up", t.dir, "--backend", "kube", "--name", ws);
      assertEquals(again2.code, 0, again2.stderr);
      assertMatch(
        again2.stderr,
        /reusing claims devaipod-ready-work, devaipod-ready-agent-home, devaipod-ready-agent-work/,
      );
      assertEquals(again2.stderr.includes("copy the project"), false, again2.stderr);
      assertEquals(await Deno.readTextFile(join(copied, "hello.txt")), "the user's work\n");
      assertEquals((await devaipod("delete", "-f", ws)).code, 0);
    } finally {
      await t.cleanup();
    }
  },
);

kubeTest(
  "kube backend with a kwok node: an image the node cannot pull fails up at once with the kubelet's reason; a Pod no node can hold ends the wait with the scheduler's message; both roll back",
  async () => {
    const t = await setUp("devaipod", {
      nodes: true,
      config: () => ({ image: "localhost/unpullable:latest" }),
    });
    try {
      const started = performance.now();
      const up = await runDevaipod(
        ["up", t.dir, "--backend", "kube", "--name", "nopull", "--ready-timeout", "60"],
        { env: t.env },
      );
      assertEquals(up.code, 1, up.stderr);
      assertMatch(
        up.stderr,
        /workspace nopull cannot start: devaipod-nopull-\w+: ErrImagePull: pull access denied for localhost\/unpullable:latest/,
      );
      assert(performance.now() - started < 30_000, "a failed pull does not wait for the timeout");
      assertEquals((await objects(t.server, "nopull")).services, []);

      const big = await runDevaipod(
        [
          "up",
          t.dir,
          "--backend",
          "kube",
          "--name",
          "big",
          "--cpu",
          "64",
          "--ready-timeout",
          "3",
          "--image",
          DEV_IMAGE,
        ],
        { env: t.env },
      );
      assertEquals(big.code, 1, big.stderr);
      assertMatch(
        big.stderr,
        /pods not ready after 3s: workspace: not scheduled: 0\/1 nodes are available: 1 Insufficient cpu/,
      );
      const left = await objects(t.server, "big");
      assertEquals([left.pods, left.services, left.claims.length], [[], [], 3]);
    } finally {
      await t.cleanup();
    }
  },
);
