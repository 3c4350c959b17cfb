/**
 * The typed driver against real podman: every object kind is created, inspected, listed and
 * removed by label; exec, logs and wait return what the container did; failures carry argv and
 * stderr.
 */
import { PodmanFailedError } from "../lib/errors.ts";
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "./support/assert.ts";
import { cleanupByLabel, TEST_LABEL, testRunId } from "./support/cleanup.ts";
import { podmanTest } from "./support/podman_env.ts";
import { BASE_IMAGE, DEV_IMAGE } from "./support/test_images.ts";

const podman = p.Podman.fromEnv();
const SECRET_VALUE = "sk-test-value-that-must-not-leak";

async function withRun(
  fn: (run: string, labels: Record<string, string>) => Promise<void>,
): Promise<void> {
  const run = testRunId();
  try {
    await fn(run, { [TEST_LABEL]: run });
  } finally {
    await cleanupByLabel(podman, run);
  }
}

podmanTest(
  "podman: a labelled pod, container, volume, network and secret live and die by label",
  async () => {
    await withRun(async (run, labels) => {
      const name = `devaipod-test-${run}`;
      await podman.run(p.volumeCreate(`${name}-vol`, { labels }));
      await podman.run(
        p.networkCreate({ name: `${name}-net`, labels, internal: true, disableDns: true }),
      );
      await podman.run(p.secretCreate(`${name}-key`, SECRET_VALUE, { labels }));
      await podman.run(p.podCreate({ name, labels }));
      await podman.run(p.containerRun({
        name: `${name}-agent`,
        image: DEV_IMAGE,
        pod: name,
        labels: { ...labels, "io.devaipod.role": "agent" },
        user: "1000:1000",
        init: true,
        capDrop: ["ALL"],
        securityOpt: ["no-new-privileges"],
        mounts: [{ type: "volume", source: `${name}-vol`, target: "/data" }],
        secrets: [{
          name: `${name}-key`,
          type: "mount",
          target: "/run/secrets/key",
          uid: 1000,
          mode: 0o400,
        }],
        command: ["sleep", "infinity"],
      }));

      // Inspect what was made.
      const [pod] = await podman.run(p.podInspect(name));
      assertEquals(pod?.State, "Running");
      assertEquals(pod?.Labels[TEST_LABEL], run);
      const [ctr] = await podman.run(p.containerInspect(`${name}-agent`));
      assert(ctr);
      assertEquals(ctr.State.Running, true);
      assertEquals(ctr.Config.Labels["io.devaipod.role"], "agent");
      assert(ctr.HostConfig.SecurityOpt.includes("no-new-privileges"));
      const [net] = await podman.run(p.networkInspect(`${name}-net`));
      assertEquals([net?.internal, net?.dns_enabled], [true, false]);
      const [vol] = await podman.run(p.volumeInspect(`${name}-vol`));
      assertEquals(vol?.Labels[TEST_LABEL], run);
      const [sec] = await podman.run(p.secretInspect(`${name}-key`));
      assertEquals(sec?.Spec.Labels[TEST_LABEL], run);

      // The sandbox holds: no capabilities, no new privileges, not root; the secret is a file.
      const status = await podman.run(
        p.containerExec({ container: `${name}-agent`, command: ["cat", "/proc/self/status"] }),
      );
      assertMatch(status.stdout, /^CapEff:\s+0+$/m);
      assertMatch(status.stdout, /^NoNewPrivs:\s+1$/m);
      const id = await podman.run(
        p.containerExec({ container: `${name}-agent`, command: ["id", "-u"] }),
      );
      assertEquals(id.stdout.trim(), "1000");
      const key = await podman.run(
        p.containerExec({ container: `${name}-agent`, command: ["cat", "/run/secrets/key"] }),
      );
      assertEquals(key.stdout, SECRET_VALUE);
      const inspectText = JSON.stringify(await podman.run(p.containerInspect(`${name}-agent`)));
      assertEquals(
        inspectText.includes(SECRET_VALUE),
        false,
        "a mounted secret never shows in inspect",
      );
      // podman hands a fresh named volume to the container's user.
      const write = await podman.run(
        p.containerExec({
          container: `${name}-agent`,
          command: ["sh", "-c", "touch /data/x && echo ok"],
        }),
      );
      assertEquals(write.stdout.trim(), "ok", write.stderr);

      // Lists by label find exactly this run's objects.
      const filter = { [TEST_LABEL]: run };
      assertEquals((await podman.run(p.podPs(filter))).map((x) => x.Name), [name]);
      const members = await podman.run(p.containerPs({ ...filter, "io.devaipod.role": "agent" }));
      assertEquals(members.map((c) => c.Names[0]), [`${name}-agent`]);
      assertEquals((await podman.run(p.volumeLs(filter))).map((v) => v.Name), [`${name}-vol`]);
      assertEquals((await podman.run(p.networkLs(filter))).map((n) => n.name), [`${name}-net`]);
      assertEquals((await p.listSecrets(podman, filter)).map((s) => s.Spec.Name), [`${name}-key`]);

      // Removing by label leaves nothing, and exists says so.
      await cleanupByLabel(podman, run);
      assertEquals(await podman.run(p.podExists(name)), false);
      assertEquals(await podman.run(p.containerExists(`${name}-agent`)), false);
      assertEquals(await podman.run(p.volumeExists(`${name}-vol`)), false);
      assertEquals(await podman.run(p.networkExists(`${name}-net`)), false);
      assertEquals(await podman.run(p.secretExists(`${name}-key`)), false);
      assertEquals(await podman.run(p.podPs(filter)), []);
    });
  },
);

