/**
 * Benchmarks of the SSH bridge, each against a baseline measured in the same run:
 *
 * - `ssh HOST true` through `devaipod ssh-proxy` against `podman exec CTR true` (goal ≤ 1.5×);
 * - 500 MB down and up through the bridge (`ssh HOST cat`) against `podman exec -i` piping the
 *   same bytes (goal ≥ 0.6× the throughput), and through sftp (reported);
 * - the same three against OpenSSH's own `sshd -i`, started in a container of the same image
 *   plus openssh-server through `podman exec -i` as the ProxyCommand (ratio reported).
 */
import { join } from "node:path";
import { DEV_IMAGE } from "../tests/support/test_images.ts";
import { devaipodPermissionFlags } from "./permissions.ts";
import { stats } from "./bench_stats.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const decoder = new TextDecoder();
const SSHD_IMAGE = "localhost/devaipod-test/sshd:latest";
const MB = 500;

/** One result: a value, and its goal when it has one. */
export interface SshBenchRow {
  name: string;
  value: string;
  goal?: string;
  met?: boolean;
}

async function sh(script: string): Promise<{ code: number; out: string; err: string; ms: number }> {
  const started = performance.now();
  const r = await new Deno.Command("/bin/sh", {
    args: ["-c", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: r.code,
    out: decoder.decode(r.stdout),
    err: decoder.decode(r.stderr),
    ms: performance.now() - started,
  };
}

async function must(script: string, what: string): Promise<string> {
  const r = await sh(script);
  if (r.code !== 0) {
    throw new Error(`${what} failed: ${r.err.trim().split("\n").slice(-3).join(" | ")}`);
  }
  return r.out;
}

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Median wall time of `runs` runs of each script, interleaved so drift hits both alike. */
async function medians(scripts: string[], runs: number): Promise<number[]> {
  const samples: number[][] = scripts.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [j, s] of scripts.entries()) {
      const r = await sh(s);
      if (r.code !== 0) throw new Error(`${s} failed: ${r.err.trim().split("\n").at(-1)}`);
      samples[j]?.push(r.ms);
    }
  }
  return samples.map((x) => stats(x).median);
}

