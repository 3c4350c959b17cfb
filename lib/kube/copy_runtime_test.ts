import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { copyRuntime } from "./copy_runtime.ts";

Deno.test("copyRuntime() copies the named files and folders with their modes, nothing else", async () => {
  const from = await Deno.makeTempDir();
  const to = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${from}/bin`);
    await Deno.writeTextFile(`${from}/bin/tool`, "#!/bin/sh\n", { mode: 0o755 });
    await Deno.writeTextFile(`${from}/bin/other`, "x");
    await Deno.mkdir(`${from}/src/lib/a`, { recursive: true });
    await Deno.writeTextFile(`${from}/src/lib/a/m.ts`, "export {};\n", { mode: 0o644 });
    await Deno.mkdir(`${from}/shims`);
    await copyRuntime(from, to, ["bin/tool", "src", "shims"]);
    assertEquals(((await Deno.stat(`${to}/bin/tool`)).mode ?? 0) & 0o777, 0o755);
    assertEquals(await Deno.readTextFile(`${to}/src/lib/a/m.ts`), "export {};\n");
    assertEquals((await Deno.stat(`${to}/shims`)).isDirectory, true);
    await assertRejects(() => Deno.stat(`${to}/bin/other`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(from, { recursive: true });
    await Deno.remove(to, { recursive: true });
  }
});

Deno.test("copyRuntime() refuses a path that leaves its folder", async () => {
  await assertRejects(() => copyRuntime("/a", "/b", ["../etc/passwd"]), /not a path inside/);
  await assertRejects(() => copyRuntime("/a", "/b", ["/etc"]), /not a path inside/);
});
