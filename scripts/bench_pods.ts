/**
 * Benchmarks of the pods: each measured against a baseline in the same run.
 *
 * - `devaipod up` to agent-ready against a plain shell script issuing the podman commands of
 *   `up --dry-run` and the same readiness wait (goal ≤ 1.15×);
 * - `up` to workspace-ready against `devcontainer up --docker-path podman` on the same project
 *   (goal ≤ 0.8×);
 * - `list --json` with 50 workspaces against `podman pod ps --format json` (goal ≤ 1.5×);
 * - `up` of a large project (scripts/large_repo.ts: 10,000 files, about 50 MB of packed
 *   history) against the same script: what the two host-side copies (the workspace's and the
 *   agent's clone) cost when the project is big (goal ≤ 1.15×).
 *
 * Run alone: `deno run <the bench task's permissions> scripts/bench_pods.ts [--runs N] [--json]
 * [--only up|large|list] [--main PATH]` (`--main`: another checkout's main.ts, whose `up --dry-run`
 * then also makes the script: a before/after comparison on one machine).
 */
import { join } from "node:path";
import { OPENCODE_EGRESS } from "../lib/agents/egress.ts";
import { DEV_IMAGE } from "../tests/support/test_images.ts";
import { ORACLE_SCRIPT, oracleUnavailable } from "../tests/support/oracle.ts";
import { devaipodPermissionFlags } from "./permissions.ts";
import { makeLargeRepo } from "./large_repo.ts";
import { stats } from "./bench_stats.ts";
import type { Stats } from "./bench_stats.ts";

/** The devaipod measured (`--main` when run alone). */
let MAIN = new URL("../main.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/** One result row: a measurement, its baseline and the goal for their ratio. */
export interface PodsRow {
  name: string;
  stats: Stats;
  baseline: { name: string; stats: Stats };
  ratio: number;
  goal: number;
}

/** Runs a program to the end and times it (wall clock). */
async function timed(
  program: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const out = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
    ms: performance.now() - started,
  };
}

const sh = (script: string, env: Record<string, string> = {}) =>
  timed("/bin/sh", ["-c", script], env);

const devaipod = (args: string[]) =>
  timed("deno", ["run", "--quiet", ...devaipodPermissionFlags(), MAIN, ...args]);

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

