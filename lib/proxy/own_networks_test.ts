import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { decideOwnNetworks, inSubnet, ipBytes, parseSubnet } from "./own_networks.ts";

Deno.test("own networks: subnets parse, bad ones are refused naming the text", () => {
  assertEquals(parseSubnet("10.89.1.0/24"), {
    text: "10.89.1.0/24",
    bytes: [10, 89, 1, 0],
    prefix: 24,
  });
  assertEquals(parseSubnet("fd00::/8").bytes.length, 16);
  for (const bad of ["10.89.1.0", "10.89.1.0/33", "fd00::/129", "host/24", "/24", "10.1.2.3/x"]) {
    const err = assertThrows(() => parseSubnet(bad));
    assertEquals(err.message, `'${bad}': expected a subnet such as 10.89.0.0/24 or fd00::/64`);
  }
});

Deno.test("own networks: membership by prefix, IPv4-mapped IPv6 judged as IPv4", () => {
  const table: [string, string, boolean][] = [
    ["10.89.1.3", "10.89.1.0/24", true],
    ["10.89.1.255", "10.89.1.0/24", true],
    ["10.89.2.3", "10.89.1.0/24", false],
    ["10.89.1.3", "10.89.0.0/16", true],
    ["10.89.1.3", "10.89.1.3/32", true],
    ["10.89.1.4", "10.89.1.3/32", false],
    ["10.89.1.130", "10.89.1.128/25", true],
    ["10.89.1.127", "10.89.1.128/25", false],
    ["::ffff:10.89.1.3", "10.89.1.0/24", true],
    ["::ffff:a59:103", "10.89.1.0/24", true],
    ["fd00::5", "fd00::/64", true],
    ["fd01::5", "fd00::/64", false],
    ["10.89.1.3", "fd00::/8", false],
    ["not-an-ip", "0.0.0.0/0", false],
    ["1.2.3.4", "0.0.0.0/0", true],
  ];
  for (const [ip, subnet, inside] of table) {
    assertEquals(inSubnet(ip, parseSubnet(subnet)), inside, `${ip} in ${subnet}`);
  }
  assertEquals(ipBytes("::ffff:127.0.0.1"), [127, 0, 0, 1]);
  assertEquals(ipBytes("example.com"), undefined);
});

Deno.test("own networks: the workspace's subnets, loopback and the unspecified address are refused; the world is not", () => {
  const own = [parseSubnet("10.89.0.0/24"), parseSubnet("10.89.1.0/24")];
  const table: [string[], boolean, string][] = [
    [["93.184.215.14"], true, "outside the workspace's networks"],
    [["2606:2800:21f:cb07:6820:80da:af6b:8b2c"], true, "outside the workspace's networks"],
    // Other private networks are the allowlist's business (an IP entry may allow them), not this.
    [["10.89.7.9", "192.168.1.1"], true, "outside the workspace's networks"],
    [
      ["10.89.0.3"],
      false,
      "10.89.0.3 is in the workspace's own network 10.89.0.0/24; the proxy never connects there",
    ],
    [
      ["93.184.215.14", "10.89.1.3"],
      false,
      "10.89.1.3 is in the workspace's own network 10.89.1.0/24; the proxy never connects there",
    ],
    [
      ["::ffff:10.89.1.2"],
      false,
      "::ffff:10.89.1.2 is in the workspace's own network 10.89.1.0/24; the proxy never connects there",
    ],
    [
      ["127.0.0.1"],
      false,
      "127.0.0.1 is the proxy's own host (127.0.0.0/8); the proxy never connects there",
    ],
    [
      ["127.45.6.7"],
      false,
      "127.45.6.7 is the proxy's own host (127.0.0.0/8); the proxy never connects there",
    ],
    [["::1"], false, "::1 is the proxy's own host (::1/128); the proxy never connects there"],
    [
      ["::ffff:127.0.0.1"],
      false,
      "::ffff:127.0.0.1 is the proxy's own host (127.0.0.0/8); the proxy never connects there",
    ],
    [
      ["0.0.0.0"],
      false,
      "0.0.0.0 is the proxy's own host (0.0.0.0/8); the proxy never connects there",
    ],
    [["::"], false, ":: is the proxy's own host (::/128); the proxy never connects there"],
    [["nonsense"], false, "'nonsense' is not an IP address"],
  ];
  for (const [addresses, allow, reason] of table) {
    assertEquals(decideOwnNetworks(own, addresses), { allow, reason }, addresses.join(","));
  }
  // Loopback is refused even when no subnet is given.
  assertEquals(decideOwnNetworks([], ["127.0.0.1"]).allow, false);
  assertEquals(decideOwnNetworks([], ["10.89.0.3"]).allow, true);
});
