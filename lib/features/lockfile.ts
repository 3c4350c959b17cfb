/**
 * `devcontainer-lock.json`, as the reference reads and writes it: beside devcontainer.json
 * (`.devcontainer-lock.json` beside a `.devcontainer.json`), one entry per Feature named in the
 * config with its version, where it resolved to and the digest that must match.
 */
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { ConfigError } from "../errors.ts";
import { readTextIfExists } from "../util/read_if_exists.ts";

const EntrySchema = z.looseObject({
  version: z.string().optional(),
  resolved: z.string(),
  integrity: z.string().regex(/^sha256:[a-f0-9]{64}$/, "expected sha256:<64 hex digits>"),
  dependsOn: z.array(z.string()).optional(),
});
const LockfileSchema = z.looseObject({ features: z.record(z.string(), EntrySchema) });
/** One locked Feature. */
export type LockEntry = z.infer<typeof EntrySchema>;
/** A whole lockfile. */
export type Lockfile = z.infer<typeof LockfileSchema>;

/** Where a config's lockfile lives. */
export function lockfilePath(configFile: string): string {
  const name = basename(configFile).startsWith(".")
    ? ".devcontainer-lock.json"
    : "devcontainer-lock.json";
  return join(dirname(configFile), name);
}

/** Reads a lockfile; absent or empty is none. A malformed one is a config error naming it. */
export async function readLockfile(path: string): Promise<Lockfile | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined || text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`cannot read the lockfile: ${(err as Error).message}`, {
      location: { file: path },
    });
  }
  const parsed = LockfileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.map(String).join(".") ?? "";
    const message = (issue?.message ?? "invalid").replace(/^Invalid (input|option): /, "");
    throw new ConfigError(where ? `${where}: ${message}` : message, {
      location: { file: path },
      hint: "delete it to lock the Features again",
    });
  }
  return parsed.data;
}

/** The text of a lockfile: entries sorted by reference, two-space JSON, a final newline. */
export function lockfileText(entries: Readonly<Record<string, LockEntry>>): string {
  const features: Record<string, LockEntry> = {};
  for (const key of Object.keys(entries).sort()) {
    const e = entries[key] as LockEntry;
    features[key] = {
      ...(e.version !== undefined ? { version: e.version } : {}),
      resolved: e.resolved,
      integrity: e.integrity,
      ...(e.dependsOn?.length ? { dependsOn: e.dependsOn } : {}),
    };
  }
  return `${JSON.stringify({ features }, null, 2)}\n`;
}

/**
 * Writes the lockfile when its content changes (formatting aside); returns whether it wrote.
 */
export async function writeLockfile(path: string, text: string): Promise<boolean> {
  const old = await readTextIfExists(path);
  if (old !== undefined) {
    try {
      if (`${JSON.stringify(JSON.parse(old), null, 2)}\n` === text) return false;
    } catch { /* rewrite a malformed one */ }
  }
  await Deno.writeTextFile(path, text);
  return true;
}
