/**
 * The one place the Kubernetes backend talks to a cluster: a small typed client over `fetch`
 * (the official `@kubernetes/client-node` works under Deno, but its import alone takes ~0.75 s,
 * four times kubectl's whole `get`; `list` could not meet its goal with it). Requests are data
 * (method, path, body); answers go through zod; failures carry the server's own Status message.
 */
import { z } from "zod";
import { ConflictError, DevaipodError, ExitCode, NotFoundError } from "../errors.ts";
import type { KubeTarget } from "./kubeconfig.ts";

/** The API server answered with an error (or could not be reached). Exit 11. */
export class KubeApiError extends DevaipodError {
  override readonly name = "KubeApiError";
  readonly status: number;
  readonly reason: string | undefined;
  constructor(
    what: string,
    status: number,
    message: string,
    options: { reason?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(`${what}: ${status ? `${status} ` : ""}${message}`, ExitCode.cluster, {
      ...(options.hint ? { hint: options.hint } : {}),
      ...(options.cause ? { cause: options.cause } : {}),
    });
    this.status = status;
    this.reason = options.reason;
  }
}

/** The server's `Status` object (the body of every failure). */
const statusSchema = z.object({
  kind: z.literal("Status").optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
}).passthrough();

/** Metadata every object carries. */
export const objectMetaSchema = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  uid: z.string().optional(),
}).passthrough();

/** Any object, as far as devaipod reads it generically. */
export const kubeObjectSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: objectMetaSchema,
}).passthrough();

/** A list answer. */
function listSchema<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item) }).passthrough();
}

/** The resources devaipod touches: their API paths and plural names. */
const RESOURCES: Readonly<Record<string, { group: string; plural: string }>> = {
  ConfigMap: { group: "", plural: "configmaps" },
  PersistentVolumeClaim: { group: "", plural: "persistentvolumeclaims" },
  Pod: { group: "", plural: "pods" },
  Secret: { group: "", plural: "secrets" },
  Service: { group: "", plural: "services" },
  NetworkPolicy: { group: "networking.k8s.io", plural: "networkpolicies" },
};

/** The kinds devaipod creates, in the order it deletes them (Pods first, claims last). */
export const KINDS = [
  "Pod",
  "NetworkPolicy",
  "Service",
  "ConfigMap",
  "Secret",
  "PersistentVolumeClaim",
] as const;

/** One of {@link KINDS}. */
export type Kind = (typeof KINDS)[number];

/** The collection path of `kind` in `namespace`, or of one object when `name` is given. */
export function resourcePath(kind: string, namespace: string, name?: string): string {
  const r = RESOURCES[kind];
  if (!r) throw new Error(`no API path for kind ${kind}`);
  const base = r.group === "" ? "/api/v1" : `/apis/${r.group}/v1`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}${
    name ? `/${encodeURIComponent(name)}` : ""
  }`;
}

/** A label selector's query text (`k=v,k2=v2`; a key with `true` is "has the label"). */
export function labelSelector(labels: Readonly<Record<string, string | true>>): string {
  return Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`)).join(",");
}

/** How the client reaches the server: `fetch` with a client that trusts the target's CA. */
export interface KubeTransport {
  fetch(url: string, init: RequestInit): Promise<Response>;
  /** The HTTP client (its TLS settings), for WebSockets (exec). */
  httpClient?: Deno.HttpClient;
  close(): void;
}

/** The transport of a target: an HTTP client with its CA and client certificate. */
export function httpTransport(target: KubeTarget): KubeTransport {
  const client = Deno.createHttpClient({
    ...(target.ca ? { caCerts: [target.ca] } : {}),
    ...(target.clientCert ? { cert: target.clientCert.cert, key: target.clientCert.key } : {}),
  });
  return {
    fetch: (url, init) => fetch(url, { ...init, client }),
    httpClient: client,
    close: () => client.close(),
  };
}

/** Options of one request. */
export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Statuses answered without throwing (their body is returned as is). */
  accept?: readonly number[];
  contentType?: string;
  /** Return the body as text, unparsed (logs). */
  text?: boolean;
}

/**
 * A typed client of one cluster and namespace.
 *
 * @example
 * ```ts
 * const kube = KubeClient.connect(loadKubeTarget(Deno.env));
 * const pods = await kube.list("Pod", { "io.devaipod.workspace": true }, kubeObjectSchema);
 * ```
 */
export class KubeClient {
  readonly target: KubeTarget;
  readonly #transport: KubeTransport;

  constructor(target: KubeTarget, transport: KubeTransport) {
    this.target = target;
    this.#transport = transport;
  }

  /** A client of `target` over HTTPS. */
  static connect(target: KubeTarget): KubeClient {
    if (target.insecure) {
      throw new DevaipodError(
        `context '${target.context}' skips the server's certificate check (insecure-skip-tls-verify), which devaipod does not do`,
        ExitCode.config,
        { hint: "give the cluster's CA (certificate-authority-data) in the kubeconfig" },
      );
    }
    return new KubeClient(target, httpTransport(target));
  }

  /** The HTTP client of the transport (its CA and client certificate), for WebSockets. */
  get httpClient(): Deno.HttpClient | undefined {
    return this.#transport.httpClient;
  }

  /** The namespace this client works in. */
  get namespace(): string {
    return this.target.namespace;
  }

  /** Closes the connections. */
  close(): void {
    this.#transport.close();
  }

