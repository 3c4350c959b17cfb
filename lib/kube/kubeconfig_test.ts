import { assertEquals, assertMatch, assertThrows } from "../../tests/support/assert.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { kubeTargetFrom, loadKubeTarget, SERVICE_ACCOUNT_DIR } from "./kubeconfig.ts";
import type { KubeEnv, KubeTarget, ReadFile } from "./kubeconfig.ts";

const FILE = "/home/dev/.kube/config";
const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIca\n-----END CERTIFICATE-----\n";
const CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIclient\n-----END CERTIFICATE-----\n";
const KEY_PEM = "-----BEGIN PRIVATE KEY-----\nMIIkey\n-----END PRIVATE KEY-----\n";

/** A fake file system: returns `files[path]`, records every path asked, NotFound otherwise. */
function fakeFiles(files: Record<string, string> = {}): { readFile: ReadFile; read: string[] } {
  const read: string[] = [];
  const readFile = (path: string) => {
    read.push(path);
    const text = files[path];
    if (text === undefined) throw new Deno.errors.NotFound(`No such file: '${path}'`);
    return text;
  };
  return { readFile, read };
}

function envOf(vars: Record<string, string>): KubeEnv {
  return { get: (name) => vars[name] };
}

// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * A kubeconfig (as JSON, which is YAML) with one cluster `dev`, one user `dev` (a token) and the
 * contexts `dev` (current, namespace `work`) and `bare` (no user, no namespace); `patch` changes
 * it before it is written.
 */
function kubeconfig(patch: (c: Any) => void = () => {}): string {
  const config: Any = {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "dev",
    clusters: [
      {
        name: "dev",
        cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": btoa(CA_PEM) },
      },
      { name: "other", cluster: { server: "https://other.example:443" } },
    ],
    users: [{ name: "dev", user: { token: "tok-dev" } }],
    contexts: [
      { name: "dev", context: { cluster: "dev", user: "dev", namespace: "work" } },
      { name: "bare", context: { cluster: "other" } },
    ],
  };
  patch(config);
  return JSON.stringify(config);
}

Deno.test("kubeTargetFrom() reads a token and an inline CA from the current context", () => {
  const text = [
    "apiVersion: v1",
    "kind: Config",
    "current-context: dev",
    "clusters:",
    "- name: dev",
    "  cluster:",
    "    server: https://10.0.0.1:6443",
    `    certificate-authority-data: ${btoa(CA_PEM)}`,
    "users:",
    "- name: dev",
    "  user:",
    "    token: tok-dev",
    "contexts:",
    "- name: dev",
    "  context:",
    "    cluster: dev",
    "    user: dev",
    "    namespace: work",
    "",
  ].join("\n");
  const files = fakeFiles();
  assertEquals(kubeTargetFrom(text, FILE, { readFile: files.readFile }), {
    context: "dev",
    server: "https://10.0.0.1:6443",
    namespace: "work",
    ca: CA_PEM,
    token: "tok-dev",
  });
  assertEquals(files.read, []);
});

Deno.test("kubeTargetFrom() uses the context that --context names instead of the current one", () => {
  const { readFile } = fakeFiles();
  assertEquals(kubeTargetFrom(kubeconfig(), FILE, { context: "bare", readFile }), {
    context: "bare",
    server: "https://other.example:443",
    namespace: "default",
  });
});

Deno.test("kubeTargetFrom() takes the namespace from the options, else the context, else 'default'", () => {
  const cases: { name: string; context?: string; namespace?: string; expected: string }[] = [
    { name: "context's", expected: "work" },
    { name: "option wins over context's", namespace: "mine", expected: "mine" },
    { name: "none anywhere", context: "bare", expected: "default" },
    { name: "option without context's", context: "bare", namespace: "mine", expected: "mine" },
  ];
  for (const c of cases) {
    const { readFile } = fakeFiles();
    const t = kubeTargetFrom(kubeconfig(), FILE, {
      readFile,
      ...(c.context ? { context: c.context } : {}),
      ...(c.namespace ? { namespace: c.namespace } : {}),
    });
    assertEquals({ name: c.name, namespace: t.namespace }, { name: c.name, namespace: c.expected });
  }
});

