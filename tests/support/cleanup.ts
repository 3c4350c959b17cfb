/** Removes everything a test created, found by its label (even after a failure). */
import * as p from "../../lib/podman/mod.ts";
import type { Podman } from "../../lib/podman/mod.ts";

/** The label every test object carries; its value is unique per test run. */
export const TEST_LABEL = "io.devaipod.test";

/** A fresh label value for one test. */
export function testRunId(): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Removes pods, containers, volumes, networks and secrets labelled `TEST_LABEL=run`. */
export async function cleanupByLabel(podman: Podman, run: string): Promise<void> {
  const filter = { [TEST_LABEL]: run };
  for (const pod of await podman.run(p.podPs(filter))) {
    await podman.run(p.podRm(pod.Name, { force: true, timeoutSeconds: 0 }));
  }
  const containers = await podman.run(p.containerPs(filter));
  if (containers.length > 0) {
    await podman.run(
      p.containerRm(containers.map((c) => c.Id), { force: true, timeoutSeconds: 0 }),
    );
  }
  const volumes = await podman.run(p.volumeLs(filter));
  if (volumes.length > 0) await podman.run(p.volumeRm(volumes.map((v) => v.Name), { force: true }));
  const networks = await podman.run(p.networkLs(filter));
  if (networks.length > 0) {
    await podman.run(p.networkRm(networks.map((n) => n.name), { force: true }));
  }
  const secrets = await p.listSecrets(podman, filter);
  if (secrets.length > 0) await podman.run(p.secretRm(secrets.map((s) => s.Spec.Name)));
}
