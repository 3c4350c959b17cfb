/**
 * The Quadlet backend: one workspace as systemd units for podman ≥ 5 (`.pod`, `.container`,
 * `.network`, `.volume`). Pure: specs in, unit texts out, sorted by file name, byte-identical
 * for the same input.
 *
 * Each field of the specs becomes the Quadlet key that gives the same `podman` option the
 * podman backend passes ({@link CONTAINER_FIELDS}, {@link POD_FIELDS}, {@link NETWORK_FIELDS}),
 * or `PodmanArgs=` where Quadlet 5.4 has no key; what a systemd service cannot express is
 * refused with a {@link QuadletRefusal}, never dropped. Secrets are referenced by name only.
 *
 * The workspace container joins the `.pod` unit, which holds the pod's networks, hosts and
 * ports. The agent and the proxy stay outside the pod, on the `.network` units (static
 * addresses, so each network carries a subnet); they are `PartOf=` the pod's service, which
 * `Wants=` them, so one `systemctl start|stop` of the pod handles the whole workspace.
 */
import { LABELS } from "../labels.ts";
import type {
  ContainerSpec,
  HealthCheck,
  Mount,
  NetworkSpec,
  PodSpec,
  SecretRef,
} from "../plan/spec.ts";
import { quadletService } from "../plan/quadlet_names.ts";
import { VERSION } from "../version.ts";
import {
  plainText,
  QuadletRefusal,
  rawValue,
  systemdWord,
  systemdWords,
  unitText,
} from "./unit_text.ts";
import type { UnitSection } from "./unit_text.ts";

/** A volume of the workspace (a `.volume` unit). */
export interface QuadletVolume {
  name: string;
  labels?: Readonly<Record<string, string>>;
}

/**
 * A podman secret the units reference, by name only. `env`: created from the host variable of
 * that name; `random`: created from random bytes (the agent's password); neither: the user's
 * own secret, which exists already.
 */
export interface QuadletSecret {
  name: string;
  env?: string;
  random?: boolean;
  labels?: Readonly<Record<string, string>>;
}

/** One workspace, backend-neutral: the same specs the podman backend runs. */
export interface QuadletInput {
  /** The workspace name, e.g. `myproj-ab12`. */
  workspace: string;
  /** The workspace pod (networks may be `name` or `name:ip=A.B.C.D`). */
  pod: PodSpec;
  /** The workspace (a pod member), the agent and the proxy (outside the pod, on networks). */
  containers: readonly ContainerSpec[];
  /** The workspace's own networks; each carries a subnet (the peers have static addresses). */
  networks: readonly NetworkSpec[];
  volumes: readonly QuadletVolume[];
  secrets: readonly QuadletSecret[];
}

/** One rendered unit file. */
export interface QuadletUnit {
  /** The file name, e.g. `devaipod-myproj-ab12-agent.container`. */
  file: string;
  text: string;
}

/**
 * The Quadlet key each {@link ContainerSpec} field becomes, or `null` where the field is
 * refused. Typed over every field, so a new field does not compile until it is placed here.
 */
export const CONTAINER_FIELDS = {
  name: "ContainerName",
  image: "Image",
  pod: "Pod",
  labels: "Label",
  env: "Environment",
  user: "User",
  workdir: "WorkingDir",
  hostname: "HostName",
  entrypoint: "Entrypoint",
  command: "Exec",
  init: "RunInit",
  capDrop: "DropCapability",
  capAdd: "AddCapability",
  // no-new-privileges, label=disable and seccomp= have keys; the other options go as they are.
  securityOpt: "NoNewPrivileges|SecurityLabelDisable|SeccompProfile|PodmanArgs",
  privileged: "PodmanArgs",
  devices: "AddDevice",
  gpus: "AddDevice",
  readOnlyRootfs: "ReadOnly",
  mounts: "Mount",
  secrets: "Secret",
  healthCheck: "HealthCmd",
  addHosts: "AddHost",
  networks: "Network",
  publish: "PublishPort",
  // A systemd service has no terminal, and its standard input is not the user's.
  interactive: null,
  tty: null,
  stopTimeoutSeconds: "StopTimeout",
  userns: "UserNS",
  extraArgs: "PodmanArgs",
} as const satisfies Record<keyof ContainerSpec, string | null>;