Deno.test("kubeTargetFrom() reads CA, client certificate, key and token files, relative ones from the kubeconfig's folder", () => {
  const text = kubeconfig((c) => {
    c.clusters[0].cluster = { server: "https://10.0.0.1:6443", "certificate-authority": "ca.crt" };
    c.users[0].user = {
      "client-certificate": "/etc/kube/client.crt",
      "client-key": "keys/client.key",
      tokenFile: "../token",
    };
  });
  const files = fakeFiles({
    "/home/dev/.kube/ca.crt": CA_PEM,
    "/etc/kube/client.crt": CERT_PEM,
    "/home/dev/.kube/keys/client.key": KEY_PEM,
    "/home/dev/.kube/../token": "tok-from-file\n",
  });
  assertEquals(kubeTargetFrom(text, FILE, { readFile: files.readFile }), {
    context: "dev",
    server: "https://10.0.0.1:6443",
    namespace: "work",
    ca: CA_PEM,
    token: "tok-from-file",
    clientCert: { cert: CERT_PEM, key: KEY_PEM },
  });
  assertEquals(files.read.toSorted(), [
    "/etc/kube/client.crt",
    "/home/dev/.kube/../token",
    "/home/dev/.kube/ca.crt",
    "/home/dev/.kube/keys/client.key",
  ]);
});

Deno.test("kubeTargetFrom() decodes inline client certificate and key data", () => {
  const text = kubeconfig((c) => {
    c.users[0].user = {
      "client-certificate-data": btoa(CERT_PEM),
      "client-key-data": btoa(KEY_PEM),
    };
  });
  const files = fakeFiles();
  const t = kubeTargetFrom(text, FILE, { readFile: files.readFile });
  assertEquals(t.clientCert, { cert: CERT_PEM, key: KEY_PEM });
  assertEquals(t.token, undefined);
  assertEquals(files.read, []);
});

Deno.test("kubeTargetFrom() strips trailing slashes from the server and keeps insecure-skip-tls-verify", () => {
  const text = kubeconfig((c) => {
    c.clusters[0].cluster = {
      server: "https://api.example:6443//",
      "insecure-skip-tls-verify": true,
    };
  });
  const t: KubeTarget = kubeTargetFrom(text, FILE, { readFile: fakeFiles().readFile });
  assertEquals({ server: t.server, insecure: t.insecure, ca: t.ca }, {
    server: "https://api.example:6443",
    insecure: true,
    ca: undefined,
  });
});

Deno.test("kubeTargetFrom() refuses broken kubeconfigs with a ConfigError that names the file", () => {
  const cases: { name: string; text: string; message: RegExp }[] = [
    {
      name: "not YAML",
      text: "clusters: [\n  - {",
      message: /^\/home\/dev\/\.kube\/config: not a kubeconfig: /,
    },
    {
      name: "wrong shape",
      text: "clusters: 5\n",
      message: /^\/home\/dev\/\.kube\/config: not a kubeconfig: clusters: /,
    },
    {
      name: "a scalar",
      text: "hello\n",
      message: /^\/home\/dev\/\.kube\/config: not a kubeconfig/,
    },
    {
      name: "no current context",
      text: kubeconfig((c) => delete c["current-context"]),
      message: /config: no current context$/,
    },
    {
      name: "empty current context",
      text: kubeconfig((c) => (c["current-context"] = "")),
      message: /config: no current context$/,
    },
    {
      name: "current context missing",
      text: kubeconfig((c) => (c["current-context"] = "gone")),
      message: /config: no context named 'gone'$/,
    },
    {
      name: "cluster missing",
      text: kubeconfig((c) => (c.contexts[0].context.cluster = "nowhere")),
      message: /context 'dev' names cluster 'nowhere', which is not there/,
    },
    {
      name: "user missing",
      text: kubeconfig((c) => (c.contexts[0].context.user = "nobody")),
      message: /context 'dev' names user 'nobody', which is not there/,
    },
    {
      name: "exec plugin",
      text: kubeconfig((
        c,
      ) => (c.users[0].user = { exec: { command: "aws", args: ["eks", "get-token"] } })),
      message: /user 'dev' signs in through an exec plugin, which devaipod does not run/,
    },
    {
      name: "auth-provider plugin",
      text: kubeconfig((c) => (c.users[0].user = { "auth-provider": { name: "gcp" } })),
      message: /user 'dev' signs in through an auth-provider plugin, which devaipod does not run/,
    },
  ];
  for (const c of cases) {
    const { readFile } = fakeFiles();
    const err = assertThrows(() => kubeTargetFrom(c.text, FILE, { readFile }), ConfigError);
    assertEquals(err.exitCode, 3);
    assertMatch(
      `${c.name}: ${err.message}`,
      new RegExp(`^${c.name}: .*${FILE.replaceAll(".", "\\.")}`),
    );
    assertMatch(err.message, c.message);
  }
});

