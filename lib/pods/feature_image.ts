/**
 * Builds a config's Features image over its base: reads the base's `USER` and metadata label,
 * writes the build folder, runs `podman build`, and removes the folder. A failed install names
 * its Feature; podman tags nothing, so nothing half-built is kept under the tag.
 */
import { METADATA_LABEL, parseMetadataLabel } from "../devcontainer/metadata.ts";
import { FailedError, PodmanFailedError } from "../errors.ts";
import type { FeatureBuild } from "../features/build_features.ts";
import { writeBuildContext } from "../features/build_features.ts";
import { FAILED_MARKER } from "../features/feature_layers.ts";
import * as p from "../podman/mod.ts";
import { featureBuildSpec } from "./step_commands.ts";

/** Runs a podman command (up counts builds as steps). */
export type RunPodman = <T>(command: p.PodmanCommand<T>) => Promise<T>;

/** Builds `build.tag` unless it exists; returns whether it built. */
export async function buildFeatureImage(
  run: RunPodman,
  build: FeatureBuild,
  step: (title: string, fn: () => Promise<void>) => Promise<void>,
): Promise<boolean> {
  if (await run(p.imageExists(build.tag))) return false;
  const [base] = await run(p.imageInspect(build.base));
  const user = base?.Config?.User ?? "";
  const { entries } = parseMetadataLabel(base?.Labels[METADATA_LABEL]);
  await step(`install Features ${build.features.map((f) => f.userId).join(", ")}`, async () => {
    await writeBuildContext(build, { user, entries });
    try {
      await run(p.imageBuild(featureBuildSpec(build)));
    } catch (err) {
      const tail = err instanceof PodmanFailedError ? err.stderrTail : [];
      const at = tail.findIndex((l) => l.includes(FAILED_MARKER));
      if (at === -1) throw err;
      const line = tail[at] as string;
      const said = line.slice(line.indexOf(FAILED_MARKER) + FAILED_MARKER.length).trim();
      const [, id = said, code] = /^(.*) \((exit \d+)\)$/.exec(said) ?? [];
      const output = tail.slice(0, at).filter((l) => !/^(STEP|COMMIT|-->|Error:)/.test(l));
      throw new FailedError(
        `Feature ${id} failed to install${code ? ` (${code})` : ""}; no image was made${
          output.length ? `\n  ${output.join("\n  ")}` : ""
        }`,
        {
          hint: "fix the Feature or its options; `devaipod features resolve` shows them",
          cause: err,
        },
      );
    } finally {
      await Deno.remove(build.context, { recursive: true }).catch(() => {});
    }
  });
  return true;
}
