/** An in-memory {@link ConfigFs} for tests of the resolve layer. */
import { dirname } from "node:path";
import type { ConfigFs } from "../../lib/devcontainer/fs.ts";

/** A file system holding `files` (absolute path → content); folders are implied. */
export function memoryFs(files: Record<string, string>): ConfigFs {
  const dirs = new Set<string>();
  for (const path of Object.keys(files)) {
    for (let d = dirname(path); d !== "/" && !dirs.has(d); d = dirname(d)) dirs.add(d);
  }
  dirs.add("/");
  return {
    readTextFile: (path) => {
      const text = files[path];
      return text === undefined
        ? Promise.reject(new Deno.errors.NotFound(path))
        : Promise.resolve(text);
    },
    isFile: (path) => Promise.resolve(path in files),
    isDirectory: (path) => Promise.resolve(dirs.has(path)),
    readDir: (path) => {
      const names = new Set<string>();
      for (const p of [...Object.keys(files), ...dirs]) {
        if (p !== path && dirname(p) === path) names.add(p.slice(path.length + 1));
      }
      return Promise.resolve([...names].sort());
    },
  };
}
