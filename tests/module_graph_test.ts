/**
 * What the CLI loads at start: Deno installs every npm package of its lockfile, of deno.json's
 * import map and of the entry point's module graph before it runs anything, so a package there
 * costs every start (a cold one most). The gator's MCP SDK (about 90 packages) belongs to the
 * gator's bundle only: it is pinned in deno.dev.lock (with the tests' packages), never in
 * deno.lock, which holds the CLI's and the scripts' alone.
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

Deno.test("deno.lock holds the CLI's and the scripts' packages, all of them, and no MCP SDK", async () => {
  const root = new URL("../", import.meta.url).pathname;
  const lock = await Deno.readTextFile(`${root}deno.lock`);
  assertEquals(lock.includes("@modelcontextprotocol"), false);
  const scripts = [...Deno.readDirSync(`${root}scripts`)].filter((e) =>
    e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")
  ).map((e) => `scripts/${e.name}`);
  const out = await new Deno.Command(denoProgram(), {
    args: ["cache", "--quiet", "--frozen", "main.ts", ...scripts],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, `deno.lock is out of date: ${new TextDecoder().decode(out.stderr)}`);
});
