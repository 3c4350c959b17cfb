/**
 * The Kubernetes backend's renderer: one workspace's plan as Kubernetes objects. Pure: the pod
 * plan in, plain objects out, in a fixed order (ConfigMap, PersistentVolumeClaims, Services,
 * NetworkPolicies, Pods), byte-identical YAML for the same input.
 *
 * One Pod per container of the plan (workspace, agent, proxy), each locked down: non-root,
 * every capability dropped, no privilege escalation, seccomp RuntimeDefault, no service account
 * token, a read-only root where podman has one. The isolation that podman builds from networks is
 * NetworkPolicies here: the agent sends only to the proxy's port (no DNS, no other pod, no node)
 * and takes connections only from its workspace; nothing reaches the workspace. The agent finds
 * the proxy, and the workspace the agent, through the Services' environment variables
 * (`$(DEVAIPOD_…_SERVICE_HOST)`), so no DNS is needed. Secrets are referenced by name (key
 * `value`), never carried. What Kubernetes cannot say safely (privileged, added capabilities,
 * devices, verbatim runArgs) is refused with a {@link KubeRefusal}, never dropped.
 */
import { DevaipodError, ExitCode } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import { PROVIDER_PORT } from "../agents/providers.ts";
import { fill } from "../plan/bindings.ts";
import type { BindingValues, Named } from "../plan/bindings.ts";
import {
  addressBindings,
  AGENT_BIN,
  CONTAINER_PROGRAMS,
  containerDenoArgv,
  networkAddresses,
  PASSWORD_ENV,
  PROXY_ALLOW_FILE,
  PROXY_HOST,
  RUNTIME_PATHS,
  SHIMS_DIR,
  withAgentBase,
} from "../plan/pod_plan.ts";
import type { PodPlan } from "../plan/pod_plan.ts";
import type { ContainerSpec, Mount, SecretRef } from "../plan/spec.ts";

/** A Kubernetes object as rendered (plain data, serialised to YAML). */
export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
};

/** Something the plan asks that Kubernetes cannot express as safely. Exit 1. */
export class KubeRefusal extends DevaipodError {
  override readonly name = "KubeRefusal";
  constructor(object: string, field: string, why: string) {
    super(`cannot render ${object} for Kubernetes: ${field}: ${why}`, ExitCode.failure, {
      hint: "run it with the podman backend, or change the devcontainer.json",
    });
  }
}

/** Resource amounts of a container (`cpu: "2"`, `memory: "4Gi"`). */
export interface KubeResources {
  cpu?: string;
  memory?: string;
}

/** What the plan leaves open that the objects must fix. */
export interface KubeOptions {
  namespace: string;
  /** Each PersistentVolumeClaim's size (default 10Gi). */
  storage?: string;
  /** The uid and gid of the workspace and the agent (non-root). */
  user: { uid: number; gid: number };
  /** Requests of the workspace and the agent. */
  requests?: KubeResources;
  /** Limits of the workspace and the agent. */
  limits?: KubeResources;
  /**
   * devaipod's runtime image (lib/kube/runtime_image.ts), and which program in it copies: with
   * it, each Pod's init container copies devaipod's code and the agent binary from the image
   * into the Pod, and nothing comes from the node's files. Without it, the Pods mount them from
   * the node (`hostPaths`), which works only where the node is this host.
   */
  runtimeImage?: { ref: string; program: "deno" | "binary" };
}

/** Files of the runtime image that are only mount points (the proxy's allowlist). */
export const RUNTIME_PLACEHOLDERS: readonly string[] = [PROXY_ALLOW_FILE];

/** Where devaipod's runtime lives in its image and in a container. */
export const RUNTIME_ROOT = "/opt/devaipod";

/** The plan's bind mounts that the runtime image brings instead of the node. */
const FROM_RUNTIME_IMAGE: ReadonlySet<string> = new Set([
  RUNTIME_PATHS.deno,
  RUNTIME_PATHS.sources,
  RUNTIME_PATHS.binary,
  AGENT_BIN,
  SHIMS_DIR,
]);

/** A secret the objects reference: its name in Kubernetes (key `value`) and where it comes from. */
export interface KubeSecret {
  name: string;
  /** The host variable its value comes from; `random` for the agent's password; neither: the user's own. */
  env?: string;
  random?: boolean;
}

/** What {@link renderKube} returns. */
export interface KubeRender {
  objects: KubeObject[];
  secrets: KubeSecret[];
  /** Host paths the Pods mount (they must exist on the node). */
  hostPaths: string[];
}

