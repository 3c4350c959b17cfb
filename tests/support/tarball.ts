/** Makes tar archives with the system `tar`, for tests of devaipod's own tar reader. */

/** Writes `files` (path → content) into a temp dir and returns a tar (gzip when asked) of them. */
export async function makeTarball(
  files: Record<string, string | Uint8Array>,
  options: { gzip?: boolean; format?: "gnu" | "pax" | "ustar" } = {},
): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-tar-" });
  try {
    for (const [path, content] of Object.entries(files)) {
      const full = `${dir}/tree/${path}`;
      await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
      if (typeof content === "string") await Deno.writeTextFile(full, content);
      else await Deno.writeFile(full, content);
      await Deno.chmod(full, 0o755);
    }
    const out = `${dir}/out.tar`;
    const args = [
      `--format=${options.format ?? "pax"}`,
      "-C",
      `${dir}/tree`,
      options.gzip ? "-czf" : "-cf",
      out,
      ...Object.keys(files).map((p) => p.split("/")[0] ?? p).filter((v, i, a) =>
        a.indexOf(v) === i
      ),
    ];
    const r = await new Deno.Command("tar", { args, stderr: "piped" }).output();
    if (r.code !== 0) throw new Error(`tar failed: ${new TextDecoder().decode(r.stderr)}`);
    return await Deno.readFile(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A stream that yields `bytes` in chunks of `size` (to exercise chunk boundaries). */
export function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(controller) {
      if (off >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(off, off + size));
      off += size;
    },
  });
}
