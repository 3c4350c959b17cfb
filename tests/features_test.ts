/**
 * Dev Container Features for real: the test Features published by the reference CLI to a real
 * registry (Debian's docker-registry) on loopback, fetched by devaipod's own OCI client,
 * installed in order into one image that the workspace and the agent both run.
 */
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { startFeatureRegistry } from "./support/feature_registry.ts";
import {
  buildImage,
  oracleUnavailable,
  readConfiguration,
  seedControlManifest,
} from "./support/oracle.ts";
import { CI, podmanUnavailable } from "./support/podman_env.ts";
import { registryUnavailable } from "./support/registry.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { labelled, name, NOTHING, purge } from "./support/workspaces.ts";

const podman = p.Podman.fromEnv();
const unavailable = podmanUnavailable ?? registryUnavailable ?? oracleUnavailable;
if (unavailable && !CI) console.error(`skipping the Features tests: ${unavailable}`);

function featuresTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name,
    ignore: unavailable !== undefined && !CI,
    fn: async () => {
      assertEquals(unavailable, undefined, unavailable);
      await fn();
    },
  });
}

async function exec(container: string, script: string): Promise<string> {
  const r = await podman.run(p.containerExec({ container, command: ["sh", "-c", script] }));
  assertEquals(r.code, 0, `${script}: ${r.stderr}`);
  return r.stdout;
}

interface ResolvedJson {
  lockfile: string;
  image: string;
  features: { id: string; named: boolean; digest: string; options: Record<string, unknown> }[];
}