const AGENT_PORT = 4096;
const PROXY_PORT = 3128;
const DEFAULT_STORAGE = "10Gi";
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name for a podman name: lower case, `_` as `-`. */
export function kubeName(name: string): string {
  return name.toLowerCase().replaceAll("_", "-");
}

/** The variable Kubernetes sets in a namespace's containers for a Service's address. */
export function serviceHostVariable(service: string): string {
  return `${service.toUpperCase().replaceAll("-", "_")}_SERVICE_HOST`;
}

/** `$(VAR)` in a value Kubernetes expands; a literal `$(` is written `$$(`. */
function literal(value: string): string {
  return value.replaceAll("$(", () => "$$(");
}

/** Labels that Kubernetes accepts as labels; the rest (paths, tasks) become annotations. */
function splitLabels(labels: Readonly<Record<string, string>> | undefined): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const out = { labels: {} as Record<string, string>, annotations: {} as Record<string, string> };
  for (const [k, v] of Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (v.length <= 63 && LABEL_VALUE.test(v)) out.labels[k] = v;
    else out.annotations[k] = v;
  }
  return out;
}

function metadata(
  name: string,
  namespace: string,
  labels?: Readonly<Record<string, string>>,
): KubeObject["metadata"] & { annotations?: Record<string, string> } {
  const split = splitLabels(labels);
  return {
    name,
    namespace,
    labels: split.labels,
    ...(Object.keys(split.annotations).length ? { annotations: split.annotations } : {}),
  };
}

function selector(workspace: string, role: string): Record<string, string> {
  return { [LABELS.workspace]: workspace, [LABELS.role]: role };
}

/** The role of a container of the plan, from its labels. */
function roleOf(spec: ContainerSpec): string {
  return spec.labels?.[LABELS.role] ?? spec.name;
}

/** Refuses what a Pod of devaipod's cannot carry safely. */
function refuse(spec: ContainerSpec): void {
  const object = `container ${spec.name}`;
  if (spec.privileged) throw new KubeRefusal(object, "privileged", "is never rendered");
  if (spec.capAdd?.length) {
    throw new KubeRefusal(object, "capAdd", `${spec.capAdd.join(", ")}: capabilities stay dropped`);
  }
  if (spec.devices?.length) {
    throw new KubeRefusal(object, "devices", `${spec.devices.join(", ")}: host devices`);
  }
  if (spec.extraArgs?.length) {
    throw new KubeRefusal(object, "runArgs", `${spec.extraArgs.join(" ")}: podman options`);
  }
  if (spec.interactive || spec.tty) {
    throw new KubeRefusal(object, "interactive", "a Pod's main process has no terminal");
  }
}

interface Volumes {
  volumes: Record<string, unknown>[];
  mounts: Record<string, unknown>[];
  hostPaths: string[];
  /** Paths under {@link RUNTIME_ROOT} that the init container copies from the runtime image. */
  fromImage: string[];
  /** Empty files of the image that other mounts inside {@link RUNTIME_ROOT} land on. */
  placeholders: string[];
}

/**
 * The volume the init container fills, and its scratch folder. Named by the Pod's role: `podman
 * kube play` makes one volume of the emptyDirs of one name in all the Pods it plays. The image
 * holds an empty file for each of {@link RUNTIME_PLACEHOLDERS}.
 */
const runtimeVolume = (role: string) => `${role}-runtime`;
const RUNTIME_TMP_VOLUME = "runtime-tmp";
const RUNTIME_COPY = "/runtime";

