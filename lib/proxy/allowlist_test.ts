import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import {
  AllowlistError,
  decideAddresses,
  decideTarget,
  entryProblems,
  isRestrictedAddress,
  parseAllowlist,
  parseEntry,
} from "./allowlist.ts";

Deno.test("allowlist: entry forms", () => {
  const table: [string, unknown][] = [
    ["api.anthropic.com", { host: "api.anthropic.com", port: 443, kind: "connect" }],
    ["API.Example.com:8443", { host: "api.example.com", port: 8443, kind: "connect" }],
    ["*.githubusercontent.com", { host: "*.githubusercontent.com", port: 443, kind: "connect" }],
    ["https://registry.npmjs.org/", { host: "registry.npmjs.org", port: 443, kind: "connect" }],
    ["http://deb.debian.org", { host: "deb.debian.org", port: 80, kind: "http" }],
    ["http://mirror.local:8080", { host: "mirror.local", port: 8080, kind: "http" }],
    ["10.0.0.5", { host: "10.0.0.5", port: 443, kind: "connect" }],
    ["10.0.0.5:3128", { host: "10.0.0.5", port: 3128, kind: "connect" }],
    ["[::1]:8443", { host: "0:0:0:0:0:0:0:1", port: 8443, kind: "connect" }],
    ["fd00::1", { host: "fd00:0:0:0:0:0:0:1", port: 443, kind: "connect" }],
  ];
  for (const [text, entry] of table) assertEquals(parseEntry(text), entry, text);
});

Deno.test("allowlist: bad entries are all reported", () => {
  for (
    const bad of ["", "a b", "host:0", "host:70000", "*.", "-x.com", "exa_mple.com", "*.*.com"]
  ) {
    assertThrows(() => parseEntry(bad), AllowlistError);
  }
  const err = assertThrows(() => parseAllowlist(["ok.com", "bad host", "x:99999"]), AllowlistError);
  assertEquals(
    err.message,
    "bad allowlist entries: 'bad host': not a host name, *.domain or IP address; 'x:99999': bad port",
  );
});

Deno.test("entryProblems() names each bad entry once, in order, and nothing for good ones", () => {
  const table: [string[], string[]][] = [
    [["api.example.com", "*.example.org:8443", "http://mirror.local:8080"], []],
    [["ok.com", "bad host", "x:99999"], [
      "'bad host': not a host name, *.domain or IP address",
      "'x:99999': bad port",
    ]],
    [["x.com:0"], ["'x.com:0': bad port"]],
    [[], []],
  ];
  for (const [entries, problems] of table) assertEquals(entryProblems(entries), problems);
  assertEquals(entryProblems([""]).length, 1, "an empty entry is bad");
});

const list = parseAllowlist([
  "api.anthropic.com",
  "*.example.org:8443",
  "http://deb.debian.org",
  "10.0.0.5:3128",
  "[fd00::7]:443",
]);

Deno.test("allowlist: decisions by name, port and kind", () => {
  const table: [string, number, "connect" | "http", boolean, string][] = [
    ["api.anthropic.com", 443, "connect", true, "allowed by api.anthropic.com:443"],
    ["API.ANTHROPIC.COM.", 443, "connect", true, "allowed by api.anthropic.com:443"],
    ["api.anthropic.com", 80, "connect", false, "api.anthropic.com is allowed, but not on port 80"],
    ["evil.com", 443, "connect", false, "evil.com is not on the allowlist"],
    ["a.example.org", 8443, "connect", true, "allowed by *.example.org:8443"],
    ["a.b.example.org", 8443, "connect", true, "allowed by *.example.org:8443"],
    ["example.org", 8443, "connect", false, "example.org is not on the allowlist"],
    ["notexample.org", 8443, "connect", false, "notexample.org is not on the allowlist"],
    ["deb.debian.org", 80, "http", true, "allowed by http://deb.debian.org:80"],
    [
      "deb.debian.org",
      80,
      "connect",
      false,
      "deb.debian.org is allowed for plain HTTP only, not CONNECT",
    ],
    [
      "api.anthropic.com",
      443,
      "http",
      false,
      "api.anthropic.com is allowed for TLS (CONNECT) only, not plain HTTP",
    ],
    [
      "api.anthropic.com",
      80,
      "http",
      false,
      "api.anthropic.com is allowed for TLS (CONNECT) only, not plain HTTP",
    ],
    ["1.2.3.4", 443, "connect", false, "IP address 1.2.3.4 is not on the allowlist"],
    ["10.0.0.5", 3128, "connect", true, "allowed by 10.0.0.5:3128"],
    ["fd00:0::7", 443, "connect", true, "allowed by fd00:0:0:0:0:0:0:7:443"],
  ];
  for (const [host, port, kind, allow, reason] of table) {
    assertEquals(
      decideTarget(list, host, port, kind),
      { allow, reason },
      `${kind} ${host}:${port}`,
    );
  }
});

Deno.test("allowlist: restricted addresses", () => {
  const restricted = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fd12::1",
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "not-an-ip",
  ];
  const open = [
    "1.1.1.1",
    "172.32.0.1",
    "8.8.8.8",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
    "100.128.0.1",
  ];
  for (const ip of restricted) assertEquals(isRestrictedAddress(ip), true, ip);
  for (const ip of open) assertEquals(isRestrictedAddress(ip), false, ip);
});

Deno.test("allowlist: a name that resolves to a restricted address needs that address on the list", () => {
  assertEquals(decideAddresses(list, ["93.184.216.34"], 443).allow, true);
  assertEquals(decideAddresses(list, ["93.184.216.34", "10.9.9.9"], 443), {
    allow: false,
    reason: "resolves to 10.9.9.9, a private or local address that is not on the allowlist",
  });
  assertEquals(decideAddresses(list, ["10.0.0.5"], 3128).allow, true);
  assertEquals(decideAddresses(list, ["10.0.0.5"], 443).allow, false);
  assertEquals(decideAddresses(list, [], 443), {
    allow: false,
    reason: "the name does not resolve",
  });
});
