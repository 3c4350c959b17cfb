/**
 * Where the proxy never connects, whatever its allowlist says: into the workspace's own networks
 * (the agent's internal network and the workspace's link network, given as `--own-subnet`) and
 * into the proxy's own host (loopback, the unspecified address). A name on the allowlist that
 * resolves there, or an IP entry naming such an address, is refused all the same: through the
 * proxy the agent must reach neither the workspace, nor the relay, nor the proxy itself. Pure.
 */
import { ipv4, ipv6 } from "./allowlist.ts";
import type { Decision } from "./allowlist.ts";

/** A parsed subnet: its text, its network's bytes (4 or 16) and its prefix length. */
export interface Subnet {
  text: string;
  bytes: readonly number[];
  prefix: number;
}

/**
 * The bytes of an IP literal: 4 for IPv4 and for IPv4-mapped IPv6 (`::ffff:127.0.0.1` is
 * 127.0.0.1 to the kernel), 16 for other IPv6; undefined when it is not an address.
 */
export function ipBytes(ip: string): number[] | undefined {
  const v4 = ipv4(ip);
  if (v4) return v4;
  const v6 = ipv6(ip);
  if (!v6) return undefined;
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
    return v6.slice(6).flatMap((g) => [g >> 8, g & 255]);
  }
  return v6.flatMap((g) => [g >> 8, g & 255]);
}

/**
 * Parses `address/prefix` (`10.89.0.0/24`, `fd00::/64`); throws an Error naming the text.
 *
 * @example
 * ```ts
 * parseSubnet("10.89.1.0/24"); // { text: "10.89.1.0/24", bytes: [10, 89, 1, 0], prefix: 24 }
 * ```
 */
export function parseSubnet(text: string): Subnet {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  const bytes = m ? ipBytes(m[1] as string) : undefined;
  const prefix = Number(m?.[2]);
  if (!bytes || !(prefix <= bytes.length * 8)) {
    throw new Error(`'${text}': expected a subnet such as 10.89.0.0/24 or fd00::/64`);
  }
  return { text: text.trim(), bytes, prefix };
}

/** Whether `ip` lies in `subnet` (an address of the other family never does). */
export function inSubnet(ip: string, subnet: Subnet): boolean {
  const bytes = ipBytes(ip);
  if (!bytes || bytes.length !== subnet.bytes.length) return false;
  for (let bit = 0; bit < subnet.prefix; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((bytes[i] ?? 0) & mask) !== ((subnet.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** The proxy's own host: loopback and the unspecified address (which reaches it too). */
export const LOCAL_SUBNETS: readonly Subnet[] = ["127.0.0.0/8", "0.0.0.0/8", "::1/128", "::/128"]
  .map(parseSubnet);

/**
 * Decides on the addresses a target resolved to (or its IP literal): refused when any of them is
 * in one of `own` (the workspace's networks) or in {@link LOCAL_SUBNETS}, or is no address at all.
 *
 * @example
 * ```ts
 * decideOwnNetworks([parseSubnet("10.89.1.0/24")], ["10.89.1.3"]).allow; // false
 * decideOwnNetworks([parseSubnet("10.89.1.0/24")], ["93.184.215.14"]).allow; // true
 * ```
 */
export function decideOwnNetworks(
  own: readonly Subnet[],
  addresses: readonly string[],
): Decision {
  for (const ip of addresses) {
    if (!ipBytes(ip)) return { allow: false, reason: `'${ip}' is not an IP address` };
    const local = LOCAL_SUBNETS.find((s) => inSubnet(ip, s));
    if (local) {
      return {
        allow: false,
        reason: `${ip} is the proxy's own host (${local.text}); the proxy never connects there`,
      };
    }
    const mine = own.find((s) => inSubnet(ip, s));
    if (mine) {
      return {
        allow: false,
        reason:
          `${ip} is in the workspace's own network ${mine.text}; the proxy never connects there`,
      };
    }
  }
  return { allow: true, reason: "outside the workspace's networks" };
}
