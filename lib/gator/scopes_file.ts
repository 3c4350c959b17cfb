/**
 * The gator's scopes file: one scope per line (lines starting with `#` are comments), written by `up` and by
 * `devaipod gator NAME add|remove`, re-read by the running gator when it changes, so scopes
 * change without a restart.
 */
import { formatScope, parseScope } from "./scopes.ts";
import type { Scope } from "./scopes.ts";
import { watchFile } from "../util/watch_file.ts";

/** Parses the file's text; `file` names it in errors (with the line). */
export function parseScopesFile(text: string, file: string): Scope[] {
  return text.split("\n").flatMap((raw, i) => {
    // `#` starts a comment only at the start of a line: `owner/repo#N` is a target.
    const line = raw.trim();
    return line && !line.startsWith("#") ? [parseScope(line, `${file}:${i + 1}`)] : [];
  });
}

/** The file's text for `scopes`. */
export function scopesFileText(scopes: readonly Scope[]): string {
  return `# devaipod: what the gator grants the agent (one scope per line)\n${
    scopes.map((s) => `${formatScope(s)}\n`).join("")
  }`;
}

/**
 * A reader of the file that re-parses it only when its modification time or size changed. A
 * file that became unreadable or invalid grants nothing (deny by default) and reports why once.
 */
export function watchScopesFile(
  path: string,
  onError: (message: string) => void = () => {},
): () => Scope[] {
  return watchFile<Scope[]>(path, [], {
    parse: (text) => parseScopesFile(text, path),
    whileBad: { value: [] },
    onError,
    label: `scopes ${path}`,
  });
}
