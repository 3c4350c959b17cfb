/**
 * Writing values into systemd unit files that Quadlet reads. Pure.
 *
 * A value in a Quadlet file travels twice: Quadlet reads it (some keys as one raw value, some
 * as a list of systemd words) and copies it into the generated service's `ExecStart=`, where
 * systemd expands `%` specifiers and `$` variables. So every value doubles `%` and `$`, and
 * the word keys (`Environment=`, `Label=`, `Exec=`, `PodmanArgs=`) quote each word the way
 * systemd reads command lines. A value that Quadlet 5.4 would read differently from what was
 * meant is refused with a {@link QuadletRefusal}, never written.
 */
import { DevaipodError, ExitCode } from "../errors.ts";
import type { DevaipodErrorOptions } from "../errors.ts";

/** Something the Quadlet target cannot express; nothing was written. Exit 1. */
export class QuadletRefusal extends DevaipodError {
  override readonly name = "QuadletRefusal";
  /** The unit (or object) and the field that was refused, e.g. `devaipod-w-agent`, `tty`. */
  readonly object: string;
  readonly field: string;
  constructor(object: string, field: string, why: string, options: DevaipodErrorOptions = {}) {
    super(`cannot render '${object}' for Quadlet: ${field}: ${why}`, ExitCode.failure, options);
    this.object = object;
    this.field = field;
  }
}

/** One `[Section]` of a unit: its entries in order, values already escaped. */
export interface UnitSection {
  name: string;
  entries: readonly (readonly [string, string])[];
}

/** `%` and `$` doubled: systemd expands neither in what the value becomes. */
function literal(value: string): string {
  return value.replaceAll("%", "%%").replaceAll("$", "$$$$");
}

/** Characters a word may hold without quotes (no quote, escape, space, `%` or `$`). */
const BARE_WORD = /^[A-Za-z0-9_@+=:,./-]+$/;

/**
 * One word of a systemd word list (`Environment=`, `Label=`, `Exec=`, `PodmanArgs=`): bare
 * when it is plain, else in double quotes with C escapes.
 *
 * @example
 * ```ts
 * systemdWord("a b"); // "\"a b\""
 * systemdWord("$HOME"); // "\"$$HOME\""
 * ```
 */
export function systemdWord(word: string): string {
  if (BARE_WORD.test(word)) return word;
  let out = "";
  for (const ch of word) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `"${literal(out)}"`;
}

/** Several words of one word-list key, each quoted as needed. */
export function systemdWords(words: readonly string[]): string {
  return words.map(systemdWord).join(" ");
}

/**
 * A key Quadlet reads as one raw value and copies as one argument (`Image=`, `User=`,
 * `Entrypoint=`, `Mount=`, …). Refused: control characters (a newline would end the line),
 * surrounding blanks (trimmed on reading), a trailing backslash (a line continuation), a value
 * in double quotes (newer Quadlets strip them), and, where `spaces` is false, any blank.
 */
export function rawValue(
  object: string,
  field: string,
  value: string,
  options: { spaces?: boolean } = {},
): string {
  const refuse = (why: string) => {
    throw new QuadletRefusal(object, field, `${JSON.stringify(value)} ${why}`);
  };
  if (value === "") refuse("is empty");
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) refuse("holds a control character");
  if (value.trim() !== value) refuse("starts or ends with a blank");
  if (!options.spaces && /\s/.test(value)) refuse("holds a blank, which Quadlet splits on");
  if (value.endsWith("\\")) refuse("ends with a backslash (a line continuation)");
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    refuse("is in double quotes, which Quadlet versions read differently");
  }
  return literal(value);
}

/** Text for `Description=`: one line, `%` doubled. */
export function plainText(text: string): string {
  return text.replaceAll(/\s+/g, " ").replaceAll("%", "%%");
}

/** The unit file: comment lines, then each non-empty section, one blank line between. */
export function unitText(comments: readonly string[], sections: readonly UnitSection[]): string {
  const blocks = sections
    .filter((s) => s.entries.length > 0)
    .map((s) => [`[${s.name}]`, ...s.entries.map(([k, v]) => `${k}=${v}`)].join("\n"));
  const header = comments.map((c) => `# ${c.replaceAll(/\s+/g, " ")}`).join("\n");
  return [...(header ? [header] : []), ...blocks].join("\n\n") + "\n";
}
