/** Rows of `podman … ps/ls` for unit tests that list a workspace's objects without podman. */
import type {
  ContainerListEntry,
  NetworkInspect,
  PodListEntry,
  SecretInspect,
  VolumeInspect,
} from "../../lib/podman/schemas.ts";

/** A `pod ps` row of the workspace labelled `workspace` (its pod is `devaipod-WORKSPACE`). */
export function podRow(workspace: string, status = "Running"): PodListEntry {
  return {
    Id: `id-${workspace}`,
    Name: `devaipod-${workspace}`,
    Status: status,
    Labels: { "io.devaipod.workspace": workspace, "io.devaipod.role": "pod" },
    Networks: [],
    Containers: [],
  };
}

/**
 * A `container ps` row of a workspace's container in `role`: `devaipod-WORKSPACE-ROLE`, ID
 * `c-ROLE`, a member of the workspace's pod unless `pod` is false (the agent and the proxy
 * behind the proxy).
 */
export function containerRow(
  workspace: string,
  role: string,
  options: { pod?: boolean; state?: string } = {},
): ContainerListEntry {
  const inPod = options.pod ?? true;
  return {
    Id: `c-${role}`,
    Names: [`devaipod-${workspace}-${role}`],
    Image: "localhost/devaipod-test/base:latest",
    State: options.state ?? "running",
    Labels: { "io.devaipod.workspace": workspace, "io.devaipod.role": role },
    ...(inPod ? { Pod: `id-${workspace}`, PodName: `devaipod-${workspace}` } : { Pod: "" }),
  };
}

/** A `volume ls` row of a workspace's volume `name` in `role`. */
export function volumeRow(workspace: string, name: string, role: string): VolumeInspect {
  return { Name: name, Labels: { "io.devaipod.workspace": workspace, "io.devaipod.role": role } };
}

/** A `secret inspect` entry of a workspace's secret `name`. */
export function secretRow(workspace: string, name: string): SecretInspect {
  return {
    ID: `s-${name}`,
    Spec: {
      Name: name,
      Labels: { "io.devaipod.workspace": workspace, "io.devaipod.role": "secret" },
    },
  };
}

/** A `network ls` row of a workspace's network `name`. */
export function networkRow(workspace: string, name: string, internal = false): NetworkInspect {
  return {
    name,
    id: `n-${name}`,
    driver: "bridge",
    subnets: [],
    internal,
    dns_enabled: !internal,
    labels: { "io.devaipod.workspace": workspace, "io.devaipod.role": "network" },
  };
}
