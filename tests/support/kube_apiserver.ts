/**
 * A real Kubernetes API server for tests: Debian's etcd and a kube-apiserver built from the Go
 * module `k8s.io/kubernetes` (pinned in tests/kube/apiserver/go.mod), both on loopback, with token
 * authentication, RBAC and strict field validation. There is no kubelet: pods are never run, so
 * tests check what the API server decides.
 *
 * The binary is built once into `$XDG_CACHE_HOME/devaipod-test/kube/` (`deno task kube-apiserver`,
 * which `deno task test` runs first) and reused while the pin is the same.
 */
import { join } from "node:path";

import { DEVAIPOD_ROLE_RULES, devaipodRole } from "../../lib/kube/role.ts";
import { apiserverPath, kwokPath, schedulerPath } from "./kube_build.ts";

export { apiserverPath, buildApiserver, kubeVersion } from "./kube_build.ts";

/** True when running in CI (`CI=true`): a test that cannot run fails instead of skipping. */
const CI = Deno.env.get("CI") === "true";

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

async function probe(): Promise<string | undefined> {
  for (const path of [apiserverPath(), schedulerPath(), kwokPath()]) {
    if (!exists(path)) return `${path} is not built (run \`deno task kube-apiserver\`)`;
  }
  const etcd = await new Deno.Command("etcd", {
    args: ["--version"],
    stdout: "null",
    stderr: "null",
  })
    .output().catch(() => undefined);
  if (!etcd || etcd.code !== 0) return "etcd is not installed (apt-get install etcd-server)";
  return undefined;
}

/** Why a real API server cannot run here, or undefined when it can. */
export const kubeUnavailable: string | undefined = await probe();

let warned = false;

/** A test that needs the API server: skipped on a bare laptop (saying why), failing in CI. */
export function kubeTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  const ignore = kubeUnavailable !== undefined && !CI;
  if (ignore && !warned) {
    warned = true;
    console.error(`skipping Kubernetes tests: ${kubeUnavailable}`);
  }
  Deno.test({ name, ignore, fn, sanitizeResources: false, sanitizeOps: false });
}

/** A port picked free was taken before etcd or the API server bound it. */
class PortTaken extends Error {}

/** The last output of a stream, kept without blocking the process. */
export function collect(stream: ReadableStream<Uint8Array>): string[] {
  const kept: string[] = [];
  (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      kept.push(chunk);
      if (kept.length > 200) kept.shift();
    }
  })().catch(() => {});
  return kept;
}

/** A loopback port free now (another process may take it before it is bound). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)?.join("\n")}\n-----END ${label}-----\n`;
}

/** What an API call answered. */
export interface KubeAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * etcd and kube-apiserver on loopback, a fresh data folder each. `tokens` are users (name →
 * token) besides `admin` (system:masters).
 */
export class KubeServer {
  readonly url: string;
  readonly adminToken: string;
  readonly tokens: Readonly<Record<string, string>>;
  readonly #dir: string;
  readonly #procs: Deno.ChildProcess[];
  readonly #client: Deno.HttpClient;
  readonly caFile: string;

  private constructor(
    parts: {
      url: string;
      adminToken: string;
      tokens: Record<string, string>;
      dir: string;
      procs: Deno.ChildProcess[];
      client: Deno.HttpClient;
      caFile: string;
    },
  ) {
    this.url = parts.url;
    this.adminToken = parts.adminToken;
    this.tokens = parts.tokens;
    this.#dir = parts.dir;
    this.#procs = parts.procs;
    this.#client = parts.client;
    this.caFile = parts.caFile;
  }

  /** Starts etcd, then the API server, and waits until it is ready (a few seconds). */
  static async start(users: readonly string[] = []): Promise<KubeServer> {
    // Free ports are picked, then bound by etcd and the API server: another process may take
    // one in between. Then both are started again on other ports.
    for (let attempt = 1;; attempt++) {
      try {
        return await KubeServer.#startOnce(users);
      } catch (err) {
        if (!(err instanceof PortTaken) || attempt === 3) throw err;
      }
    }
  }