/** A container's mounts and secret files as Pod volumes and volume mounts. */
function volumesOf(
  spec: ContainerSpec,
  role: string,
  allowMap: string | undefined,
  secretName: (name: string) => string,
  fromImage: boolean,
): Volumes {
  const out: Volumes = {
    volumes: [],
    mounts: [],
    hostPaths: [],
    fromImage: [],
    placeholders: [],
  };
  spec.mounts?.forEach((m: Mount, i) => {
    const name = `m${i}`;
    if (m.type === "volume" && m.source === "") {
      // An anonymous volume lives as long as its container: the Pod's own.
      out.volumes.push({ name, emptyDir: {} });
      out.mounts.push({ name, mountPath: m.target });
    } else if (m.type === "volume") {
      out.volumes.push({ name, persistentVolumeClaim: { claimName: kubeName(m.source) } });
      out.mounts.push({ name, mountPath: m.target, ...(m.readonly ? { readOnly: true } : {}) });
    } else if (m.type === "tmpfs") {
      out.volumes.push({
        name,
        emptyDir: { medium: "Memory", ...(m.sizeBytes ? { sizeLimit: String(m.sizeBytes) } : {}) },
      });
      out.mounts.push({ name, mountPath: m.target });
    } else if (m.target === PROXY_ALLOW_FILE && allowMap) {
      out.volumes.push({ name, configMap: { name: allowMap } });
      out.mounts.push({ name, mountPath: m.target, subPath: "allow", readOnly: true });
      // Mounted over the image's empty file of that name when the runtime fills /opt/devaipod.
      if (fromImage && m.target.startsWith(`${RUNTIME_ROOT}/`)) {
        out.placeholders.push(m.target.slice(RUNTIME_ROOT.length + 1));
      }
    } else if (fromImage && FROM_RUNTIME_IMAGE.has(m.target)) {
      out.fromImage.push(m.target.slice(RUNTIME_ROOT.length + 1));
    } else {
      out.volumes.push({ name, hostPath: { path: m.source } });
      out.mounts.push({ name, mountPath: m.target, ...(m.readonly ? { readOnly: true } : {}) });
      out.hostPaths.push(m.source);
    }
  });
  // The copy fills all of /opt/devaipod (read-only), mounted before what lands inside it: a
  // mount per file would have podman make each path a folder before the copy runs.
  if (out.fromImage.length) {
    out.mounts.unshift({ name: runtimeVolume(role), mountPath: RUNTIME_ROOT, readOnly: true });
    out.fromImage.push(...out.placeholders);
  }
  // One `secret` volume per file, mounted by subPath at its target: a projected volume would
  // say it in one, but `podman kube play` knows only these sources.
  (spec.secrets ?? []).filter((s) => s.type === "mount").forEach((s: SecretRef, i) => {
    const target = s.target ?? `/run/secrets/${s.name}`;
    const file = target.slice(target.lastIndexOf("/") + 1);
    // Files are root's, in the Pod's fsGroup: a file for the user alone is group-readable.
    const mode = s.mode ?? 0o400;
    const name = `s${i}`;
    out.volumes.push({
      name,
      secret: {
        secretName: secretName(s.name),
        items: [{
          key: "value",
          path: file,
          mode: s.uid !== undefined ? mode | ((mode & 0o700) >> 3) : mode,
        }],
      },
    });
    out.mounts.push({ name, mountPath: target, subPath: file, readOnly: true });
  });
  return out;
}

/**
 * A container's requests and limits: the options' (with `limited`), and one of each GPU resource
 * (an extended resource: its limit is its request).
 */
function resources(
  options: KubeOptions,
  limited: boolean,
  gpus: ContainerSpec["gpus"],
): Record<string, unknown> {
  const clean = (r?: KubeResources) =>
    r && (r.cpu || r.memory)
      ? { ...(r.cpu ? { cpu: r.cpu } : {}), ...(r.memory ? { memory: r.memory } : {}) }
      : undefined;
  const requests = limited ? clean(options.requests) : undefined;
  const gpuLimits = Object.fromEntries((gpus?.resources ?? []).map((r) => [r, "1"]));
  const own = limited ? clean(options.limits) : undefined;
  const limits = own || gpus?.resources.length ? { ...own, ...gpuLimits } : undefined;
  return requests || limits
    ? { resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } }
    : {};
}

/** The uid:gid a container runs as: its own numeric `user`, else the workspace's. */
function idsOf(spec: ContainerSpec, options: KubeOptions): { uid: number; gid: number } {
  const m = /^(\d+):(\d+)$/.exec(spec.user ?? "");
  const ids = m ? { uid: Number(m[1]), gid: Number(m[2]) } : options.user;
  if (ids.uid === 0) {
    throw new KubeRefusal(`container ${spec.name}`, "user", "root: Pods run as non-root");
  }
  return ids;
}

