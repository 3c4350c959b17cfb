/** Rows of `podman pod ps` for unit tests that list workspaces without podman. */
import type { PodListEntry } from "../../lib/podman/schemas.ts";

/** A `pod ps` row of the workspace labelled `workspace` (its pod is `devaipod-WORKSPACE`). */
export function podRow(workspace: string, status = "Running"): PodListEntry {
  return {
    Id: `id-${workspace}`,
    Name: `devaipod-${workspace}`,
    Status: status,
    Labels: { "io.devaipod.workspace": workspace, "io.devaipod.role": "pod" },
    Networks: [],
    Containers: [],
  };
}
