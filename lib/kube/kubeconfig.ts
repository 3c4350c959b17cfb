/**
 * Where the Kubernetes backend connects, and as whom: a kubeconfig's context (`KUBECONFIG`, else
 * `~/.kube/config`), or the in-cluster service account when devaipod runs in a Pod. The parsing
 * is pure ({@link kubeTargetFrom}); {@link loadKubeTarget} reads the files. Bearer tokens and
 * client certificates are supported; exec and auth-provider plugins are refused by name.
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError, UsageError } from "../errors.ts";

/** A cluster to talk to: its API server, how to trust it, who we are, and the namespace. */
export interface KubeTarget {
  /** The context's name (`in-cluster` inside a Pod). */
  context: string;
  server: string;
  namespace: string;
  /** PEM of the CA that signs the server's certificate (else the system's roots). */
  ca?: string;
  /** Skip the server's certificate check (the kubeconfig says so). */
  insecure?: boolean;
  token?: string;
  /** PEM client certificate and key. */
  clientCert?: { cert: string; key: string };
}

const kubeconfigSchema = z.object({
  "current-context": z.string().nullish(),
  clusters: z.array(
    z.object({
      name: z.string(),
      cluster: z.object({
        server: z.string(),
        "certificate-authority": z.string().optional(),
        "certificate-authority-data": z.string().optional(),
        "insecure-skip-tls-verify": z.boolean().optional(),
      }).passthrough(),
    }).passthrough(),
  ).nullish(),
  users: z.array(
    z.object({
      name: z.string(),
      user: z.object({
        token: z.string().optional(),
        tokenFile: z.string().optional(),
        "client-certificate": z.string().optional(),
        "client-certificate-data": z.string().optional(),
        "client-key": z.string().optional(),
        "client-key-data": z.string().optional(),
        exec: z.unknown().optional(),
        "auth-provider": z.unknown().optional(),
        username: z.string().optional(),
      }).passthrough().nullish(),
    }).passthrough(),
  ).nullish(),
  contexts: z.array(
    z.object({
      name: z.string(),
      context: z.object({
        cluster: z.string(),
        user: z.string().optional(),
        namespace: z.string().optional(),
      }).passthrough(),
    }).passthrough(),
  ).nullish(),
}).passthrough();

/** Reads a file a kubeconfig names (relative to the kubeconfig's folder). */
export type ReadFile = (path: string) => string;

/**
 * The target of `context` (else the current context) in a kubeconfig's `text`. Errors name
 * `file`; files the kubeconfig points to are read with `read` (relative to its folder).
 *
 * @example
 * ```ts
 * const t = kubeTargetFrom(text, "/home/me/.kube/config", { readFile: Deno.readTextFileSync });
 * ```
 */
