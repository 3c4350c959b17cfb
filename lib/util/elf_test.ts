import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { ElfFormatError, elfNeeds, fileReader, libraryDirs, sharedLibraries } from "./elf.ts";
import type { ReadAt } from "./elf.ts";

const over = (bytes: Uint8Array): ReadAt => (offset, length) =>
  Promise.resolve(bytes.subarray(offset, offset + length));

/** A minimal ELF64 LE: one PT_LOAD over the whole file, a PT_INTERP, a PT_DYNAMIC. */
function tinyElf(options: { interp?: string; needed: string[] }): Uint8Array {
  const enc = new TextEncoder();
  let strtab = [0];
  const offsets = options.needed.map((n) => {
    const at = strtab.length;
    strtab = [...strtab, ...enc.encode(n), 0];
    return at;
  });
  const phnum = 3;
  const phoff = 64;
  const interpAt = phoff + 56 * phnum;
  const interp = options.interp ? [...enc.encode(options.interp), 0] : [];
  const strAt = interpAt + interp.length;
  const dynAt = strAt + strtab.length + ((8 - ((strAt + strtab.length) % 8)) % 8);
  const dynEntries: [bigint, bigint][] = [
    ...offsets.map((o) => [1n, BigInt(o)] as [bigint, bigint]),
    [5n, BigInt(0x400000 + strAt)],
    [0n, 0n],
  ];
  const size = dynAt + 16 * dynEntries.length;
  const buf = new Uint8Array(size);
  const v = new DataView(buf.buffer);
  buf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setBigUint64(32, BigInt(phoff), true);
  v.setUint16(54, 56, true);
  v.setUint16(56, phnum, true);
  const ph = (i: number, type: number, offset: number, filesz: number) => {
    const o = phoff + 56 * i;
    v.setUint32(o, type, true);
    v.setBigUint64(o + 8, BigInt(offset), true);
    v.setBigUint64(o + 16, BigInt(0x400000 + offset), true);
    v.setBigUint64(o + 32, BigInt(filesz), true);
  };
  ph(0, 1, 0, size);
  ph(1, options.interp ? 3 : 6, interpAt, interp.length);
  ph(2, 2, dynAt, 16 * dynEntries.length);
  buf.set(interp, interpAt);
  buf.set(strtab, strAt);
  dynEntries.forEach(([tag, val], i) => {
    v.setBigInt64(dynAt + 16 * i, tag, true);
    v.setBigUint64(dynAt + 16 * i + 8, val, true);
  });
  return buf;
}

Deno.test("elfNeeds() reads the interpreter and the needed libraries in order", async () => {
  const elf = tinyElf({ interp: "/lib/ld-test.so.1", needed: ["liba.so.1", "libb.so.2"] });
  assertEquals(await elfNeeds(over(elf)), {
    interp: "/lib/ld-test.so.1",
    needed: ["liba.so.1", "libb.so.2"],
  });
});

Deno.test("elfNeeds() gives a library no interpreter", async () => {
  assertEquals(await elfNeeds(over(tinyElf({ needed: ["libc.so.6"] }))), {
    needed: ["libc.so.6"],
  });
});

Deno.test("elfNeeds() refuses what is not a 64-bit little-endian ELF file", async () => {
  await assertRejects(
    () => elfNeeds(over(new TextEncoder().encode("#!/bin/sh\n".repeat(8)))),
    ElfFormatError,
  );
  const elf32 = tinyElf({ needed: [] });
  elf32[4] = 1;
  await assertRejects(() => elfNeeds(over(elf32)), /64-bit little-endian/);
});

Deno.test("elfNeeds() reads this Deno's loader and libc", async () => {
  using file = await Deno.open(Deno.execPath());
  const needs = await elfNeeds(fileReader(file));
  assert(needs.interp?.startsWith("/"), JSON.stringify(needs));
  assert(needs.needed.includes("libc.so.6"), JSON.stringify(needs));
});

Deno.test("sharedLibraries() places the loader and libc where the loader looks", async () => {
  const arch = Deno.build.arch;
  const files = await sharedLibraries(Deno.execPath(), libraryDirs(arch));
  const targets = files.map((f) => f.target);
  using file = await Deno.open(Deno.execPath());
  const { interp } = await elfNeeds(fileReader(file));
  assert(interp && targets.includes(interp), targets.join(", "));
  assert(targets.some((t) => t.endsWith("/libc.so.6")), targets.join(", "));
  for (const f of files) assertEquals(await Deno.realPath(f.source), f.source);
});

Deno.test("sharedLibraries() names a library it cannot find", async () => {
  await assertRejects(
    () => sharedLibraries(Deno.execPath(), ["/nonexistent"]),
    /needs lib.*nonexistent/,
  );
});
