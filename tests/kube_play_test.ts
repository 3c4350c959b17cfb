/**
 * The same YAML, run for real: `render --target kube` of a project, played by `podman kube play`
 * (Debian trixie's podman 5, in a box of the `systemd` test image; Debian 12's podman 4.3 has no
 * Secret volumes). The agent comes up healthy by the rendered readiness probe itself, and the
 * workspace reaches it. The test then says which isolation parts podman enforces from the YAML
 * (users, dropped capabilities, no privilege escalation, seccomp, the read-only root, claims as
 * volumes, Secrets and the allowlist as files) and which it ignores: NetworkPolicies (the agent
 * reaches the workspace) and Services (their `$(…_SERVICE_HOST)` variables stay unset).
 */
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { devaipodDirs } from "../lib/paths.ts";
import type { KubeObject } from "../lib/kube/render.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { denoProgram, runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { agentBinaryCached, startSystemdBox } from "./support/systemd_box.ts";
import type { SystemdBox } from "./support/systemd_box.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { project } from "./support/workspaces.ts";

const ROOT = dirname(dirname(new URL(import.meta.url).pathname));
const WS = "kube-play";

// deno-lint-ignore no-explicit-any
type Any = any;

/** Polls `check` every 500 ms for up to `seconds`; the last result. */
async function poll(seconds: number, check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < seconds * 2; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

podmanTest(
  "kube render: podman kube play of the rendered objects starts the workspace with a healthy agent; podman enforces the Pods' security contexts and ignores NetworkPolicies and Services",
  async () => {
    const dirs = devaipodDirs(Deno.env);
    const opencode = await agentBinaryCached(dirs.cache);
    const dir = await project({ image: DEV_IMAGE });
    const work = await Deno.makeTempDir({ prefix: "devaipod-kube-play-" });
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
        "--json",
      ]);
      assertEquals(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        objects: KubeObject[];
        secrets: { name: string; source: string }[];
        hostPaths: string[];
      };
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
      // The host paths the Pods mount exist on this "node": the agent binary, deno and
      // devaipod's code for the proxy, the shims' folder.
      const deno = await Deno.realPath(denoProgram());
      const shims = out.hostPaths.find((h) => h.endsWith("/shims"));
      assert(shims, out.hostPaths.join(", "));
      assertEquals(
        [...out.hostPaths].sort(),
        [opencode, shims, deno, ROOT].sort(),
        "host paths",
      );
      box = await startSystemdBox("kube-play", [
        `${work}:/play:ro`,
        `${opencode}:${opencode}:ro`,
        `${deno}:${deno}:ro`,
        `${ROOT}:${ROOT}:ro`,
      ]);
      const inBox = box.exec;
      assertEquals((await inBox(["mkdir", "-p", shims])).code, 0);
      const played = await inBox(["podman", "kube", "play", "/play/objects.yaml"]);
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
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.remove(work, { recursive: true }).catch(() => {});
    }
  },
);
