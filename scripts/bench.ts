/**
 * `deno task bench [--runs N] [--json]`: devaipod's speed as ratios against a baseline measured
 * in the same run (machines are noisy; absolute times are shown but not judged).
 *
 * Also `devaipod config --json` against the reference implementation's
 * `devcontainer read-configuration` (run by node, with podman as its docker) on the same project.
 *
 * And the egress proxy (scripts/bench_proxy.ts; `--no-proxy` skips it): throughput, latency,
 * 1,000 tunnels, and the latency a provider endpoint adds. The gator (scripts/bench_gator.ts;
 * `--no-gator` skips it): the latency an allowed read adds, and its idle memory. The SSH bridge (scripts/bench_ssh.ts; `--no-ssh` skips it): `ssh HOST true` and
 * 500 MB each way against `podman exec` and OpenSSH's `sshd -i`. And the pods (scripts/bench_pods.ts; `--no-pods` skips them): `up` against a shell script of
 * the same podman commands and against `devcontainer up`, `list` with 50 workspaces. And the
 * Kubernetes backend (scripts/bench_kube.ts; `--no-kube` skips it): `up --backend kube` against
 * `kubectl apply`, `list` of 50 kube workspaces against `kubectl get pods`, on a real API server.
 * And Dev Container Features (scripts/bench_features.ts; `--no-features` skips them): a warm `up`
 * with Features against `up` of the same image without, and a cold `features resolve` against the
 * reference's `devcontainer features resolve-dependencies`, on a registry on loopback.
 *
 * Baselines: `podman version`, and `podman info` (what the doctor waits on). Measured:
 * `devaipod --version`, `devaipod doctor --json --no-run`
 * (podman version + info) and `devaipod doctor --json` (adds the end-to-end pod start), each
 * warm (Deno's caches primed) and cold (a fresh DENO_DIR that holds only the downloaded
 * packages, so every module is transpiled and compiled again, as on first use after install).
 */
import { join } from "node:path";
import { ORACLE_SCRIPT, oracleUnavailable } from "../tests/support/oracle.ts";
import { devaipodPermissionFlags } from "./permissions.ts";
import { stats } from "./bench_stats.ts";
import type { Stats } from "./bench_stats.ts";
import { benchPods } from "./bench_pods.ts";
import type { PodsRow } from "./bench_pods.ts";
import { benchProviders, benchProxy } from "./bench_proxy.ts";
import { benchSsh } from "./bench_ssh.ts";
import { benchGator } from "./bench_gator.ts";
import { benchKube } from "./bench_kube.ts";
import type { SshBenchRow } from "./bench_ssh.ts";
import type { ProxyBenchRow } from "./bench_proxy.ts";
import type { FeaturesRow } from "./bench_features.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** One benchmark: a command, and how its environment is prepared before each run. */
interface Case {
  name: string;
  argv: string[];
  cold?: boolean;
  /** The baseline this case is judged against, and the highest acceptable ratio to it. */
  goal?: { baseline: "version" | "info"; ratio: number };
}

function devaipodArgv(args: string[]): string[] {
  return ["deno", "run", "--quiet", ...devaipodPermissionFlags(), MAIN, ...args];
}

function denoDir(): string {
  const out = new Deno.Command("deno", { args: ["info", "--json"], stdout: "piped" }).outputSync();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
}

/** A DENO_DIR with the downloaded packages but no compiled code: a cold start. */
async function coldDenoDir(source: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-bench-deno-" });
  for (const name of ["npm", "remote"]) {
    try {
      await Deno.symlink(`${source}/${name}`, `${dir}/${name}`);
    } catch {
      // nothing cached under that name
    }
  }
  return dir;
}

