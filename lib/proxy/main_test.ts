import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { parseAllowFile, watchAllowFile } from "./allow_file.ts";
import { parseProxyArgs } from "./main.ts";

Deno.test("proxy flags: defaults, listen, allow lists and limits", () => {
  assertEquals(parseProxyArgs([]), { hostname: "0.0.0.0", port: 3128, allow: [], limits: {} });
  assertEquals(
    parseProxyArgs([
      "--listen",
      "[::1]:8080",
      "--allow",
      "a.com",
      "*.b.org",
      "--allow-file",
      "/f",
      "--idle-timeout",
      "5",
      "--max-tunnels",
      "7",
      "--head-timeout",
      "9",
    ]),
    {
      hostname: "::1",
      port: 8080,
      allow: ["a.com", "*.b.org"],
      allowFile: "/f",
      limits: { idleTimeoutMs: 5, maxTunnels: 7, headTimeoutMs: 9 },
    },
  );
  assertThrows(() => parseProxyArgs(["--listen", "nope"]), /--listen: expected host:port/);
  assertThrows(
    () => parseProxyArgs(["--max-tunnels", "-1"]),
    /--max-tunnels: expected a positive whole number/,
  );
  assertThrows(() => parseProxyArgs(["--allow", "bad host"]), /bad allowlist entries/);
  assertThrows(() => parseProxyArgs(["--what"]), /unknown option --what/);
});

Deno.test("proxy flags: provider endpoints, their keys' files, upstreams and CA", () => {
  assertEquals(
    parseProxyArgs([
      "--providers-listen",
      "10.0.0.2:3129",
      "--provider",
      "anthropic=/run/k/ANTHROPIC_API_KEY",
      "openai=/run/k/OPENAI_API_KEY",
      "--provider-upstream",
      "anthropic=https://gw.example.com/anthropic/",
      "--provider-ca",
      "/ca.pem",
    ]).providers,
    {
      listen: { hostname: "10.0.0.2", port: 3129 },
      keys: [
        { id: "anthropic", keyFile: "/run/k/ANTHROPIC_API_KEY" },
        { id: "openai", keyFile: "/run/k/OPENAI_API_KEY" },
      ],
      upstreams: { anthropic: "https://gw.example.com/anthropic" },
      caFile: "/ca.pem",
    },
  );
  assertThrows(() => parseProxyArgs(["--provider", "mistral=/k"]), /unknown provider 'mistral'/);
  assertThrows(() => parseProxyArgs(["--provider", "anthropic=k"]), /expected ID=\/path/);
  assertThrows(
    () => parseProxyArgs(["--provider-upstream", "openai=ftp://x"]),
    /--provider-upstream: expected ID=https/,
  );
  assertThrows(
    () => parseProxyArgs(["--providers-listen", "x"]),
    /--providers-listen: expected host:port/,
  );
});

Deno.test("proxy flags: relays and the workspace's own subnets, each flag repeatable", () => {
  assertEquals(
    parseProxyArgs([
      "--listen",
      "10.89.0.2:3128",
      "--relay",
      "10.89.1.2:4096=10.89.0.3:4096",
      "--own-subnet",
      "10.89.0.0/24",
      "10.89.1.0/24",
      "--own-subnet",
      "fd00::/64",
      "--relay",
      "[::1]:5000=127.0.0.1:6000",
    ]),
    {
      hostname: "10.89.0.2",
      port: 3128,
      allow: [],
      limits: {},
      relays: [
        {
          listen: { hostname: "10.89.1.2", port: 4096 },
          target: { hostname: "10.89.0.3", port: 4096 },
        },
        { listen: { hostname: "::1", port: 5000 }, target: { hostname: "127.0.0.1", port: 6000 } },
      ],
      ownSubnets: ["10.89.0.0/24", "10.89.1.0/24", "fd00::/64"],
    },
  );
  const table: [string[], string][] = [
    [["--relay"], "--relay: expected LISTEN=TARGET"],
    [
      ["--relay", "10.89.1.2:4096"],
      "--relay: '10.89.1.2:4096': expected LISTEN=TARGET, each host:port (10.89.1.2:4096=10.89.0.3:4096)",
    ],
    [
      ["--relay", "a:1=b:99999"],
      "--relay: 'a:1=b:99999': expected LISTEN=TARGET, each host:port (10.89.1.2:4096=10.89.0.3:4096)",
    ],
    [["--own-subnet"], "--own-subnet: expected a subnet such as 10.89.0.0/24"],
    [
      ["--own-subnet", "10.89.0.0"],
      "--own-subnet: '10.89.0.0': expected a subnet such as 10.89.0.0/24 or fd00::/64",
    ],
  ];
  for (const [args, message] of table) {
    assertEquals(assertThrows(() => parseProxyArgs(args)).message, message, args.join(" "));
  }
});

Deno.test("allow file: entries per line, comments ignored, re-read on change, last good list kept", async () => {
  assertEquals(
    parseAllowFile("# agent\napi.anthropic.com\n\n*.example.org:8443 # extra\n").map((e) => e.host),
    ["api.anthropic.com", "*.example.org"],
  );
  const dir = await Deno.makeTempDir();
  const file = `${dir}/allow`;
  await Deno.writeTextFile(file, "a.com\n");
  const errors: string[] = [];
  const read = watchAllowFile(file, (m) => errors.push(m));
  assertEquals(read().map((e) => e.host), ["a.com"]);
  await Deno.writeTextFile(file, "a.com\nb.com\n");
  assertEquals(read().map((e) => e.host), ["a.com", "b.com"]);
  await Deno.writeTextFile(file, "a.com\nbad host here\n");
  assertEquals(
    read().map((e) => e.host),
    ["a.com", "b.com"],
    "an invalid file keeps the last good list",
  );
  assertEquals(errors.length, 1);
  await Deno.remove(dir, { recursive: true });
});
