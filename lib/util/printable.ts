/** Showing text from elsewhere (a forge, a label) on a terminal without its control characters. */

/** `text` with control characters (newlines, escape sequences) shown as `\n`, `\x1b`, …. */
export function printable(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f]/g,
    (c) =>
      c === "\n"
        ? "\\n"
        : c === "\t"
        ? "\\t"
        : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
