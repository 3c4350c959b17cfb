/**
 * Benchmarks of the egress proxy, run as its own process (`devaipod proxy`) on loopback:
 * tunnel throughput against direct loopback TCP in the same run (goal ≥ 0.8×), the latency a
 * tunnel adds to connecting (p50/p99), and 1,000 concurrent tunnels: errors (goal 0) and the
 * proxy's resident memory (goal ≤ 64 MiB).
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
): Promise<{ port: number; pid: number; stop: () => Promise<void> }> {
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
  reader.releaseLock();
  const port = Number(/listening on [^:]+:(\d+)/.exec(text)?.[1]);
  return {
    port,
    pid: child.pid,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await child.stderr.cancel().catch(() => {});
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

if (import.meta.main) {
  for (const r of await benchProxy(3, (l) => console.error(l))) {
    console.log(
      `${r.name}: ${r.value}${r.goal ? ` (goal ${r.goal}: ${r.met ? "met" : "MISSED"})` : ""}`,
    );
  }
}