async function must(r: Promise<{ code: number; stderr: string }>, what: string): Promise<void> {
  const x = await r;
  if (x.code !== 0) {
    throw new Error(`${what} failed: ${x.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
}

async function benchProject(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-bench-project-" });
  await Deno.mkdir(join(dir, ".devcontainer"));
  await Deno.writeTextFile(
    join(dir, ".devcontainer", "devcontainer.json"),
    JSON.stringify({ image: DEV_IMAGE, remoteUser: "dev" }),
  );
  await Deno.writeTextFile(join(dir, "main.py"), "print('bench')\n");
  await must(
    sh(
      `cd ${
        q(dir)
      } && git init -q && git add -A && git -c user.email=b@b -c user.name=b commit -qm bench`,
    ),
    "git init",
  );
  return dir;
}

/** The shell script of `up`'s podman commands for workspace `name`, from its dry run. */
async function scriptFor(project: string, name: string): Promise<string> {
  const dry = await devaipod(["up", project, "--name", name, "--dry-run", "--json"]);
  if (dry.code !== 0) throw new Error(dry.stderr);
  const plan = JSON.parse(dry.stdout) as {
    steps: { step: string; argv?: string[]; action?: string }[];
  };
  const imagePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  const lines = [
    "set -e",
    'pw=$(od -An -N24 -tx1 /dev/urandom | tr -d " \\n")',
    "tmp=$(mktemp -d)",
    `trap 'rm -rf "$tmp"' EXIT`,
  ];
  let workspaceContainer = "";
  let agentContainer = "";
  let network = "";
  let linkNetwork = "";
  let target = "";
  const subnetOf = (n: string) =>
    `$(podman network inspect ${q(n)} --format '{{range .Subnets}}{{.Subnet}}{{end}}')`;
  for (const step of plan.steps) {
    if (step.step === "addresses") {
      lines.push(
        `isubnet=${subnetOf(network)}`,
        'base=${isubnet%.*}; proxy_ip="$base.2"; agent_ip="$base.3"; pod_ip="$base.4"',
        // With the link network: the pod and the proxy's relay live there.
        ...(linkNetwork
          ? [
            `lsubnet=${subnetOf(linkNetwork)}`,
            'lbase=${lsubnet%.*}; link_proxy_ip="$lbase.2"; pod_ip="$lbase.3"',
          ]
          : []),
      );
      continue;
    }
    if (!step.argv) {
      if (step.step === "copy the project") {
        // The git commands up runs: is it git, its root, the clone, its commit, its origin.
        lines.push(
          `git -C ${q(project)} rev-parse --is-inside-work-tree >/dev/null`,
          `git -C ${q(project)} rev-parse --show-toplevel >/dev/null`,
          `git clone -q --no-hardlinks ${q(project)} "$tmp/tree"`,
          `git -C "$tmp/tree" rev-parse HEAD >/dev/null`,
          `git -C ${q(project)} remote get-url origin >/dev/null 2>&1 || true`,
          `git -C "$tmp/tree" remote remove origin`,
          `tar -C "$tmp/tree" -cf "$tmp/t.tar" .`,
        );
      }
      if (step.step === "the agent's clone") {
        // The same clone on the agent's branch, archived again; its commit labels the volume.
        const branch = /git branch (\S+)/.exec(step.action ?? "")?.[1] ?? "devaipod/bench";
        lines.push(
          `base=$(git -C "$tmp/tree" rev-parse HEAD)`,
          `git -C "$tmp/tree" branch --no-track ${q(branch)} "$base"`,
          `git -C "$tmp/tree" symbolic-ref HEAD ${q(`refs/heads/${branch}`)}`,
          `tar -C "$tmp/tree" -cf "$tmp/a.tar" .`,
        );
      }
      continue;
    }
    let argv = step.argv.map((a) =>
      a.replace("<image PATH>", imagePath).replace("<workspace-uid>:<workspace-gid>", "1000:1000")
    );
    if (step.step === "agent container") {
      argv = argv.map((a, i) => (argv[i - 1] === "--secret" ? `${a},uid=1000,gid=1000` : a));
      agentContainer = argv[argv.indexOf("--name") + 1] ?? "";
    }
    if (step.step === "internal network") network = argv.at(-1) ?? "";
    if (step.step === "link network") linkNetwork = argv.at(-1) ?? "";
    if (step.step === "egress proxy") {
      // up writes the allowlist first; so does the script.
      const allow = argv.find((a) => a.includes("destination=/opt/devaipod/allow"))?.match(
        /source=([^,]+)/,
      )?.[1];
      if (allow) {
        lines.push(
          `mkdir -p "$(dirname ${q(allow)})"`,
          `printf '%s\\n' ${OPENCODE_EGRESS.map(q).join(" ")} > ${q(allow)}`,
        );
      }
    }
    if (step.step === "workspace container") {
      workspaceContainer = argv[argv.indexOf("--name") + 1] ?? "";
      // up writes the shims before the container starts; so does the script.
      const shims = argv.find((a) => a.includes("destination=/opt/devaipod/shims"))?.match(
        /source=([^,]+)/,
      )?.[1];
      if (shims) {
        lines.push(
          `mkdir -p ${q(shims)}`,
          `printf '#!/bin/sh\nexec true\n' > ${q(`${shims}/opencode-agent`)}`,
        );
      }
      target = (argv.find((a) => a.startsWith("type=volume")) ?? "").split("destination=")[1] ?? "";
    }
    const word = (a: string) =>
      a === "<tarball>"
        ? '"$tmp/t.tar"'
        : a === "<agent tarball>"
        ? '"$tmp/a.tar"'
        : a.endsWith("=<base-commit>")
        ? `"${a.replace("<base-commit>", "$base")}"`
        : /<((link-)?proxy|agent|pod)-ip>|<(internal|link)-subnet>/.test(a)
        ? `"${
          a.replaceAll("<proxy-ip>", "$proxy_ip").replaceAll("<agent-ip>", "$agent_ip")
            .replaceAll("<pod-ip>", "$pod_ip").replaceAll("<link-proxy-ip>", "$link_proxy_ip")
            .replaceAll("<internal-subnet>", "$isubnet").replaceAll("<link-subnet>", "$lsubnet")
        }"`
        : q(a);
    const cmd = `podman ${argv.map(word).join(" ")}`;
    if (step.step === "fill the workspace volume") {
      // up imports the two volumes at the same time; so does the script.
      lines.push(`${cmd} & fill=$!`);
      continue;
    }
    lines.push(step.step.startsWith("secret ") ? `printf %s "$pw" | ${cmd}` : cmd);
    if (step.step === "fill the agent's volume") lines.push('wait "$fill"');
    if (step.step === "workspace user's uid") {
      lines.push(
        `podman container exec --user 0 ${q(workspaceContainer)} chown -R 1000:1000 ${q(target)}`,
      );
    }
  }
  const probe = network
    // Behind the proxy: the agent's own health check, as up polls it.
    ? `podman healthcheck run ${q(agentContainer)} >/dev/null 2>&1`
    : 'curl -fsS --max-time 2 -u "opencode:$pw" "http://127.0.0.1:$port/global/health" >/dev/null 2>&1';
  lines.push(
    ...(network ? [] : [`port=$(podman port ${q(workspaceContainer)} 4096/tcp | sed 's/.*://')`]),
    // The same wait as up's: poll every 250 ms, give up after 120 s.
    "deadline=$(($(date +%s) + 120))",
    `until ${probe}; do`,
    '  [ "$(date +%s)" -lt "$deadline" ] || { echo "agent not healthy" >&2; exit 1; }',
    "  sleep 0.25",
    "done",
    'rm -rf "$tmp"',
  );
  return lines.join("\n");
}