async function timeOnce(argv: string[], env: Record<string, string>): Promise<number> {
  const [program, ...args] = argv as [string, ...string[]];
  const started = performance.now();
  const out = await new Deno.Command(program, { args, env, stdout: "null", stderr: "piped" })
    .output();
  const ms = performance.now() - started;
  if (out.code !== 0) {
    throw new Error(
      `${argv.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return ms;
}

/** A line of the main table. */
interface Row {
  name: string;
  stats: Stats;
  vsVersion: number;
  vsInfo: number;
  goal?: string;
}

async function measure(c: Case, runs: number, source: string): Promise<Stats> {
  const samples: number[] = [];
  if (!c.cold) await timeOnce(c.argv, {}); // prime caches
  for (let i = 0; i < runs; i++) {
    if (c.cold) {
      const dir = await coldDenoDir(source);
      try {
        samples.push(await timeOnce(c.argv, { DENO_DIR: dir }));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    } else {
      samples.push(await timeOnce(c.argv, {}));
    }
  }
  return stats(samples);
}

if (import.meta.main) {
  const runsFlag = Deno.args.indexOf("--runs");
  const runs = runsFlag >= 0 ? Number(Deno.args[runsFlag + 1]) : 10;
  const json = Deno.args.includes("--json");
  const source = denoDir();

  const baselines = {
    version: { name: "podman version (baseline)", argv: ["podman", "version"] },
    info: { name: "podman info (baseline)", argv: ["podman", "info", "--format", "json"] },
  } satisfies Record<string, Case>;
  const cases: Case[] = [
    {
      name: "devaipod --version, warm",
      argv: devaipodArgv(["--version"]),
      goal: { baseline: "version", ratio: 3 },
    },
    { name: "devaipod --version, cold", argv: devaipodArgv(["--version"]), cold: true },
    {
      name: "devaipod doctor --no-run, warm",
      argv: devaipodArgv(["doctor", "--json", "--no-run"]),
      goal: { baseline: "info", ratio: 1.5 },
    },
    {
      name: "devaipod doctor --no-run, cold",
      argv: devaipodArgv(["doctor", "--json", "--no-run"]),
      cold: true,
    },
    { name: "devaipod doctor (with pod start), warm", argv: devaipodArgv(["doctor", "--json"]) },
  ];

  const base = {
    version: await measure(baselines.version, runs, source),
    info: await measure(baselines.info, runs, source),
  };
  const rows: Row[] = [];
  const row = (name: string, s: Stats, goal?: Case["goal"]) => {
    const vsVersion = s.median / base.version.median;
    const vsInfo = s.median / base.info.median;
    const ratio = goal?.baseline === "info" ? vsInfo : vsVersion;
    rows.push({
      name,
      stats: s,
      vsVersion,
      vsInfo,
      ...(goal
        ? {
          goal: `≤ ${goal.ratio}× podman ${goal.baseline}: ${
            ratio <= goal.ratio ? "met" : "MISSED"
          }`,
        }
        : {}),
    });
  };
  row(baselines.version.name, base.version);
  row(baselines.info.name, base.info);
  for (const c of cases) row(c.name, await measure(c, runs, source), c.goal);

  // devaipod config --json against the reference, on the same project.
  const project = await Deno.makeTempDir({ prefix: "devaipod-bench-config-" });
  await Deno.mkdir(join(project, ".devcontainer"));
  await Deno.writeTextFile(
    join(project, ".devcontainer", "devcontainer.json"),
    await Deno.readTextFile(
      new URL(
        "../tests/fixtures/devcontainer/conformance/var-everywhere/.devcontainer/devcontainer.json",
        import.meta.url,
      ),
    ),
  );
  let configRows: { name: string; stats: Stats }[] = [];
  if (oracleUnavailable) {
    console.error(`skipping the config benchmark: ${oracleUnavailable}`);
  } else {
    const theirs = await measure(
      {
        name: "devcontainer read-configuration",
        argv: [
          "node",
          ORACLE_SCRIPT,
          "read-configuration",
          "--workspace-folder",
          project,
          "--docker-path",
          "podman",
        ],
      },
      runs,
      source,
    );
    const ours = await measure(
      { name: "devaipod config --json", argv: devaipodArgv(["config", project, "--json"]) },
      runs,
      source,
    );
    configRows = [{ name: "devcontainer read-configuration (reference)", stats: theirs }, {
      name: "devaipod config --json",
      stats: ours,
    }];
    const ratio = ours.median / theirs.median;
    rows.push({
      name: "devaipod config --json",
      stats: ours,
      vsVersion: ours.median / base.version.median,
      vsInfo: ours.median / base.info.median,
      goal: `≤ 0.3× reference (${theirs.median.toFixed(0)} ms): ${ratio.toFixed(2)}× ${
        ratio <= 0.3 ? "met" : "MISSED"
      }`,
    });
  }
  await Deno.remove(project, { recursive: true });
  rows.push(...await benchPlanning(runs, source, base));

  let podsRows: PodsRow[] = [];
  if (!Deno.args.includes("--no-pods")) {
    podsRows = await benchPods(runs, (l) => console.error(`pods: ${l}`));
  }
  if (!Deno.args.includes("--no-kube")) {
    podsRows.push(...await benchKube(runs, (l) => console.error(`kube: ${l}`)));
  }
  const proxyRows: ProxyBenchRow[] = Deno.args.includes("--no-proxy") ? [] : [
    ...await benchProxy(Math.min(runs, 3), (l) => console.error(`proxy: ${l}`)),
    ...await benchProviders(500, (l) => console.error(`proxy: ${l}`)),
  ];

  if (!Deno.args.includes("--no-gator")) {
    proxyRows.push(...await benchGator(300, (l) => console.error(`gator: ${l}`)));
  }

  const sshRows: SshBenchRow[] = Deno.args.includes("--no-ssh")
    ? []
    : await benchSsh(runs, (l) => console.error(`ssh: ${l}`));

  let featuresRows: FeaturesRow[] = [];
  let formatFeaturesRow: ((r: FeaturesRow) => string) | undefined;
  if (!Deno.args.includes("--no-features")) {
    // Imported only here: loading it probes for the registry program.
    const features = await import("./bench_features.ts");
    formatFeaturesRow = features.formatFeaturesRow;
    if (features.featuresUnavailable) {
      console.error(`skipping the Features benchmarks: ${features.featuresUnavailable}`);
    } else {
      featuresRows = await features.benchFeatures(
        runs,
        source,
        (l) => console.error(`features: ${l}`),
      );
    }
  }

  if (json) {
    console.log(
      JSON.stringify(
        {
          runs,
          rows,
          config: configRows,
          pods: podsRows,
          proxy: proxyRows,
          ssh: sshRows,
          features: featuresRows,
        },
        null,
        2,
      ),
    );
  } else {
    const w = Math.max(...rows.map((r) => r.name.length));
    console.log(`${runs} runs each; ratios are of medians, measured in this run`);
    console.log(`${"benchmark".padEnd(w)}  median ms   p90 ms  × version  × info   goal`);
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(w)}  ${r.stats.median.toFixed(1).padStart(9)}  ${
          r.stats.p90.toFixed(1).padStart(7)
        }` +
          `  ${r.vsVersion.toFixed(2).padStart(8)}  ${r.vsInfo.toFixed(2).padStart(6)}   ${
            r.goal ?? ""
          }`.trimEnd(),
      );
    }
  }
  if (!json && podsRows.length) {
    console.log("");
    for (const r of podsRows) {
      console.log(
        `${r.name}: ${r.stats.median.toFixed(0)} ms (p90 ${
          r.stats.p90.toFixed(0)
        }) vs ${r.baseline.name}: ` +
          `${r.baseline.stats.median.toFixed(0)} ms → ${r.ratio.toFixed(2)}× (goal ≤ ${r.goal}×: ${
            r.ratio <= r.goal ? "met" : "MISSED"
          })`,
      );
    }
  }
  if (!json && proxyRows.length) {
    console.log("");
    for (const r of proxyRows) {
      console.log(
        `${r.name}: ${r.value}${r.goal ? ` (goal ${r.goal}: ${r.met ? "met" : "MISSED"})` : ""}`,
      );
    }
  }
  if (!json && sshRows.length) {
    console.log("");
    for (const r of sshRows) {
      console.log(
        `${r.name}: ${r.value}${r.goal ? ` (goal ${r.goal}: ${r.met ? "met" : "MISSED"})` : ""}`,
      );
    }
  }
  if (!json && featuresRows.length && formatFeaturesRow) {
    console.log("");
    for (const r of featuresRows) console.log(formatFeaturesRow(r));
  }
}