/** The Quadlet key of each {@link PodSpec} field (Quadlet 5.4's `[Pod]` has no Label or HostName). */
export const POD_FIELDS = {
  name: "PodName",
  labels: "PodmanArgs",
  publish: "PublishPort",
  networks: "Network",
  addHosts: "AddHost",
  hostname: "PodmanArgs",
  infraImage: "PodmanArgs",
  userns: "UserNS",
} as const satisfies Record<keyof PodSpec, string | null>;

/** The Quadlet key of each {@link NetworkSpec} field. */
export const NETWORK_FIELDS = {
  name: "NetworkName",
  labels: "Label",
  internal: "Internal",
  disableDns: "DisableDNS",
  subnet: "Subnet",
} as const satisfies Record<keyof NetworkSpec, string | null>;

/** Names that are safe as unit file names and as podman object names. */
const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** File extensions Quadlet reads as references to other units. */
const UNIT_REFERENCE = /\.(container|pod|network|volume|image|build|kube)$/;

/** Adds one `Key=value` entry to a section. */
type Add = (key: string, value: string) => void;

/** The names the units use for each other. */
interface Refs {
  workspace: string;
  podName: string;
  podFile: string;
  podService: string;
  networks: ReadonlySet<string>;
  volumes: ReadonlySet<string>;
  secrets: ReadonlySet<string>;
}

/** The `.service` a Quadlet file becomes. */
const serviceOf = quadletService;

function checkName(object: string, field: string, name: string): string {
  if (!OBJECT_NAME.test(name) || UNIT_REFERENCE.test(name)) {
    throw new QuadletRefusal(
      object,
      field,
      `'${name}' is not usable as a unit name (letters, digits, '_', '.', '-'; no unit extension)`,
    );
  }
  return name;
}

