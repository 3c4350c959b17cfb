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
