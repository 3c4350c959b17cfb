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

import { apiserverPath, kubeVersion } from "./kube_build.ts";

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
  if (!exists(apiserverPath())) {
    return `kube-apiserver ${kubeVersion()} is not built (run \`deno task kube-apiserver\`)`;
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

function freePort(): number {
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
      const [etcdPort, peer, secure] = [freePort(), freePort(), freePort()];
      const etcdUrl = `http://127.0.0.1:${etcdPort}`;
      procs.push(
        new Deno.Command("etcd", {
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
          stderr: "null",
        }).spawn(),
      );
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
      // Keep its output for a failure message, without blocking it.
      const errText: string[] = [];
      (async () => {
        for await (const chunk of apiserver.stderr.pipeThrough(new TextDecoderStream())) {
          errText.push(chunk);
          if (errText.length > 200) errText.shift();
        }
      })();
      const url = `https://127.0.0.1:${secure}`;
      const caFile = join(certDir, "apiserver.crt");
      const deadline = Date.now() + 60_000;
      let client: Deno.HttpClient | undefined;
      while (Date.now() < deadline) {
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
          // not listening yet, or its certificate not written yet
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
