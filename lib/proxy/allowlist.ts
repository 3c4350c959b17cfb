/**
 * The egress allowlist and the proxy's decisions, as pure functions.
 *
 * Entries: `host` (port 443), `host:port`, `*.domain` (any subdomain, not the domain itself),
 * `http://host[:port]` (plain-HTTP requests, port 80 by default), and IP literals
 * (`10.0.0.5`, `[::1]:8443`), which are the only way to allow a private, loopback or
 * link-local address — whether it is asked for directly or a name resolves to it.
 */

/** One allowlist entry. */
export interface AllowEntry {
  /** Lower-case host name, `*.`-prefixed for a wildcard, or an IP literal (IPv6 without brackets). */
  host: string;
  port: number;
  /** `connect`: TLS tunnels (CONNECT); `http`: plain-HTTP absolute-form requests. */
  kind: "connect" | "http";
}

/** A bad allowlist entry. */
export class AllowlistError extends Error {
  override readonly name = "AllowlistError";
}

const HOST_RE =
  /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Whether `host` is an IPv4 or IPv6 literal (without brackets). */
export function isIpLiteral(host: string): boolean {
  return ipv4(host) !== undefined || ipv6(host) !== undefined;
}

/** The four octets of an IPv4 literal, or undefined. */
export function ipv4(host: string): number[] | undefined {
  const parts = host.split(".");
  if (parts.length !== 4) return undefined;
  const nums = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return nums.every((n) => n >= 0 && n <= 255) ? nums : undefined;
}

/** Expands an IPv6 literal to 8 groups, or undefined. */
export function ipv6(host: string): number[] | undefined {
  if (!host.includes(":") || !/^[0-9a-f:.]+$/i.test(host)) return undefined;
  let text = host.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4).
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipv4(v4[1] as string);
    if (!n) return undefined;
    text = text.slice(0, -(v4[1] as string).length) +
      `${((n[0] as number) << 8 | (n[1] as number)).toString(16)}:${
        ((n[2] as number) << 8 | (n[3] as number)).toString(16)
      }`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  const nums = groups.map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  return nums.every((n) => !Number.isNaN(n)) ? nums : undefined;
}

/**
 * Whether an address must not be reached unless explicitly allowed: loopback, private,
 * link-local, CGNAT, unspecified, multicast and reserved ranges, IPv4-mapped forms included.
 */
export function isRestrictedAddress(ip: string): boolean {
  const v4 = ipv4(ip);
  if (v4) {
    const [a = 0, b = 0] = v4;
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
      (a === 192 && b === 0) || (a === 198 && (b === 18 || b === 19)) || a >= 224;
  }
  const v6 = ipv6(ip);
  if (!v6) return true; // not an address at all: never reachable by accident
  const [g0 = 0] = v6;
  const allZeroButLast = v6.slice(0, 7).every((g) => g === 0);
  if (allZeroButLast && (v6[7] === 0 || v6[7] === 1)) return true; // :: and ::1
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
    // IPv4-mapped: judge the IPv4 address.
    const hi = v6[6] ?? 0;
    const lo = v6[7] ?? 0;
    return isRestrictedAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return (g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xff00) === 0xff00;
}

/** Normalises an IP literal for comparison (IPv6 to its full form). */
function canonicalIp(ip: string): string {
  const v6 = !ipv4(ip) ? ipv6(ip) : undefined;
  return v6 ? v6.map((g) => g.toString(16)).join(":") : ip;
}

