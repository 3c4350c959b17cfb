/**
 * `deno task images`: builds the local test images when missing or out of date.
 *
 * Without podman or debootstrap it prints why and exits 0, so `deno task test` can still run
 * the unit tests on a bare laptop (the podman tests then skip, saying why). With `CI=true` the
 * same problems exit 1: CI must test against real podman.
 */
import { toDevaipodError } from "../lib/errors.ts";
import { Podman } from "../lib/podman/mod.ts";
import { ensureAllTestImages } from "../tests/support/test_images.ts";

const log = (line: string) => console.error(`images: ${line}`);
const ci = Deno.env.get("CI") === "true";

try {
  const outcomes = await ensureAllTestImages({
    podman: Podman.fromEnv(),
    log,
    ...(Deno.env.get("DEVAIPOD_DEBIAN_MIRROR")
      ? { mirror: Deno.env.get("DEVAIPOD_DEBIAN_MIRROR") }
      : {}),
  });
  for (const o of outcomes) if (o.action === "up-to-date") log(`${o.image} is up to date`);
} catch (err) {
  const e = toDevaipodError(err);
  log(`cannot build the test images: ${e.message}`);
  if (e.hint) log(`hint: ${e.hint}`);
  if (ci) Deno.exit(1);
  log("continuing without them: tests that need podman will skip (CI=true makes this fatal)");
}
