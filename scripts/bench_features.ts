/**
 * Benchmarks of Dev Container Features, each measured against a baseline in the same run, on the
 * test Features (tests/fixtures/features) published to Debian's docker-registry on loopback:
 *
 * - warm `up --no-prompt` of the project with Features (three registry Features, one only a
 *   dependency, and a local one; their cache filled and their image built by an untimed `up`
 *   first) against `up` of the same image without Features (goal ≤ 1.1×), timed twice: to `up`'s
 *   exit, which includes the lifecycle hooks the Features bring (tools' onCreateCommand, greet's
 *   postCreateCommand, in the workspace and the agent), and to agent-ready (`timings.agentReadyMs`
 *   of `--json`), before any hook: what resolving the Features and using their image costs;
 * - cold `devaipod features resolve --json` (an empty Feature cache: a fresh XDG_CACHE_HOME each
 *   run, Deno's own cache kept warm through DENO_DIR) against the reference's
 *   `devcontainer features resolve-dependencies` on the same project (which downloads into a
 *   fresh folder of its own each run): measured beside the reference, no goal.
 *
 * Run alone: `deno run <the bench task's permissions> scripts/bench_features.ts [--runs N]
 * [--json]`.
 */
import { registryUnavailable } from "../tests/support/registry.ts";
import { ORACLE_SCRIPT, oracleUnavailable, seedControlManifest } from "../tests/support/oracle.ts";
import { startFeatureRegistry } from "../tests/support/feature_registry.ts";
import { DEV_IMAGE } from "../tests/support/test_images.ts";
import { devaipodPermissionFlags } from "./permissions.ts";
import { stats, timed } from "./bench_stats.ts";
import type { Stats } from "./bench_stats.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/** One result row: a measurement, its baseline, their ratio and the goal for it (if any). */
export interface FeaturesRow {
  name: string;
  stats: Stats;
  baseline: { name: string; stats: Stats };
  ratio: number;
  /** The highest acceptable ratio; none when only measured beside the baseline. */
  goal?: number;
}

const devaipod = (args: string[], env: Record<string, string> = {}) =>
  timed("deno", ["run", "--quiet", ...devaipodPermissionFlags(), MAIN, ...args], env);

