/**
 * `render --target kube` against a real API server (tests/support/kube_apiserver.ts: etcd and a
 * kube-apiserver built from `k8s.io/kubernetes`, token authentication, RBAC). The objects are
 * created as a user bound to exactly devaipod's documented Role: each is accepted by a
 * server-side dry run with strict field validation, then created for real; the Services and
 * NetworkPolicies select the Pods they must. One verb less in the Role fails with the server's
 * message. There is no kubelet: no Pod runs.
 */
import { join } from "node:path";
import type { KubeObject } from "../lib/kube/render.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { KubeServer, kubeTest } from "./support/kube_apiserver.ts";
import type { KubeAnswer } from "./support/kube_apiserver.ts";
import { DEV_IMAGE } from "./support/test_images.ts";

const NS = "devaipod-test";

/** The collection path of an object's kind in `namespace`. */
function collection(o: KubeObject, namespace = NS): string {
  const plural: Record<string, string> = {
    ConfigMap: "configmaps",
    PersistentVolumeClaim: "persistentvolumeclaims",
    Service: "services",
    Pod: "pods",
    NetworkPolicy: "networkpolicies",
    Role: "roles",
    RoleBinding: "rolebindings",
  };
  const kind = plural[o.kind];
  assert(kind, `no path for ${o.kind}`);
  return o.apiVersion === "v1"
    ? `/api/v1/namespaces/${namespace}/${kind}`
    : `/apis/${o.apiVersion}/namespaces/${namespace}/${kind}`;
}

const ok = (a: KubeAnswer, what: string) =>
  assert(a.status >= 200 && a.status < 300, `${what}: ${a.status} ${JSON.stringify(a.body)}`);

/** A project folder with a devcontainer.json. */
async function project(config: Record<string, unknown>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-kube-project-" });
  await Deno.mkdir(join(dir, ".devcontainer"));
  await Deno.writeTextFile(join(dir, ".devcontainer", "devcontainer.json"), JSON.stringify(config));
  return dir;
}

/** `render --target kube --json` of `dir` as workspace `name`. */
async function rendered(dir: string, name: string, extra: string[] = []): Promise<KubeObject[]> {
  const r = await runDevaipod(
    ["render", dir, "--target", "kube", "--namespace", NS, "--name", name, "--json", ...extra],
    { env: { GH_TOKEN: "ghp_not_a_real_token", ANTHROPIC_API_KEY: "sk-not-real" } },
  );
  assertEquals(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assertEquals(JSON.stringify(out).includes("ghp_not_a_real_token"), false);
  return out.objects;
}

kubeTest(
  "kube: every rendered object is accepted by a real API server (server-side dry run, strict fields, then created) with devaipod's least-privilege Role; Services and NetworkPolicies select their Pods",
  async () => {
    const server = await KubeServer.start(["devaipod", "less"]);
    const dirs: string[] = [];
    try {
      await server.namespaceWithRole(NS, ["devaipod"], [["less", "networkpolicies", "create"]]);
      const token = server.tokens.devaipod;
      const cases: [string, Record<string, unknown>, string[]][] = [
        ["demo", {
          image: DEV_IMAGE,
          forwardPorts: [3000],
          secrets: { GH_TOKEN: {} },
          containerEnv: { GREETING: "hello $(whoami)" },
        }, ["--cpu", "2", "--memory", "4Gi", "--storage", "5Gi"]],
        ["open", { image: DEV_IMAGE }, ["--network-isolation", "off"]],
      ];
      for (const [name, config, flags] of cases) {
        const dir = await project(config);
        dirs.push(dir);
        const objects = await rendered(dir, name, flags);
        assert(objects.length >= 8, `${objects.length} objects`);
        for (const o of objects) {
          const path = collection(o);
          const dry = await server.request(
            "POST",
            `${path}?dryRun=All&fieldValidation=Strict`,
            o,
            token,
          );
          ok(dry, `dry run of ${o.kind}/${o.metadata.name}`);
          // A dry run stores nothing.
          const absent = await server.request(
            "GET",
            `${path}/${o.metadata.name}`,
            undefined,
            token,
          );
          assertEquals(absent.status, 404, `${o.kind}/${o.metadata.name} after the dry run`);
          ok(
            await server.request("POST", `${path}?fieldValidation=Strict`, o, token),
            `create ${o.kind}/${o.metadata.name}`,
          );
        }
        // What the server stored is what was rendered: the security context, the env references.
        const agent = await server.request(
          "GET",
          `/api/v1/namespaces/${NS}/pods/devaipod-${name}-agent`,
          undefined,
          token,
        );
        ok(agent, "get agent");
        // deno-lint-ignore no-explicit-any
        const spec = agent.body.spec as any;
        assertEquals(spec.automountServiceAccountToken, false);
        assertEquals(spec.containers[0].securityContext.capabilities.drop, ["ALL"]);
        assertEquals(spec.containers[0].securityContext.allowPrivilegeEscalation, false);
        assertEquals(spec.securityContext.seccompProfile.type, "RuntimeDefault");

        // Each Service and NetworkPolicy selects exactly the Pods it must, by the server's own
        // label selection.
        for (const o of objects.filter((x) => x.kind === "Service" || x.kind === "NetworkPolicy")) {
          // deno-lint-ignore no-explicit-any
          const s = o as any;
          const labels: Record<string, string> = s.kind === "Service"
            ? s.spec.selector
            : s.spec.podSelector.matchLabels;
          const selector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
          const pods = await server.request(
            "GET",
            `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(selector)}`,
            undefined,
            token,
          );
          ok(pods, "list pods");
          // deno-lint-ignore no-explicit-any
          const names = (pods.body.items as any[]).map((p) => p.metadata.name);
          assertEquals(names, [`devaipod-${name}-${labels["io.devaipod.role"]}`], selector);
        }
        // list, as `devaipod list` will: by the workspace label.
        const all = await server.request(
          "GET",
          `/api/v1/namespaces/${NS}/pods?labelSelector=io.devaipod.workspace%3D${name}`,
          undefined,
          token,
        );
        // deno-lint-ignore no-explicit-any
        const pods = (all.body.items as any[]).map((p) => p.metadata.name).sort();
        assertEquals(
          pods,
          name === "demo"
            ? [`devaipod-${name}-agent`, `devaipod-${name}-proxy`, `devaipod-${name}-workspace`]
            : [`devaipod-${name}-agent`, `devaipod-${name}-workspace`],
        );
      }

      // One verb less (no create on networkpolicies): refused, in the server's words.
      const dir = await project({ image: DEV_IMAGE });
      dirs.push(dir);
      const policy = (await rendered(dir, "less")).find((o) => o.kind === "NetworkPolicy");
      assert(policy);
      const refused = await server.request("POST", collection(policy), policy, server.tokens.less);
      assertEquals(refused.status, 403);
      assert(
        String(refused.body.message).includes(
          'cannot create resource "networkpolicies" in API group "networking.k8s.io"',
        ),
        String(refused.body.message),
      );
      // And the full Role reaches nothing outside its namespace.
      const elsewhere = await server.request(
        "GET",
        "/api/v1/namespaces/default/pods",
        undefined,
        token,
      );
      assertEquals(elsewhere.status, 403);
    } finally {
      await server.stop();
      for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
    }
  },
);