async function resolveJson(dir: string): Promise<ResolvedJson> {
  const r = await runDevaipod(["features", "resolve", dir, "--json"]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

featuresTest(
  "features: three registry Features (one only a dependency) and a local one install in the spec's order, in the workspace and the agent; the merged config and the image's label and environment equal the reference's; a second up needs no registry",
  async () => {
    const fr = await startFeatureRegistry();
    const c = fr.collection;
    const [first, second] = [name(), name()];
    let image: string | undefined;
    try {
      const dir = await fr.project(DEV_IMAGE);
      const resolved = await resolveJson(dir);
      image = resolved.image;
      // Rounds: local-note and greet have no edges ("./" sorts first); tools needs greet;
      // apt-hello installs after tools.
      assertEquals(resolved.features.map((f) => [f.id, f.named]), [
        ["./local-note", true],
        [`${c}/greet:1`, false],
        [`${c}/tools:1`, true],
        [`${c}/apt-hello:1`, true],
      ]);
      assertEquals(resolved.features[1]?.options, { greeting: "hi", color: "red", loud: true });

      // The merged configuration, against the reference's (both fetch the same Features).
      await seedControlManifest();
      const ours = await runDevaipod(["config", dir, "--merged", "--json"]);
      assertEquals(ours.code, 0, ours.stderr);
      const theirs = await readConfiguration(dir, {
        dockerPath: "podman",
        extraArgs: ["--include-merged-configuration"],
      });
      assertEquals(
        JSON.parse(ours.stdout).mergedConfiguration,
        theirs.mergedConfiguration,
        "config --merged --json",
      );

      const up = await runDevaipod(["up", dir, "--name", first, "--no-prompt"]);
      assertEquals(up.code, 0, up.stderr);
      assertMatch(
        up.stderr,
        /install Features \.\/local-note, .*greet:1, .*tools:1, .*apt-hello:1/,
      );
      // devcontainer-lock.json, as the reference writes it: registry Features, sorted, pinned.
      const lock = JSON.parse(await Deno.readTextFile(resolved.lockfile));
      assertEquals(Object.keys(lock.features), [
        `${c}/apt-hello:1`,
        `${c}/greet:1`,
        `${c}/tools:1`,
      ]);
      assertEquals(lock.features[`${c}/tools:1`], {
        version: "1.0.1",
        resolved: `${c}/tools@${resolved.features[2]?.digest}`,
        integrity: resolved.features[2]?.digest,
        dependsOn: [`${c}/greet:1`],
      });
      for (const role of ["workspace", "agent"]) {
        const container = `devaipod-${first}-${role}`;
        assertEquals(
          await exec(container, "cat /usr/local/share/devaipod-feature-order"),
          "local-note\ngreet\ntools\napt-hello\n",
          role,
        );
        // Options reach the install scripts; containerEnv (PATH too) reaches later Features and
        // the container; the Debian package is installed.
        assertEquals(
          await exec(
            container,
            "tools-info; hello; cat /usr/local/share/local-note; echo $GREET_HOME",
          ),
          "tools level 3; HI (RED) from greet\nHello, world!\nfrom the project\n/usr/local/share/greet\n",
          role,
        );
        assertEquals(
          await exec(container, "cat /usr/local/share/greet/users"),
          "remote=root home=/root container=root\n",
        );
      }
      // Feature lifecycle hooks ran in the workspace, before devcontainer.json's own.
      const ws = `devaipod-${first}-workspace`;
      assertEquals(
        await exec(ws, "cat /tmp/tools-on-create /tmp/greet-post-create /tmp/post-create-order"),
        "tools level 3; HI (RED) from greet\nHI (RED) from greet\nconfig\n",
      );
      // tools' capAdd reaches the workspace, never the agent.
      const [wsInspect] = await podman.run(p.containerInspect(ws));
      assert(wsInspect?.HostConfig.CapAdd.some((c) => c.endsWith("SYS_PTRACE")), "workspace caps");
      const [agentInspect] = await podman.run(p.containerInspect(`devaipod-${first}-agent`));
      assertEquals(agentInspect?.HostConfig.CapAdd, [], "the agent gains no capability");
      // The image's label: each Feature's entry, in install order, then the config's.
      const [built] = await podman.run(p.imageInspect(image));
      const label = JSON.parse(built?.Labels["devcontainer.metadata"] ?? "[]") as { id?: string }[];
      assertEquals(label.map((e) => e.id ?? "config"), [
        "./local-note",
        `${c}/greet:1`,
        `${c}/tools:1`,
        `${c}/apt-hello:1`,
        "config",
      ]);

      // The reference's own build of the same project: the same label, the same environment.
      const refImage = `localhost/devaipod-test/features-reference-${first}:latest`;
      await buildImage(dir, refImage);
      try {
        const [ref] = await podman.run(p.imageInspect(refImage));
        assertEquals(
          JSON.parse(ref?.Labels["devcontainer.metadata"] ?? "[]"),
          JSON.parse(built?.Labels["devcontainer.metadata"] ?? "[]"),
          "devcontainer.metadata",
        );
        const env = (i: typeof ref) =>
          (i?.Config?.Env ?? []).filter((e) => /^(PATH|GREET_HOME)=/.test(e)).sort();
        assertEquals(env(built), env(ref), "the image's environment");
      } finally {
        await podman.run(p.imageRm([refImage], { force: true })).catch(() => {});
      }

      // Offline: no registry, no workspace, no Features image; the cache and the lockfile suffice.
      await fr.registry.close();
      await purge(first);
      await podman.run(p.imageRm([image], { force: true }));
      const again = await runDevaipod(["up", dir, "--name", second, "--no-prompt"]);
      assertEquals(again.code, 0, again.stderr);
      assertEquals(/not reachable/.test(again.stderr), false, again.stderr);
      assertEquals(
        await exec(`devaipod-${second}-agent`, "tools-info"),
        "tools level 3; HI (RED) from greet\n",
      );
    } finally {
      await purge(first);
      await purge(second);
      if (image) await podman.run(p.imageRm([image], { force: true })).catch(() => {});
      await fr.close();
    }
  },
);

featuresTest(
  "features: an option outside its enum is a config error at its line:col; a URL source's capability-adding Feature needs --trust-source; features pull locks them; a Feature whose install fails is named, and no image or workspace is left",
  async () => {
    const fr = await startFeatureRegistry();
    const ws = name();
    try {
      const badOption = await fr.project(DEV_IMAGE, {
        [`${fr.collection}/greet:1`]: { color: "green" },
      });
      const r = await runDevaipod(["features", "resolve", badOption]);
      assertEquals(r.code, 3, r.stderr);
      assertMatch(
        r.stderr,
        /devcontainer\.json:\d+:\d+: features\[".*greet:1"\]: option 'color' of Feature 'greet' is "green"; it must be one of "red", "blue"/,
      );

      // From a URL, a Feature that adds a capability needs --trust-source, like the config's own.
      const risky = await fr.project(DEV_IMAGE, { [`${fr.collection}/tools:1`]: {} });
      const refused = await runDevaipod(["up", `file://${risky}`, "--name", ws, "--no-prompt"]);
      assertEquals(refused.code, 3, refused.stderr);
      assertMatch(
        refused.stderr,
        /the Features of this devcontainer\.json reach into your host:\n {2}capAdd: SYS_PTRACE/,
      );
      assertMatch(refused.stderr, /--trust-source/);
      assertEquals(await labelled(ws), NOTHING);
      await purge(ws);

      const broken = await fr.project(DEV_IMAGE, { [`${fr.collection}/broken:1`]: {} });
      // `features pull` fetches ahead of time and writes the lockfile; the install fails only at up.
      const pull = await runDevaipod(["features", "pull", broken, "--json"]);
      assertEquals(pull.code, 0, pull.stderr);
      const pulled = JSON.parse(pull.stdout) as ResolvedJson;
      const locked = JSON.parse(await Deno.readTextFile(pulled.lockfile));
      assertEquals(Object.keys(locked.features), [`${fr.collection}/broken:1`]);
      assertEquals(
        locked.features[`${fr.collection}/broken:1`].integrity,
        pulled.features[0]?.digest,
      );
      const { image } = pulled;
      const up = await runDevaipod(["up", broken, "--name", ws, "--no-prompt"]);
      assert(up.code !== 0, up.stderr);
      assertMatch(
        up.stderr,
        new RegExp(`Feature ${fr.collection}/broken:1 failed to install \\(exit 3\\)`),
      );
      assertMatch(up.stderr, /broken: about to fail/);
      assertEquals(await podman.run(p.imageExists(image)), false, "no image under the tag");
      assertEquals(await labelled(ws), NOTHING);
    } finally {
      await purge(ws);
      await fr.close();
    }
  },
);
