/**
 * `verify`'s port probe, "no way back" (the pure part; lib/pods/verify_port_run.ts runs it). The
 * workspace listens on 0.0.0.0 at a free port: devaipod's own proxy, allowing nothing and logging
 * every connection that arrives. The agent tries every address of the pod it could know — its
 * addresses on each network, its names, loopback — directly and through the egress proxy. None
 * may connect, and none may arrive. Then the workspace reaches the agent the way its shims do.
 * The scripts print `key=value` lines ({@link parseProbeOutput}); {@link judgePort} judges them.
 */
import { RUNTIME_PATHS } from "../plan/pod_plan.ts";
import type { Probe } from "./verify.ts";

/**
 * The argv that runs devaipod's proxy (as a listener that allows nothing) from the runtime
 * mounted in a container, found by its mounts' destinations; undefined without one.
 */
export function listenerArgv(mountTargets: readonly string[]): string[] | undefined {
  const listen = ["--listen", "0.0.0.0:0"];
  if (mountTargets.includes(RUNTIME_PATHS.binary)) {
    return [RUNTIME_PATHS.binary, "proxy", ...listen];
  }
  if (mountTargets.includes(RUNTIME_PATHS.deno) && mountTargets.includes(RUNTIME_PATHS.sources)) {
    return [
      RUNTIME_PATHS.deno,
      "run",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--allow-net",
      `--allow-read=${RUNTIME_PATHS.sources}`,
      `${RUNTIME_PATHS.sources}/lib/proxy/main.ts`,
      ...listen,
    ];
  }
  return undefined;
}

/**
 * In the workspace: starts the listener (`$2…`) in the background, its output in the file `$1`,
 * and waits until it says its port. Prints `listen_pid` and `listen_port`, or `listen_error`.
 */
export const LISTEN_START_SCRIPT = [
  "f=$1; shift",
  'DENO_DIR="${TMPDIR:-/tmp}/devaipod-verify-deno" "$@" >"$f" 2>&1 </dev/null &',
  "pid=$!",
  'echo "listen_pid=$pid"',
  "i=0",
  "while [ $i -lt 300 ]; do",
  "  port=$(sed -n 's/^proxy: listening on .*:\\([0-9][0-9]*\\) with .*/\\1/p' \"$f\" 2>/dev/null)",
  '  if [ -n "$port" ]; then echo "listen_port=$port"; exit 0; fi',
  '  kill -0 "$pid" 2>/dev/null || break',
  "  sleep 0.1; i=$((i+1))",
  "done",
  "echo \"listen_error=$(tr '\\n' ' ' <\"$f\" 2>/dev/null | cut -c1-300)\"",
  'kill "$pid" 2>/dev/null; rm -f "$f"',
].join("\n");

/**
 * In the workspace: stops the listener (pid `$1`, output file `$2`) and counts the connections it
 * logged (one JSON record each). Prints `listen_hits` and `listen_clients`.
 */
export const LISTEN_STOP_SCRIPT = [
  'kill "$1" 2>/dev/null',
  "i=0",
  'while kill -0 "$1" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done',
  'kill -9 "$1" 2>/dev/null',
  "n=$(grep -c '^{' \"$2\" 2>/dev/null)",
  'echo "listen_hits=${n:-0}"',
  'echo "listen_clients=$(grep -o \'"client":"[^"]*"\' "$2" 2>/dev/null | ' +
  "sed 's/^\"client\":\"//; s/\"$//' | tr '\\n' ' ')\"",
  'rm -f "$2"',
].join("\n");

/**
 * In the agent: tries the port `$1` at each target (`$3…`), directly (`try_N`: curl's HTTP code
 * and exit status, or bash's `open`/`closed`) and through the proxy `$2` (`via_proxy_N`: the
 * CONNECT answer). Prints `tool=curl|bash|none` first.
 */
export const AGENT_TRY_SCRIPT = [
  "port=$1; proxy=$2; shift 2",
  "if command -v curl >/dev/null 2>&1; then tool=curl",
  "elif command -v bash >/dev/null 2>&1; then tool=bash",
  "else tool=none; fi",
  'echo "tool=$tool"',
  'limit() { if command -v timeout >/dev/null 2>&1; then timeout 3 "$@"; else "$@"; fi; }',
  "i=0",
  'for t in "$@"; do',
  '  case $t in *:*) h="[$t]";; *) h=$t;; esac',
  '  if [ "$tool" = curl ]; then',
  '    echo "try_$i=$(curl --noproxy "*" -s -m 3 -o /dev/null -w "%{http_code}" "http://$h:$port/" 2>/dev/null; echo " $?")"',
  '    echo "via_proxy_$i=$(curl --noproxy "" -s -m 5 -p -x "$proxy" -o /dev/null -w "%{http_connect}" "http://$h:$port/" 2>/dev/null)"',
  '  elif [ "$tool" = bash ]; then',
  '    if limit bash -c \'exec 3<>"/dev/tcp/$1/$2"\' bash "$t" "$port" 2>/dev/null; ' +
  'then echo "try_$i=open"; else echo "try_$i=closed"; fi',
  "  fi",
  "  i=$((i+1))",
  "done",
].join("\n");

