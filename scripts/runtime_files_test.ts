import { assert, assertEquals, assertThrows } from "../tests/support/assert.ts";
import { RUNTIME_ENTRY_POINTS, RUNTIME_FILES } from "../lib/runtime_files.ts";
import {
  computeRuntimeFiles,
  ENTRY_POINTS,
  graphFiles,
  OUTPUT,
  render,
  ROOT,
} from "./runtime_files.ts";
import type { GraphModule } from "./runtime_files.ts";

Deno.test("runtime files: lib/runtime_files.ts lists the containers' module graph with each file's current hash", async () => {
  const files = await computeRuntimeFiles();
  // Each program's own file is in it, and more than the programs alone.
  for (const entry of ENTRY_POINTS) assert(files.some((f) => f.path === entry), entry);
  assert(files.length > ENTRY_POINTS.length);
  const listed = new Map(RUNTIME_FILES.map((f) => [f.path, f.sha256]));
  const onDisk = new Map(files.map((f) => [f.path, f.sha256]));
  const differ = [...new Set([...listed.keys(), ...onDisk.keys()])]
    .filter((path) => listed.get(path) !== onDisk.get(path));
  const regenerate = "run `deno task runtime-files`";
  assert(
    differ.length === 0,
    `lib/runtime_files.ts is stale for ${differ.join(", ")}: ${regenerate}`,
  );
  assert(
    String(RUNTIME_ENTRY_POINTS) === String(ENTRY_POINTS),
    `lib/runtime_files.ts names other entry points than scripts/runtime_files.ts: ${regenerate}`,
  );
  assertEquals(await Deno.readTextFile(`${ROOT}/${OUTPUT}`), render(ENTRY_POINTS, files));
});

Deno.test("runtime files: code run in a container may import only devaipod's files and node: built-ins", () => {
  const root = "/src/devaipod";
  assertEquals(
    graphFiles(root, [
      { specifier: "file:///src/devaipod/lib/proxy/main.ts", kind: "esm" },
      { specifier: "file:///src/devaipod/lib/errors.ts", kind: "esm" },
      { specifier: "node:crypto", kind: "node" },
      { specifier: "file:///src/devaipod/lib/errors.ts", kind: "esm" },
    ]),
    ["lib/errors.ts", "lib/proxy/main.ts"],
  );
  const refused: [GraphModule, RegExp][] = [
    [
      { specifier: "npm:zod@4.6.7", kind: "npm" },
      /^'npm:zod@4\.6\.7' is not one of devaipod's files/,
    ],
    [{ specifier: "jsr:@std/path@1", kind: "esm" }, /^'jsr:@std\/path@1' is not one/],
    [
      { specifier: "https://example.com/x.ts", kind: "esm" },
      /^'https:\/\/example\.com\/x\.ts' is not one/,
    ],
    [
      { specifier: "file:///etc/x.ts", kind: "esm" },
      /^'file:\/\/\/etc\/x\.ts' is outside the repository '\/src\/devaipod'$/,
    ],
    [
      {
        specifier: "file:///src/devaipod/lib/a.ts",
        dependencies: [{ specifier: "zod", code: { error: 'Import "zod" not a dependency' } }],
      },
      /^'file:\/\/\/src\/devaipod\/lib\/a\.ts' imports 'zod': Import "zod" not a dependency$/,
    ],
    [
      { specifier: "file:///src/devaipod/lib/b.ts", error: "Module not found" },
      /^cannot load 'file:\/\/\/src\/devaipod\/lib\/b\.ts': Module not found$/,
    ],
  ];
  for (const [module, message] of refused) assertThrows(() => graphFiles(root, [module]), message);
});