  /** The request's headers (authorization included). */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      accept: "application/json",
      ...(this.target.token ? { authorization: `Bearer ${this.target.token}` } : {}),
      ...extra,
    };
  }

  /** One call; the answer's JSON, or a {@link KubeApiError} with the server's message. */
  async request(
    method: string,
    path: string,
    what: string,
    options: RequestOptions = {},
  ): Promise<{ status: number; body: unknown }> {
    const query = Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined) as [
      string,
      string,
    ][];
    const url = `${this.target.server}${path}${
      query.length ? `?${new URLSearchParams(query)}` : ""
    }`;
    let r: Response;
    try {
      r = await this.#transport.fetch(url, {
        method,
        headers: this.headers(
          options.body !== undefined
            ? { "content-type": options.contentType ?? "application/json" }
            : {},
        ),
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
    } catch (err) {
      throw new KubeApiError(
        what,
        0,
        `cannot reach ${this.target.server} (context ${this.target.context}): ${
          (err as Error).message
        }`,
        { cause: err },
      );
    }
    const text = await r.text();
    let body: unknown = text;
    if (!(options.text && r.ok)) {
      try {
        body = text ? JSON.parse(text) : {};
      } catch { /* not JSON: kept as text */ }
    }
    if (r.ok || options.accept?.includes(r.status)) return { status: r.status, body };
    const status = statusSchema.safeParse(body);
    const message = status.success && status.data.message
      ? status.data.message
      : String(text).trim().slice(0, 300) || r.statusText;
    const reason = status.success ? status.data.reason : undefined;
    if (r.status === 409 && reason === "AlreadyExists") {
      throw new ConflictError(`${what}: ${message}`);
    }
    if (r.status === 404) throw new NotFoundError(`${what}: ${message}`);
    throw new KubeApiError(what, r.status, message, {
      ...(reason ? { reason } : {}),
      ...(r.status === 403
        ? { hint: 'the user needs devaipod\'s Role in this namespace (README, "Kubernetes")' }
        : r.status === 401
        ? { hint: `the credentials of context '${this.target.context}' were refused` }
        : {}),
    });
  }

  /** Creates `object` in this namespace (strict field validation). */
  async create(object: { kind: string; metadata: { name: string } }): Promise<unknown> {
    const r = await this.request(
      "POST",
      resourcePath(object.kind, this.namespace),
      `create ${object.kind} ${object.metadata.name}`,
      { body: object, query: { fieldValidation: "Strict" } },
    );
    return r.body;
  }

  /** One object, or undefined when it does not exist. */
  async get<T extends z.ZodTypeAny>(
    kind: string,
    name: string,
    schema: T,
  ): Promise<z.infer<T> | undefined> {
    const r = await this.request(
      "GET",
      resourcePath(kind, this.namespace, name),
      `get ${kind} ${name}`,
      { accept: [404] },
    );
    return r.status === 404 ? undefined : parse(schema, r.body, `${kind} ${name}`);
  }

  /** The objects of `kind` with `labels`. */
  async list<T extends z.ZodTypeAny>(
    kind: string,
    labels: Readonly<Record<string, string | true>>,
    schema: T,
  ): Promise<z.infer<T>[]> {
    const r = await this.request(
      "GET",
      resourcePath(kind, this.namespace),
      `list ${kind}`,
      { query: { labelSelector: labelSelector(labels) } },
    );
    return parse(listSchema(schema), r.body, `${kind} list`).items;
  }

  /** Deletes one object; false when it was not there. */
  async delete(kind: string, name: string, gracePeriodSeconds?: number): Promise<boolean> {
    const r = await this.request(
      "DELETE",
      resourcePath(kind, this.namespace, name),
      `delete ${kind} ${name}`,
      {
        accept: [404],
        ...(gracePeriodSeconds !== undefined
          ? { query: { gracePeriodSeconds: String(gracePeriodSeconds) } }
          : {}),
      },
    );
    return r.status !== 404;
  }

  /**
   * A Pod's container's output as it comes (`follow`): the stream ends when the container does,
   * or when `signal` aborts.
   */
  async followLogs(
    pod: string,
    container: string,
    options: { tail?: number; signal?: AbortSignal } = {},
  ): Promise<ReadableStream<Uint8Array>> {
    const query = new URLSearchParams({
      container,
      follow: "true",
      ...(options.tail !== undefined ? { tailLines: String(options.tail) } : {}),
    });
    const what = `logs of ${pod}`;
    let r: Response;
    try {
      r = await this.#transport.fetch(
        `${this.target.server}${resourcePath("Pod", this.namespace, pod)}/log?${query}`,
        { headers: this.headers(), ...(options.signal ? { signal: options.signal } : {}) },
      );
    } catch (err) {
      throw new KubeApiError(
        what,
        0,
        `cannot reach ${this.target.server}: ${(err as Error).message}`,
      );
    }
    if (!r.ok || !r.body) {
      const text = await r.text();
      const status = statusSchema.safeParse((() => {
        try {
          return JSON.parse(text);
        } catch {
          return {};
        }
      })());
      throw new KubeApiError(
        what,
        r.status,
        status.success && status.data.message ? status.data.message : text.slice(0, 300),
      );
    }
    return r.body;
  }

  /** The text a Pod's container printed (`tail` lines). */
  async logs(pod: string, container: string, tail?: number): Promise<string> {
    const r = await this.request(
      "GET",
      `${resourcePath("Pod", this.namespace, pod)}/log`,
      `logs of ${pod}`,
      {
        query: { container, ...(tail !== undefined ? { tailLines: String(tail) } : {}) },
        text: true,
      },
    );
    return String(r.body);
  }
}

function parse<T extends z.ZodTypeAny>(schema: T, body: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new KubeApiError(
      `read ${what}`,
      0,
      `unexpected answer: ${issue?.path.join(".")}: ${issue?.message}`,
    );
  }
  return r.data;
}