async function deleteWorkspace(name: string): Promise<void> {
  await devaipod(["delete", "-f", "--volumes", name]);
}

/**
 * `up` against the script and against the reference's `devcontainer up` (`large`: a large
 * project, against the script only).
 */
async function benchUp(
  runs: number,
  log: (l: string) => void,
  large = false,
): Promise<PodsRow[]> {
  const project = large ? await largeProject(log) : await benchProject();
  const ours: number[] = [];
  const oursWorkspace: number[] = [];
  const script: number[] = [];
  const reference: number[] = [];
  const wrapDir = await Deno.makeTempDir({ prefix: "devaipod-bench-wrap-" });
  // The reference adds --userns=keep-id for podman, which rootful podman refuses.
  const wrapper = join(wrapDir, "podman");
  await Deno.writeTextFile(
    wrapper,
    '#!/bin/sh\nfor a in "$@"; do shift; [ "$a" = "--userns=keep-id" ] || set -- "$@" "$a"; done\nexec podman "$@"\n',
  );
  await Deno.chmod(wrapper, 0o755);
  const refUp = `node ${q(ORACLE_SCRIPT)} up --workspace-folder ${q(project)} --docker-path ${
    q(wrapper)
  }`;
  const refDown = `podman rm -f $(podman ps -aq --filter label=devcontainer.local_folder=${
    q(project)
  }) >/dev/null 2>&1 || true`;
  try {
    // Warm-up (caches, the reference's -uid image), untimed.
    const warm = `bench-warm-${crypto.randomUUID().slice(0, 4)}`;
    await must(devaipod(["up", project, "--name", warm, "-q"]), "warm-up up");
    await deleteWorkspace(warm);
    if (!oracleUnavailable && !large) {
      await must(sh(refUp), "warm-up devcontainer up");
      await sh(refDown);
    }
    for (let i = 0; i < runs; i++) {
      const a = `bench-up-${crypto.randomUUID().slice(0, 6)}`;
      const r = await devaipod(["up", project, "--name", a, "--json", "-q"]);
      if (r.code !== 0) throw new Error(`up failed: ${r.stderr}`);
      ours.push(r.ms);
      const t = JSON.parse(r.stdout).timings as { workspaceReadyMs: number };
      // Process start to workspace-ready; the spawn itself (~1 ms) is not in it.
      oursWorkspace.push(t.workspaceReadyMs);
      await deleteWorkspace(a);

      const b = `bench-sh-${crypto.randomUUID().slice(0, 6)}`;
      // What a failed script made is removed too (its objects carry the workspace's labels).
      const s = await sh(await scriptFor(project, b)).finally(() => deleteWorkspace(b));
      if (s.code !== 0) throw new Error(`baseline script failed: ${s.stderr}`);
      script.push(s.ms);

      if (!oracleUnavailable && !large) {
        const ref = await sh(refUp);
        if (ref.code !== 0) throw new Error(`devcontainer up failed: ${ref.stderr.slice(-300)}`);
        reference.push(ref.ms);
        await sh(refDown);
      }
      log(
        `up run ${i + 1}/${runs}: devaipod ${
          r.ms.toFixed(0)
        } ms (workspace ready at ${t.workspaceReadyMs} ms), script ${s.ms.toFixed(0)} ms${
          reference.length ? `, devcontainer up ${reference.at(-1)?.toFixed(0)} ms` : ""
        }`,
      );
    }
  } finally {
    await sh(refDown);
    await Deno.remove(project, { recursive: true });
    await Deno.remove(wrapDir, { recursive: true });
  }
  const rows: PodsRow[] = [];
  const row = (name: string, s: number[], baseName: string, b: number[], goal: number) => {
    const st = stats(s);
    const bt = stats(b);
    rows.push({
      name,
      stats: st,
      baseline: { name: baseName, stats: bt },
      ratio: st.median / bt.median,
      goal,
    });
  };
  row(
    large
      ? "devaipod up, large project (10k files, 50 MB history), to agent-ready"
      : "devaipod up, to agent-ready",
    ours,
    "shell script: same podman commands and wait",
    script,
    1.15,
  );
  if (reference.length) {
    row(
      "devaipod up, to workspace-ready",
      oursWorkspace,
      "devcontainer up --docker-path podman",
      reference,
      0.8,
    );
  }
  return rows;
}

