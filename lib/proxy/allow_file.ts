/**
 * The proxy's allowlist file: one entry per line (`#` comments), re-read when it changes, so
 * `devaipod allow` can add hosts to a running workspace without restarting anything.
 */
import { parseAllowlist } from "./allowlist.ts";
import type { AllowEntry } from "./allowlist.ts";
import { watchFile } from "../util/watch_file.ts";

/** The file's entries as written: one per line, blank lines and `#` comments dropped. */
export function allowFileLines(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/#.*$/, "").trim()).filter(Boolean);
}

/** Parses the file's text: one entry per line, blank lines and `#` comments ignored. */
export function parseAllowFile(text: string): AllowEntry[] {
  return parseAllowlist(allowFileLines(text));
}

/**
 * A reader of the file that re-parses it only when its modification time or size changed. A
 * file that became unreadable or invalid keeps the last good list (and reports why once).
 */
export function watchAllowFile(
  path: string,
  onError: (message: string) => void = () => {},
): () => AllowEntry[] {
  return watchFile<AllowEntry[]>(path, [], {
    parse: parseAllowFile,
    whileBad: "keep",
    onError,
    label: `allowlist ${path}`,
  });
}