/** Runs the SSH benchmarks (creates and removes a workspace and a container). */
export async function benchSsh(runs: number, log: (l: string) => void): Promise<SshBenchRow[]> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-bench-ssh-" });
  const ws = `bench-ssh-${crypto.randomUUID().slice(0, 6)}`;
  const sshd = `devaipod-bench-sshd-${crypto.randomUUID().slice(0, 6)}`;
  const devaipod = ["deno", "run", "--quiet", ...devaipodPermissionFlags(), MAIN].map(q).join(" ");
  try {
    await Deno.writeTextFile(
      join(dir, ".devcontainer.json"),
      JSON.stringify({ image: DEV_IMAGE, remoteUser: "dev" }),
    );
    log(`up ${ws}`);
    await must(`${devaipod} up ${q(dir)} --name ${ws} --network-isolation off -q`, "up");
    const key = join(dir, "id");
    await must(`ssh-keygen -q -t ed25519 -N '' -f ${q(key)}`, "ssh-keygen");
    const doc = JSON.parse(await must(`${devaipod} ssh-config ${ws} --json`, "ssh-config"));
    await Deno.writeTextFile(join(dir, "config"), doc.block);
    const ssh = `ssh -F ${q(join(dir, "config"))} -i ${
      q(key)
    } -o IdentitiesOnly=yes -o BatchMode=yes`;
    const host = doc.host as string;
    const ctr = `devaipod-${ws}-workspace`;

    // OpenSSH's sshd, one process per connection (sshd -i) in a container of the same image.
    log(`sshd -i baseline (${SSHD_IMAGE})`);
    const built = await sh(`podman image exists ${SSHD_IMAGE}`);
    if (built.code !== 0) {
      await must(
        `printf 'FROM %s\\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssh-server && rm -rf /var/lib/apt/lists/* && mkdir -p /run/sshd && ssh-keygen -A\\n' ${
          q(DEV_IMAGE)
        } | podman build -q -t ${SSHD_IMAGE} -f - ${q(dir)}`,
        "build the sshd image",
      );
    }
    await must(`podman run -d --rm --name ${sshd} ${SSHD_IMAGE} sleep infinity`, "sshd container");
    await must(
      `podman exec -i ${sshd} sh -c 'mkdir -p /home/dev/.ssh && cat > /home/dev/.ssh/authorized_keys && chown -R dev:dev /home/dev/.ssh && chmod 700 /home/dev/.ssh && chmod 600 /home/dev/.ssh/authorized_keys' < ${
        q(`${key}.pub`)
      }`,
      "authorized_keys",
    );
    const openssh =
      `ssh -i ${
        q(key)
      } -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR ` +
      `-o ProxyCommand=${q(`podman exec -i ${sshd} /usr/sbin/sshd -i`)} dev@sshd`;

    const rows: SshBenchRow[] = [];
    log(`ssh HOST true × ${runs}`);
    const [bridge, exec, viaSshd] = await medians(
      [`${ssh} ${host} true`, `podman exec ${ctr} true`, `${openssh} true`],
      runs,
    );
    const latency = (bridge ?? NaN) / (exec ?? NaN);
    rows.push({
      name: "ssh HOST true vs podman exec CTR true",
      value: `${bridge?.toFixed(0)} ms vs ${exec?.toFixed(0)} ms → ${latency.toFixed(2)}×`,
      goal: "≤ 1.5×",
      met: latency <= 1.5,
    });
    rows.push({
      name: "ssh HOST true vs OpenSSH sshd -i",
      value: `${bridge?.toFixed(0)} ms vs ${viaSshd?.toFixed(0)} ms → ${
        ((bridge ?? NaN) / (viaSshd ?? NaN)).toFixed(2)
      }×`,
    });

    const bytes = `head -c ${MB}M /dev/zero`;
    const transfers: [string, string, string, string][] = [
      [
        "download",
        `${ssh} ${host} ${q(bytes)} > /dev/null`,
        `podman exec ${ctr} ${bytes} > /dev/null`,
        `${openssh} ${q(bytes)} > /dev/null`,
      ],
      [
        "upload",
        `${bytes} | ${ssh} ${host} 'cat > /dev/null'`,
        `${bytes} | podman exec -i ${ctr} sh -c 'cat > /dev/null'`,
        `${bytes} | ${openssh} 'cat > /dev/null'`,
      ],
    ];
    const tRuns = Math.max(1, Math.min(runs, 3));
    for (const [what, ours, base, theirs] of transfers) {
      log(`${MB} MB ${what} × ${tRuns}`);
      const [o, b, t] = await medians([ours, base, theirs], tRuns);
      const mbps = (ms: number | undefined) => (MB / ((ms ?? NaN) / 1000)).toFixed(0);
      const ratio = (b ?? NaN) / (o ?? NaN);
      rows.push({
        name: `${MB} MB ${what} through the bridge vs podman exec -i`,
        value: `${mbps(o)} MB/s vs ${mbps(b)} MB/s → ${ratio.toFixed(2)}×`,
        goal: "≥ 0.6×",
        met: ratio >= 0.6,
      });
      rows.push({
        name: `${MB} MB ${what} through the bridge vs OpenSSH sshd -i`,
        value: `${mbps(o)} MB/s vs ${mbps(t)} MB/s → ${((t ?? NaN) / (o ?? NaN)).toFixed(2)}×`,
      });
    }

    // File transfer proper: sftp get and put of a 500 MB file.
    const file = join(dir, "blob");
    await must(`${bytes} > ${q(file)}`, "a 500 MB file");
    await must(`${ssh} ${host} ${q(`${bytes} > /tmp/blob`)}`, "the remote file");
    const batch = (cmd: string) =>
      `printf '%s\\n' ${q(cmd)} | sftp -b - -F ${q(join(dir, "config"))} -i ${
        q(key)
      } -o IdentitiesOnly=yes ${host} > /dev/null`;
    log(`${MB} MB sftp get and put`);
    const [get, put] = await medians([
      batch(`get /tmp/blob ${join(dir, "back")}`),
      batch(`put ${file} /tmp/blob-up`),
    ], tRuns);
    const mbps = (ms: number | undefined) => (MB / ((ms ?? NaN) / 1000)).toFixed(0);
    rows.push({
      name: `${MB} MB sftp get / put through the bridge`,
      value: `${mbps(get)} / ${mbps(put)} MB/s`,
    });
    return rows;
  } finally {
    await sh(`podman rm -f -t 0 ${sshd}`);
    await sh(`${devaipod} delete -f --volumes ${ws}`);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const runs = Number(Deno.args[Deno.args.indexOf("--runs") + 1]) || 10;
  for (const r of await benchSsh(runs, (l) => console.error(`ssh: ${l}`))) {
    console.log(
      `${r.name}: ${r.value}${r.goal ? ` (goal ${r.goal}: ${r.met ? "met" : "MISSED"})` : ""}`,
    );
  }
}
