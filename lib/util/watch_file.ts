/**
 * A file a long-running sidecar re-reads when it changes (the proxy's allowlist, the gator's
 * scopes): parsed again only when its modification time or size changed, each problem reported
 * once. What a bad file means is the caller's: keep the last good value, or fall back to one.
 */

/** How a watched file is read, and what stands in while it cannot be. */
export interface WatchOptions<T> {
  parse(text: string): T;
  /** While the file is missing or invalid: `"keep"` the last good value, or this one. */
  whileBad: "keep" | { value: T };
  onError?(message: string): void;
  /** Names the file in messages (default: its path). */
  label?: string;
}

/** A reader of `path`: each call returns the value as the file is now. */
export function watchFile<T>(path: string, initial: T, options: WatchOptions<T>): () => T {
  let stamp = "";
  let value = initial;
  let lastError = "";
  return () => {
    try {
      const info = Deno.statSync(path);
      const now = `${info.mtime?.getTime()}:${info.size}`;
      if (now !== stamp) {
        // Stamped first: a file that fails to parse is not read again until it changes.
        stamp = now;
        value = options.parse(Deno.readTextFileSync(path));
        lastError = "";
      }
    } catch (err) {
      if (options.whileBad !== "keep") value = options.whileBad.value;
      const message = `${options.label ?? path}: ${(err as Error).message}`;
      if (message !== lastError) options.onError?.(message);
      lastError = message;
    }
    return value;
  };
}
