/**
 * The same YAML, run for real: `render --target kube` of a project, played by `podman kube play`
 * (Debian trixie's podman 5, in a box of the `systemd` test image; Debian 12's podman 4.3 has no
 * Secret volumes). The box is a node without this host's files: devaipod's code and the agent come
 * from devaipod's runtime image, pushed by `devaipod runtime-image` to a real registry (Debian's
 * docker-registry) and copied in by each Pod's init container. The agent comes up healthy by the
 * rendered readiness probe itself, and the workspace reaches it. The test then says which isolation parts podman enforces from the YAML
 * (users, dropped capabilities, no privilege escalation, seccomp, the read-only root, claims as
 * volumes, Secrets and the allowlist as files) and which it ignores: NetworkPolicies (the agent
 * reaches the workspace) and Services (their `$(…_SERVICE_HOST)` variables stay unset).
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { devaipodDirs } from "../lib/paths.ts";
import type { KubeObject } from "../lib/kube/render.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { podmanUnavailable } from "./support/podman_env.ts";
import {
  REGISTRY_PROGRAM,
  registryConfig,
  registryUnavailable,
  startRegistry,
} from "./support/registry.ts";
import { agentBinaryCached, startSystemdBox } from "./support/systemd_box.ts";
import type { SystemdBox } from "./support/systemd_box.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { project } from "./support/workspaces.ts";

const WS = "kube-play";

// deno-lint-ignore no-explicit-any
type Any = any;

/** The full path of `program` on PATH. */
async function which(program: string): Promise<string> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    const path = join(dir, program);
    if (await Deno.stat(path).then((i) => i.isFile, () => false)) return path;
  }
  throw new Error(`${program} is not on PATH`);
}

