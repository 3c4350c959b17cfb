/**
 * Whether the podman tests can run here, decided once per test module. On a laptop without
 * podman (or without the test images) they are ignored with a printed reason; with `CI=true`
 * they run anyway and fail, because CI must test against real podman.
 */
import { smokeHint } from "../../lib/doctor/checks.ts";
import { smokeTest } from "../../lib/doctor/gather.ts";
import { Podman } from "../../lib/podman/driver.ts";
import { imageExists } from "../../lib/podman/image.ts";
import { info } from "../../lib/podman/system.ts";
import { BASE_IMAGE, DEV_IMAGE } from "./test_images.ts";

/** True when running in CI (`CI=true`). */
export const CI = Deno.env.get("CI") === "true";

async function probe(): Promise<string | undefined> {
  const podman = Podman.fromEnv();
  try {
    await podman.run(info());
  } catch (err) {
    return `podman is not usable: ${(err as Error).message.split("\n")[0]}`;
  }
  const smoke = await smokeTest(podman);
  if (!smoke.ok) return `podman cannot start a pod: ${smoke.message} (${smokeHint(smoke.message)})`;
  for (const image of [BASE_IMAGE, DEV_IMAGE]) {
    if (!(await podman.run(imageExists(image)))) {
      return `test image ${image} is missing (run \`deno task images\`)`;
    }
  }
  return undefined;
}

/** Why podman tests cannot run here, or undefined when they can. */
export const podmanUnavailable: string | undefined = await probe();

let warned = false;

/** Registers a test that needs podman and the test images. */
export function podmanTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  const ignore = podmanUnavailable !== undefined && !CI;
  if (ignore && !warned) {
    warned = true;
    console.error(`skipping podman tests: ${podmanUnavailable}`);
  }
  Deno.test({ name, ignore, fn });
}