Deno.test("kubeTargetFrom() answers an unknown --context with a UsageError", () => {
  const { readFile } = fakeFiles();
  const err = assertThrows(
    () => kubeTargetFrom(kubeconfig(), FILE, { context: "gone", readFile }),
    UsageError,
  );
  assertEquals(err.exitCode, 2);
  assertMatch(err.message, /^--context: \/home\/dev\/\.kube\/config has no context 'gone'$/);
});

Deno.test("kubeTargetFrom() names the path of a referenced file it cannot read", () => {
  const cases: { name: string; patch: (c: Any) => void; path: string }[] = [
    {
      name: "certificate-authority",
      patch: (
        c,
      ) => (c.clusters[0].cluster = { server: "https://x", "certificate-authority": "ca.crt" }),
      path: "/home/dev/.kube/ca.crt",
    },
    {
      name: "client-certificate",
      patch: (
        c,
      ) => (c.users[0].user = {
        "client-certificate": "/etc/c.crt",
        "client-key-data": btoa(KEY_PEM),
      }),
      path: "/etc/c.crt",
    },
    {
      name: "client-key",
      patch: (
        c,
      ) => (c.users[0].user = { "client-certificate-data": btoa(CERT_PEM), "client-key": "k.key" }),
      path: "/home/dev/.kube/k.key",
    },
    {
      name: "tokenFile",
      patch: (c) => (c.users[0].user = { tokenFile: "sa/token" }),
      path: "/home/dev/.kube/sa/token",
    },
  ];
  for (const c of cases) {
    const files = fakeFiles();
    const err = assertThrows(
      () => kubeTargetFrom(kubeconfig(c.patch), FILE, { readFile: files.readFile }),
      ConfigError,
    );
    assertEquals({ name: c.name, read: files.read }, { name: c.name, read: [c.path] });
    assertMatch(err.message, new RegExp(`^${FILE}: cannot read '${c.path}': No such file`));
  }
});

Deno.test("kubeTargetFrom() refuses certificate-authority-data that is not base64 with a ConfigError naming the file", () => {
  const text = kubeconfig((
    c,
  ) => (c.clusters[0].cluster["certificate-authority-data"] = "not base64!"));
  const err = assertThrows(
    () => kubeTargetFrom(text, FILE, { readFile: fakeFiles().readFile }),
    ConfigError,
  );
  assertMatch(err.message, /config: certificate-authority-data of context 'dev' is not base64/);
});

Deno.test("loadKubeTarget() skips KUBECONFIG files that do not exist and uses the first that does", () => {
  const files = fakeFiles({
    "/b/config": kubeconfig(),
    "/c/config": kubeconfig((c) => (c["current-context"] = "bare")),
  });
  const t = loadKubeTarget(
    envOf({ KUBECONFIG: "/a/missing::/b/config:/c/config", HOME: "/home/dev" }),
    {
      readFile: files.readFile,
    },
  );
  assertEquals({ context: t.context, token: t.token }, { context: "dev", token: "tok-dev" });
  assertEquals(files.read, ["/a/missing", "/b/config"]);
});

// kubectl (client-go) treats an empty KUBECONFIG as unset.
Deno.test("loadKubeTarget() treats an empty KUBECONFIG as unset and reads ~/.kube/config", () => {
  const files = fakeFiles({ "/home/dev/.kube/config": kubeconfig() });
  const t = loadKubeTarget(envOf({ KUBECONFIG: "", HOME: "/home/dev" }), {
    readFile: files.readFile,
  });
  assertEquals(t.context, "dev");
});

Deno.test("loadKubeTarget() passes --context and --namespace to the kubeconfig and reads its files relative to it", () => {
  const files = fakeFiles({
    "/b/config": kubeconfig((c) => (c.clusters[1].cluster["certificate-authority"] = "ca.pem")),
    "/b/ca.pem": CA_PEM,
  });
  const t = loadKubeTarget(envOf({ KUBECONFIG: "/b/config" }), {
    context: "bare",
    namespace: "mine",
    readFile: files.readFile,
  });
  assertEquals(t, {
    context: "bare",
    server: "https://other.example:443",
    namespace: "mine",
    ca: CA_PEM,
  });
});

