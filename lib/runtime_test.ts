import { assertEquals, assertMatch } from "../tests/support/assert.ts";
import {
  containerRuntime,
  devaipodPermissionFlags,
  installArgv,
  runtimeKind,
  selfArgv,
  urlRuntimeDir,
} from "./runtime.ts";
import type { RuntimeInfo } from "./runtime.ts";
import denoJson from "../deno.json" with { type: "json" };
import { RUNTIME_FILES } from "./runtime_files.ts";
import { VERSION } from "./version.ts";

const CACHE = "/home/u/.cache/devaipod";
const URL_RUNTIME = urlRuntimeDir(CACHE);

Deno.test("runtime: a binary, a checkout and a URL each mount their own runtime in containers", () => {
  const table: [string, RuntimeInfo, string, unknown][] = [
    [
      "compiled",
      { standalone: true, execPath: "/usr/bin/devaipod", mainModule: "file:///tmp/x/main.ts" },
      "compiled",
      { kind: "binary", binary: "/usr/bin/devaipod" },
    ],
    [
      "checkout",
      { standalone: false, execPath: "/usr/bin/deno", mainModule: "file:///src/devaipod/main.ts" },
      "local",
      { kind: "deno", deno: "/usr/bin/deno", sources: "/src/devaipod" },
    ],
    [
      "checkout run inside another program (scripts/demo.ts): the code's own folder",
      {
        standalone: false,
        execPath: "/usr/bin/deno",
        mainModule: "file:///src/devaipod/scripts/demo.ts",
        codeRoot: "file:///src/devaipod/",
      },
      "local",
      { kind: "deno", deno: "/usr/bin/deno", sources: "/src/devaipod" },
    ],
    [
      "https URL",
      {
        standalone: false,
        execPath: "/usr/bin/deno",
        mainModule: "https://example.com/devaipod/v1/main.ts",
      },
      "url",
      { kind: "deno", deno: "/usr/bin/deno", sources: URL_RUNTIME },
    ],
    [
      "http URL",
      { standalone: false, execPath: "/usr/bin/deno", mainModule: "http://127.0.0.1:8/main.ts" },
      "url",
      { kind: "deno", deno: "/usr/bin/deno", sources: URL_RUNTIME },
    ],
  ];
  for (const [what, info, kind, mounted] of table) {
    assertEquals(runtimeKind(info), kind, what);
    assertEquals(containerRuntime(info, CACHE), mounted, what);
  }
});

Deno.test("runtime: a URL's runtime is cached per version and per file list", () => {
  assertMatch(
    URL_RUNTIME,
    new RegExp(`^${CACHE}/runtime/${VERSION.replaceAll(".", "\\.")}-[0-9a-f]{16}$`),
  );
  const first = RUNTIME_FILES[0];
  if (!first) throw new Error("RUNTIME_FILES is empty");
  const changed = [{ ...first, sha256: "0".repeat(64) }, ...RUNTIME_FILES.slice(1)];
  assertEquals(
    urlRuntimeDir(CACHE, changed) === URL_RUNTIME,
    false,
    "another hash, another folder",
  );
  assertEquals(urlRuntimeDir(CACHE, [...RUNTIME_FILES]), URL_RUNTIME);
});

/** The `devaipod` task's command in deno.json, as words: `deno run --quiet FLAGS… main.ts`. */
const TASK = (() => {
  const task = denoJson.tasks.devaipod;
  return (typeof task === "string" ? task : task.command).split(/\s+/);
})();

Deno.test("runtime: deno install runs what the devaipod task runs, from a checkout or a URL", () => {
  // `deno run … main.ts` of the task becomes `deno install -g --name devaipod …`.
  const [deno, run, ...rest] = TASK;
  assertEquals([deno, run, rest.at(-1)], ["deno", "run", "main.ts"], "the task's shape");
  const words = rest.slice(0, -1);
  const install = ["deno", "install", "-g", "--name", "devaipod"];
  assertEquals(installArgv(), [...install, "--config", "deno.json", ...words, "main.ts"]);
  for (const base of ["https://example.com/d/v1", "https://example.com/d/v1/"]) {
    assertEquals(installArgv(base), [
      ...install,
      ...words,
      "--import-map=https://example.com/d/v1/deno.json",
      "https://example.com/d/v1/main.ts",
    ]);
  }
  const flags = devaipodPermissionFlags();
  assertEquals(flags.some((f) => f === "-A" || f === "--allow-all"), false);
  // A URL run starts itself again (ssh-proxy) the same way.
  assertEquals(
    selfArgv(["ssh-proxy", "w"], {
      standalone: false,
      execPath: "/usr/bin/deno",
      mainModule: "https://example.com/d/v1/main.ts",
    }),
    [
      "/usr/bin/deno",
      "run",
      "--quiet",
      ...flags,
      "--import-map=https://example.com/d/v1/deno.json",
      "https://example.com/d/v1/main.ts",
      "ssh-proxy",
      "w",
    ],
  );
});

/** The README's `deno install` commands, each on one line (its `\` line breaks joined). */
async function readmeInstallLines(): Promise<string[]> {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  return readme.replaceAll(/\\\n\s*/g, "").split("\n").filter((l) => l.startsWith("deno install "));
}

Deno.test("runtime: the README's install commands are installArgv's, word for word", async () => {
  assertEquals(
    await readmeInstallLines(),
    [installArgv(), installArgv("<url>")].map((argv) => argv.join(" ")),
  );
});