/** `list --json` with 50 workspaces against `podman pod ps --format json`. */
async function benchList(runs: number, log: (l: string) => void): Promise<PodsRow[]> {
  const run = crypto.randomUUID().slice(0, 4);
  const names = Array.from({ length: 50 }, (_, i) => `bench-list-${run}-${i}`);
  const create = names.map((n) =>
    `podman pod create --name devaipod-${n} --label io.devaipod.workspace=${n} --label io.devaipod.role=pod --label io.devaipod.project=/tmp/${n} --label io.devaipod.task=bench >/dev/null`
  ).join("\n");
  await must(sh(create), "creating 50 pods");
  log("50 workspaces (pods) created");
  const ours: number[] = [];
  const base: number[] = [];
  try {
    await devaipod(["list", "--json"]);
    for (let i = 0; i < runs; i++) {
      const r = await devaipod(["list", "--json"]);
      if (r.code !== 0 || JSON.parse(r.stdout).length < 50) {
        throw new Error(`list failed: ${r.stderr}`);
      }
      ours.push(r.ms);
      base.push((await sh("podman pod ps --format json >/dev/null")).ms);
    }
  } finally {
    await sh(names.map((n) => `podman pod rm -f devaipod-${n} >/dev/null`).join("\n"));
  }
  const st = stats(ours);
  const bt = stats(base);
  return [{
    name: "devaipod list --json (50 workspaces)",
    stats: st,
    baseline: { name: "podman pod ps --format json", stats: bt },
    ratio: st.median / bt.median,
    goal: 1.5,
  }];
}

/** The large project of scripts/large_repo.ts, with a devcontainer.json. */
async function largeProject(log: (l: string) => void): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-bench-large-" });
  const repo = await makeLargeRepo(dir, { image: DEV_IMAGE });
  log(`large project: ${repo.files} files, ${repo.commits} commits, ${repo.packMb} MB packed`);
  return repo.dir;
}

/** Which pods benchmarks run: all by default. */
export type PodsBench = "up" | "large" | "list";

/** All pods benchmarks (or `only` those). */
export async function benchPods(
  runs: number,
  log: (l: string) => void,
  only: readonly PodsBench[] = ["up", "large", "list"],
): Promise<PodsRow[]> {
  return [
    ...(only.includes("up") ? await benchUp(Math.min(runs, 5), log) : []),
    ...(only.includes("large") ? await benchUp(Math.min(runs, 3), log, true) : []),
    ...(only.includes("list") ? await benchList(runs, log) : []),
  ];
}

if (import.meta.main) {
  const flag = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  MAIN = flag("--main") ?? MAIN;
  const only = flag("--only")?.split(",") as PodsBench[] | undefined;
  const rows = await benchPods(
    Number(flag("--runs") ?? 5),
    (l) => console.error(`pods: ${l}`),
    only,
  );
  if (Deno.args.includes("--json")) console.log(JSON.stringify(rows, null, 2));
  else {
    for (const r of rows) {
      console.log(
        `${r.name}: ${r.stats.median.toFixed(0)} ms (p90 ${r.stats.p90.toFixed(0)}) vs ` +
          `${r.baseline.name}: ${r.baseline.stats.median.toFixed(0)} ms → ${r.ratio.toFixed(2)}× ` +
          `(goal ≤ ${r.goal}×: ${r.ratio <= r.goal ? "met" : "MISSED"})`,
      );
    }
  }
}