/** Parses one entry; throws {@link AllowlistError} with the reason. */
export function parseEntry(text: string): AllowEntry {
  let rest = text.trim().toLowerCase();
  let kind: AllowEntry["kind"] = "connect";
  if (rest.startsWith("http://")) {
    kind = "http";
    rest = rest.slice("http://".length).replace(/\/$/, "");
  } else if (rest.startsWith("https://")) {
    rest = rest.slice("https://".length).replace(/\/$/, "");
  }
  let host = rest;
  let port = kind === "http" ? 80 : 443;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1] as string;
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (!ipv6(rest)) {
    const m = /^(.*):(\d+)$/.exec(rest);
    if (m) {
      host = m[1] as string;
      port = Number(m[2]);
    }
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AllowlistError(`'${text}': bad port`);
  }
  if (!isIpLiteral(host) && !HOST_RE.test(host)) {
    throw new AllowlistError(`'${text}': not a host name, *.domain or IP address`);
  }
  return { host: isIpLiteral(host) ? canonicalIp(host) : host, port, kind };
}

/**
 * What is wrong with each bad entry of `entries`, one message per entry (empty: all are good).
 * Every place that takes entries (config files, flags, `allow`) checks them with this, before
 * anything happens: the proxy would refuse the whole list for one bad entry.
 *
 * @example
 * ```ts
 * entryProblems(["api.example.com", "x.com:0"]); // ["'x.com:0': bad port"]
 * ```
 */
export function entryProblems(entries: readonly string[]): string[] {
  return entries.flatMap((entry) => {
    try {
      parseEntry(entry);
      return [];
    } catch (err) {
      if (err instanceof AllowlistError) return [err.message];
      throw err;
    }
  });
}

/** Parses entries (blank ones left out), reporting every bad one at once. */
export function parseAllowlist(entries: readonly string[]): AllowEntry[] {
  const given = entries.filter((e) => e.trim() !== "");
  const bad = entryProblems(given);
  if (bad.length) throw new AllowlistError(`bad allowlist entries: ${bad.join("; ")}`);
  return given.map(parseEntry);
}

/** What the proxy decided, and why (logged, and sent with 403). */
export interface Decision {
  allow: boolean;
  reason: string;
}

function hostMatches(entry: AllowEntry, host: string): boolean {
  if (entry.host.startsWith("*.")) {
    return host.endsWith(entry.host.slice(1)) && host.length > entry.host.length - 1;
  }
  return entry.host === host;
}

/** Decides on a target by name (before resolving it). */
export function decideTarget(
  allowlist: readonly AllowEntry[],
  host: string,
  port: number,
  kind: AllowEntry["kind"],
): Decision {
  const h = host.toLowerCase().replace(/\.$/, "");
  const literal = isIpLiteral(h) ? canonicalIp(h) : undefined;
  const match = allowlist.find((e) =>
    e.kind === kind && e.port === port && hostMatches(e, literal ?? h)
  );
  if (match) {
    return {
      allow: true,
      reason: `allowed by ${match.kind === "http" ? "http://" : ""}${match.host}:${match.port}`,
    };
  }
  if (literal) return { allow: false, reason: `IP address ${h} is not on the allowlist` };
  const otherPort = allowlist.some((e) => e.kind === kind && hostMatches(e, h));
  if (otherPort) return { allow: false, reason: `${h} is allowed, but not on port ${port}` };
  if (allowlist.some((e) => hostMatches(e, h))) {
    return {
      allow: false,
      reason: kind === "http"
        ? `${h} is allowed for TLS (CONNECT) only, not plain HTTP`
        : `${h} is allowed for plain HTTP only, not CONNECT`,
    };
  }
  return { allow: false, reason: `${h} is not on the allowlist` };
}

/** Decides on the addresses a name resolved to: restricted ones need an IP entry of their own. */
export function decideAddresses(
  allowlist: readonly AllowEntry[],
  addresses: readonly string[],
  port: number,
): Decision {
  if (addresses.length === 0) return { allow: false, reason: "the name does not resolve" };
  for (const ip of addresses) {
    if (!isRestrictedAddress(ip)) continue;
    const c = canonicalIp(ip);
    if (!allowlist.some((e) => e.host === c && e.port === port)) {
      return {
        allow: false,
        reason: `resolves to ${ip}, a private or local address that is not on the allowlist`,
      };
    }
  }
  return { allow: true, reason: "addresses allowed" };
}
