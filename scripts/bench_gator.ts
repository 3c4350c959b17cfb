/**
 * The gator's cost: the latency an allowed read adds when it goes through the gator (its
 * bundle, run as the sidecar runs it: `deno run --no-config`) rather than straight to the forge
 * (the recording stand-in, in this process), measured in the same run; and the idle gator's
 * resident memory. Run alone: `deno run … scripts/bench_gator.ts [CALLS]`.
 */
import { join } from "node:path";
import { ensureGatorProgram, gatorRuntime } from "../lib/gator/bundle.ts";
import { GITHUB_TOKEN, startForgeStandIn } from "../tests/support/forge_standin.ts";
import { GATOR_V8_FLAGS } from "../lib/plan/gator_plan.ts";
import type { ProxyBenchRow } from "./bench_proxy.ts";

const ROOT = new URL("../", import.meta.url);

function quantile(samples: readonly number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

function rssMiB(pid: number): number {
  const out = new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)], stdout: "piped" })
    .outputSync();
  return Number(new TextDecoder().decode(out.stdout).trim()) / 1024;
}

/** Runs the gator benchmark: `calls` reads each way, interleaved. */
export async function benchGator(
  calls: number,
  log: (line: string) => void,
): Promise<ProxyBenchRow[]> {
  const cache = await Deno.makeTempDir({ prefix: "devaipod-bench-gator-" });
  const runtime = await gatorRuntime({
    standalone: false,
    execPath: Deno.execPath(),
    mainModule: new URL("main.ts", ROOT).href,
  }, join(Deno.env.get("HOME") ?? cache, ".cache", "devaipod"));
  await ensureGatorProgram(runtime);
  if (runtime.kind !== "bundle") throw new Error("the gator bench runs from sources");
  await using standIn = await startForgeStandIn();
  await Deno.mkdir(join(cache, "tokens"));
  await Deno.writeTextFile(join(cache, "tokens", "GH_TOKEN"), GITHUB_TOKEN);
  await Deno.writeTextFile(join(cache, "secret"), "bench-secret");
  await Deno.writeTextFile(join(cache, "scopes"), "github:octo/demo=read\n");
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (free.addr as Deno.NetAddr).port;
  free.close();
  // "deno" as --allow-run=deno names it (the one on PATH).
  const gator = new Deno.Command("deno", {
    args: [
      "run",
      "--quiet",
      "--no-config",
      "--no-lock",
      `--v8-flags=${GATOR_V8_FLAGS}`,
      "--allow-net=127.0.0.1",
      `--allow-read=${cache}`,
      "--allow-env",
      runtime.bundle,
      "--listen",
      `127.0.0.1:${port}`,
      "--secret-file",
      join(cache, "secret"),
      "--scopes-file",
      join(cache, "scopes"),
      "--tokens-dir",
      join(cache, "tokens"),
      "--endpoint",
      `github=${standIn.apis.github}`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const direct = async () => {
      const t = performance.now();
      const r = await fetch(`${standIn.apis.github}/repos/octo/demo/contents/README.md`, {
        headers: {
          authorization: `Bearer ${GITHUB_TOKEN}`,
          accept: "application/vnd.github.raw+json",
        },
      });
      if ((await r.text()) !== "# demo\n") throw new Error(`direct read failed: ${r.status}`);
      return performance.now() - t;
    };
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "read_file", arguments: { repo: "octo/demo", path: "README.md" } },
    });
    const via = async () => {
      const t = performance.now();
      const r = await fetch(`http://127.0.0.1:${port}/mcp`, {
        method: "POST",
        headers: {
          authorization: "Bearer bench-secret",
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body,
      });
      const json = await r.json();
      if (json.result?.content?.[0]?.text !== "# demo\n") {
        throw new Error(`gator read failed: ${JSON.stringify(json)}`);
      }
      return performance.now() - t;
    };
    for (let i = 0; i < 100; i++) {
      try {
        await via();
        if (i > 20) break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
    const started = rssMiB(gator.pid);
    const base: number[] = [];
    const through: number[] = [];
    for (let i = 0; i < calls; i++) {
      base.push(await direct());
      through.push(await via());
    }
    await new Promise((r) => setTimeout(r, 2000));
    const idle = rssMiB(gator.pid);
    const p50 = quantile(through, 0.5) - quantile(base, 0.5);
    log(
      `gator: direct p50 ${quantile(base, 0.5).toFixed(2)} ms, through ${
        quantile(through, 0.5).toFixed(2)
      } ms; idle RSS ${started.toFixed(1)} → ${idle.toFixed(1)} MiB`,
    );
    return [
      {
        name: `gator: an allowed read's added latency at p50 (${calls} calls)`,
        value: `+${p50.toFixed(2)} ms (direct ${quantile(base, 0.5).toFixed(2)} ms, p99 +${
          (quantile(through, 0.99) - quantile(base, 0.99)).toFixed(2)
        } ms)`,
        goal: "≤ 5 ms",
        met: p50 <= 5,
      },
      {
        name: "gator: idle resident memory",
        value: `${started.toFixed(1)} MiB after its first call, ${
          idle.toFixed(1)
        } MiB after ${calls} more`,
      },
    ];
  } finally {
    gator.kill();
    await gator.status;
    await Deno.remove(cache, { recursive: true });
  }
}

if (import.meta.main) {
  for (const r of await benchGator(Number(Deno.args[0] ?? 300), (l) => console.error(l))) {
    console.log(
      `${r.name}: ${r.value}${r.goal ? ` (goal ${r.goal}: ${r.met ? "met" : "MISSED"})` : ""}`,
    );
  }
}
