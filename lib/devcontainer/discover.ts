/**
 * Finding a project's devcontainer.json: `.devcontainer/devcontainer.json`, then
 * `.devcontainer.json`; configs in `.devcontainer/<name>/devcontainer.json` are chosen with
 * `--devcontainer NAME` (or any file with `--devcontainer PATH`).
 */
import { isAbsolute, join, resolve } from "node:path";
import { ConfigError, NotFoundError } from "../errors.ts";
import type { ConfigFs } from "./fs.ts";

/** The well-known places, in the order they are tried. */
export function wellKnownPaths(folder: string): string[] {
  return [join(folder, ".devcontainer", "devcontainer.json"), join(folder, ".devcontainer.json")];
}

/** Names of `.devcontainer/<name>/devcontainer.json` configs. */
export async function namedConfigs(fs: ConfigFs, folder: string): Promise<string[]> {
  const names: string[] = [];
  for (const name of await fs.readDir(join(folder, ".devcontainer"))) {
    if (await fs.isFile(join(folder, ".devcontainer", name, "devcontainer.json"))) names.push(name);
  }
  return names;
}

/**
 * The config file of a project. `choice` is a path (absolute, or relative to `cwd`) or the
 * name of a sub-folder config. Returns undefined when the project has no config at all.
 */
export async function discoverConfig(
  fs: ConfigFs,
  folder: string,
  choice?: string,
  cwd: string = folder,
): Promise<string | undefined> {
  if (choice !== undefined) {
    const asPath = isAbsolute(choice) ? choice : resolve(cwd, choice);
    if (await fs.isFile(asPath)) return asPath;
    if (
      !choice.includes("/") &&
      await fs.isFile(join(folder, ".devcontainer", choice, "devcontainer.json"))
    ) {
      return join(folder, ".devcontainer", choice, "devcontainer.json");
    }
    const names = await namedConfigs(fs, folder);
    throw new NotFoundError(`--devcontainer ${choice}: no such file or named config in ${folder}`, {
      hint: names.length
        ? `named configs here: ${names.join(", ")}`
        : "pass the path of a devcontainer.json",
    });
  }
  for (const path of wellKnownPaths(folder)) if (await fs.isFile(path)) return path;
  const names = await namedConfigs(fs, folder);
  if (names.length > 0) {
    throw new ConfigError(
      `${names.length} dev container configs and none is the default: ${names.join(", ")}`,
      {
        location: { file: join(folder, ".devcontainer") },
        hint: `choose one with --devcontainer ${names[0]}`,
      },
    );
  }
  return undefined;
}