/**
 * In the workspace: asks the agent's URL `$1` for its health, without the password (the agent
 * answers 401). Prints `agent_http` (curl's HTTP code and exit status) or `agent_tcp`.
 */
export const REACH_AGENT_SCRIPT = [
  "if command -v curl >/dev/null 2>&1; then",
  '  echo "agent_http=$(curl --noproxy "*" -s -m 5 -o /dev/null -w "%{http_code}" "$1/global/health" 2>/dev/null; echo " $?")"',
  "elif command -v bash >/dev/null 2>&1; then",
  "  hp=${1#http://}; hp=${hp%%/*}",
  '  if bash -c \'exec 3<>"/dev/tcp/$1/$2"\' bash "${hp%:*}" "${hp##*:}" 2>/dev/null; ' +
  "then echo agent_tcp=open; else echo agent_tcp=closed; fi",
  "else echo agent_tcp=untested; fi",
].join("\n");

/** Whether one direct attempt connected: any HTTP answer, or bash's `open`. */
function connected(value: string | undefined): boolean {
  if (value === undefined || value === "closed") return false;
  if (value === "open") return true;
  const [code = "000"] = value.split(" ");
  return code !== "000" && code !== "";
}

/**
 * Judges the port probe's output against the targets the agent tried (in order): the `port`
 * probe (nothing connected, nothing arrived) and `agent-reachable` (the workspace still reaches
 * the agent).
 */
export function judgePort(values: Record<string, string>, targets: readonly string[]): Probe[] {
  return [judgeNoWayBack(values, targets), judgeAgentReachable(values)];
}

function judgeNoWayBack(values: Record<string, string>, targets: readonly string[]): Probe {
  const port = values.listen_port;
  if (!port) {
    return {
      id: "port",
      ok: false,
      detail: `not probed: the workspace could not listen (${values.listen_error || "no answer"})`,
    };
  }
  if (values.tool === "none") {
    return {
      id: "port",
      ok: false,
      detail: "not probed: the agent's image has neither curl nor bash to connect with",
    };
  }
  const direct = targets.filter((_, i) => connected(values[`try_${i}`]));
  const proxied = targets.filter((_, i) => values[`via_proxy_${i}`] === "200");
  const hits = Number(values.listen_hits ?? "0") || 0;
  if (direct.length === 0 && proxied.length === 0 && hits === 0) {
    return {
      id: "port",
      ok: true,
      detail: `the workspace's port ${port} on 0.0.0.0 was out of reach at ${targets.length} ` +
        `addresses and names, directly and through the proxy`,
    };
  }
  const clients = (values.listen_clients ?? "").trim();
  return {
    id: "port",
    ok: false,
    detail: [
      `ESCAPE: the agent reached the workspace's port ${port}`,
      ...(direct.length ? [`directly at ${direct.join(", ")}`] : []),
      ...(proxied.length ? [`through the proxy at ${proxied.join(", ")}`] : []),
      ...(hits ? [`${hits} connections arrived${clients ? ` (from ${clients})` : ""}`] : []),
    ].join("; "),
  };
}

function judgeAgentReachable(values: Record<string, string>): Probe {
  if (values.agent_http !== undefined) {
    const [code = "", exit = ""] = values.agent_http.split(" ");
    const ok = code === "401" || code === "200";
    return {
      id: "agent-reachable",
      ok,
      detail: ok
        ? `the workspace reaches the agent (HTTP ${code} without the password)`
        : `the workspace cannot reach the agent (HTTP ${code}, curl exit ${exit})`,
    };
  }
  const tcp = values.agent_tcp;
  return {
    id: "agent-reachable",
    ok: tcp === "open",
    detail: tcp === "open"
      ? "the workspace reaches the agent's port"
      : tcp === "closed"
      ? "the workspace cannot reach the agent's port"
      : "not probed: the workspace's image has neither curl nor bash",
  };
}
