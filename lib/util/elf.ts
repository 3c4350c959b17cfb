/**
 * What a dynamically linked program needs to start: its ELF interpreter (the dynamic loader) and
 * the shared libraries it names, found the way the loader finds them in the system's folders.
 * devaipod's runtime image copies exactly these beside the Deno (or devaipod) binary, so the image
 * runs it without a base image. 64-bit little-endian ELF only (x86_64 and aarch64 Linux).
 */
import { join } from "node:path";

/** Reads `length` bytes at `offset` of a file (fewer at its end). */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

/** A program's or a library's dynamic linking needs. */
export interface ElfNeeds {
  /** `PT_INTERP`: the loader's absolute path; absent in a shared library or a static program. */
  interp?: string;
  /** `DT_NEEDED`: the libraries' file names, in order. */
  needed: string[];
}

/** Raised for a file that is not a 64-bit little-endian ELF file. */
export class ElfFormatError extends Error {
  override name = "ElfFormatError";
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;

function cString(bytes: Uint8Array, at: number): string {
  let end = at;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(at, end));
}

/**
 * The interpreter and the `DT_NEEDED` names of an ELF file, read through `read` (the headers and
 * the dynamic section only, not the whole file).
 *
 * @example
 * ```ts
 * await elfNeeds(fileReader(file));
 * // { interp: "/lib64/ld-linux-x86-64.so.2", needed: ["libdl.so.2", …, "libc.so.6"] }
 * ```
 */
export async function elfNeeds(read: ReadAt): Promise<ElfNeeds> {
  const head = await read(0, 64);
  if (head.length < 64 || head[0] !== 0x7f || cString(head.subarray(1, 4), 0) !== "ELF") {
    throw new ElfFormatError("not an ELF file");
  }
  if (head[4] !== 2 || head[5] !== 1) {
    throw new ElfFormatError("not a 64-bit little-endian ELF file");
  }
  const h = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const phoff = Number(h.getBigUint64(32, true));
  const phentsize = h.getUint16(54, true);
  const phnum = h.getUint16(56, true);
  const table = await read(phoff, phentsize * phnum);
  const t = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const segments = Array.from({ length: phnum }, (_, i) => {
    const o = i * phentsize;
    return {
      type: t.getUint32(o, true),
      offset: Number(t.getBigUint64(o + 8, true)),
      vaddr: Number(t.getBigUint64(o + 16, true)),
      filesz: Number(t.getBigUint64(o + 32, true)),
    };
  });
  const out: ElfNeeds = { needed: [] };
  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp) out.interp = cString(await read(interp.offset, interp.filesz), 0);
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  if (!dynamic) return out;
  const dyn = await read(dynamic.offset, dynamic.filesz);
  const d = new DataView(dyn.buffer, dyn.byteOffset, dyn.byteLength);
  const needed: number[] = [];
  let strtab: number | undefined;
  for (let o = 0; o + 16 <= dyn.length; o += 16) {
    const tag = d.getBigInt64(o, true);
    const value = Number(d.getBigUint64(o + 8, true));
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) needed.push(value);
    if (tag === DT_STRTAB) strtab = value;
  }
  if (!needed.length) return out;
  if (strtab === undefined) throw new ElfFormatError("DT_NEEDED without a string table");
  // DT_STRTAB is an address: the loadable segment that holds it says where it is in the file.
  const at = strtab;
  const load = segments.find((s) => s.type === PT_LOAD && s.vaddr <= at && at < s.vaddr + s.filesz);
  if (!load) throw new ElfFormatError("the string table lies in no loadable segment");
  const fileOffset = load.offset + (at - load.vaddr);
  const strings = await read(fileOffset, load.offset + load.filesz - fileOffset);
  out.needed = needed.map((n) => cString(strings, n));
  return out;
}

/** A {@link ReadAt} over an open file. */
export function fileReader(file: Deno.FsFile): ReadAt {
  return async (offset, length) => {
    await file.seek(offset, Deno.SeekMode.Start);
    const buf = new Uint8Array(length);
    let n = 0;
    while (n < length) {
      const got = await file.read(buf.subarray(n));
      if (got === null) break;
      n += got;
    }
    return buf.subarray(0, n);
  };
}

/** The folders the loader searches without `/etc/ld.so.cache`, for a GNU/Linux architecture. */
export function libraryDirs(arch: "x86_64" | "aarch64"): string[] {
  const triplet = `${arch}-linux-gnu`;
  return [`/lib/${triplet}`, `/usr/lib/${triplet}`, "/lib64", "/usr/lib64", "/lib", "/usr/lib"];
}

/** A file to place in an image: `source` on this host, `target` its path in the image. */
export interface PlacedFile {
  source: string;
  target: string;
}

/**
 * The loader and every shared library `program` needs, transitively, each as this host has it
 * (`source`, links resolved) at the path the loader looks for it (`target`). A library found in
 * none of `dirs` fails, naming it.
 */
export async function sharedLibraries(
  program: string,
  dirs: readonly string[],
): Promise<PlacedFile[]> {
  const needsOf = async (path: string): Promise<ElfNeeds> => {
    using file = await Deno.open(path);
    return await elfNeeds(fileReader(file));
  };
  const exists = async (p: string) => {
    try {
      return (await Deno.stat(p)).isFile;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  };
  const out = new Map<string, string>();
  const first = await needsOf(program);
  if (first.interp) out.set(first.interp, await Deno.realPath(first.interp));
  const queue = [...first.needed];
  const seen = new Set<string>();
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    let found: string | undefined;
    for (const dir of dirs) {
      if (await exists(join(dir, name))) {
        found = join(dir, name);
        break;
      }
    }
    if (!found) {
      throw new ElfFormatError(`${program} needs ${name}, found in none of ${dirs.join(", ")}`);
    }
    out.set(found, await Deno.realPath(found));
    queue.push(...(await needsOf(found)).needed);
  }
  return [...out].map(([target, source]) => ({ source, target }))
    .sort((a, b) => a.target.localeCompare(b.target));
}