/** One Pod of one container. */
function pod(
  spec: ContainerSpec,
  options: KubeOptions,
  extra: {
    env?: Record<string, string>;
    command?: readonly string[];
    allowMap?: string;
    hostname?: string;
    ports?: readonly number[];
    limited?: boolean;
    secretName: (name: string) => string;
  },
): { pod: KubeObject; hostPaths: string[] } {
  refuse(spec);
  const role = roleOf(spec);
  const ids = idsOf(spec, options);
  const vols = volumesOf(spec, role, extra.allowMap, extra.secretName, !!options.runtimeImage);
  const env = { ...spec.env, ...extra.env };
  const expandable = new Set(Object.keys(extra.env ?? {}));
  const envSecrets = (spec.secrets ?? []).filter((s) => s.type === "env");
  const entry = spec.entrypoint;
  const command = extra.command ??
    (entry && entry.length ? [...entry] : entry ? [...(spec.command ?? [])] : undefined);
  const args = extra.command ? undefined : entry && entry.length === 0 ? undefined : spec.command;
  const health = spec.healthCheck;
  const container: Record<string, unknown> = {
    name: role,
    image: spec.image,
    ...(command ? { command: command.map(literal) } : {}),
    ...(args?.length ? { args: args.map(literal) } : {}),
    ...(spec.workdir ? { workingDir: spec.workdir } : {}),
    env: [
      ...Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => ({
        name,
        value: expandable.has(name) ? value : literal(value),
      })),
      ...envSecrets.map((s) => ({
        name: s.target ?? s.name,
        valueFrom: { secretKeyRef: { name: extra.secretName(s.name), key: "value" } },
      })),
    ],
    ...(extra.ports?.length
      ? { ports: extra.ports.map((p) => ({ containerPort: p, protocol: "TCP" })) }
      : {}),
    ...resources(options, extra.limited === true, spec.gpus),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: spec.readOnlyRootfs === true,
      runAsNonRoot: true,
      runAsUser: ids.uid,
      runAsGroup: ids.gid,
    },
    ...(vols.mounts.length ? { volumeMounts: vols.mounts } : {}),
    ...(health
      ? {
        readinessProbe: {
          exec: { command: [...health.command] },
          ...(health.intervalSeconds ? { periodSeconds: health.intervalSeconds } : {}),
          ...(health.timeoutSeconds ? { timeoutSeconds: health.timeoutSeconds } : {}),
          ...(health.retries ? { failureThreshold: health.retries } : {}),
          ...(health.startPeriodSeconds ? { initialDelaySeconds: health.startPeriodSeconds } : {}),
        },
      }
      : {}),
  };
  const name = kubeName(spec.name);
  return {
    pod: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: metadata(name, options.namespace, spec.labels),
      spec: {
        ...(extra.hostname ? { hostname: extra.hostname } : {}),
        automountServiceAccountToken: false,
        enableServiceLinks: true,
        restartPolicy: "Always",
        ...(spec.stopTimeoutSeconds !== undefined
          ? { terminationGracePeriodSeconds: spec.stopTimeoutSeconds }
          : {}),
        securityContext: {
          runAsNonRoot: true,
          runAsUser: ids.uid,
          runAsGroup: ids.gid,
          fsGroup: ids.gid,
          seccompProfile: { type: "RuntimeDefault" },
        },
        ...(vols.fromImage.length && options.runtimeImage
          ? { initContainers: [runtimeCopier(role, options.runtimeImage, vols.fromImage, ids)] }
          : {}),
        containers: [container],
        ...(vols.volumes.length || vols.fromImage.length
          ? {
            volumes: [
              ...vols.volumes,
              ...(vols.fromImage.length
                ? [
                  { name: runtimeVolume(role), emptyDir: {} },
                  { name: RUNTIME_TMP_VOLUME, emptyDir: { medium: "Memory" } },
                ]
                : []),
            ],
          }
          : {}),
      },
    },
    hostPaths: vols.hostPaths,
  };
}

/**
 * The init container that copies `paths` (under {@link RUNTIME_ROOT}) out of the runtime image
 * into the Pod's `runtime` volume, as locked down as the Pod's own.
 */
function runtimeCopier(
  role: string,
  image: NonNullable<KubeOptions["runtimeImage"]>,
  paths: readonly string[],
  ids: { uid: number; gid: number },
): Record<string, unknown> {
  const copy = [RUNTIME_ROOT, RUNTIME_COPY, ...new Set(paths)];
  return {
    name: "devaipod-runtime",
    image: image.ref,
    imagePullPolicy: "IfNotPresent",
    command: image.program === "binary" ? [RUNTIME_PATHS.binary, "copy-runtime", ...copy] : [
      ...containerDenoArgv(CONTAINER_PROGRAMS.copyRuntime, [
        `--allow-read=${RUNTIME_ROOT}`,
        `--allow-write=${RUNTIME_COPY}`,
      ]),
      ...copy,
    ],
    env: [
      { name: "DENO_DIR", value: "/tmp/deno" },
      { name: "HOME", value: "/tmp" },
      { name: "NO_COLOR", value: "1" },
    ],
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: ids.uid,
      runAsGroup: ids.gid,
    },
    volumeMounts: [
      { name: runtimeVolume(role), mountPath: RUNTIME_COPY },
      { name: RUNTIME_TMP_VOLUME, mountPath: "/tmp" },
    ],
  };
}