/** Fails with the last lines of stderr unless the run exited 0; else passes it on. */
function must<T extends { code: number; stderr: string }>(r: T, what: string): T {
  if (r.code !== 0) {
    throw new Error(`${what} failed: ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
  return r;
}

async function deleteWorkspace(name: string): Promise<void> {
  await devaipod(["delete", "-f", "--volumes", name]);
}

/** One timed `up`: to its exit (after the lifecycle hooks) and to agent-ready (before them). */
interface UpTimes {
  /** Wall clock, spawn to exit. */
  ms: number;
  /** Process start to the agent's first healthy answer (`timings.agentReadyMs` of `--json`). */
  agentReadyMs: number;
}

/** `up --no-prompt` of `project` under a new name, timed, then deleted. */
async function upOnce(project: string, prefix: string): Promise<UpTimes> {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 6)}`;
  try {
    const r = must(
      await devaipod(["up", project, "--name", name, "--no-prompt", "--json", "-q"]),
      `up ${name}`,
    );
    const t = JSON.parse(r.stdout).timings as { agentReadyMs: number | null };
    if (t.agentReadyMs === null) throw new Error(`up ${name}: no agentReadyMs in its --json`);
    return { ms: r.ms, agentReadyMs: t.agentReadyMs };
  } finally {
    await deleteWorkspace(name);
  }
}

/** Why these benchmarks cannot run here, or undefined (podman and the test images: the bench task's). */
export const featuresUnavailable: string | undefined = registryUnavailable ?? oracleUnavailable;

/**
 * Both Features benchmarks. `denoDir`: the DENO_DIR the devaipod runs keep (warm) while their
 * XDG_CACHE_HOME (and so devaipod's Feature cache) is fresh.
 */
export async function benchFeatures(
  runs: number,
  denoDir: string,
  log: (l: string) => void,
): Promise<FeaturesRow[]> {
  const fr = await startFeatureRegistry();
  log(`test Features published to ${fr.collection}`);
  let featuresImage: string | undefined;
  try {
    const rows: FeaturesRow[] = [];

    // Warm up: the same image and hooks, with and without Features (two that add no lifecycle
    // hook, so the row measures what Features cost, not what their hooks run).
    const withFeatures = await fr.project(DEV_IMAGE, {
      [`${fr.collection}/apt-hello:1`]: {},
      "./local-note": { note: "bench" },
    });
    const without = await fr.project(DEV_IMAGE, {});
    const upRuns = Math.min(runs, 5);
    const resolved = must(
      await devaipod(["features", "resolve", withFeatures, "--json"]),
      "features resolve",
    );
    featuresImage = (JSON.parse(resolved.stdout) as { image: string }).image;
    // Untimed: fills the Feature cache and builds the Features image (apt-hello reaches the
    // Debian mirror once, here); and the same for the project without (the agent binary).
    log(`warm-up: up with Features (builds ${featuresImage})`);
    await upOnce(withFeatures, "bench-feat-warm");
    await upOnce(without, "bench-nofeat-warm");
    const ours: UpTimes[] = [];
    const base: UpTimes[] = [];
    for (let i = 0; i < upRuns; i++) {
      // Alternating, and which goes first too.
      const pair = i % 2 === 0
        ? [[withFeatures, ours], [without, base]] as const
        : [[without, base], [withFeatures, ours]] as const;
      for (const [project, samples] of pair) {
        samples.push(
          await upOnce(project, project === withFeatures ? "bench-feat" : "bench-nofeat"),
        );
      }
      const [a, b] = [ours.at(-1), base.at(-1)];
      log(
        `up run ${i + 1}/${upRuns}: with Features ${
          a?.ms.toFixed(0)
        } ms (agent ready at ${a?.agentReadyMs} ms), without ${
          b?.ms.toFixed(0)
        } ms (agent ready at ${b?.agentReadyMs} ms)`,
      );
    }
    const upRow = (name: string, baseName: string, pick: (t: UpTimes) => number) => {
      const st = stats(ours.map(pick));
      const bt = stats(base.map(pick));
      rows.push({
        name,
        stats: st,
        baseline: { name: baseName, stats: bt },
        ratio: st.median / bt.median,
        goal: 1.1,
      });
    };
    upRow(
      "devaipod up with Features (1 registry + 1 local, no hooks; warm), to its exit",
      "up of the same image without Features",
      (t) => t.ms,
    );
    upRow(
      "devaipod up with Features (warm), to agent-ready (before any lifecycle hook)",
      "up of the same image without Features",
      (t) => t.agentReadyMs,
    );

    // Cold resolution, on a project no `up` has touched (no devcontainer-lock.json).
    const project = await fr.project(DEV_IMAGE);
    const resolveOurs = async (): Promise<number> => {
      const cache = await Deno.makeTempDir({ prefix: "devaipod-bench-xdg-cache-" });
      try {
        const r = must(
          await devaipod(["features", "resolve", project, "--json"], {
            XDG_CACHE_HOME: cache,
            DENO_DIR: denoDir,
          }),
          "features resolve (cold)",
        );
        const n = (JSON.parse(r.stdout) as { features: unknown[] }).features.length;
        if (n !== 4) throw new Error(`features resolve found ${n} Features, not 4`);
        return r.ms;
      } finally {
        await Deno.remove(cache, { recursive: true });
      }
    };
    const resolveTheirs = async (): Promise<number> => {
      await seedControlManifest(); // keeps it off containers.dev; untimed
      const r = must(
        await timed("node", [
          ORACLE_SCRIPT,
          "features",
          "resolve-dependencies",
          "--workspace-folder",
          project,
        ]),
        "devcontainer features resolve-dependencies",
      );
      // A mermaid flowchart of the graph, then the JSON.
      const json = r.stdout.slice(r.stdout.search(/^\{/m));
      const n = (JSON.parse(json) as { installOrder: unknown[] }).installOrder.length;
      if (n !== 4) throw new Error(`resolve-dependencies found ${n} Features, not 4`);
      return r.ms;
    };
    // Warm-up of both programs (Deno's and node's code caches), untimed; devaipod's Feature
    // cache is still fresh for each timed run.
    await resolveOurs();
    await resolveTheirs();
    const rOurs: number[] = [];
    const rTheirs: number[] = [];
    for (let i = 0; i < runs; i++) {
      rOurs.push(await resolveOurs());
      rTheirs.push(await resolveTheirs());
    }
    log(
      `resolve: devaipod ${rOurs.map((m) => m.toFixed(0)).join(", ")} ms; reference ${
        rTheirs.map((m) => m.toFixed(0)).join(", ")
      } ms`,
    );
    const ro = stats(rOurs);
    const rt = stats(rTheirs);
    rows.push({
      name: "devaipod features resolve --json, cold (empty Feature cache)",
      stats: ro,
      baseline: { name: "devcontainer features resolve-dependencies (reference)", stats: rt },
      ratio: ro.median / rt.median,
    });
    return rows;
  } finally {
    if (featuresImage) {
      await timed("podman", ["image", "rm", "--force", featuresImage]);
    }
    await fr.close();
  }
}

/** A row as one line of text. */
export function formatFeaturesRow(r: FeaturesRow): string {
  return `${r.name}: ${r.stats.median.toFixed(0)} ms (p90 ${r.stats.p90.toFixed(0)}) vs ` +
    `${r.baseline.name}: ${r.baseline.stats.median.toFixed(0)} ms → ${r.ratio.toFixed(2)}× (${
      r.goal === undefined
        ? "measured beside the reference"
        : `goal ≤ ${r.goal}×: ${r.ratio <= r.goal ? "met" : "MISSED"}`
    })`;
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--runs");
  const runs = i >= 0 ? Number(Deno.args[i + 1]) : 5;
  if (featuresUnavailable) {
    console.error(`skipping the Features benchmarks: ${featuresUnavailable}`);
    Deno.exit(0);
  }
  const info = await new Deno.Command("deno", { args: ["info", "--json"], stdout: "piped" })
    .output();
  const denoDir = JSON.parse(decoder.decode(info.stdout)).denoDir as string;
  const rows = await benchFeatures(runs, denoDir, (l) => console.error(`features: ${l}`));
  if (Deno.args.includes("--json")) console.log(JSON.stringify(rows, null, 2));
  else for (const r of rows) console.log(formatFeaturesRow(r));
}
