/**
 * `verify`'s hook probe: the agent plants git hooks and `core.fsmonitor` in the repository it
 * sees at its workspace path; the workspace then runs git in the human's tree (`status`, and a
 * checkout of the current HEAD). A hook or monitor that ran leaves a marker in the workspace's
 * /tmp: the agent's code ran as the human. Each script takes the probe's nonce as `$1`. Pure
 * except for the scripts' text.
 */
import type { Probe } from "./verify.ts";

/** The hooks planted: what `status`, `checkout` and their ref updates may run. */
const HOOKS = ["post-checkout", "post-index-change", "reference-transaction", "post-merge"];

/** Finds the repository above the working folder: `$g` is its `.git`, or the script stops. */
const FIND_REPO = [
  'n="$1"; d="$PWD"',
  'while [ "$d" != / ] && [ ! -d "$d/.git" ]; do d=$(dirname "$d"); done',
  'g="$d/.git"',
];

/** What every planted program does: a marker named after itself in /tmp, with the uid it ran as. */
const MARKER = [
  'marker="#!/bin/sh',
  String.raw`echo \"\$(id -u)\" > \"/tmp/devaipod-verify-$n-\$(basename \"\$0\")\""`,
];

/**
 * The agent's half: plants the hooks (where none is) and a `core.fsmonitor` program, keeping a
 * copy of its config for {@link HOOK_CLEAN_SCRIPT}. Prints `hook_planted=<count>|no-repo|failed`.
 */
export const HOOK_PLANT_SCRIPT = [
  ...FIND_REPO,
  '[ -d "$g" ] || { echo hook_planted=no-repo; exit 0; }',
  ...MARKER,
  'mkdir -p "$g/hooks" "$g/devaipod-verify-$n" && cp "$g/config" "/tmp/devaipod-verify-$n.config" ||',
  "  { echo hook_planted=failed; exit 0; }",
  "c=0",
  `for h in ${HOOKS.join(" ")}; do`,
  '  [ -e "$g/hooks/$h" ] && continue',
  '  printf "%s\\n" "$marker" > "$g/hooks/$h" && chmod +x "$g/hooks/$h" && c=$((c+1))',
  "done",
  'printf "%s\\n" "$marker" > "$g/devaipod-verify-$n/fsmonitor" && chmod +x "$g/devaipod-verify-$n/fsmonitor"',
  'printf "[core]\\n\\tfsmonitor = %s\\n" "$g/devaipod-verify-$n/fsmonitor" >> "$g/config" && c=$((c+1))',
  'echo "hook_planted=$c"',
].join("\n");

/**
 * The workspace's half: git in the human's tree as the human would run it, then the markers.
 * Prints `hook_git=ran|missing|not-a-repo` and `hook_markers=<programs that ran>`.
 */
export const HOOK_RUN_SCRIPT = [
  'n="$1"',
  "if ! command -v git >/dev/null 2>&1; then echo hook_git=missing",
  "elif ! top=$(git rev-parse --show-toplevel 2>/dev/null); then echo hook_git=not-a-repo",
  "else",
  '  cd "$top" && git status --porcelain >/dev/null 2>&1',
  '  b=$(git symbolic-ref -q --short HEAD || git rev-parse HEAD) && git checkout -q "$b" >/dev/null 2>&1',
  "  echo hook_git=ran",
  "fi",
  'echo "hook_markers=$(cd /tmp && for f in devaipod-verify-$n-*; do [ -e "$f" ] && printf "%s " "${f#devaipod-verify-$n-}"; done)"',
  "rm -f /tmp/devaipod-verify-$n-*",
].join("\n");

/** The agent's cleanup: its hooks and config as they were. Prints `hook_cleaned=yes|no-repo`. */
export const HOOK_CLEAN_SCRIPT = [
  ...FIND_REPO,
  '[ -d "$g" ] || { echo hook_cleaned=no-repo; exit 0; }',
  `for h in ${HOOKS.join(" ")}; do`,
  '  grep -qs "devaipod-verify-$n-" "$g/hooks/$h" && rm -f "$g/hooks/$h"',
  "done",
  'rm -rf "$g/devaipod-verify-$n"',
  'if [ -f "/tmp/devaipod-verify-$n.config" ]; then',
  '  cat "/tmp/devaipod-verify-$n.config" > "$g/config" && rm -f "/tmp/devaipod-verify-$n.config"',
  "fi",
  "echo hook_cleaned=yes",
].join("\n");

/** Judges the hook probe from both halves' `key=value` output. */
export function judgeHook(values: Readonly<Record<string, string>>): Probe {
  const id = "hook";
  const markers = (values.hook_markers ?? "").split(" ").filter(Boolean);
  if (markers.length) {
    return {
      id,
      ok: false,
      detail: `ESCAPE: the workspace's git ran what the agent planted: ${markers.join(", ")}`,
    };
  }
  if (values.hook_git === "missing") {
    return { id, ok: true, detail: "not probed: the workspace has no git" };
  }
  if (values.hook_git === "not-a-repo") {
    return { id, ok: true, detail: "not probed: the workspace folder is not a git repository" };
  }
  if (values.hook_git !== "ran") {
    return { id, ok: false, detail: `the workspace's git did not report (${values.hook_git})` };
  }
  const planted = values.hook_planted ?? "";
  if (!/^[1-9]\d*$/.test(planted)) {
    // Nothing planted is no proof: the probe could not be set up.
    return {
      id,
      ok: planted === "no-repo",
      detail: planted === "no-repo"
        ? "the agent has no repository at the workspace path to plant into"
        : `the agent could not plant its hooks (${planted || "no answer"})`,
    };
  }
  return {
    id,
    ok: true,
    detail: `${planted} planted (hooks, core.fsmonitor); git status and checkout ran none of them`,
  };
}