function sortedEntries(record: Readonly<Record<string, string>> | undefined): [string, string][] {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function keyValues(
  object: string,
  field: string,
  key: string,
  record: Readonly<Record<string, string>> | undefined,
  add: Add,
): void {
  for (const [k, v] of sortedEntries(record)) {
    if (k === "" || k.includes("=")) {
      throw new QuadletRefusal(object, field, `the name ${JSON.stringify(k)} is not valid`);
    }
    add(key, systemdWord(`${k}=${v}`));
  }
}

/**
 * Words of a command line. Refused: an empty word (Quadlet 5.4 stops reading the line there)
 * and a lone `;` (it would split the generated `ExecStart=` in two).
 */
function commandLine(object: string, field: string, words: readonly string[]): string {
  if (words.includes("")) {
    throw new QuadletRefusal(object, field, "an empty argument ends Quadlet's reading of the line");
  }
  if (words.includes(";")) {
    throw new QuadletRefusal(object, field, "a lone ';' separates commands in ExecStart=");
  }
  return systemdWords(words);
}

/** `name` or `name:options`, with the workspace's own networks as `.network` references. */
function networkValue(object: string, field: string, value: string, refs: Refs): string {
  const colon = value.indexOf(":");
  const name = colon < 0 ? value : value.slice(0, colon);
  const rest = colon < 0 ? "" : value.slice(colon);
  if (refs.networks.has(name)) return rawValue(object, field, `${name}.network${rest}`);
  if (UNIT_REFERENCE.test(name)) {
    throw new QuadletRefusal(object, field, `'${name}' would be read as a Quadlet unit`);
  }
  return rawValue(object, field, value);
}

/** A `--mount`-style field; `,` and `=` would break the list and blanks Quadlet's reading. */
function mountField(object: string, key: string, value: string): string {
  if (/[,="\s]/.test(value)) {
    throw new QuadletRefusal(
      object,
      "mounts",
      `${JSON.stringify(value)}: a mount's ${key} cannot hold ',', '=', '"' or blanks`,
    );
  }
  return `${key}=${value}`;
}

function mountValue(object: string, mount: Mount, refs: Refs): string {
  const fields: string[] = [`type=${mount.type}`];
  switch (mount.type) {
    case "volume": {
      if (UNIT_REFERENCE.test(mount.source) && !refs.volumes.has(mount.source)) {
        throw new QuadletRefusal(object, "mounts", `'${mount.source}' would be read as a unit`);
      }
      const source = refs.volumes.has(mount.source) ? `${mount.source}.volume` : mount.source;
      fields.push(mountField(object, "source", source));
      fields.push(mountField(object, "destination", mount.target));
      if (mount.readonly) fields.push("ro=true");
      if (mount.chown) fields.push("U=true");
      break;
    }
    case "bind":
      // Quadlet resolves a relative source against the unit's folder, not the project.
      if (!mount.source.startsWith("/")) {
        throw new QuadletRefusal(
          object,
          "mounts",
          `bind source '${mount.source}' is not an absolute path`,
        );
      }
      fields.push(mountField(object, "source", mount.source));
      fields.push(mountField(object, "destination", mount.target));
      if (mount.readonly) fields.push("ro=true");
      if (mount.relabel) fields.push(`relabel=${mount.relabel}`);
      break;
    case "tmpfs":
      fields.push(mountField(object, "destination", mount.target));
      if (mount.sizeBytes !== undefined) fields.push(`tmpfs-size=${mount.sizeBytes}`);
      if (mount.mode !== undefined) fields.push(mountField(object, "tmpfs-mode", mount.mode));
      break;
  }
  return rawValue(object, "mounts", fields.join(","));
}

function secretValue(object: string, secret: SecretRef, refs: Refs): string {
  if (!refs.secrets.has(secret.name)) {
    throw new QuadletRefusal(
      object,
      "secrets",
      `'${secret.name}' is not among the workspace's secrets, so nothing says how it is made`,
    );
  }
  const fields = [secret.name, `type=${secret.type}`];
  if (secret.target !== undefined) fields.push(mountField(object, "target", secret.target));
  if (secret.uid !== undefined) fields.push(`uid=${secret.uid}`);
  if (secret.gid !== undefined) fields.push(`gid=${secret.gid}`);
  if (secret.mode !== undefined) fields.push(`mode=0${secret.mode.toString(8)}`);
  return rawValue(object, "secrets", fields.join(","));
}

function healthEntries(object: string, hc: HealthCheck, add: Add): void {
  add("HealthCmd", rawValue(object, "healthCheck", JSON.stringify(hc.command), { spaces: true }));
  if (hc.intervalSeconds !== undefined) add("HealthInterval", `${hc.intervalSeconds}s`);
  if (hc.timeoutSeconds !== undefined) add("HealthTimeout", `${hc.timeoutSeconds}s`);
  if (hc.retries !== undefined) add("HealthRetries", String(hc.retries));
  if (hc.startPeriodSeconds !== undefined) add("HealthStartPeriod", `${hc.startPeriodSeconds}s`);
}

/** Security options: the ones with keys; the others are returned for `PodmanArgs=`. */
function securityEntries(object: string, options: readonly string[], add: Add): string[] {
  const rest: string[] = [];
  for (const option of options) {
    if (/^no-new-privileges([=:]true)?$/.test(option)) add("NoNewPrivileges", "true");
    else if (option === "label=disable") add("SecurityLabelDisable", "true");
    else if (option.startsWith("seccomp=")) {
      add("SeccompProfile", rawValue(object, "securityOpt", option.slice("seccomp=".length)));
    } else rest.push(`--security-opt=${option}`);
  }
  return rest;
}

/** Collects a section's entries in order. */
function entries(): { list: [string, string][]; add: Add } {
  const list: [string, string][] = [];
  return { list, add: (key, value) => void list.push([key, value]) };
}

function containerUnit(spec: ContainerSpec, refs: Refs): QuadletUnit {
  const object = checkName(spec.name, "name", spec.name);
  const refuse = (field: keyof ContainerSpec, why: string) => {
    throw new QuadletRefusal(object, field, why);
  };
  if (spec.interactive) {
    refuse("interactive", "a systemd service has no standard input to keep open");
  }
  if (spec.tty) refuse("tty", "a systemd service has no terminal");
  if (spec.pod !== undefined && spec.pod !== refs.podName) {
    refuse("pod", `'${spec.pod}' is not the workspace's pod '${refs.podName}'`);
  }
  if (spec.pod && (spec.networks?.length || spec.publish?.length || spec.addHosts?.length)) {
    refuse("networks", "networks, ports and hosts of a pod member belong to its pod");
  }
  if (UNIT_REFERENCE.test(spec.image)) refuse("image", `'${spec.image}' would be read as a unit`);
  for (const device of spec.devices ?? []) {
    if (device.startsWith("-")) refuse("devices", `'${device}': a leading '-' means "if present"`);
  }
  if (spec.stopTimeoutSeconds !== undefined && !Number.isInteger(spec.stopTimeoutSeconds)) {
    refuse("stopTimeoutSeconds", "StopTimeout= takes whole seconds");
  }
  const raw = (field: keyof ContainerSpec, value: string, spaces = false) =>
    rawValue(object, field, value, { spaces });
  const { list, add } = entries();
  add("ContainerName", spec.name);
  add("Image", raw("image", spec.image));
  if (spec.pod) add("Pod", refs.podFile);
  keyValues(object, "labels", "Label", spec.labels, add);
  keyValues(object, "env", "Environment", spec.env, add);
  if (spec.user) add("User", raw("user", spec.user));
  if (spec.workdir) add("WorkingDir", raw("workdir", spec.workdir, true));
  if (spec.hostname) add("HostName", raw("hostname", spec.hostname));
  if (spec.entrypoint) add("Entrypoint", raw("entrypoint", JSON.stringify(spec.entrypoint), true));
  if (spec.init) add("RunInit", "true");
  for (const c of spec.capDrop ?? []) add("DropCapability", raw("capDrop", c));
  for (const c of spec.capAdd ?? []) add("AddCapability", raw("capAdd", c));
  const podmanArgs = securityEntries(object, spec.securityOpt ?? [], add);
  if (spec.privileged) podmanArgs.push("--privileged");
  for (const d of [...(spec.devices ?? []), ...(spec.gpus?.devices ?? [])]) {
    add("AddDevice", raw("devices", d));
  }
  if (spec.readOnlyRootfs) add("ReadOnly", "true");
  if (spec.userns) add("UserNS", raw("userns", spec.userns));
  for (const m of spec.mounts ?? []) add("Mount", mountValue(object, m, refs));
  for (const s of spec.secrets ?? []) add("Secret", secretValue(object, s, refs));
  if (spec.healthCheck) healthEntries(object, spec.healthCheck, add);
  for (const h of spec.addHosts ?? []) add("AddHost", raw("addHosts", `${h.host}:${h.ip}`));
  for (const n of spec.networks ?? []) add("Network", networkValue(object, "networks", n, refs));
  for (const p of spec.publish ?? []) add("PublishPort", raw("publish", p));
  if (spec.stopTimeoutSeconds !== undefined) add("StopTimeout", String(spec.stopTimeoutSeconds));
  if (podmanArgs.length) add("PodmanArgs", commandLine(object, "securityOpt", podmanArgs));
  // Options from a trusted config come last, where the podman backend places them.
  if (spec.extraArgs?.length) add("PodmanArgs", commandLine(object, "extraArgs", spec.extraArgs));
  if (spec.command?.length) add("Exec", commandLine(object, "command", spec.command));

  const role = spec.labels?.[LABELS.role] ?? spec.name;
  const unit = entries();
  unit.add("Description", plainText(`devaipod workspace ${refs.workspace}: ${role}`));
  // Outside the pod, still part of the workspace: the pod's service stops and restarts it.
  if (!spec.pod) unit.add("PartOf", refs.podService);
  const sections: UnitSection[] = [
    { name: "Unit", entries: unit.list },
    { name: "Container", entries: list },
    {
      name: "Service",
      // A container stopped by systemd's SIGTERM exits 143: that is a clean stop, not a failure
      // (nor a reason to restart it).
      entries: [["Restart", "on-failure"], ["SuccessExitStatus", "143"]],
    },
    { name: "Install", entries: [["WantedBy", "default.target"]] },
  ];
  return {
    file: `${spec.name}.container`,
    text: unitText(header(refs.workspace, `the ${role} container`), sections),
  };
}

function podUnit(pod: PodSpec, outside: readonly ContainerSpec[], refs: Refs): QuadletUnit {
  const object = refs.podName;
  const raw = (field: keyof PodSpec, value: string) => rawValue(object, field, value);
  const { list, add } = entries();
  add("PodName", pod.name);
  for (const n of pod.networks ?? []) add("Network", networkValue(object, "networks", n, refs));
  for (const h of pod.addHosts ?? []) add("AddHost", raw("addHosts", `${h.host}:${h.ip}`));
  for (const p of pod.publish ?? []) add("PublishPort", raw("publish", p));
  if (pod.userns) add("UserNS", raw("userns", pod.userns));
  // Quadlet 5.4's [Pod] has no HostName= or Label= yet: one option per line.
  const podmanArgs = [
    ...(pod.hostname ? [`--hostname=${pod.hostname}`] : []),
    ...(pod.infraImage ? [`--infra-image=${pod.infraImage}`] : []),
    ...sortedEntries(pod.labels).map(([k, v]) => `--label=${k}=${v}`),
  ];
  for (const arg of podmanArgs) add("PodmanArgs", commandLine(object, "labels", [arg]));

  const unit = entries();
  unit.add("Description", plainText(`devaipod workspace ${refs.workspace}: pod`));
  // The containers outside the pod (the agent, the proxy) start with it.
  if (outside.length) unit.add("Wants", outside.map((c) => `${c.name}.service`).sort().join(" "));
  const sections: UnitSection[] = [
    { name: "Unit", entries: unit.list },
    { name: "Pod", entries: list },
    { name: "Install", entries: [["WantedBy", "default.target"]] },
  ];
  return { file: refs.podFile, text: unitText(header(refs.workspace, "the pod"), sections) };
}

function networkUnit(network: NetworkSpec, refs: Refs): QuadletUnit {
  const object = checkName(network.name, "name", network.name);
  if (!network.subnet) {
    throw new QuadletRefusal(object, "subnet", "the peers' static addresses need a subnet");
  }
  const { list, add } = entries();
  add("NetworkName", network.name);
  if (network.internal) add("Internal", "true");
  if (network.disableDns) add("DisableDNS", "true");
  add("Subnet", rawValue(object, "subnet", network.subnet));
  keyValues(object, "labels", "Label", network.labels, add);
  const sections: UnitSection[] = [
    {
      name: "Unit",
      entries: [["Description", plainText(`devaipod workspace ${refs.workspace}: network`)]],
    },
    { name: "Network", entries: list },
  ];
  return {
    file: `${network.name}.network`,
    text: unitText(header(refs.workspace, `the network ${network.name}`), sections),
  };
}

function volumeUnit(volume: QuadletVolume, refs: Refs): QuadletUnit {
  const object = checkName(volume.name, "name", volume.name);
  const { list, add } = entries();
  add("VolumeName", volume.name);
  keyValues(object, "labels", "Label", volume.labels, add);
  const sections: UnitSection[] = [
    {
      name: "Unit",
      entries: [["Description", plainText(`devaipod workspace ${refs.workspace}: volume`)]],
    },
    { name: "Volume", entries: list },
  ];
  return {
    file: `${volume.name}.volume`,
    text: unitText(header(refs.workspace, `the volume ${volume.name}`), sections),
  };
}

function header(workspace: string, what: string): string[] {
  return [
    `devaipod ${VERSION} (render --target quadlet): ${what} of workspace ${workspace}.`,
    "Secrets are referenced by name; `devaipod render` prints the commands that create them.",
  ];
}

/**
 * The Quadlet units of one workspace, sorted by file name.
 *
 * @example
 * ```ts
 * const units = renderQuadlet(input);
 * // [{ file: "devaipod-w.pod", text: "…" }, { file: "devaipod-w-agent.container", … }, …]
 * ```
 */
export function renderQuadlet(input: QuadletInput): QuadletUnit[] {
  const podName = checkName(input.pod.name, "name", input.pod.name);
  const podFile = `${podName}.pod`;
  const refs: Refs = {
    workspace: input.workspace,
    podName,
    podFile,
    podService: serviceOf(podFile),
    networks: new Set(input.networks.map((n) => n.name)),
    volumes: new Set(input.volumes.map((v) => v.name)),
    secrets: new Set(input.secrets.map((s) => s.name)),
  };
  const outside = input.containers.filter((c) => c.pod === undefined);
  const units = [
    podUnit(input.pod, outside, refs),
    ...input.containers.map((c) => containerUnit(c, refs)),
    ...input.networks.map((n) => networkUnit(n, refs)),
    ...input.volumes.map((v) => volumeUnit(v, refs)),
  ];
  const services = new Map<string, string>();
  for (const unit of units) {
    const service = serviceOf(unit.file);
    const other = services.get(service);
    if (other !== undefined) {
      throw new QuadletRefusal(unit.file, "name", `its service ${service} is also ${other}'s`);
    }
    services.set(service, unit.file);
  }
  return units.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
