import { assertEquals } from "../../tests/support/assert.ts";
import { judge, parseProbeOutput } from "./verify.ts";

const SEALED = `route_default=0
route6=0
dns=failed
direct_tcp=000 7
proxy_allowed=502
proxy_denied=403
udp=closed
capeff=0000000000000000
nonewprivs=1
uid=1000
secrets=ANTHROPIC_API_KEY OPENCODE_SERVER_PASSWORD `;

const allowed = ["ANTHROPIC_API_KEY", "OPENCODE_SERVER_PASSWORD"];

Deno.test("verify: a sealed agent passes every probe", () => {
  const probes = judge(parseProbeOutput(SEALED), allowed);
  assertEquals(probes.map((p) => p.id), [
    "direct-tcp",
    "dns",
    "host-gateway",
    "ipv6",
    "udp",
    "proxy-allowed",
    "proxy-denied",
    "capabilities",
    "no-new-privileges",
    "uid",
    "secrets",
  ]);
  assertEquals(probes.filter((p) => !p.ok), []);
});

Deno.test("verify: each escape is caught", () => {
  const table: [string, string, string][] = [
    ["direct_tcp=000 7", "direct_tcp=200 0", "direct-tcp"],
    ["dns=failed", "dns=resolved", "dns"],
    ["route_default=0", "route_default=1", "host-gateway"],
    ["route6=0", "route6=2", "ipv6"],
    ["proxy_denied=403", "proxy_denied=200", "proxy-denied"],
    ["capeff=0000000000000000", "capeff=00000000a80425fb", "capabilities"],
    ["nonewprivs=1", "nonewprivs=0", "no-new-privileges"],
    ["uid=1000", "uid=0", "uid"],
    [
      "secrets=ANTHROPIC_API_KEY OPENCODE_SERVER_PASSWORD ",
      "secrets=GH_TOKEN OPENCODE_SERVER_PASSWORD",
      "secrets",
    ],
  ];
  for (const [from, to, id] of table) {
    const probes = judge(parseProbeOutput(SEALED.replace(from, to)), allowed);
    assertEquals(probes.filter((p) => !p.ok).map((p) => p.id), [id], `${from} → ${to}`);
  }
});

Deno.test("verify: an image without curl is reported, not failed", () => {
  const probes = judge(
    parseProbeOutput(
      SEALED.replace(/^(direct_tcp|proxy_allowed|proxy_denied)=.*$/gm, "").concat("\ncurl=missing"),
    ),
    allowed,
  );
  assertEquals(probes.filter((p) => !p.ok), []);
  assertEquals(probes.some((p) => p.id === "proxy-denied"), false);
});
