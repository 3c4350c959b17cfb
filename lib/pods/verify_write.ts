/**
 * `verify`'s write probe: the agent writes a file at its workspace path and looks for the human's
 * work volume among its mounts; the workspace then looks for that file in the human's tree. The
 * agent's writes must stay in its own clone. Each script takes the probe's nonce as `$1`. Pure
 * except for the scripts' text.
 */
import type { Probe } from "./verify.ts";

/**
 * The agent's half (`$2`: the human's work volume): writes `devaipod-verify-write-<nonce>` in its
 * working folder and counts the mounts of that volume (`/proc/self/mountinfo` names a volume's
 * folder). Prints `write_agent=wrote|refused` and `write_mounts=<count>`.
 */
export const WRITE_AGENT_SCRIPT = [
  'f="$PWD/devaipod-verify-write-$1"',
  'if (: > "$f") 2>/dev/null; then echo write_agent=wrote; else echo write_agent=refused; fi',
  `echo "write_mounts=$(grep -cF "/$2/_data " /proc/self/mountinfo)"`,
].join("\n");

/** The workspace's half: whether the agent's file is in the human's tree (removed if so). */
export const WRITE_CHECK_SCRIPT = [
  'f="$PWD/devaipod-verify-write-$1"',
  'if [ -e "$f" ]; then echo write_seen=yes; rm -f "$f"; else echo write_seen=no; fi',
].join("\n");

/** The agent's cleanup: its file gone from its own clone. */
export const WRITE_CLEAN_SCRIPT = 'rm -f "$PWD/devaipod-verify-write-$1"; echo write_cleaned=yes';

/** Judges the write probe from both halves' `key=value` output (`volume`: the human's). */
export function judgeWrite(values: Readonly<Record<string, string>>, volume: string): Probe {
  const id = "write";
  const escapes = [
    ...(values.write_seen === "yes"
      ? ["a file the agent wrote at the workspace path appeared in the human's tree"]
      : []),
    ...(values.write_mounts !== "0" && values.write_mounts !== undefined
      ? [`${volume} is mounted in the agent (${values.write_mounts}×)`]
      : []),
  ];
  if (escapes.length) return { id, ok: false, detail: `ESCAPE: ${escapes.join("; ")}` };
  if (values.write_seen !== "no" || values.write_mounts !== "0") {
    return {
      id,
      ok: false,
      detail: `the probe did not report (seen ${values.write_seen}, mounts ${values.write_mounts})`,
    };
  }
  return {
    id,
    ok: true,
    detail: values.write_agent === "wrote"
      ? `${volume} is not mounted in the agent; its write stayed in its own clone`
      : `${volume} is not mounted in the agent; it could not write at the workspace path`,
  };
}
