/**
 * zod schemas of podman's JSON outputs (checked against podman 4.3.1 recordings in
 * tests/fixtures/podman/). They name only the fields devaipod reads; unknown fields are
 * dropped. Nothing podman prints is cast.
 */
import { z } from "zod";

/** podman prints `null` (or nothing) for some empty maps and lists. */
const labels = z.record(z.string(), z.string()).nullish().transform((v) => v ?? {});
const strings = z.array(z.string()).nullish().transform((v) => v ?? []);
/** An inspect/list answer: a JSON array (podman prints nothing or `null` for none). */
const list = <T extends z.ZodType>(item: T) =>
  z.array(item).nullish().transform((v): z.output<T>[] => v ?? []);

/** `podman version --format json` */
export const VersionSchema = z.object({
  Client: z.object({
    Version: z.string(),
    APIVersion: z.string().optional(),
    GoVersion: z.string().optional(),
    OsArch: z.string().optional(),
  }),
  Server: z.object({ Version: z.string() }).optional(),
});
/** Parsed `podman version`. */
export type VersionInfo = z.output<typeof VersionSchema>;

/** `podman info --format json` */
export const InfoSchema = z.object({
  host: z.object({
    arch: z.string(),
    os: z.string(),
    kernel: z.string().optional(),
    cgroupVersion: z.string(),
    cgroupManager: z.string().optional(),
    networkBackend: z.string().optional(),
    ociRuntime: z.object({
      name: z.string(),
      path: z.string().optional(),
      version: z.string().optional(),
    }),
    security: z.object({ rootless: z.boolean() }),
    distribution: z
      .object({ distribution: z.string().optional(), version: z.string().optional() })
      .optional(),
  }),
  store: z.object({ graphDriverName: z.string().optional(), graphRoot: z.string().optional() })
    .optional(),
  version: z.object({ Version: z.string(), APIVersion: z.string().optional() }),
});
/** Parsed `podman info`. */
export type PodmanInfo = z.output<typeof InfoSchema>;

/** One image of `podman image inspect --format json`. */
export const ImageSchema = z.object({
  Id: z.string(),
  RepoTags: strings,
  Created: z.string().optional(),
  Size: z.number().optional(),
  Architecture: z.string().optional(),
  Os: z.string().optional(),
  Labels: labels,
  Config: z
    .object({
      User: z.string().optional(),
      Env: strings,
      Cmd: strings,
      Entrypoint: strings,
      WorkingDir: z.string().optional(),
      Labels: labels,
    })
    .optional(),
});
/** Parsed image inspect entry. */
export type ImageInspect = z.output<typeof ImageSchema>;
/** `podman image inspect --format json` */
export const ImageInspectSchema = list(ImageSchema);

/** One pod of `podman pod inspect`. */
export const PodSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Created: z.string().optional(),
  State: z.string(),
  Hostname: z.string().optional(),
  Labels: labels,
  InfraContainerID: z.string().optional(),
  NumContainers: z.number().optional(),
  Containers: list(z.object({ Id: z.string(), Name: z.string(), State: z.string().optional() })),
});
/** Parsed pod inspect entry. */
export type PodInspect = z.output<typeof PodSchema>;
/** `podman pod inspect --format json`: one object on podman 4, an array on podman 5. */
export const PodInspectSchema = z
  .union([z.array(PodSchema), PodSchema])
  .transform((v) => (Array.isArray(v) ? v : [v]));

/** One row of `podman pod ps --format json`. */
export const PodListEntrySchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Status: z.string(),
  Created: z.string().optional(),
  Labels: labels,
  InfraId: z.string().optional(),
  Networks: strings,
  Containers: list(
    z.object({ Id: z.string(), Names: z.string(), Status: z.string().optional() }),
  ),
});
/** Parsed pod list row. */
export type PodListEntry = z.output<typeof PodListEntrySchema>;
/** `podman pod ps --format json` */
export const PodListSchema = list(PodListEntrySchema);

const HealthSchema = z.object({
  Status: z.string(),
  FailingStreak: z.number().optional(),
  Log: list(
    z.object({
      Start: z.string().optional(),
      End: z.string().optional(),
      ExitCode: z.number(),
      Output: z.string().optional(),
    }),
  ),
});

