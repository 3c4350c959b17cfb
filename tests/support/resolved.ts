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
