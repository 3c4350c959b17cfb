/**
 * The proxy's allowlist file: one entry per line (`#` comments), re-read when it changes, so
 * `devaipod allow` can add hosts to a running workspace without restarting anything.
 */
import { parseAllowlist } from "./allowlist.ts";
import type { AllowEntry } from "./allowlist.ts";

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
  let stamp = "";
  let entries: AllowEntry[] = [];
  let lastError = "";
  return () => {
    try {
      const info = Deno.statSync(path);
      const now = `${info.mtime?.getTime()}:${info.size}`;
      if (now !== stamp) {
        entries = parseAllowFile(Deno.readTextFileSync(path));
        stamp = now;
        lastError = "";
      }
    } catch (err) {
      const message = `allowlist ${path}: ${(err as Error).message}`;
      if (message !== lastError) onError(message);
      lastError = message;
    }
    return entries;
  };
}