/** One container of `podman container inspect --format json`. */
export const ContainerSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  Created: z.string().optional(),
  Image: z.string(),
  ImageName: z.string().optional(),
  Pod: z.string().optional(),
  State: z.object({
    Status: z.string(),
    Running: z.boolean(),
    ExitCode: z.number(),
    Pid: z.number().optional(),
    StartedAt: z.string().optional(),
    FinishedAt: z.string().optional(),
    // podman 4 names it Healthcheck, podman 5 Health.
    Health: HealthSchema.optional(),
    Healthcheck: HealthSchema.optional(),
  }).transform(({ Healthcheck, Health, ...rest }) => ({ ...rest, Health: Health ?? Healthcheck })),
  Config: z.object({
    User: z.string().optional(),
    Env: strings,
    Cmd: strings,
    WorkingDir: z.string().optional(),
    Labels: labels,
  }),
  HostConfig: z.object({
    CapAdd: strings,
    CapDrop: strings,
    SecurityOpt: strings,
    Privileged: z.boolean().optional(),
    Init: z.boolean().optional(),
  }),
  Mounts: list(
    z.object({
      Type: z.string(),
      Name: z.string().optional(),
      Source: z.string().optional(),
      Destination: z.string(),
      RW: z.boolean().optional(),
    }),
  ),
});
/** Parsed container inspect entry. */
export type ContainerInspect = z.output<typeof ContainerSchema>;
/** `podman container inspect --format json` */
export const ContainerInspectSchema = list(ContainerSchema);

/** One row of `podman container ps --all --format json`. */
export const ContainerListEntrySchema = z.object({
  Id: z.string(),
  Names: strings,
  Image: z.string(),
  State: z.string(),
  Status: z.string().optional(),
  Created: z.union([z.number(), z.string()]).optional(),
  Labels: labels,
  Pod: z.string().optional(),
  PodName: z.string().optional(),
  ExitCode: z.number().optional(),
  Exited: z.boolean().optional(),
  /** The pod's infra container (it carries the pod's labels). */
  IsInfra: z.boolean().optional(),
});
/** Parsed container list row. */
export type ContainerListEntry = z.output<typeof ContainerListEntrySchema>;
/** `podman container ps --all --format json` */
export const ContainerListSchema = list(ContainerListEntrySchema);

/** One volume of `podman volume inspect|ls --format json`. */
export const VolumeSchema = z.object({
  Name: z.string(),
  Driver: z.string().optional(),
  Mountpoint: z.string().optional(),
  CreatedAt: z.string().optional(),
  Labels: labels,
});
/** Parsed volume entry. */
export type VolumeInspect = z.output<typeof VolumeSchema>;
/** `podman volume inspect|ls --format json` */
export const VolumeListSchema = list(VolumeSchema);

/** One network of `podman network inspect|ls --format json` (netavark era, podman ≥ 4). */
export const NetworkSchema = z.object({
  name: z.string(),
  id: z.string(),
  driver: z.string(),
  network_interface: z.string().optional(),
  created: z.string().optional(),
  subnets: list(z.object({ subnet: z.string(), gateway: z.string().optional() })),
  internal: z.boolean(),
  dns_enabled: z.boolean(),
  ipv6_enabled: z.boolean().optional(),
  labels: labels,
});
/** Parsed network entry. */
export type NetworkInspect = z.output<typeof NetworkSchema>;
/** `podman network inspect|ls --format json` */
export const NetworkListSchema = list(NetworkSchema);

/** One secret of `podman secret inspect|ls --format json`. Never holds the value. */
export const SecretSchema = z.object({
  ID: z.string(),
  CreatedAt: z.string().optional(),
  Spec: z.object({
    Name: z.string(),
    Driver: z.object({ Name: z.string() }).optional(),
    Labels: labels,
  }),
});
/** Parsed secret entry. */
export type SecretInspect = z.output<typeof SecretSchema>;
/** `podman secret inspect|ls --format json` */
export const SecretListSchema = list(SecretSchema);