podmanTest("podman: pod stop and start keep the volume's data", async () => {
  await withRun(async (run, labels) => {
    const name = `devaipod-test-${run}`;
    await podman.run(p.volumeCreate(`${name}-vol`, { labels }));
    await podman.run(p.podCreate({ name, labels }));
    await podman.run(p.containerCreate({
      name: `${name}-c`,
      image: BASE_IMAGE,
      pod: name,
      labels,
      init: true,
      mounts: [{ type: "volume", source: `${name}-vol`, target: "/data" }],
      command: ["sleep", "infinity"],
    }));
    await podman.run(p.podStart(name));
    await podman.run(
      p.containerExec({ container: `${name}-c`, command: ["sh", "-c", "echo kept > /data/f"] }),
    );
    await podman.run(p.podStop(name, { timeoutSeconds: 1 }));
    assertEquals((await podman.run(p.podInspect(name)))[0]?.State, "Exited");
    await podman.run(p.podStart(name));
    const read = await podman.run(
      p.containerExec({ container: `${name}-c`, command: ["cat", "/data/f"] }),
    );
    assertEquals(read.stdout, "kept\n");
    await podman.run(p.podRm(name, { force: true, timeoutSeconds: 0 }));
    assertEquals(
      await podman.run(p.volumeExists(`${name}-vol`)),
      true,
      "pod rm never removes named volumes",
    );
  });
});

podmanTest("podman: exec returns the command's exit code and output, and feeds stdin", async () => {
  await withRun(async (run, labels) => {
    const name = `devaipod-test-${run}`;
    await podman.run(
      p.containerRun({
        name,
        image: BASE_IMAGE,
        labels,
        init: true,
        command: ["sleep", "infinity"],
      }),
    );
    const r = await podman.run(
      p.containerExec({ container: name, command: ["sh", "-c", "echo out; echo err >&2; exit 3"] }),
    );
    assertEquals(r, { code: 3, stdout: "out\n", stderr: "err\n" });
    const cat = await podman.run(
      p.containerExec({ container: name, command: ["cat"] }, new TextEncoder().encode("fed\n")),
    );
    assertEquals(cat.stdout, "fed\n");
    const env = await podman.run(
      p.containerExec({
        container: name,
        command: ["sh", "-c", 'echo "$A" "$PWD"'],
        env: { A: "a b" },
        workdir: "/tmp",
      }),
    );
    assertEquals(env.stdout, "a b /tmp\n");
    const missing = await podman.run(
      p.containerExec({ container: name, command: ["no-such-program"] }),
    );
    assertEquals(missing.code, 127);
  });
});

podmanTest("podman: wait returns the exit code and logs keep stdout and stderr", async () => {
  await withRun(async (run, labels) => {
    const name = `devaipod-test-${run}`;
    await podman.run(
      p.containerRun({
        name,
        image: BASE_IMAGE,
        labels,
        command: ["sh", "-c", "echo to-out; echo to-err >&2; exit 7"],
      }),
    );
    assertEquals(await podman.run(p.containerWait(name)), 7);
    const logs = await podman.run(p.containerLogs(name));
    assertEquals(logs.stdout, "to-out\n");
    assertEquals(logs.stderr, "to-err\n");
    const tail = await podman.run(p.containerLogs(name, { tail: 1 }));
    assertEquals(tail.stdout + tail.stderr, "to-err\n");
    const [c] = await podman.run(p.containerInspect(name));
    assertEquals([c?.State.Running, c?.State.ExitCode], [false, 7]);
  });
});