function service(
  name: string,
  namespace: string,
  workspace: string,
  role: string,
  ports: readonly { name: string; port: number }[],
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(name, namespace, selector(workspace, role)),
    spec: {
      type: "ClusterIP",
      selector: selector(workspace, role),
      ports: ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.port,
        protocol: "TCP",
      })),
    },
  };
}

function policy(
  name: string,
  namespace: string,
  workspace: string,
  role: string,
  rules: { ingress?: unknown[]; egress?: unknown[] },
): KubeObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(name, namespace, selector(workspace, role)),
    spec: {
      podSelector: { matchLabels: selector(workspace, role) },
      policyTypes: [...(rules.ingress ? ["Ingress"] : []), ...(rules.egress ? ["Egress"] : [])],
      ...(rules.ingress ? { ingress: rules.ingress } : {}),
      ...(rules.egress ? { egress: rules.egress } : {}),
    },
  };
}

/**
 * The workspace of `plan` as Kubernetes objects in `options.namespace`.
 *
 * @example
 * ```ts
 * const { objects, secrets } = renderKube(planPod(input), { namespace: "dev", user: { uid: 1000, gid: 1000 } });
 * ```
 */
export function renderKube(plan: PodPlan, options: KubeOptions): KubeRender {
  const ns = options.namespace;
  if (!OBJECT_NAME.test(ns) || ns.length > 63) {
    throw new KubeRefusal("the workspace", "namespace", `'${ns}' is not a namespace name`);
  }
  const ws = plan.workspace;
  const iso = plan.isolation;
  const podName = plan.pod.name;
  const agentService = kubeName(`${podName}-agent`);
  const proxyService = kubeName(`${podName}-proxy`);
  const agentHost = `$(${serviceHostVariable(agentService)})`;
  const proxyHost = `$(${serviceHostVariable(proxyService)})`;
  // The templates the plan leaves for podman's networks: unused here (no addresses, no hosts).
  const values: BindingValues = {
    ...addressBindings(networkAddresses("10.255.255.0/29", "10.255.255.8/29")),
    "user.uid": String(options.user.uid),
    "user.gid": String(options.user.gid),
  };
  const filled = <T>(spec: Named<T & { name: string }>): T => fill<T>(spec as never, values);
  const workspace = filled<ContainerSpec>(plan.workspaceContainer);
  const agent = filled<ContainerSpec>(plan.agentContainer);
  const proxy = iso ? filled<ContainerSpec>(iso.proxyContainer) : undefined;

  // Secret names as Kubernetes allows them; two that fold to one name are refused.
  const names = new Map<string, string>();
  const secretName = (name: string): string => {
    const k = kubeName(name);
    const other = names.get(k);
    if (other !== undefined && other !== name) {
      throw new KubeRefusal(
        `secret ${name}`,
        "name",
        `'${other}' has the same Kubernetes name ${k}`,
      );
    }
    names.set(k, name);
    return k;
  };
  const allowMap = iso ? kubeName(`${podName}-allow`) : undefined;

  // The agent's ways to the proxy (its proxy variables, the provider endpoints' URLs, NO_PROXY)
  // name the proxy's Service address instead of podman's host name.
  const proxyEnv = (env: Readonly<Record<string, string>> | undefined) =>
    Object.fromEntries(
      Object.entries(env ?? {}).filter(([k, v]) =>
        /^(https?|HTTPS?)_(proxy|PROXY)$/.test(k) || v.includes(`//${PROXY_HOST}:`) ||
        /^(NO_PROXY|no_proxy)$/.test(k)
      ).map(([k, v]) => [
        k,
        /^(NO_PROXY|no_proxy)$/.test(k)
          ? v.split(",").map((h) => (h === PROXY_HOST ? proxyHost : h)).join(",")
          : literal(v).replaceAll(`//${PROXY_HOST}:`, `//${proxyHost}:`),
      ]),
    );
  const providerEntry = proxy?.entrypoint ?? [];
  const providersAt = providerEntry.indexOf("--providers-listen");
  const providerArgs = providersAt >= 0 ? providerEntry.slice(providersAt + 2) : [];
  const built = [
    pod(workspace, options, {
      env: { DEVAIPOD_AGENT_URL: `http://${agentHost}:${AGENT_PORT}` },
      hostname: ws,
      ports: plan.forwardPorts,
      limited: true,
      secretName,
    }),
    pod(agent, options, { env: iso ? proxyEnv(agent.env) : {}, limited: true, secretName }),
    ...(proxy
      ? [pod(proxy, options, {
        ...(allowMap ? { allowMap } : {}),
        // The program, then what Kubernetes needs: all addresses (the NetworkPolicy admits the
        // agent only) and the allowlist; the relay and the podman subnets are podman's.
        command: [
          ...(proxy.entrypoint ?? []).slice(0, (proxy.entrypoint ?? []).indexOf("--listen")),
          "--listen",
          `0.0.0.0:${PROXY_PORT}`,
          "--allow-file",
          PROXY_ALLOW_FILE,
          ...(providerArgs.length
            ? ["--providers-listen", `0.0.0.0:${PROVIDER_PORT}`, ...providerArgs]
            : []),
        ],
        secretName,
      })]
      : []),
  ];

  const objects: KubeObject[] = [];
  if (iso && allowMap) {
    objects.push({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: metadata(allowMap, ns, selector(ws, ROLES.proxy)),
      data: {
        allow: `# devaipod: hosts the agent may reach (one per line)\n${
          iso.allow.map((a) => `${a}\n`).join("")
        }`,
      },
    });
  }
  for (const v of plan.volumes) {
    const volume = v.role === ROLES.agentWork ? withAgentBase(v, undefined) : v;
    objects.push({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: metadata(
        kubeName(volume.name),
        ns,
        fill<Record<string, string>>(volume.labels, values),
      ),
      spec: {
        accessModes: ["ReadWriteOnce"],
        resources: { requests: { storage: options.storage ?? DEFAULT_STORAGE } },
      },
    });
  }
  objects.push(
    service(agentService, ns, ws, ROLES.agent, [{ name: ROLES.agent, port: AGENT_PORT }]),
  );
  const providers = providerArgs.length > 0;
  if (iso) {
    objects.push(service(proxyService, ns, ws, ROLES.proxy, [
      { name: ROLES.proxy, port: PROXY_PORT },
      ...(providers ? [{ name: "providers", port: PROVIDER_PORT }] : []),
    ]));
  }
  const from = (role: string) => [{ podSelector: { matchLabels: selector(ws, role) } }];
  const port = (p: number) => [{ protocol: "TCP", port: p }];
  const proxyPorts = [
    ...port(PROXY_PORT),
    ...(providers ? port(PROVIDER_PORT) : []),
  ];
  objects.push(
    policy(kubeName(`${podName}-agent`), ns, ws, ROLES.agent, {
      ingress: [{ from: from(ROLES.workspace), ports: port(AGENT_PORT) }],
      ...(iso ? { egress: [{ to: from(ROLES.proxy), ports: proxyPorts }] } : {}),
    }),
  );
  if (iso) {
    objects.push(
      policy(proxyService, ns, ws, ROLES.proxy, {
        ingress: [{ from: from(ROLES.agent), ports: proxyPorts }],
      }),
    );
  }
  objects.push(policy(kubeName(`${podName}-workspace`), ns, ws, ROLES.workspace, { ingress: [] }));
  for (const b of built) objects.push(b.pod);

  const plannedSecrets = new Set(plan.secrets.map((s) => s.name));
  const secrets: KubeSecret[] = [
    ...plan.secrets.map((s): KubeSecret => ({
      name: secretName(s.name),
      ...(s.container === "agent" && s.variable === PASSWORD_ENV
        ? { random: true }
        : { env: s.variable }),
    })),
    ...[
      ...new Set(
        [workspace, agent, ...(proxy ? [proxy] : [])].flatMap((c) =>
          (c.secrets ?? []).map((s) => s.name)
        ),
      ),
    ].filter((n) => !plannedSecrets.has(n)).sort().map((n): KubeSecret => ({
      name: secretName(n),
    })),
  ];
  return {
    objects,
    secrets,
    hostPaths: [...new Set(built.flatMap((b) => b.hostPaths))].sort(),
  };
}
