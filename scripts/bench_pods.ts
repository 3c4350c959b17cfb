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
import { agentPlatform, cachedBinaryPath, opencodePin } from "../lib/agents/opencode.ts";
import { devaipodDirs } from "../lib/paths.ts";
import { DEV_IMAGE } from "../tests/support/test_images.ts";
import { ORACLE_SCRIPT, oracleUnavailable } from "../tests/support/oracle.ts";
import { devaipodPermissionFlags } from "./permissions.ts";
import { makeLargeRepo } from "./large_repo.ts";
import { stats, timed } from "./bench_stats.ts";
import type { Stats } from "./bench_stats.ts";

/** The devaipod measured (`--main` when run alone). */
let MAIN = new URL("../main.ts", import.meta.url).pathname;

/** One result row: a measurement, its baseline and the goal for their ratio. */
export interface PodsRow {
  name: string;
  stats: Stats;
  baseline: { name: string; stats: Stats };
  ratio: number;
  goal: number;
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

/** One podman command of a step in `up --dry-run --json`. */
interface DryRunCommand {
  argv: string[];
  stdin?: string;
  when?: string;
}

/** One step of `up --dry-run --json`. */
interface DryRunStep {
  id: string;
  step: string;
  commands: DryRunCommand[];
  action?: string;
  when?: string;
  produces?: string[];
  creates?: string;
  group?: string;
}

/** The bindings the script knows how to compute (`<name>` in the dry-run's argv). */
const KNOWN_BINDINGS = [
  "image.path",
  "image.arch",
  "agent.binary",
  "copy.commit",
  "copy.work",
  "copy.agent",
  "net.internalSubnet",
  "net.linkSubnet",
  "net.proxy",
  "net.agent",
  "net.linkProxy",
  "net.pod",
  "user.uid",
  "user.gid",
  "user.oc",
] as const;

/** The shell variable holding a binding: `net.proxy` → `net_proxy`. */
const shellVar = (binding: string) => binding.replaceAll(".", "_");

/** A `when` of a command that holds in every bench run: its workspace name is new. */
const FRESH_NAME = "an earlier up of this name left no such volume (else it is adopted)";

/** The image's PATH and architecture, read before the timed script runs. */
async function inspectImage(image: string): Promise<{ path: string; arch: string }> {
  const r = await timed("podman", ["image", "inspect", "--format", "json", image]);
  if (r.code !== 0) throw new Error(`podman image inspect ${image}: ${r.stderr.trim()}`);
  const [info] = JSON.parse(r.stdout) as {
    Architecture?: string;
    Config?: { Env?: string[] };
  }[];
  return {
    path: info?.Config?.Env?.find((e) => e.startsWith("PATH="))?.slice(5) ||
      "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    arch: info?.Architecture ?? Deno.build.arch,
  };
}

/**
 * The shell script of `up`'s podman commands for workspace `name`, from its dry run: each
 * command that always runs, with its `<binding>`s in shell variables the script computes as `up`
 * does, plus the same host work (the clone, its archives, the agent's branch, the allowlist and
 * the shims) and the same readiness wait. Strict: a step, binding or condition it does not know
 * throws, so that a grown plan fails the bench instead of timing a different script.
 *
 * What `up` does and the script does not (neither did the script of the earlier dry run): the
 * leftovers' queries (five podman listings), `image exists`, the image's inspect (its PATH and
 * architecture are read here, before the timing), the agent binary's cache lookup (its path is
 * computed here), the check of the user's own secrets (`secret ls`) and the hooks step's two
 * container inspects.
 *
 * Exported to look at by hand: `deno eval "import { scriptFor } from './scripts/bench_pods.ts';
 * console.log(await scriptFor(PROJECT, NAME))"`.
 */
export async function scriptFor(project: string, name: string): Promise<string> {
  const dry = await devaipod(["up", project, "--name", name, "--dry-run", "--json"]);
  if (dry.code !== 0) throw new Error(dry.stderr);
  const plan = JSON.parse(dry.stdout) as {
    image: string;
    steps: DryRunStep[];
    bindings?: Record<string, string>;
  };
  function fail(what: string): never {
    throw new Error(`bench_pods: the baseline script cannot follow the plan: ${what}`);
  }
  if (!Array.isArray(plan.steps) || plan.steps.some((s) => !s.id || !Array.isArray(s.commands))) {
    fail("its steps are not {id, step, commands}");
  }
  for (const b of Object.keys(plan.bindings ?? {})) {
    if (!(KNOWN_BINDINGS as readonly string[]).includes(b)) fail(`unknown binding <${b}>`);
  }
  const lines = [
    "set -eu",
    'pw=$(od -An -N24 -tx1 /dev/urandom | tr -d " \\n")',
    "tmp=$(mktemp -d)",
    `trap 'rm -rf "$tmp"' EXIT`,
  ];
  /** The bindings the script has set so far. */
  const produced = new Set<string>();
  const set = (binding: string, value: string) => {
    lines.push(`${shellVar(binding)}=${value}`);
    produced.add(binding);
  };
  /** A word of an argv as shell text, each `<binding>` as its (quoted) variable. */
  const word = (a: string): string => {
    const parts = a.split(/<([^<>\s"'$]+)>/);
    if (parts.length === 1) return q(a);
    return parts.map((p, i) => {
      if (i % 2 === 0) return p ? q(p) : "";
      if (!(KNOWN_BINDINGS as readonly string[]).includes(p)) fail(`unknown binding <${p}>`);
      if (!produced.has(p)) fail(`<${p}> is used before the script has it`);
      return `"$${shellVar(p)}"`;
    }).join("");
  };
  const podman = (c: DryRunCommand): string => {
    if (c.argv[0] !== "podman") fail(`a command that is not podman: ${c.argv.join(" ")}`);
    return ["podman", ...c.argv.slice(1).map(word)].join(" ");
  };
  /** A step's commands, each only if it always runs (a volume's: for a new workspace name). */
  const always = (step: DryRunStep): string[] =>
    step.commands.map((c) => {
      const fresh = step.id.startsWith("volume ") && c.when === FRESH_NAME;
      if (c.when !== undefined && !fresh) fail(`${step.id}: unknown when "${c.when}"`);
      if (c.stdin !== undefined) fail(`${step.id}: unexpected stdin ${c.stdin}`);
      return podman(c);
    });
  const actionMatch = (step: DryRunStep, re: RegExp): RegExpExecArray =>
    re.exec(step.action ?? "") ?? fail(`${step.id}: unexpected action "${step.action}"`);
  let image: Promise<{ path: string; arch: string }> | undefined;
  const shim = `printf '#!/bin/sh\\nexec true\\n' >`;
  let tree = "";
  let agentPort = false;
  // Steps of one group (the imports, the networks) run at the same time, as in up.
  let group: { name: string; pids: string[] } | undefined;
  const endGroup = () => {
    if (!group) return;
    // Each wait fails the script (set -e) when its command failed.
    lines.push(...group.pids.map((pid) => `wait "$${pid}"`));
    if (group.name === "imports") {
      // up removes the project's copy once the volumes are filled.
      lines.push('rm -rf "$tmp/tree" "$tmp/work.tar" "$tmp/agent.tar"');
    }
    group = undefined;
  };
  for (const step of plan.steps) {
    const [kind = ""] = step.id.split(" ");
    const groupName = step.group ??
      (kind === "import" ? "imports" : kind === "network" ? "networks" : undefined);
    if (groupName !== group?.name) endGroup();
    if (step.when !== undefined && !produced.has(step.when)) {
      fail(`${step.id} runs only when <${step.when}> is known, which the script never sets`);
    }
    const before = new Set(produced);
    lines.push(`# ${step.id}: ${step.step}`);
    switch (step.id === "shims oc" ? "shims oc" : kind) {
      case "leftovers":
      case "user-secrets":
      case "image":
        // up's leftovers queries, its check of the user's secrets and `image exists` (pull or
        // build when missing): not in the script, as before (a new name, a local image).
        break;
      case "inspect-image": {
        // Read now, untimed: the earlier dry run gave the PATH and the binary's path itself.
        const { path, arch } = await (image ??= inspectImage(plan.image));
        set("image.path", q(path));
        set("image.arch", q(arch));
        break;
      }
      case "agent-binary": {
        // The cached binary up uses (the warm-up `up` fetched it), found now, untimed.
        const version = actionMatch(step, /^opencode (\S+) for /)[1];
        const { arch } = await (image ??= inspectImage(plan.image));
        const platform = agentPlatform(arch) ?? fail(`no opencode build for ${arch}`);
        const path = cachedBinaryPath(devaipodDirs(Deno.env).cache, {
          ...opencodePin(platform),
          ...(version && version !== "(pinned)" ? { version } : {}),
        });
        try {
          await Deno.stat(path);
        } catch {
          fail(`the agent binary ${path} is not cached (an \`up\` fetches it)`);
        }
        set("agent.binary", q(path));
        break;
      }
      case "shims": {
        // up writes the shims before anything is made; so does the script.
        const dir = actionMatch(step, /^write (\S+)\/opencode-agent /)[1] ?? "";
        lines.push(`mkdir -p ${q(dir)}`, `${shim} ${q(`${dir}/opencode-agent`)}`);
        break;
      }
      case "shims oc": {
        const dir = actionMatch(step, /^write (\S+)\/oc unless <user\.oc> is "oc"/)[1] ?? "";
        if (!produced.has("user.oc")) fail("shims oc before the workspace user");
        lines.push(`[ "$user_oc" = oc ] || ${shim} ${q(`${dir}/oc`)}`);
        break;
      }
      case "secret":
        for (const c of step.commands) {
          const env = /^<value of \$([A-Za-z_][A-Za-z0-9_]*)>$/.exec(c.stdin ?? "")?.[1];
          const value = c.stdin === "<a new random password>"
            ? '"$pw"'
            : env
            ? `"\${${env}-}"`
            : fail(`${step.id}: unknown stdin ${c.stdin}`);
          if (c.when !== undefined) fail(`${step.id}: unknown when "${c.when}"`);
          lines.push(`printf %s ${value} | ${podman(c)}`);
        }
        break;
      case "copy": {
        // The git commands up runs: is it git, its root, the clone, its commit, its origin; both
        // archives (the agent's on its branch, made in the same clone).
        const [, root = "", branch = ""] = actionMatch(
          step,
          /^git clone --no-hardlinks (\S+) on the host at HEAD → <copy\.work>; git branch (\S+) there → <copy\.agent>/,
        );
        tree = '"$tmp/tree"';
        lines.push(
          `git -C ${q(root)} rev-parse --is-inside-work-tree >/dev/null`,
          `git -C ${q(root)} rev-parse --show-toplevel >/dev/null`,
          `git clone -q --no-hardlinks ${q(root)} ${tree}`,
        );
        set("copy.commit", `$(git -C ${tree} rev-parse HEAD)`);
        lines.push(
          `git -C ${q(root)} remote get-url origin >/dev/null 2>&1 || true`,
          `git -C ${tree} remote remove origin`,
          `tar -C ${tree} -cf "$tmp/work.tar" .`,
        );
        set("copy.work", '"$tmp/work.tar"');
        lines.push(
          `git -C ${tree} branch --no-track ${q(branch)} "$copy_commit"`,
          `git -C ${tree} symbolic-ref HEAD ${q(`refs/heads/${branch}`)}`,
          `tar -C ${tree} -cf "$tmp/agent.tar" .`,
        );
        set("copy.agent", '"$tmp/agent.tar"');
        break;
      }
      case "allow-file": {
        // up writes the allowlist before the proxy starts; so does the script.
        const [, path = "", entries = ""] = actionMatch(step, /^write (\S+): (.+)$/);
        lines.push(
          `mkdir -p "$(dirname ${q(path)})"`,
          `printf '%s\\n' ${
            ["# devaipod: hosts the agent may reach (one per line)", ...entries.split(", ")]
              .map(q).join(" ")
          } > ${q(path)}`,
        );
        break;
      }
      case "addresses": {
        // up's one inspect of both networks (a template instead of JSON, for the shell): the
        // IPv4 subnets → .2 the proxy, .3 the agent; on the link network .2 the proxy, .3 the pod.
        const [c, ...rest] = step.commands;
        const head = ["podman", "network", "inspect", "--format", "json"];
        const names = c?.argv.slice(head.length) ?? [];
        if (
          rest.length || !c || c.when || head.some((w, i) => c.argv[i] !== w) ||
          names.length !== 2
        ) fail(`addresses: unexpected commands ${JSON.stringify(step.commands)}`);
        lines.push(
          `subnets=$(podman network inspect --format '{{range .Subnets}}{{.Subnet}} {{end}}' ${
            names.map(q).join(" ")
          })`,
          `v4() { for s in $1; do case $s in *.*) echo "$s"; return 0;; esac; done; echo "no IPv4 subnet" >&2; return 1; }`,
        );
        set("net.internalSubnet", `$(v4 "$(printf '%s\\n' "$subnets" | sed -n 1p)")`);
        set("net.linkSubnet", `$(v4 "$(printf '%s\\n' "$subnets" | sed -n 2p)")`);
        set("net.proxy", '"${net_internalSubnet%.*}.2"');
        set("net.agent", '"${net_internalSubnet%.*}.3"');
        set("net.linkProxy", '"${net_linkSubnet%.*}.2"');
        set("net.pod", '"${net_linkSubnet%.*}.3"');
        break;
      }
      case "workspace-user": {
        // up's exec; the uid and gid are the test image's user (1000:1000), as before.
        const [c] = always(step);
        if (step.commands.length !== 1 || !c) fail("workspace-user: not one command");
        lines.push(`ids=$(${c})`);
        set("user.uid", "1000");
        set("user.gid", "1000");
        set("user.oc", `$(printf '%s\\n' "$ids" | sed -n 3p)`);
        break;
      }
      case "agent-port": {
        const [c] = always(step);
        if (step.commands.length !== 1 || !c) fail("agent-port: not one command");
        lines.push(`agent_port=$(${c} | head -n 1 | sed 's/.*://')`);
        agentPort = true;
        break;
      }
      case "wait-agent": {
        // The same wait as up's: poll every 250 ms, give up after its timeout.
        const seconds = actionMatch(step, /at most (\d+)s$/)[1];
        const [first, second, ...rest] = step.commands;
        if (rest.length || !first) fail(`wait-agent: unexpected commands`);
        let probe: string;
        let after: string[] = [];
        let logs = "";
        if (first?.when === "every 250 ms until healthy") {
          // Behind the proxy: the agent's own health check, as up polls it.
          probe = `${podman(first)} >/dev/null 2>&1`;
          if (second?.when !== "it never became healthy") fail("wait-agent: no logs command");
          logs = `${podman(second)} >&2 || true; `;
        } else if (first?.when === "once healthy (its first record)" && !second && agentPort) {
          probe =
            'curl -fsS --max-time 2 -u "opencode:$pw" "http://127.0.0.1:$agent_port/global/health" >/dev/null 2>&1';
          // Then a first health record, as up runs it.
          after = [`${podman(first)} >/dev/null 2>&1 || true`];
        } else {
          fail(`wait-agent: unexpected commands ${JSON.stringify(step.commands)}`);
        }
        lines.push(
          `deadline=$(($(date +%s) + ${seconds}))`,
          `until ${probe}; do`,
          `  [ "$(date +%s)" -lt "$deadline" ] || { ${logs}echo "agent not healthy" >&2; exit 1; }`,
          "  sleep 0.25",
          "done",
          ...after,
        );
        break;
      }
      case "hooks":
        // up inspects both containers for the hooks' environment; without hooks it runs none,
        // and the script (like the earlier one) skips the inspects. With hooks the script would
        // time less than up does.
        if (!step.action?.startsWith("no lifecycle hooks:")) fail(`hooks: ${step.action}`);
        break;
      case "dotfiles":
      case "initialize":
      case "task":
        // Host or agent work the script has no equivalent of; the bench's projects have none.
        fail(`${step.id}: ${step.action ?? step.step}`);
        break;
      case "volume":
      case "network":
      case "import":
      case "pod":
      case "container":
      case "chown":
      case "link-shims":
        for (const cmd of always(step)) {
          if (groupName) {
            group ??= { name: groupName, pids: [] };
            const pid = `pid${lines.length}`;
            lines.push(`${cmd} & ${pid}=$!`);
            group.pids.push(pid);
          } else lines.push(cmd);
        }
        break;
      default:
        fail(`unknown step ${step.id}`);
    }
    for (const b of step.produces ?? []) {
      if (before.has(b) || !produced.has(b)) {
        fail(`${step.id} produces <${b}>, which the script does not set there`);
      }
    }
  }
  endGroup();
  if (!lines.some((l) => l.startsWith("until "))) fail("no wait for the agent");
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
