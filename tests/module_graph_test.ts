/**
 * What the CLI loads at start: Deno installs the npm packages of the entry point's module graph
 * (and of deno.json's import map) before it runs anything, so a package there costs every cold
 * start. The gator's MCP SDK (about 90 packages) belongs to the gator's bundle only.
 */
import { assertEquals } from "./support/assert.ts";
import { denoProgram } from "./support/cli.ts";
import denoJson from "../deno.json" with { type: "json" };

Deno.test("the CLI's module graph and import map hold no MCP SDK: a cold start does not install it", async () => {
  const out = await new Deno.Command(denoProgram(), {
    args: ["info", "--json", new URL("../main.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  const specifiers = info.modules.map((m) => m.specifier);
  assertEquals(specifiers.filter((s) => s.includes("@modelcontextprotocol")), []);
  assertEquals(specifiers.some((s) => s.endsWith("/lib/gator/server.ts")), false);
  assertEquals(
    Object.values(denoJson.imports).filter((v) => v.includes("@modelcontextprotocol")),
    [],
  );
});
