/**
 * Static subnets for a workspace's two networks in rendered units. Pure.
 *
 * `up` lets podman pick the subnets and then learns the addresses; units are written before
 * anything exists, so the subnets are fixed at render time: one /28 per workspace, chosen from
 * {@link SUBNET_POOL} by a hash of the workspace's name, split into the internal network (the
 * lower /29) and the link network (the upper /29). The pool lies outside podman's default
 * network (10.88.0.0/16) and its default pools for new networks (10.89.0.0/16 upwards), so
 * networks podman makes by itself never take these. Two workspaces whose names hash alike (1 in
 * 4,096), or a host route into the pool (a VPN, a LAN), collide: the network's service then
 * fails at start, and `render --subnet` picks another /28.
 */
import { UsageError } from "../errors.ts";

/** Where rendered workspaces' subnets come from: 4,096 /28s. */
export const SUBNET_POOL = "10.87.0.0/16";

/** The internal and link subnets of one workspace. */
export interface WorkspaceSubnets {
  internal: string;
  link: string;
}

/**
 * FNV-1a over the name's bytes, then a final avalanche so that similar names differ in the low
 * bits too: a stable spread of names, not a security measure.
 */
function nameHash(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

function dotted(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

function split(base: number): WorkspaceSubnets {
  return { internal: `${dotted(base)}/29`, link: `${dotted(base + 8)}/29` };
}

/**
 * The subnets of a workspace, from its name.
 *
 * @example
 * ```ts
 * workspaceSubnets("myproj-ab12"); // { internal: "10.87.X.Y/29", link: "10.87.X.Y+8/29" }
 * ```
 */
export function workspaceSubnets(workspace: string): WorkspaceSubnets {
  const slot = nameHash(workspace) % 4096;
  return split(((10 << 24) | (87 << 16) | (slot << 4)) >>> 0);
}

function isPrivate(value: number): boolean {
  const a = value >>> 24;
  const b = (value >>> 16) & 255;
  return a === 10 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168);
}

/**
 * The subnets from a /28 the user chose (`--subnet`): a private IPv4 /28 on its boundary.
 *
 * @example
 * ```ts
 * subnetsFrom("10.87.3.16/28"); // { internal: "10.87.3.16/29", link: "10.87.3.24/29" }
 * ```
 */
export function subnetsFrom(cidr: string): WorkspaceSubnets {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/28$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const hint = { hint: "give a private IPv4 /28 such as 10.87.3.16/28" };
  if (!m || octets.some((o) => o > 255)) {
    throw new UsageError(`--subnet: expected an IPv4 /28, got '${cidr}'`, hint);
  }
  const value = octets.reduce((acc, o) => ((acc << 8) | o) >>> 0, 0);
  if (value % 16 !== 0) {
    throw new UsageError(`--subnet: '${cidr}' does not start on a /28 boundary`, hint);
  }
  if (!isPrivate(value)) {
    throw new UsageError(`--subnet: '${cidr}' is not in a private range`, hint);
  }
  return split(value);
}
