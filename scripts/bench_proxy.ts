/**
 * Benchmarks of the egress proxy, run as its own process (`devaipod proxy`) on loopback:
 * tunnel throughput against direct loopback TCP in the same run (goal ≥ 0.8×), the latency a
 * tunnel adds to connecting (p50/p99), and 1,000 concurrent tunnels: errors (goal 0) and the
 * proxy's resident memory (goal ≤ 64 MiB). And a provider endpoint: what a call through it adds
 * over a direct call to a stand-in provider on loopback (goals ≤ 2 ms at p50, ≤ 5 ms at p99).
 */
import { stats } from "./bench_stats.ts";

const PROXY_MAIN = new URL("../lib/proxy/main.ts", import.meta.url).pathname;
const encoder = new TextEncoder();

/** One result line. */
export interface ProxyBenchRow {
  name: string;
  value: string;
  goal?: string;
  met?: boolean;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** A sink that reads everything, then answers with the byte count and closes; and an echo. */
function servers() {
  const sink = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const echo = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of sink) {
      (async () => {
        const buf = new Uint8Array(256 * 1024);
        let total = 0;
        try {
          while (true) {
            const n = await conn.read(buf);
            if (n === null) break;
            total += n;
          }
          await writeAll(conn, encoder.encode(`${total}\n`));
        } catch { /* gone */ }
        conn.close();
      })();
    }
  })().catch(() => {});
  (async () => {
    for await (const conn of echo) {
      (async () => {
        const buf = new Uint8Array(16 * 1024);
        try {
          while (true) {
            const n = await conn.read(buf);
            if (n === null) break;
            await writeAll(conn, buf.subarray(0, n));
          }
        } catch { /* gone */ }
        try {
          conn.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return {
    sinkPort: (sink.addr as Deno.NetAddr).port,
    echoPort: (echo.addr as Deno.NetAddr).port,
    close: () => {
      sink.close();
      echo.close();
    },
  };
}

async function startProxyProcess(
  allow: string[],
  extra: readonly string[] = [],
): Promise<{ port: number; pid: number; stderr: () => string; stop: () => Promise<void> }> {
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--quiet",
      "--allow-net",
      "--allow-read",
      PROXY_MAIN,
      "--listen",
      "127.0.0.1:0",
      "--allow",
      ...allow,
      ...extra,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on [^:]+:(\d+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the proxy did not start: ${text}`);
    text += value;
  }
  // The rest of its notes (the provider endpoints' address comes right after).
  (async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  })().catch(() => {});
  const port = Number(/listening on [^:]+:(\d+)/.exec(text)?.[1]);
  return {
    port,
    pid: child.pid,
    stderr: () => text,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}

/** Opens a tunnel through the proxy (or connects directly without one). */
async function open(target: number, proxyPort?: number): Promise<Deno.Conn> {
  if (proxyPort === undefined) return await Deno.connect({ hostname: "127.0.0.1", port: target });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
  await writeAll(conn, encoder.encode(`CONNECT 127.0.0.1:${target} HTTP/1.1\r\n\r\n`));
  const buf = new Uint8Array(64);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) throw new Error("proxy closed");
    head += new TextDecoder().decode(buf.subarray(0, n));
  }
  if (!head.startsWith("HTTP/1.1 200")) throw new Error(`proxy refused: ${head.split("\r\n")[0]}`);
  return conn;
}

/** MB/s for sending `bytes` to the sink. */
async function throughput(sinkPort: number, bytes: number, proxyPort?: number): Promise<number> {
  const chunk = new Uint8Array(256 * 1024).fill(120);
  const conn = await open(sinkPort, proxyPort);
  const started = performance.now();
  let sent = 0;
  while (sent < bytes) {
    await writeAll(conn, chunk);
    sent += chunk.length;
  }
  await conn.closeWrite();
  const buf = new Uint8Array(64);
  let reply = "";
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    reply += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  const seconds = (performance.now() - started) / 1000;
  if (Number(reply.trim()) !== sent) {
    throw new Error(`the sink got ${reply.trim()} of ${sent} bytes`);
  }
  return sent / 1e6 / seconds;
}

/** Resident memory of a process in MiB (through `ps`: Deno guards /proc/PID files). */
function rssMiB(pid: number): number {
  const out = new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)], stdout: "piped" })
    .outputSync();
  return Number(new TextDecoder().decode(out.stdout).trim()) / 1024;
}

/** Runs the proxy benchmarks. */
export async function benchProxy(runs: number, log: (l: string) => void): Promise<ProxyBenchRow[]> {
  const s = servers();
  const proxy = await startProxyProcess([`127.0.0.1:${s.sinkPort}`, `127.0.0.1:${s.echoPort}`]);
  const rows: ProxyBenchRow[] = [];
  try {
    // Throughput, alternating direct and proxied runs.
    const bytes = 256 * 1024 * 1024;
    const direct: number[] = [];
    const proxied: number[] = [];
    await throughput(s.sinkPort, 32 * 1024 * 1024, proxy.port); // warm-up
    for (let i = 0; i < runs; i++) {
      direct.push(await throughput(s.sinkPort, bytes));
      proxied.push(await throughput(s.sinkPort, bytes, proxy.port));
    }
    const d = stats(direct).median;
    const p = stats(proxied).median;
    log(`throughput: direct ${d.toFixed(0)} MB/s, through the proxy ${p.toFixed(0)} MB/s`);
    rows.push({
      name: "tunnel throughput (256 MB) vs direct loopback TCP",
      value: `${p.toFixed(0)} vs ${d.toFixed(0)} MB/s = ${(p / d).toFixed(2)}×`,
      goal: "≥ 0.8×",
      met: p / d >= 0.8,
    });

    // Connect latency: 200 tunnels one after another, against 200 direct connects.
    const lat: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < 200; i++) {
      let t = performance.now();
      (await open(s.echoPort)).close();
      base.push(performance.now() - t);
      t = performance.now();
      (await open(s.echoPort, proxy.port)).close();
      lat.push(performance.now() - t);
    }
    const added = (q: "median" | "p90") => stats(lat)[q] - stats(base)[q];
    const sorted = [...lat].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(0.99 * (sorted.length - 1))] ?? NaN;
    const b99 = [...base].sort((a, b) => a - b)[Math.floor(0.99 * (base.length - 1))] ?? NaN;
    rows.push({
      name: "added connect latency (200 tunnels)",
      value: `p50 +${added("median").toFixed(2)} ms, p99 +${(p99 - b99).toFixed(2)} ms`,
    });

    // 1,000 concurrent tunnels, each echoing 1 KiB; memory while all are open.
    const payload = new Uint8Array(1024).fill(97);
    const rssBefore = rssMiB(proxy.pid);
    let errors = 0;
    const conns = await Promise.all(Array.from({ length: 1000 }, async () => {
      try {
        const c = await open(s.echoPort, proxy.port);
        await writeAll(c, payload);
        const buf = new Uint8Array(2048);
        let got = 0;
        while (got < payload.length) {
          const n = await c.read(buf);
          if (n === null) throw new Error("closed early");
          got += n;
        }
        return c;
      } catch {
        errors++;
        return undefined;
      }
    }));
    const rss = rssMiB(proxy.pid);
    for (const c of conns) c?.close();
    log(
      `1000 tunnels: ${errors} errors, proxy RSS ${rssBefore.toFixed(1)} → ${rss.toFixed(1)} MiB`,
    );
    rows.push({
      name: "1,000 concurrent tunnels: errors",
      value: `${errors}`,
      goal: "0",
      met: errors === 0,
    });
    rows.push({
      name: "proxy RSS with 1,000 tunnels open",
      value: `${rss.toFixed(1)} MiB (idle ${rssBefore.toFixed(1)} MiB)`,
      goal: "≤ 64 MiB",
      met: rss <= 64,
    });
  } finally {
    await proxy.stop();
    s.close();
  }
  return rows;
}

/** The q-quantile of samples. */
function quantile(samples: readonly number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))] ?? NaN;
}

/**
 * A provider endpoint's added latency: `calls` Messages-API-sized calls (1 KiB up, 2 KiB down)
 * to a stand-in provider on loopback, directly and through the proxy's endpoint, interleaved.
 */
export async function benchProviders(
  calls: number,
  log: (line: string) => void,
): Promise<ProxyBenchRow[]> {
  const reply = JSON.stringify({ content: [{ type: "text", text: "x".repeat(2000) }] });
  const standIn = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      await req.arrayBuffer();
      return new Response(reply, { headers: { "content-type": "application/json" } });
    },
  );
  const dir = await Deno.makeTempDir({ prefix: "devaipod-bench-keys-" });
  await Deno.writeTextFile(`${dir}/key`, "sk-bench-key");
  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const endpointPort = (free.addr as Deno.NetAddr).port;
  free.close();
  const proxy = await startProxyProcess(["127.0.0.1"], [
    "--providers-listen",
    `127.0.0.1:${endpointPort}`,
    "--provider",
    `anthropic=${dir}/key`,
    "--provider-upstream",
    `anthropic=http://127.0.0.1:${standIn.addr.port}`,
  ]);
  try {
    const body = JSON.stringify({
      model: "m",
      messages: [{ role: "user", content: "y".repeat(1000) }],
    });
    const call = async (url: string) => {
      const t = performance.now();
      const r = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "placeholder" },
        body,
      });
      const text = await r.text();
      if (!r.ok || text.length !== reply.length) {
        throw new Error(`call failed: ${r.status} ${text}`);
      }
      return performance.now() - t;
    };
    const direct = `http://127.0.0.1:${standIn.addr.port}/v1/messages`;
    const via = `http://127.0.0.1:${endpointPort}/anthropic/v1/messages`;
    for (let i = 0; i < 50; i++) await call(via).catch(() => new Promise((r) => setTimeout(r, 50)));
    const base: number[] = [];
    const through: number[] = [];
    for (let i = 0; i < calls; i++) {
      base.push(await call(direct));
      through.push(await call(via));
    }
    const p50 = quantile(through, 0.5) - quantile(base, 0.5);
    const p99 = quantile(through, 0.99) - quantile(base, 0.99);
    log(
      `provider endpoint: direct p50 ${quantile(base, 0.5).toFixed(2)} ms, through ${
        quantile(through, 0.5).toFixed(2)
      } ms`,
    );
    return [
      {
        name: `provider endpoint: added latency at p50 (${calls} calls)`,
        value: `+${p50.toFixed(2)} ms (direct ${quantile(base, 0.5).toFixed(2)} ms)`,
        goal: "≤ 2 ms",
        met: p50 <= 2,
      },
      {
        name: `provider endpoint: added latency at p99 (${calls} calls)`,
        value: `+${p99.toFixed(2)} ms (direct ${quantile(base, 0.99).toFixed(2)} ms)`,
        goal: "≤ 5 ms",
        met: p99 <= 5,
      },
    ];
  } finally {
    await proxy.stop();
    await standIn.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const rows = [
    ...await benchProxy(3, (l) => console.error(l)),
    ...await benchProviders(500, (l) => console.error(l)),
  ];
  for (const r of rows) {
    console.log(
      `${r.name}: ${r.value}${r.goal ? ` (goal ${r.goal}: ${r.met ? "met" : "MISSED"})` : ""}`,
    );
  }
}
