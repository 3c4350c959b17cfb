/**
 * The small shell programs the SSH bridge runs in the workspace container around each session:
 * they record where the session's process and terminal are (so that `signal` and
 * `window-change` requests can reach them), size the terminal, load the workspace's secrets,
 * then `exec` the user's command. The user's command is always an argument, never spliced into
 * script text.
 */
import { WORKSPACE_ENV_DIR } from "../plan/pod_plan.ts";

/** Where sessions record `PID TTY`, one file per session, in the container. */
export const SESSION_DIR = "/tmp/.devaipod-ssh";

/**
 * Starts a session: `$1` session id, `$2` rows, `$3` cols (empty without a terminal), then the
 * command. Prunes records of sessions whose process is gone.
 */
export const SESSION_START = [
  `d=${SESSION_DIR}-$(id -u)`,
  'mkdir -p "$d" 2>/dev/null && chmod 700 "$d" 2>/dev/null',
  // A folder of that name made by someone else is not trusted: no record (no resize, no signal).
  '[ -O "$d" ] || d=/dev/null/x',
  'for f in "$d"/*; do [ -f "$f" ] || continue; read -r p _ < "$f" 2>/dev/null; kill -0 "$p" 2>/dev/null || rm -f "$f"; done',
  "id=$1; rows=$2; cols=$3; shift 3",
  "t=$(tty 2>/dev/null) || t=-",
  'echo "$$ $t" > "$d/$id" 2>/dev/null',
  'if [ -n "$rows" ] && [ "$t" != - ]; then stty rows "$rows" cols "$cols" 2>/dev/null; fi',
  `for f in ${WORKSPACE_ENV_DIR}/*; do [ -f "$f" ] && export "\${f##*/}=$(cat "$f")"; done`,
  'exec "$@"',
].join("\n");

/** Resizes a session's terminal: `$1` session id, `$2` rows, `$3` cols. */
export const SESSION_RESIZE = [
  `f=${SESSION_DIR}-$(id -u)/$1`,
  // The session may be starting still: its record comes within moments.
  'i=0; while [ ! -f "$f" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done',
  'read -r p t < "$f" || exit 1',
  '[ "$t" != - ] && stty -F "$t" rows "$2" cols "$3"',
].join("\n");

/**
 * Sends signal `$2` (a name such as INT) to a session: `$1` session id. The session's process
 * group when it leads one (a pty session: the shell and its jobs), else its process.
 */
export const SESSION_SIGNAL = [
  `f=${SESSION_DIR}-$(id -u)/$1`,
  'read -r p t < "$f" || exit 1',
  'kill -s "$2" -- "-$p" 2>/dev/null || kill -s "$2" "$p"',
].join("\n");

/**
 * Ends sessions whose client is gone (run as root: sessions may be of several users): each
 * recorded process (group) gets HUP, and KILL if it is still there a moment later. Only records
 * in folders owned by the uid they are named for count. Arguments: session ids.
 */
export const SESSION_HANGUP = [
  "pids=",
  'for id in "$@"; do',
  `  for d in ${SESSION_DIR}-*; do`,
  '    [ -f "$d/$id" ] || continue',
  '    [ "$(stat -c %u "$d")" = "${d##*-}" ] || continue',
  '    read -r p t < "$d/$id" || continue',
  '    kill -s HUP -- "-$p" 2>/dev/null || kill -s HUP "$p" 2>/dev/null',
  '    pids="$pids $p"',
  "  done",
  "done",
  // Up to a second for them to go, then KILL what is left.
  "i=0",
  "while [ $i -lt 10 ]; do",
  "  alive=",
  '  for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done',
  '  [ -n "$alive" ] || exit 0',
  "  sleep 0.1; i=$((i+1))",
  "done",
  'for p in $alive; do kill -s KILL -- "-$p" 2>/dev/null || kill -s KILL "$p" 2>/dev/null; done',
  "exit 0",
].join("\n");

/** The argv that runs `command` (argv) as a session through {@link SESSION_START}. */
export function sessionArgv(
  id: string,
  command: readonly string[],
  size?: { rows: number; cols: number },
): string[] {
  return [
    "/bin/sh",
    "-c",
    SESSION_START,
    "devaipod-session",
    id,
    size ? String(size.rows) : "",
    size ? String(size.cols) : "",
    ...command,
  ];
}

/** Signal names the SSH protocol carries (RFC 4254 §6.10), without `SIG`. */
export const SSH_SIGNALS = [
  "ABRT",
  "ALRM",
  "FPE",
  "HUP",
  "ILL",
  "INT",
  "KILL",
  "PIPE",
  "QUIT",
  "SEGV",
  "TERM",
  "USR1",
  "USR2",
] as const;

const SIGNAL_NUMBERS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  ABRT: 6,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
};

/**
 * The signal an exit code stands for, when it is 128 + a signal SSH can name (how a shell, and
 * podman exec, report a process killed by a signal); undefined otherwise.
 */
export function signalOfExitCode(code: number): string | undefined {
  if (code <= 128) return undefined;
  return Object.entries(SIGNAL_NUMBERS).find(([, n]) => n === code - 128)?.[0];
}
