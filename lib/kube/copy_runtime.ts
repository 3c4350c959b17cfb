/**
 * Copies devaipod's runtime out of its image into a Pod's shared volume: the init container of
 * every Pod that runs devaipod's code or the injected agent runs this with the runtime image's
 * Deno (or the compiled `devaipod copy-runtime`), and the Pod's containers then mount the copy
 * read-only where a podman container bind-mounts the host's files. It loads no other module.
 *
 * `copy_runtime.ts FROM TO PATH…` copies `FROM/PATH` to `TO/PATH` for each PATH, folders
 * recursively, keeping the permission bits.
 */

/** Copies `from/path` to `to/path` for each of `paths` (files, or folders recursively). */
export async function copyRuntime(
  from: string,
  to: string,
  paths: readonly string[],
): Promise<void> {
  const copy = async (rel: string): Promise<void> => {
    const source = `${from}/${rel}`;
    const target = `${to}/${rel}`;
    const info = await Deno.stat(source);
    if (info.isDirectory) {
      await Deno.mkdir(target, { recursive: true });
      for await (const entry of Deno.readDir(source)) await copy(`${rel}/${entry.name}`);
    } else {
      await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
      await Deno.copyFile(source, target);
      if (info.mode !== null) await Deno.chmod(target, info.mode & 0o777);
    }
  };
  for (const p of paths) {
    if (p.startsWith("/") || p.split("/").includes("..")) {
      throw new Error(`copy-runtime: '${p}' is not a path inside ${from}`);
    }
    await copy(p);
  }
}

if (import.meta.main) {
  const [from, to, ...paths] = Deno.args;
  if (!from || !to || !paths.length) {
    console.error("usage: copy_runtime.ts FROM TO PATH…");
    Deno.exit(2);
  }
  await copyRuntime(from, to, paths);
}
