/**
 * `devaipod copy-runtime FROM TO PATH…` (hidden): the compiled binary's way to copy devaipod's
 * runtime out of its image in a Pod's init container; from sources the init container runs
 * `lib/kube/copy_runtime.ts` directly.
 */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";

/** Builds the `copy-runtime` command. */
export function copyRuntimeCommand(): CommandUnknownOpts {
  return new Command("copy-runtime")
    .description("copy FROM/PATH to TO/PATH for each PATH (a Pod's init container runs this)")
    .argument("<from>", "the runtime's folder in the image")
    .argument("<to>", "the Pod's shared volume")
    .argument("<paths...>", "paths inside FROM")
    .action(async (from, to, paths) => {
      const { copyRuntime } = await import("../kube/copy_runtime.ts");
      await copyRuntime(from, to, paths);
    });
}