  static async #startOnce(users: readonly string[]): Promise<KubeServer> {
    const dir = await Deno.makeTempDir({ prefix: "devaipod-kube-" });
    const procs: Deno.ChildProcess[] = [];
    const stop = async () => {
      for (const p of procs) {
        try {
          p.kill("SIGTERM");
        } catch { /* gone */ }
        await p.status.catch(() => {});
      }
    };
    try {
      const ports = new Set<number>();
      while (ports.size < 3) ports.add(freePort());
      const [etcdPort, peer, secure] = [...ports];
      const etcdUrl = `http://127.0.0.1:${etcdPort}`;
      const etcd = new Deno.Command("etcd", {
        args: [
          "--data-dir",
          join(dir, "etcd"),
          "--listen-client-urls",
          etcdUrl,
          "--advertise-client-urls",
          etcdUrl,
          "--listen-peer-urls",
          `http://127.0.0.1:${peer}`,
          "--initial-advertise-peer-urls",
          `http://127.0.0.1:${peer}`,
          "--initial-cluster",
          `default=http://127.0.0.1:${peer}`,
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      procs.push(etcd);
      const etcdErr = collect(etcd.stderr);
      const keys = await crypto.subtle.generateKey(
        {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        },
        true,
        ["sign", "verify"],
      );
      await Deno.writeTextFile(
        join(dir, "sa.key"),
        pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey)),
      );
      await Deno.writeTextFile(
        join(dir, "sa.pub"),
        pem("PUBLIC KEY", await crypto.subtle.exportKey("spki", keys.publicKey)),
      );
      const token = () => crypto.randomUUID().replaceAll("-", "");
      const adminToken = token();
      const tokens = Object.fromEntries(users.map((u) => [u, token()]));
      await Deno.writeTextFile(
        join(dir, "tokens.csv"),
        [
          `${adminToken},admin,admin,"system:masters"`,
          ...Object.entries(tokens).map(([u, t], i) => `${t},${u},u${i}`),
        ].join("\n") + "\n",
      );
      const certDir = join(dir, "certs");
      const apiserver = new Deno.Command("sh", {
        args: [
          "-c",
          'exec "$0" "$@"',
          apiserverPath(),
          `--etcd-servers=${etcdUrl}`,
          "--bind-address=127.0.0.1",
          `--secure-port=${secure}`,
          `--cert-dir=${certDir}`,
          `--token-auth-file=${join(dir, "tokens.csv")}`,
          "--authorization-mode=RBAC",
          "--service-account-issuer=https://kubernetes.default.svc",
          `--service-account-key-file=${join(dir, "sa.pub")}`,
          `--service-account-signing-key-file=${join(dir, "sa.key")}`,
          "--service-cluster-ip-range=10.96.0.0/16",
          "--endpoint-reconciler-type=none",
          // No controller-manager makes the default ServiceAccount; devaipod's pods use none.
          "--disable-admission-plugins=ServiceAccount",
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      procs.push(apiserver);
      const errText = collect(apiserver.stderr);
      let exited: string | undefined;
      etcd.status.then(() => exited ??= `etcd:\n${etcdErr.join("")}`);
      apiserver.status.then(() => exited ??= `kube-apiserver:\n${errText.join("")}`);
      const url = `https://127.0.0.1:${secure}`;
      const caFile = join(certDir, "apiserver.crt");
      const deadline = Date.now() + 60_000;
      let client: Deno.HttpClient | undefined;
      while (Date.now() < deadline) {
        if (exited !== undefined) {
          client?.close();
          const text = exited.slice(-3000);
          throw /address already in use/.test(text)
            ? new PortTaken(text)
            : new Error(`the API server did not start: ${text}`);
        }
        try {
          client ??= Deno.createHttpClient({ caCerts: [await Deno.readTextFile(caFile)] });
          const r = await fetch(`${url}/readyz`, {
            client,
            headers: { authorization: `Bearer ${adminToken}` },
          });
          await r.body?.cancel();
          if (r.status === 200) {
            return new KubeServer({ url, adminToken, tokens, dir, procs, client, caFile });
          }
        } catch {
          // Not listening yet, or its certificate not (wholly) written yet: read it again.
          client?.close();
          client = undefined;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      client?.close();
      throw new Error(`kube-apiserver was not ready within 60s:\n${errText.join("").slice(-3000)}`);
    } catch (err) {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw err;
    }
  }

  /** One API call as `token`'s user (admin by default); the answer's status and JSON body. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    token = this.adminToken,
  ): Promise<KubeAnswer> {
    const r = await fetch(`${this.url}${path}`, {
      method,
      client: this.#client,
      headers: {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { text };
    }
    return { status: r.status, body: parsed };
  }

  /**
   * Makes `namespace` with devaipod's Role (lib/kube/role.ts) bound to each of `users`, and to
   * each of `less` a copy of it without one verb on one resource (`[user, resource, verb]`).
   */
  async namespaceWithRole(
    namespace: string,
    users: readonly string[],
    less: readonly [string, string, string][] = [],
  ): Promise<void> {
    const ok = (a: KubeAnswer, what: string) => {
      if (a.status < 200 || a.status >= 300) {
        throw new Error(`${what}: ${a.status} ${JSON.stringify(a.body)}`);
      }
    };
    ok(
      await this.request("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: namespace },
      }),
      "namespace",
    );
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}`;
    const bind = async (user: string, role: string) =>
      ok(
        await this.request("POST", `${rbac}/rolebindings`, {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: user, namespace },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role },
          subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
        }),
        `rolebinding ${user}`,
      );
    ok(await this.request("POST", `${rbac}/roles`, devaipodRole(namespace)), "role");
    for (const user of users) await bind(user, "devaipod");
    for (const [user, resource, verb] of less) {
      const rules = DEVAIPOD_ROLE_RULES.map((r) =>
        r.resources.includes(resource) ? { ...r, verbs: r.verbs.filter((v) => v !== verb) } : r
      );
      ok(
        await this.request("POST", `${rbac}/roles`, {
          ...devaipodRole(namespace),
          metadata: { name: `less-${user}`, namespace },
          rules,
        }),
        `role less-${user}`,
      );
      await bind(user, `less-${user}`);
    }
  }

  /** Writes a kubeconfig for `user` (context `test`, in `namespace`) to `file`. */
  async writeKubeconfig(file: string, user: string, namespace: string): Promise<void> {
    const token = user === "admin" ? this.adminToken : this.tokens[user];
    if (!token) throw new Error(`no token for user ${user}`);
    const ca = btoa(await Deno.readTextFile(this.caFile));
    await Deno.writeTextFile(
      file,
      [
        "apiVersion: v1",
        "kind: Config",
        "current-context: test",
        "clusters:",
        "  - name: test",
        "    cluster:",
        `      server: ${this.url}`,
        `      certificate-authority-data: ${ca}`,
        "users:",
        `  - name: ${user}`,
        "    user:",
        `      token: ${token}`,
        "contexts:",
        "  - name: test",
        "    context:",
        "      cluster: test",
        `      user: ${user}`,
        `      namespace: ${namespace}`,
        "",
      ].join("\n"),
    );
  }

  /** Stops the API server and etcd, and removes their data. */
  async stop(): Promise<void> {
    this.#client.close();
    for (const p of [...this.#procs].reverse()) {
      try {
        p.kill("SIGTERM");
      } catch { /* gone */ }
      await p.status.catch(() => {});
    }
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