export function kubeTargetFrom(
  text: string,
  file: string,
  options: { context?: string; namespace?: string; readFile: ReadFile },
): KubeTarget {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not a kubeconfig: ${(err as Error).message.split("\n")[0]}`);
  }
  const parsed = kubeconfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${file}: not a kubeconfig: ${issue?.path.join(".")}: ${issue?.message}`,
    );
  }
  const config = parsed.data;
  const name = options.context ?? config["current-context"] ?? undefined;
  if (!name) {
    throw new ConfigError(`${file}: no current context`, {
      hint: "pass --context, or `kubectl config use-context NAME`",
    });
  }
  const context = (config.contexts ?? []).find((c) => c.name === name)?.context;
  if (!context) {
    throw (options.context
      ? new UsageError(`--context: ${file} has no context '${name}'`)
      : new ConfigError(`${file}: no context named '${name}'`));
  }
  const cluster = (config.clusters ?? []).find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) {
    throw new ConfigError(
      `${file}: context '${name}' names cluster '${context.cluster}', which is not there`,
    );
  }
  const user = context.user === undefined
    ? undefined
    : (config.users ?? []).find((u) => u.name === context.user);
  if (context.user !== undefined && !user) {
    throw new ConfigError(
      `${file}: context '${name}' names user '${context.user}', which is not there`,
    );
  }
  const u = user?.user ?? {};
  if (u.exec !== undefined || u["auth-provider"] !== undefined) {
    throw new ConfigError(
      `${file}: user '${context.user}' signs in through an ${
        u.exec !== undefined ? "exec" : "auth-provider"
      } plugin, which devaipod does not run`,
      {
        hint:
          "use a context with a token (for example a service account's) or a client certificate",
      },
    );
  }
  const read = (path: string) => {
    const full = path.startsWith("/") ? path : `${file.slice(0, file.lastIndexOf("/") + 1)}${path}`;
    try {
      return options.readFile(full);
    } catch (err) {
      throw new ConfigError(`${file}: cannot read '${full}': ${(err as Error).message}`);
    }
  };
  const pem = (field: string, data: string | undefined, path: string | undefined) => {
    if (data === undefined) return path !== undefined ? read(path) : undefined;
    try {
      return new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
    } catch {
      throw new ConfigError(`${file}: ${field} of context '${name}' is not base64`);
    }
  };
  const ca = pem(
    "certificate-authority-data",
    cluster["certificate-authority-data"],
    cluster["certificate-authority"],
  );
  const cert = pem(
    "client-certificate-data",
    u["client-certificate-data"],
    u["client-certificate"],
  );
  const key = pem("client-key-data", u["client-key-data"], u["client-key"]);
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      `${file}: user '${context.user}' has a client ${
        cert === undefined ? "key" : "certificate"
      } without its ${cert === undefined ? "certificate" : "key"}`,
    );
  }
  const token = u.token ?? (u.tokenFile !== undefined ? read(u.tokenFile).trim() : undefined);
  return {
    context: name,
    server: cluster.server.replace(/\/+$/, ""),
    namespace: options.namespace ?? context.namespace ?? "default",
    ...(ca !== undefined ? { ca } : {}),
    ...(cluster["insecure-skip-tls-verify"] ? { insecure: true } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(cert !== undefined && key !== undefined ? { clientCert: { cert, key } } : {}),
  };
}

/** Where a Pod's service account is mounted. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The environment {@link loadKubeTarget} reads. */
export interface KubeEnv {
  get(name: string): string | undefined;
}

/**
 * The cluster to use: `KUBECONFIG`'s first file that exists (else `~/.kube/config`) with its
 * context, or, when there is none and devaipod runs in a Pod, the Pod's service account.
 */
export function loadKubeTarget(
  env: KubeEnv,
  options: { context?: string; namespace?: string; readFile?: ReadFile } = {},
): KubeTarget {
  const readFile = options.readFile ?? Deno.readTextFileSync;
  const home = env.get("HOME");
  // An empty KUBECONFIG is unset, as kubectl reads it.
  const listed = (env.get("KUBECONFIG") ?? "").split(":").filter((f) => f !== "");
  const files = listed.length ? listed : home ? [`${home}/.kube/config`] : [];
  for (const file of files) {
    let text: string;
    try {
      text = readFile(file);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw new ConfigError(`cannot read kubeconfig '${file}': ${(err as Error).message}`);
    }
    return kubeTargetFrom(text, file, { ...options, readFile });
  }
  const host = env.get("KUBERNETES_SERVICE_HOST");
  if (host && options.context === undefined) {
    const port = env.get("KUBERNETES_SERVICE_PORT") ?? "443";
    const sa = (f: string) => {
      try {
        return readFile(`${SERVICE_ACCOUNT_DIR}/${f}`);
      } catch (err) {
        throw new ConfigError(
          `running in a Pod, but its service account's ${SERVICE_ACCOUNT_DIR}/${f} cannot be read: ${
            (err as Error).message
          }`,
          {
            hint:
              "mount the service account token (automountServiceAccountToken), or set KUBECONFIG",
          },
        );
      }
    };
    const h = host.includes(":") ? `[${host}]` : host;
    return {
      context: "in-cluster",
      server: `https://${h}:${port}`,
      namespace: options.namespace ?? sa("namespace").trim(),
      ca: sa("ca.crt"),
      token: sa("token").trim(),
    };
  }
  throw new ConfigError(
    `no kubeconfig (${files.length ? files.join(", ") : "no HOME"}) and not running in a Pod`,
    { hint: "set KUBECONFIG, or write ~/.kube/config (kubectl config set-cluster …)" },
  );
}
