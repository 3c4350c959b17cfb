/** The egress proxy's record of a workspace's connections, read from its container's log. */
import * as p from "../podman/mod.ts";
import type { Podman } from "../podman/mod.ts";
import { foldEgress, parseProxyLog } from "../proxy/egress_log.ts";
import type { EgressEntry } from "../proxy/egress_log.ts";

/** The proxy's connections, one entry each (an open tunnel too), from its container's log. */
export async function proxyConnections(podman: Podman, proxyId: string): Promise<EgressEntry[]> {
  const logs = await podman.run(p.containerLogs(proxyId));
  return foldEgress(parseProxyLog(logs.stdout));
}
