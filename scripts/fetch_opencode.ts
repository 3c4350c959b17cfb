/**
 * `deno task opencode`: fetches the pinned opencode binary for this machine's architecture
 * (or `--arch amd64|arm64`) into devaipod's cache and prints its path.
 */
import { fetchPinnedBinary } from "../lib/agents/fetch_binary.ts";
import { agentPlatform, opencodePin } from "../lib/agents/opencode.ts";
import { toDevaipodError } from "../lib/errors.ts";
import { devaipodDirs } from "../lib/paths.ts";

const archFlag = Deno.args.indexOf("--arch");
const arch = archFlag >= 0 ? Deno.args[archFlag + 1] ?? "" : Deno.build.arch;
const platform = agentPlatform(arch);
if (!platform) {
  console.error(`error: opencode has no Linux build for architecture '${arch}'`);
  Deno.exit(2);
}
try {
  const registry = Deno.env.get("DEVAIPOD_NPM_REGISTRY");
  const path = await fetchPinnedBinary(opencodePin(platform), {
    cacheDir: devaipodDirs(Deno.env).cache,
    log: (line) => console.error(line),
    ...(registry ? { registry } : {}),
  });
  console.log(path);
} catch (err) {
  const e = toDevaipodError(err);
  console.error(`error: ${e.message}`);
  if (e.hint) console.error(`hint: ${e.hint}`);
  Deno.exit(e.exitCode);
}
