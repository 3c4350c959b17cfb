/** A devcontainer.json resolved from memory, as the planner's unit tests take it. */
import { resolveDevcontainer } from "../../lib/devcontainer/resolve.ts";
import type { ResolvedConfig } from "../../lib/devcontainer/resolve.ts";
import { memoryFs } from "./memory_fs.ts";

/** `config` as `/src/proj/.devcontainer/devcontainer.json`, resolved on Linux with no env. */
export function resolved(config: Record<string, unknown>): Promise<ResolvedConfig> {
  return resolveDevcontainer({
    folder: "/src/proj",
    env: {},
    platform: "linux",
    fs: memoryFs({ "/src/proj/.devcontainer/devcontainer.json": JSON.stringify(config) }),
  });
}

const FIXTURES = new URL("../fixtures/", import.meta.url);

/**
 * A conformance sample's devcontainer.json (tests/fixtures/devcontainer/conformance/SAMPLE), or
 * `text` in its place, as `/src/SAMPLE/.devcontainer/devcontainer.json`, resolved on Linux.
 */
export async function resolvedSample(sample: string, text?: string): Promise<ResolvedConfig> {
  const folder = `/src/${sample}`;
  const config = text ??
    await Deno.readTextFile(
      new URL(`devcontainer/conformance/${sample}/.devcontainer/devcontainer.json`, FIXTURES),
    );
  return await resolveDevcontainer({
    folder,
    env: {},
    platform: "linux",
    fs: memoryFs({ [`${folder}/.devcontainer/devcontainer.json`]: config }),
  });
}
