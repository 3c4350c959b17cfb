/**
 * The Kubernetes backend's speed, against kubectl on the same real API server in the same run
 * (tests/support/kube_apiserver.ts; kubectl from Debian's `kubernetes-client`):
 * - `up --backend kube --no-wait` (to "objects created") against `kubectl apply -f` of the same
 *   objects (the render's YAML with its two Secrets), goal ≤ 1.5×;
 * - `list --backend kube --json` with 50 kube workspaces against
 *   `kubectl get pods -l io.devaipod.workspace -o json`, goal ≤ 1.2×.
 * Both run as the user bound to devaipod's Role. Skipped, saying why, without kubectl or the
 * built API server.
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { stats } from "./bench_stats.ts";
import { devaipodPermissionFlags } from "./permissions.ts";
import type { PodsRow } from "./bench_pods.ts";
import { KubeServer, kubeUnavailable } from "../tests/support/kube_apiserver.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const NS = "bench";
const decoder = new TextDecoder();

async function timed(
  program: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const out = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const ms = performance.now() - started;
  if (out.code !== 0) {
    throw new Error(
      `${program} ${args.slice(-6).join(" ")} exited ${out.code}: ${
        decoder.decode(out.stderr).trim().split("\n").slice(-3).join(" | ")
      }`,
    );
  }
  return { ms, stdout: decoder.decode(out.stdout) };
}

/** Why the kube benchmarks cannot run here, or undefined. */
export async function kubeBenchUnavailable(): Promise<string | undefined> {
  if (kubeUnavailable) return kubeUnavailable;
  const kubectl = await new Deno.Command("kubectl", {
    args: ["version", "--client"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  if (!kubectl || kubectl.code !== 0) {
    return "kubectl is not installed (Debian trixie's kubernetes-client; .ci/run installs it)";
  }
  return undefined;
}

/** Runs the kube benchmarks; `log` reports progress. */
export async function benchKube(runs: number, log: (line: string) => void): Promise<PodsRow[]> {
  const why = await kubeBenchUnavailable();
  if (why) {
    log(`skipped: ${why}`);
    return [];
  }
  const server = await KubeServer.start(["devaipod"]);
  const tmp = await Deno.makeTempDir({ prefix: "devaipod-bench-kube-" });
  try {
    await server.namespaceWithRole(NS, ["devaipod"]);
    const kubeconfig = join(tmp, "kubeconfig");
    await server.writeKubeconfig(kubeconfig, "devaipod", NS);
    const env = {
      KUBECONFIG: kubeconfig,
      XDG_STATE_HOME: join(tmp, "state"),
      HOME: tmp,
      GH_TOKEN: "bench-token",
      NO_COLOR: "1",
    };
    const project = join(tmp, "project");
    await Deno.mkdir(join(project, ".devcontainer"), { recursive: true });
    await Deno.writeTextFile(
      join(project, ".devcontainer", "devcontainer.json"),
      JSON.stringify({ image: "localhost/devaipod-test/dev:latest", secrets: { GH_TOKEN: {} } }),
    );
    const devaipod = (args: string[]) =>
      timed("deno", ["run", "--quiet", ...devaipodPermissionFlags(), MAIN, ...args], env);
    const kubectl = (args: string[]) => timed("kubectl", args, env);

    // The same objects for kubectl: the render's YAML and its Secrets, one file per run.
    const files: string[] = [];
    for (let i = 0; i <= runs; i++) {
      const r = await devaipod([
        "render",
        project,
        "--target",
        "kube",
        "--name",
        `kc${i}`,
        "--json",
      ]);
      const out = JSON.parse(r.stdout) as { objects: unknown[]; secrets: { name: string }[] };
      const secrets = out.secrets.map((s) => ({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: s.name, namespace: NS },
        data: { value: btoa("bench-value") },
      }));
      const file = join(tmp, `kc${i}.yaml`);
      await Deno.writeTextFile(
        file,
        [...secrets, ...out.objects].map((o) => `---\n${stringify(o)}`).join(""),
      );
      files.push(file);
    }

    // Run 0 of each primes caches (Deno's, kubectl's discovery) and is not counted.
    log(`up --backend kube against kubectl apply, ${runs} runs each`);
    const ups: number[] = [];
    const applies: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const up = await devaipod([
        "up",
        project,
        "--backend",
        "kube",
        "--name",
        `ku${i}`,
        "--no-wait",
      ]);
      const apply = await kubectl(["apply", "-f", files[i] as string]);
      if (i > 0) {
        ups.push(up.ms);
        applies.push(apply.ms);
      }
    }
    const upStats = stats(ups);
    const applyStats = stats(applies);
    for (let i = 0; i <= runs; i++) await devaipod(["delete", "-f", "--volumes", `ku${i}`]);
    for (const f of files) await kubectl(["delete", "-f", f, "--wait=false"]);

    // 50 workspaces: each one's Pods and its Pods' ConfigMap, made as admin from one render, and
    // this host's record of each.
    log("list with 50 kube workspaces against kubectl get pods");
    const r = await devaipod(["render", project, "--target", "kube", "--name", "lw0", "--json"]);
    const template = JSON.stringify(
      (JSON.parse(r.stdout).objects as { kind: string }[]).filter((o) => o.kind === "Pod"),
    );
    for (let i = 0; i < 50; i++) {
      const ws = `lw${i}`;
      const pods = JSON.parse(template.replaceAll("lw0", ws)) as unknown[];
      for (const pod of pods) await server.request("POST", `/api/v1/namespaces/${NS}/pods`, pod);
      await server.request("POST", `/api/v1/namespaces/${NS}/configmaps`, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: `devaipod-${ws}-pods`,
          namespace: NS,
          labels: { "io.devaipod.workspace": ws, "io.devaipod.role": "pods" },
          annotations: { "io.devaipod.project": project },
        },
        data: { "pods.json": JSON.stringify(pods) },
      });
      const dir = join(tmp, "state", "devaipod", "workspaces", ws);
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(
        join(dir, "kube.json"),
        JSON.stringify({ workspace: ws, context: "test", namespace: NS, server: server.url }),
      );
    }
    const listArgs = ["list", "--backend", "kube", "--json"];
    const getArgs = ["get", "pods", "-l", "io.devaipod.workspace", "-o", "json"];
    const first = JSON.parse((await devaipod(listArgs)).stdout) as unknown[];
    if (first.length !== 50) throw new Error(`list showed ${first.length} workspaces, not 50`);
    await kubectl(getArgs);
    const lists: number[] = [];
    const gets: number[] = [];
    for (let i = 0; i < runs; i++) {
      lists.push((await devaipod(listArgs)).ms);
      gets.push((await kubectl(getArgs)).ms);
    }
    const listStats = stats(lists);
    const getStats = stats(gets);
    return [
      {
        name: "up --backend kube --no-wait (objects created)",
        stats: upStats,
        baseline: { name: "kubectl apply -f (same objects)", stats: applyStats },
        ratio: upStats.median / applyStats.median,
        goal: 1.5,
      },
      {
        name: "list --backend kube, 50 workspaces",
        stats: listStats,
        baseline: { name: "kubectl get pods -l … -o json", stats: getStats },
        ratio: listStats.median / getStats.median,
        goal: 1.2,
      },
    ];
  } finally {
    await server.stop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const runs = Number(Deno.args[Deno.args.indexOf("--runs") + 1]) || 5;
  for (const r of await benchKube(runs, (l) => console.error(`kube: ${l}`))) {
    console.log(
      `${r.name}: ${r.stats.median.toFixed(0)} ms vs ${r.baseline.name}: ${
        r.baseline.stats.median.toFixed(0)
      } ms → ${r.ratio.toFixed(2)}× (goal ≤ ${r.goal}×: ${r.ratio <= r.goal ? "met" : "MISSED"})`,
    );
  }
}
