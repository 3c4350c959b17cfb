import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { chunked, makeTarball } from "../../tests/support/tarball.ts";
import { extractFiles, TarError } from "./tar.ts";

/** The member at `path` streamed to `sink`: its size and mode, or null when there is none. */
async function extractMember(
  archive: ReadableStream<Uint8Array>,
  path: string,
  sink: (chunk: Uint8Array) => Promise<void>,
): Promise<{ size: number; mode: number } | null> {
  const [found] = await extractFiles(
    archive,
    (name) =>
      Promise.resolve(name === path ? { write: sink, close: () => Promise.resolve() } : undefined),
  );
  return found ? { size: found.size, mode: found.mode } : null;
}

async function extract(archive: Uint8Array, path: string, chunk = 4096) {
  const parts: Uint8Array[] = [];
  const found = await extractMember(chunked(archive, chunk), path, (c) => {
    parts.push(c);
    return Promise.resolve();
  });
  const text = new TextDecoder().decode(new Uint8Array(parts.flatMap((p) => [...p])));
  return { found, text };
}

const longDir = `package/${"d".repeat(60)}/${"e".repeat(60)}`;

for (const format of ["pax", "gnu", "ustar"] as const) {
  Deno.test(`tar: finds a member in a ${format} archive, across any chunk size`, async () => {
    const big = "x".repeat(70_000);
    const archive = await makeTarball({
      "package/package.json": "{}",
      "package/bin/tool": big,
      "package/z": "after",
    }, { format });
    for (const chunk of [1, 511, 512, 513, 65536]) {
      const { found, text } = await extract(archive, "package/bin/tool", chunk);
      assertEquals(found?.size, 70_000);
      assertEquals(found?.mode, 0o755);
      assertEquals(text, big);
    }
  });
}

Deno.test("tar: long member names (pax and GNU) are matched in full", async () => {
  for (const format of ["pax", "gnu"] as const) {
    const archive = await makeTarball({ [`${longDir}/bin`]: "deep" }, { format });
    const { found, text } = await extract(archive, `${longDir}/bin`);
    assertEquals(found?.size, 4);
    assertEquals(text, "deep");
  }
});

Deno.test("tar: a missing member is null, after reading the whole archive", async () => {
  const archive = await makeTarball({ "package/a": "1" });
  let pulled = 0;
  const stream = chunked(archive, 512).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(c, ctl) {
        pulled += c.length;
        ctl.enqueue(c);
      },
    }),
  );
  assertEquals(await extractMember(stream, "package/b", () => Promise.resolve()), null);
  assertEquals(
    pulled,
    archive.length,
    "every byte was read (a digest over the stream covers all of it)",
  );
});

Deno.test("tar: a truncated archive is a TarError", async () => {
  const archive = await makeTarball({ "package/bin/tool": "y".repeat(5000) }, { format: "ustar" });
  // Cut inside the member's data, and inside a header.
  await assertRejects(() => extract(archive.slice(0, 512 + 1000), "package/bin/tool"), TarError);
  await assertRejects(() => extract(archive.slice(0, 512 + 1000), "package/other"), TarError);
  await assertRejects(() => extract(archive.slice(0, 300), "package/bin/tool"), TarError);
});

Deno.test("tar: a corrupt header is a TarError", async () => {
  const archive = await makeTarball({ "package/a": "1" }, { format: "ustar" });
  const bad = archive.slice();
  bad.set(new TextEncoder().encode("zz"), 124); // size field
  await assertRejects(() => extract(bad, "package/a"), TarError);
});
