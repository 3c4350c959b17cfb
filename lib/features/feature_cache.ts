/**
 * The Feature cache under devaipod's cache folder: blobs by digest (manifests, layers,
 * tarballs), the digest each tag or URL last resolved to, and each layer unpacked once. A
 * digest names its content, so anything found here is used without asking a registry.
 */
import { dirname, join, normalize } from "node:path";
import { sha256Hex } from "../util/hash.ts";
import { extractFiles } from "../util/tar.ts";

/** The cache's root folder inside devaipod's cache. */
export function featureCacheRoot(cacheDir: string): string {
  return join(cacheDir, "features");
}

const hexOf = (digest: string) => digest.replace(/^sha256:/, "");

/** `sha256:<hex>` of some bytes. */
export async function digestOf(bytes: Uint8Array | string): Promise<string> {
  return `sha256:${await sha256Hex(bytes)}`;
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  if (typeof data === "string") await Deno.writeTextFile(tmp, data);
  else await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** A blob from the cache, checked against its digest (a damaged one counts as missing). */
export async function readBlob(root: string, digest: string): Promise<Uint8Array | undefined> {
  const bytes = await readIfExists(join(root, "blobs", "sha256", hexOf(digest)));
  return bytes && (await digestOf(bytes)) === digest ? bytes : undefined;
}

/** Stores a blob under its digest. */
export async function writeBlob(root: string, digest: string, bytes: Uint8Array): Promise<void> {
  await writeAtomic(join(root, "blobs", "sha256", hexOf(digest)), bytes);
}

function pointerPath(root: string, kind: "tags" | "urls", key: string): Promise<string> {
  return sha256Hex(key).then((h) => join(root, kind, h));
}

/** The digest a tag (`registry/repo:tag`) or a URL resolved to last time. */
export async function readPointer(
  root: string,
  kind: "tags" | "urls",
  key: string,
): Promise<string | undefined> {
  const bytes = await readIfExists(await pointerPath(root, kind, key));
  const text = bytes ? new TextDecoder().decode(bytes).trim() : "";
  return /^sha256:[a-f0-9]{64}$/.test(text) ? text : undefined;
}

/** Records what a tag or URL resolved to. */
export async function writePointer(
  root: string,
  kind: "tags" | "urls",
  key: string,
  digest: string,
): Promise<void> {
  await writeAtomic(await pointerPath(root, kind, key), `${digest}\n`);
}

/** Whether bytes start like gzip. */
function gzipped(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The folder a Feature archive (tar, or gzipped tar) unpacks to, unpacking it the first time.
 * Members that would land outside the folder are refused.
 */
export async function unpacked(root: string, digest: string, archive: Uint8Array): Promise<string> {
  const dir = join(root, "unpacked", hexOf(digest));
  try {
    if ((await Deno.stat(join(dir, ".complete"))).isFile) return dir;
  } catch { /* not yet */ }
  const tmp = `${dir}.${crypto.randomUUID()}.tmp`;
  await Deno.mkdir(tmp, { recursive: true });
  try {
    let stream: ReadableStream<Uint8Array> = new Blob([archive as BlobPart]).stream();
    if (gzipped(archive)) {
      // DecompressionStream's writable side is typed as BufferSource; it takes Uint8Array.
      const gunzip = new DecompressionStream("gzip") as unknown as TransformStream<
        Uint8Array,
        Uint8Array
      >;
      stream = stream.pipeThrough(gunzip);
    }
    await extractFiles(stream, async (path, mode) => {
      const rel = normalize(path);
      if (rel.startsWith("..") || rel.startsWith("/") || rel === ".") return undefined;
      const target = join(tmp, rel);
      await Deno.mkdir(dirname(target), { recursive: true });
      const file = await Deno.open(target, {
        write: true,
        create: true,
        truncate: true,
        mode: (mode & 0o777) | 0o600,
      });
      const writer = file.writable.getWriter();
      return { write: (c) => writer.write(c), close: () => writer.close() };
    });
    await Deno.writeTextFile(join(tmp, ".complete"), "");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, dir);
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw err;
  }
  return dir;
}

/** A digest over a folder's files (names, modes and bytes), for a local Feature. */
export async function folderDigest(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (rel: string) => {
    const names: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(join(dir, rel))) names.push(e);
    names.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of names) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path);
      else if (e.isFile) {
        const full = join(dir, path);
        const stat = await Deno.stat(full);
        parts.push(
          `${path}\0${(stat.mode ?? 0) & 0o111 ? "x" : "-"}\0${await sha256Hex(
            await Deno.readFile(full),
          )}`,
        );
      }
    }
  };
  await walk("");
  return digestOf(parts.join("\n"));
}
