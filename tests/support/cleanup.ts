/** Removes everything a test created, found by its label (even after a failure). */
import type { Podman } from "../../lib/podman/mod.ts";
import { labelledObjects } from "../../lib/pods/inventory.ts";
import { removeWorkspaceObjects } from "../../lib/pods/remove.ts";

/** The label every test object carries; its value is unique per test run. */
export const TEST_LABEL = "io.devaipod.test";

/** A fresh label value for one test. */
export function testRunId(): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Removes pods, containers, secrets, networks and volumes labelled `TEST_LABEL=run`, the way
 * `delete --volumes` removes a workspace's (lib/pods/remove.ts).
 */
export async function cleanupByLabel(podman: Podman, run: string): Promise<void> {
  const found = await labelledObjects(podman, { [TEST_LABEL]: run });
  await removeWorkspaceObjects(podman, found, { volumes: true });
}
