/** The file reads the resolve layer needs, injected so that it stays pure under tests. */

/** Read-only file access. */
export interface ConfigFs {
  readTextFile(path: string): Promise<string>;
  isFile(path: string): Promise<boolean>;
  isDirectory(path: string): Promise<boolean>;
  /** Names of the entries of a directory (empty when it does not exist). */
  readDir(path: string): Promise<string[]>;
}

async function statKind(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw err;
  }
}

/** {@link ConfigFs} over the real file system. */
export const denoFs: ConfigFs = {
  readTextFile: (path) => Deno.readTextFile(path),
  isFile: async (path) => (await statKind(path))?.isFile === true,
  isDirectory: async (path) => (await statKind(path))?.isDirectory === true,
  readDir: async (path) => {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(path)) names.push(entry.name);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        return [];
      }
      throw err;
    }
    return names.sort();
  },
};