/**
 * Planning is cheap: `up --dry-run --json` (resolve, plan every step, print) against
 * `devaipod config --json` (resolve, print) on the same git project, one `up` can plan.
 */
async function benchPlanning(
  runs: number,
  source: string,
  base: { version: Stats; info: Stats },
): Promise<Row[]> {
  const project = await Deno.makeTempDir({ prefix: "devaipod-bench-plan-" });
  try {
    await Deno.mkdir(join(project, ".devcontainer"));
    await Deno.writeTextFile(
      join(project, ".devcontainer", "devcontainer.json"),
      JSON.stringify({
        name: "bench",
        image: "localhost/devaipod-test/dev:latest",
        containerEnv: { A: "1", WS: "${containerWorkspaceFolder}" },
        remoteEnv: { B: "${containerEnv:A}" },
        forwardPorts: [8080],
        postCreateCommand: "echo created",
        customizations: { devaipod: { allowedDomains: ["example.com"] } },
      }),
    );
    const git = (...args: string[]) =>
      new Deno.Command("git", {
        args: ["-C", project, "-c", "user.name=b", "-c", "user.email=b@b", ...args],
        stdout: "null",
        stderr: "null",
      }).output();
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", "bench");
    const config = await measure(
      {
        name: "devaipod config --json (plan project)",
        argv: devaipodArgv(["config", project, "--json"]),
      },
      runs,
      source,
    );
    const dry = await measure(
      {
        name: "devaipod up --dry-run --json",
        argv: devaipodArgv(["up", project, "--name", "benchdry", "--dry-run", "--json"]),
      },
      runs,
      source,
    );
    const ratio = dry.median / config.median;
    return [{
      name: "devaipod up --dry-run --json",
      stats: dry,
      vsVersion: dry.median / base.version.median,
      vsInfo: dry.median / base.info.median,
      goal: `≤ 1.2× config --json (${config.median.toFixed(0)} ms): ${ratio.toFixed(2)}× ${
        ratio <= 1.2 ? "met" : "MISSED"
      }`,
    }];
  } finally {
    await Deno.remove(project, { recursive: true });
  }
}
