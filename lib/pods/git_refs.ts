/**
 * Reading a git repository that someone else could write, as plain data: `HEAD`, loose refs,
 * `packed-refs` and `shallow` are parsed as text and every object id is checked, and only the
 * files of `objects/` that hold objects are kept. Nothing here runs git or follows a path taken
 * from the repository. Pure.
 */

/** A SHA-1 (40) or SHA-256 (64) object id in lower-case hex. */
export const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Whether `text` is an object id. */
export function isObjectId(text: string): boolean {
  return OBJECT_ID.test(text);
}

/** What `HEAD` holds: a branch it points at, or a commit (detached). */
export type Head = { ref: string } | { commit: string };

/** A ref name as git writes it under `refs/`: no `..`, no empty or dot-led parts, no odd bytes. */
function isRefName(name: string): boolean {
  return name.startsWith("refs/") && name.length < 1024 &&
    !/[~^:?*[\\]/.test(name) &&
    [...name].every((c) => c.charCodeAt(0) > 0x20 && c.charCodeAt(0) !== 0x7f) &&
    name.split("/").every((part) =>
      part !== "" && !part.startsWith(".") && !part.endsWith(".lock") && !part.includes("..")
    );
}

/**
 * Parses `HEAD`: `ref: refs/heads/NAME` or an object id (one line). Anything else is
 * undefined.
 *
 * @example
 * ```ts
 * parseHead("ref: refs/heads/main\n"); // { ref: "refs/heads/main" }
 * ```
 */
export function parseHead(text: string): Head | undefined {
  const line = text.replace(/\n$/, "");
  if (line.includes("\n")) return undefined;
  const m = /^ref: (.+)$/.exec(line);
  if (m?.[1]) return isRefName(m[1]) ? { ref: m[1] } : undefined;
  return isObjectId(line) ? { commit: line } : undefined;
}

/** Parses a loose ref file: one object id (a symbolic ref or anything else is undefined). */
export function parseLooseRef(text: string): string | undefined {
  const line = text.replace(/\n$/, "");
  return isObjectId(line) ? line : undefined;
}

/**
 * Parses `packed-refs`: `<id> <name>` lines, with a `# pack-refs with:` header and `^<id>`
 * peeled lines, which are skipped. A malformed line drops only itself.
 */
export function parsePackedRefs(text: string): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]+) (\S+)$/.exec(line);
    if (m?.[1] && m[2] && isObjectId(m[1]) && isRefName(m[2])) refs.set(m[2], m[1]);
  }
  return refs;
}

/** The commit `HEAD` names: directly, or through its branch (a loose ref wins over a packed one). */
export function resolveHead(
  head: Head | undefined,
  loose: ReadonlyMap<string, string>,
  packed: ReadonlyMap<string, string>,
): string | undefined {
  if (!head) return undefined;
  if ("commit" in head) return head.commit;
  return loose.get(head.ref) ?? packed.get(head.ref);
}

/** Parses `shallow`: one object id per line; undefined when any line is not one. */
export function parseShallow(text: string): string[] | undefined {
  const ids = text.split("\n").filter((l) => l !== "");
  return ids.every(isObjectId) ? ids : undefined;
}

/**
 * Whether a path under `objects/` holds objects: a loose object (`ab/cdef…`) or a pack and its
 * index (`pack/pack-<id>.pack|.idx`). Everything else (alternates, commit-graphs, bitmaps,
 * info files) is left behind: a copy never reads another repository or an optional cache.
 */
export function isObjectFile(path: string): boolean {
  return /^[0-9a-f]{2}\/(?:[0-9a-f]{38}|[0-9a-f]{62})$/.test(path) ||
    /^pack\/pack-(?:[0-9a-f]{40}|[0-9a-f]{64})\.(?:pack|idx)$/.test(path);
}