/** Polls `check` every 500 ms for up to `seconds`; the last result. */
async function poll(seconds: number, check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < seconds * 2; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

const CI = Deno.env.get("CI") === "true";
const unavailable = podmanUnavailable ?? registryUnavailable;
if (unavailable && !CI) console.error(`skipping the kube play test: ${unavailable}`);

Deno.test({
  name:
    "kube render: podman kube play of the rendered objects, with devaipod's runtime image from a registry and none of this host's files, starts the workspace with a healthy agent; podman enforces the Pods' security contexts and ignores NetworkPolicies and Services",
  ignore: unavailable !== undefined && !CI,
  fn: async () => {
    assertEquals(unavailable, undefined, unavailable);
    const dirs = devaipodDirs(Deno.env);
    await agentBinaryCached(dirs.cache);
    const dir = await project({ image: DEV_IMAGE });
    const work = await Deno.makeTempDir({ prefix: "devaipod-kube-play-" });
    const registry = await startRegistry();
    const env = { CONTAINERS_REGISTRIES_CONF: registry.registriesConf };
    let box: SystemdBox | undefined;
    try {
      const r = await runDevaipod([
        "render",
        dir,
        "--target",
        "kube",
        "--namespace",
        "default",
        "--name",
        WS,
        "--registry",
        registry.address,
        "--json",
      ], { env });
      assertEquals(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        objects: KubeObject[];
        secrets: { name: string; source: string }[];
        hostPaths: string[];
        runtimeImage: string;
      };
      // Nothing of this host's: devaipod's code, its Deno and the agent come from the image.
      assertEquals(out.hostPaths, []);
      const repo = `${registry.address}/devaipod-runtime`;
      assertMatch(out.runtimeImage, new RegExp(`^${repo}:[0-9.]+-[0-9a-f]{16}$`));
      assert(
        !(await registry.hasManifest("devaipod-runtime", out.runtimeImage.split(":").at(-1) ?? "")),
        "not pushed by render",
      );

      // `runtime-image REGISTRY` builds and pushes it; the Pods could name it by digest.
      const pushed = await runDevaipod(["runtime-image", registry.address], { env });
      assertEquals(pushed.code, 0, pushed.stderr);
      const ref = pushed.stdout.trim();
      assertMatch(ref, new RegExp(`^${repo}@sha256:[0-9a-f]{64}$`));
      assert(await registry.hasManifest("devaipod-runtime", ref.split("@")[1] ?? ""), ref);
      assert(
        await registry.hasManifest("devaipod-runtime", out.runtimeImage.split(":").at(-1) ?? ""),
        "the tag render named",
      );
      // Again: the same image, nothing built.
      const again = await runDevaipod(["runtime-image", registry.address, "--json"], { env });
      assertEquals(again.code, 0, again.stderr);
      assertEquals(JSON.parse(again.stdout).ref, ref);
      assertEquals(again.stderr.includes("building"), false, again.stderr);

      // The one secret a plain project needs: the agent's password, made here as `render` says.
      assertEquals(out.secrets.map((s) => s.source), ["random"]);
      const password = crypto.randomUUID();
      const secret = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: out.secrets[0]?.name, namespace: "default" },
        data: { value: btoa(password) },
      };
      await Deno.writeTextFile(
        join(work, "objects.yaml"),
        [secret, ...out.objects].map((o) => `---\n${stringify(o)}`).join(""),
      );
      // The "node" is a box with its own loopback: the same registry (its storage, served by a
      // second registry process on the same address inside), and none of this host's files.
      await Deno.writeTextFile(
        join(work, "registry.yml"),
        registryConfig(registry.address, "/registry"),
      );
      box = await startSystemdBox("kube-play", [
        `${work}:/play:ro`,
        `${registry.storage}:/registry`,
        `${await Deno.realPath(await which(REGISTRY_PROGRAM))}:/usr/local/bin/docker-registry:ro`,
      ]);
      const inBox = box.exec;
      const served = await inBox([
        "systemd-run",
        "--unit",
        "registry",
        "/usr/local/bin/docker-registry",
        "serve",
        "/play/registry.yml",
      ]);
      assertEquals(served.code, 0, served.stderr);
      const insecure = await inBox([
        "sh",
        "-c",
        `mkdir -p /etc/containers/registries.conf.d && printf '[[registry]]\\nlocation = "%s"\\ninsecure = true\\n' "$1" > /etc/containers/registries.conf.d/test.conf`,
        "sh",
        registry.address,
      ]);
      assertEquals(insecure.code, 0, insecure.stderr);
      const [host, port] = registry.address.split(":");
      const up = await poll(
        20,
        async () => (await inBox(["bash", "-c", `</dev/tcp/${host}/${port}`])).code === 0,
      );
      assert(up, "the box's registry never listened");
      const played = await inBox(["podman", "kube", "play", "/play/objects.yaml"]);
      if (played.code !== 0) {
        const names = await inBox(["podman", "ps", "-a", "--format", "{{.Names}}"]);
        for (const n of names.stdout.trim().split("\n")) {
          const l = await inBox(["podman", "logs", n]);
          played.stderr += `\n--- ${n}:\n${l.stdout}${l.stderr}`;
        }
      }
      assertEquals(played.code, 0, played.stderr);

      const agent = `devaipod-${WS}-agent-agent`;
      const workspace = `devaipod-${WS}-workspace-workspace`;
      const proxy = `devaipod-${WS}-proxy-proxy`;
      const inContainer = (c: string, script: string) =>
        inBox(["podman", "exec", c, "/bin/sh", "-c", script]);

      // Healthy by the readiness probe the YAML carries (podman keeps it as no health check).
      const agentPod = out.objects.find((o) =>
        o.kind === "Pod" && o.metadata.name.endsWith("-agent")
      ) as Any;
      const probe: string[] = agentPod.spec.containers[0].readinessProbe.exec.command;
      const healthy = await poll(
        60,
        async () => (await inBox(["podman", "exec", agent, ...probe])).code === 0,
      );
      const logs = healthy ? "" : (await inBox(["podman", "logs", agent])).stderr;
      assert(healthy, `the agent never passed its readiness probe:\n${logs}`);
      // The workspace reaches it by its pod's name, with the password from its Secret file.
      const fromWorkspace = await inContainer(
        workspace,
        `curl -fsS -m 5 -u "opencode:$(cat /run/secrets/devaipod-agent-password)" http://devaipod-${WS}-agent:4096/global/health`,
      );
      assertEquals(fromWorkspace.code, 0, fromWorkspace.stderr);
      assertMatch(fromWorkspace.stdout, /"healthy":true/);

      // Enforced: the users, no capabilities, no privilege escalation, seccomp.
      for (const [c, uid] of [[agent, "1000"], [workspace, "1000"], [proxy, "65534"]]) {
        const s = await inContainer(
          c as string,
          "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status",
        );
        assertEquals(s.code, 0, s.stderr);
        assertEquals(
          s.stdout.trim().split("\n").map((l) => l.replace(/\s+/g, " ")),
          [uid, "CapEff: 0000000000000000", "NoNewPrivs: 1", "Seccomp: 2"],
          c,
        );
      }
      // Enforced: the proxy's root is read-only; its allowlist is the ConfigMap's.
      const write = await inContainer(proxy, "touch /root-is-writable");
      assertMatch(write.stderr, /Read-only file system/);
      const allow = await inContainer(proxy, "cat /opt/devaipod/allow");
      assertMatch(allow.stdout, /^api\.anthropic\.com$/m);
      // The claims became podman volumes of the same names.
      const volumes = await inBox(["podman", "volume", "ls", "--format", "{{.Name}}"]);
      for (const claim of out.objects.filter((o) => o.kind === "PersistentVolumeClaim")) {
        assert(volumes.stdout.split("\n").includes(claim.metadata.name), volumes.stdout);
      }

      // Ignored: the NetworkPolicies. The agent may reach only the proxy on a cluster; here it
      // reaches a server in the workspace.
      const listen = await inBox([
        "podman",
        "exec",
        "--detach",
        workspace,
        "/opt/devaipod/bin/opencode",
        "serve",
        "--port",
        "8080",
        "--hostname",
        "0.0.0.0",
      ]);
      assertEquals(listen.code, 0, listen.stderr);
      // (`--noproxy`: the proxy variables name the Service's unset address, see below.)
      let reached = "";
      await poll(30, async () => {
        reached = (await inContainer(
          agent,
          `curl -s -m 2 --noproxy "*" http://devaipod-${WS}-workspace:8080/global/health`,
        )).stdout;
        return reached.includes('"healthy":true');
      });
      assertMatch(reached, /"healthy":true/, "podman does not enforce NetworkPolicies");
      // Ignored: the Services. Their variables are unset, so the proxy's address stays unexpanded.
      const proxyEnv = await inContainer(agent, 'printf %s "$HTTPS_PROXY"');
      assertEquals(proxyEnv.stdout, `http://$(DEVAIPOD_KUBE_PLAY_PROXY_SERVICE_HOST):3128`);
    } finally {
      await box?.remove();
      await registry.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  },
});
