/**
 * `verify`'s provider-keys probe: the keys that the proxy holds for the agent must not be found
 * anywhere the agent can read: its processes' environments, its HOME, its secret files, /tmp.
 * The agent prints what it can read (the dump below); the host looks for the real values in it,
 * so no key is ever sent into the agent to search with. Pure but for the dump's text.
 */
import type { Probe } from "./verify.ts";

/** What the agent prints for the probe: every environment and file it can read there. */
export const KEY_DUMP_SCRIPT =
  'cat /proc/[0-9]*/environ 2>/dev/null; find "$HOME" /run/secrets /tmp -xdev -type f -size -2M ' +
  "-exec cat {} + 2>/dev/null; true";

/**
 * Judges the dump: `keys` are the real values (by variable) the proxy holds. Without any set
 * here, there is nothing to look for, which the probe says.
 */
export function judgeProviderKeys(
  dump: string | undefined,
  keys: Readonly<Record<string, string>>,
  /** The probe's id and what it says when there is nothing to look for. */
  probe: { id: string; none: string } = {
    id: "provider-keys",
    none: "not probed: no provider key is set in this environment",
  },
): Probe {
  const id = probe.id;
  const names = Object.keys(keys);
  if (!names.length) return { id, ok: true, detail: probe.none };
  if (dump === undefined) return { id, ok: false, detail: "the agent could not be read" };
  const found = names.filter((n) => (keys[n] ?? "").length >= 8 && dump.includes(keys[n] ?? ""));
  return found.length
    ? { id, ok: false, detail: `LEAK: the real ${found.join(", ")} is readable in the agent` }
    : {
      id,
      ok: true,
      detail: `no real ${
        names.join(", ")
      } in the agent's environments, HOME, secrets, /tmp or inspect`,
    };
}

/**
 * What the gator prints for the gator-tokens probe: each token file as `NAME=value` (read by
 * the host, which then looks for the values in the agent's dump and inspect).
 */
export const GATOR_TOKENS_SCRIPT =
  'for f in /run/devaipod-gator/*; do [ -f "$f" ] && printf \'%s=%s\\n\' "${f##*/}" "$(cat "$f")"; done; true';

/** The token values of {@link GATOR_TOKENS_SCRIPT}'s output, by variable. */
export function parseGatorTokens(out: string): Record<string, string> {
  return Object.fromEntries(
    out.split("\n").flatMap((line) => {
      const eq = line.indexOf("=");
      return eq > 0 && line.slice(eq + 1) ? [[line.slice(0, eq), line.slice(eq + 1)]] : [];
    }),
  );
}