podmanTest("podman: a missing image fails with the argv and podman's own stderr", async () => {
  await withRun(async (run, labels) => {
    const image = `localhost/devaipod-test/missing-${run}:none`;
    const err = await assertRejects(
      () => podman.run(p.containerCreate({ name: `devaipod-test-${run}`, image, labels })),
      PodmanFailedError,
    );
    assertEquals(err.exitCode, 5);
    assert(err.argv.includes(image), "the argv names the image");
    assert(err.code !== 0);
    assert(err.stderrTail.length > 0, "podman's complaint is kept");
    assertMatch(
      err.message,
      new RegExp(`podman container create .*${image.replaceAll("/", "\\/")}`),
    );
    assertEquals(
      await podman.run(p.containerExists(`devaipod-test-${run}`)),
      false,
      "nothing is half-created",
    );
  });
});

podmanTest(
  "podman: network connect gives a container a static address on a second network",
  async () => {
    await withRun(async (run, labels) => {
      const name = `devaipod-test-${run}`;
      await podman.run(p.networkCreate({ name: `${name}-a`, labels, subnet: "10.89.241.0/24" }));
      await podman.run(
        p.networkCreate({
          name: `${name}-b`,
          labels,
          internal: true,
          disableDns: true,
          subnet: "10.89.242.0/24",
        }),
      );
      await podman.run(
        p.containerRun({
          name,
          image: DEV_IMAGE,
          labels,
          networks: [`${name}-a`],
          command: ["sleep", "infinity"],
        }),
      );
      await podman.run(p.networkConnect(`${name}-b`, name, { ip: "10.89.242.7" }));
      const addrs = await podman.run(
        p.containerExec({ container: name, command: ["ip", "-4", "-o", "addr"] }),
      );
      assertMatch(addrs.stdout, /10\.89\.241\.\d+/);
      assertMatch(addrs.stdout, /10\.89\.242\.7\//);
    });
  },
);

podmanTest("podman: a pod with a published port and an added host", async () => {
  await withRun(async (run, labels) => {
    const name = `devaipod-test-${run}`;
    await podman.run(
      p.podCreate({
        name,
        labels,
        addHosts: [{ host: "proxy.devaipod", ip: "10.1.2.3" }],
        publish: ["127.0.0.1::8080"],
      }),
    );
    await podman.run(
      p.containerRun({
        name: `${name}-c`,
        image: BASE_IMAGE,
        pod: name,
        labels,
        command: ["sleep", "infinity"],
      }),
    );
    const hosts = await podman.run(
      p.containerExec({ container: `${name}-c`, command: ["cat", "/etc/hosts"] }),
    );
    assertMatch(hosts.stdout, /10\.1\.2\.3\s+proxy\.devaipod/);
    const inspect = await new Deno.Command("podman", {
      args: ["pod", "inspect", name],
      stdout: "piped",
    }).output();
    assertMatch(
      new TextDecoder().decode(inspect.stdout),
      /"8080\/tcp": \[\s*\{\s*"HostIp": "127\.0\.0\.1",\s*"HostPort": "\d+"/,
    );
  });
});

podmanTest("podman: build honours the file, args, target and labels, offline", async () => {
  await withRun(async (run, labels) => {
    const dir = await Deno.makeTempDir({ prefix: "devaipod-build-" });
    const tag = `localhost/devaipod-test/build-${run}:latest`;
    try {
      await Deno.writeTextFile(
        `${dir}/Dockerfile.dev`,
        `FROM ${BASE_IMAGE} AS first\nARG GREETING=unset\nRUN echo "$GREETING" > /greeting\n` +
          `FROM first AS second\nRUN echo second > /stage\nFROM first AS final\nRUN echo final > /stage\n`,
      );
      const id = await podman.run(p.imageBuild({
        tag,
        file: `${dir}/Dockerfile.dev`,
        context: dir,
        buildArgs: { GREETING: "hello from a build arg" },
        target: "second",
        labels,
        pull: "never",
      }));
      assertMatch(id, /^[0-9a-f]{64}$/);
      const [img] = await podman.run(p.imageInspect(tag));
      assertEquals(img?.Labels[TEST_LABEL], run);
      await podman.run(
        p.containerRun({
          name: `devaipod-test-${run}`,
          image: tag,
          labels,
          command: ["cat", "/greeting", "/stage"],
        }),
      );
      assertEquals(await podman.run(p.containerWait(`devaipod-test-${run}`)), 0);
      assertEquals(
        (await podman.run(p.containerLogs(`devaipod-test-${run}`))).stdout,
        "hello from a build arg\nsecond\n",
      );
    } finally {
      await podman.run(p.containerRm([`devaipod-test-${run}`], { force: true })).catch(() => {});
      await podman.run(p.imageRm([tag], { force: true })).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  });
});
