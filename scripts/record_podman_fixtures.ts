/**
 * `deno task fixtures`: records what the real podman prints for every JSON command the driver
 * parses, into tests/fixtures/podman/<name>.json, plus `podman-version.txt`. The unit tests
 * parse these recordings with the driver's schemas. Needs the test images
 * (`deno task images`); everything it creates is labelled and removed again.
 */
import * as p from "../lib/podman/mod.ts";
import { BASE_IMAGE } from "../tests/support/test_images.ts";

const OUT_DIR = new URL("../tests/fixtures/podman/", import.meta.url);
const podman = p.Podman.fromEnv();
const run = `fx${Date.now().toString(36)}`;
const labels = { "io.devaipod.fixture": run, "io.devaipod.role": "fixture" };
const names = {
  pod: `devaipod-fixture-${run}`,
  ctr: `devaipod-fixture-${run}-ctr`,
  vol: `devaipod-fixture-${run}-vol`,
  net: `devaipod-fixture-${run}-net`,
  secret: `devaipod-fixture-${run}-secret`,
};

/** Runs a command and writes its raw stdout (pretty-printed when JSON) to a fixture file. */
async function record(file: string, command: p.PodmanCommand<unknown>): Promise<void> {
  const result = await podman.runner.run(command.argv);
  const stdout = new TextDecoder().decode(result.stdout);
  if (result.code !== 0) {
    throw new Error(
      `podman ${command.argv.join(" ")} failed: ${new TextDecoder().decode(result.stderr)}`,
    );
  }
  command.parse({ code: result.code, stdout, stderr: "" }); // recordings must satisfy the schemas
  await Deno.writeTextFile(new URL(file, OUT_DIR), stdout.endsWith("\n") ? stdout : `${stdout}\n`);
  console.error(`recorded ${file}`);
}

await Deno.mkdir(OUT_DIR, { recursive: true });
try {
  const version = await podman.run(p.version());
  await Deno.writeTextFile(new URL("podman-version.txt", OUT_DIR), `${version.Client.Version}\n`);
  await record("version.json", p.version());
  await record("info.json", p.info());
  await record("image-inspect.json", p.imageInspect(BASE_IMAGE));

  await podman.run(p.volumeCreate(names.vol, { labels }));
  await podman.run(
    p.networkCreate({
      name: names.net,
      labels,
      internal: true,
      disableDns: true,
      subnet: "10.89.231.0/24",
    }),
  );
  await podman.run(p.secretCreate(names.secret, "fixture-value-not-a-secret", { labels }));
  await podman.run(p.podCreate({ name: names.pod, labels }));
  await podman.run(p.containerRun({
    name: names.ctr,
    image: BASE_IMAGE,
    pod: names.pod,
    labels,
    env: { FIXTURE: "1" },
    user: "1000:1000",
    init: true,
    capDrop: ["ALL"],
    securityOpt: ["no-new-privileges"],
    mounts: [{ type: "volume", source: names.vol, target: "/data" }],
    secrets: [{ name: names.secret, type: "mount", target: "/run/secrets/fixture", mode: 0o400 }],
    healthCheck: { command: ["true"], intervalSeconds: 30, retries: 3 },
    command: ["sleep", "infinity"],
  }));

  await record("pod-inspect.json", p.podInspect(names.pod));
  await record("pod-ps.json", p.podPs({ "io.devaipod.fixture": run }));
  await record("pod-ps-empty.json", p.podPs({ "io.devaipod.fixture": "none" }));
  await record("container-inspect.json", p.containerInspect(names.ctr));
  await record("container-ps.json", p.containerPs({ "io.devaipod.fixture": run }));
  await record("volume-inspect.json", p.volumeInspect(names.vol));
  await record("volume-ls.json", p.volumeLs({ "io.devaipod.fixture": run }));
  await record("network-inspect.json", p.networkInspect(names.net));
  await record("network-ls.json", p.networkLs({ "io.devaipod.fixture": run }));
  await record("secret-inspect.json", p.secretInspect(names.secret));
  await record("secret-names.txt", p.secretNames());
} finally {
  await podman.run(p.podRm(names.pod, { force: true, timeoutSeconds: 0 })).catch(() => {});
  await podman.run(p.volumeRm([names.vol], { force: true })).catch(() => {});
  await podman.run(p.networkRm([names.net], { force: true })).catch(() => {});
  await podman.run(p.secretRm([names.secret])).catch(() => {});
}