Deno.test("loadKubeTarget() falls back to ~/.kube/config without KUBECONFIG", () => {
  const files = fakeFiles({ "/home/dev/.kube/config": kubeconfig() });
  const t = loadKubeTarget(envOf({ HOME: "/home/dev" }), { readFile: files.readFile });
  assertEquals({ context: t.context, server: t.server }, {
    context: "dev",
    server: "https://10.0.0.1:6443",
  });
  assertEquals(files.read, ["/home/dev/.kube/config"]);
});

Deno.test("loadKubeTarget() turns an unreadable kubeconfig (other than missing) into a ConfigError", () => {
  const readFile = (path: string): string => {
    throw new Deno.errors.PermissionDenied(`Permission denied: '${path}'`);
  };
  const err = assertThrows(
    () => loadKubeTarget(envOf({ HOME: "/home/dev" }), { readFile }),
    ConfigError,
  );
  assertMatch(
    err.message,
    /^cannot read kubeconfig '\/home\/dev\/\.kube\/config': Permission denied/,
  );
});

Deno.test("loadKubeTarget() uses the Pod's service account when there is no kubeconfig", () => {
  const sa = {
    [`${SERVICE_ACCOUNT_DIR}/token`]: "sa-token\n",
    [`${SERVICE_ACCOUNT_DIR}/ca.crt`]: CA_PEM,
    [`${SERVICE_ACCOUNT_DIR}/namespace`]: "team-a\n",
  };
  const cases: {
    name: string;
    env: Record<string, string>;
    namespace?: string;
    server: string;
    ns: string;
  }[] = [
    {
      name: "IPv4 host, HOME without kubeconfig",
      env: {
        HOME: "/home/dev",
        KUBERNETES_SERVICE_HOST: "10.96.0.1",
        KUBERNETES_SERVICE_PORT: "443",
      },
      server: "https://10.96.0.1:443",
      ns: "team-a",
    },
    {
      name: "IPv6 host bracketed",
      env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "6443" },
      server: "https://[fd00::1]:6443",
      ns: "team-a",
    },
    {
      name: "no port means 443, --namespace wins",
      env: { KUBECONFIG: "/nowhere", KUBERNETES_SERVICE_HOST: "kubernetes.default.svc" },
      namespace: "mine",
      server: "https://kubernetes.default.svc:443",
      ns: "mine",
    },
  ];
  for (const c of cases) {
    const files = fakeFiles(sa);
    const t = loadKubeTarget(envOf(c.env), {
      readFile: files.readFile,
      ...(c.namespace ? { namespace: c.namespace } : {}),
    });
    assertEquals({ name: c.name, target: t }, {
      name: c.name,
      target: {
        context: "in-cluster",
        server: c.server,
        namespace: c.ns,
        ca: CA_PEM,
        token: "sa-token",
      },
    });
    assertEquals(
      { name: c.name, sa: files.read.filter((p) => p.startsWith(SERVICE_ACCOUNT_DIR)).toSorted() },
      {
        name: c.name,
        sa: (c.namespace ? ["ca.crt", "token"] : ["ca.crt", "namespace", "token"]).map((f) =>
          `${SERVICE_ACCOUNT_DIR}/${f}`
        ),
      },
    );
  }
});

Deno.test("loadKubeTarget() does not use the service account when --context names a context", () => {
  const { readFile, read } = fakeFiles();
  const err = assertThrows(
    () =>
      loadKubeTarget(envOf({ KUBERNETES_SERVICE_HOST: "10.96.0.1" }), { context: "dev", readFile }),
    ConfigError,
  );
  assertMatch(err.message, /no kubeconfig \(no HOME\) and not running in a Pod/);
  assertEquals(read, []);
});

Deno.test("loadKubeTarget() fails with a ConfigError when there is neither a kubeconfig nor a Pod", () => {
  const cases: { env: Record<string, string>; message: RegExp }[] = [
    { env: {}, message: /^no kubeconfig \(no HOME\) and not running in a Pod$/ },
    {
      env: { HOME: "/home/dev" },
      message: /^no kubeconfig \(\/home\/dev\/\.kube\/config\) and not running in a Pod$/,
    },
    {
      env: { KUBECONFIG: "/a:/b" },
      message: /^no kubeconfig \(\/a, \/b\) and not running in a Pod$/,
    },
  ];
  for (const c of cases) {
    const err = assertThrows(
      () => loadKubeTarget(envOf(c.env), { readFile: fakeFiles().readFile }),
      ConfigError,
    );
    assertEquals(err.exitCode, 3);
    assertMatch(err.message, c.message);
  }
});
