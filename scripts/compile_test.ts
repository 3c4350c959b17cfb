import { denoProgram, devaipodPermissionFlags } from "../tests/support/cli.ts";
import { assert, assertEquals, assertMatch } from "../tests/support/assert.ts";
import { runtimeFailure, TARGETS } from "./compile.ts";

Deno.test("compile: a failed runtime download becomes one line naming the URL, the cause and DENORT_BIN", () => {
  const stderr = `Compile main.ts to dist/x
Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
error: Writing deno compile executable to temporary file 'dist/x.tmp'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect)
    2: client error (Connect)
    3: tcp connect error
    4: Connection refused (os error 111)
`;
  assertEquals(
    runtimeFailure(stderr, "x86_64-unknown-linux-gnu"),
    "cannot download the Deno runtime for x86_64-unknown-linux-gnu " +
      "(https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): Connection refused (os error 111); " +
      "set DENORT_BIN to a local denort binary for x86_64-unknown-linux-gnu",
  );
});

Deno.test("compile: a DENORT_BIN that does not exist is named", () => {
  assertEquals(
    runtimeFailure(
      "error: Writing…\n\nCaused by:\n    0: Could not find denort at '/no/denort'\n",
      "t",
    ),
    "DENORT_BIN=/no/denort does not exist; point DENORT_BIN at a denort binary for t",
  );
});

Deno.test("compile: other failures are not blamed on the runtime", () => {
  assertEquals(runtimeFailure("error: TS2322 Type 'x' is not assignable", "t"), undefined);
});

Deno.test("compile: targets cover Linux, macOS (both architectures) and Windows", () => {
  assertEquals(TARGETS.length, 5);
  assert(TARGETS.includes("x86_64-pc-windows-msvc"));
});

function withoutDenortBin(env: Record<string, string>): Record<string, string> {
  const { DENORT_BIN: _, ...rest } = env;
  return rest;
}

Deno.test("compile: without a reachable runtime it fails fast with one clear line, or else builds a working binary", async () => {
  // A closed loopback port as the proxy: the runtime download fails here at once and no
  // outside address is contacted. npm packages (already cached) bypass it.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const out = await new Deno.Command(denoProgram(), {
    args: [
      "run",
      "--quiet",
      "--allow-run=deno",
      "--allow-env",
      "--allow-read",
      "--allow-write=dist",
      "scripts/compile.ts",
      "--target",
      "x86_64-unknown-linux-gnu",
    ],
    cwd: new URL("..", import.meta.url).pathname,
    clearEnv: true,
    env: {
      ...withoutDenortBin(Deno.env.toObject()),
      HTTPS_PROXY: `http://127.0.0.1:${port}`,
      HTTP_PROXY: `http://127.0.0.1:${port}`,
      NO_PROXY: "registry.npmjs.org",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code === 0) {
    // This machine had the runtime cached: the binary must run with the task's permissions.
    const bin = new URL("../dist/devaipod-x86_64-unknown-linux-gnu", import.meta.url).pathname;
    const v = await new Deno.Command(bin, { args: ["--version"], stdout: "piped" }).output();
    assertMatch(new TextDecoder().decode(v.stdout), /^devaipod \d+\.\d+\.\d+/);
    return;
  }
  assertEquals(out.code, 7, stderr);
  const lines = stderr.trim().split("\n");
  assertEquals(lines.length, 1, `one line, not a backtrace:\n${stderr}`);
  assertMatch(
    lines[0] ?? "",
    /^error: cannot download the Deno runtime for x86_64-unknown-linux-gnu .*set DENORT_BIN/,
  );
});

Deno.test("compile: the baked permissions are the devaipod task's, and none is -A", () => {
  const flags = devaipodPermissionFlags();
  assert(flags.length >= 4);
  assertEquals(flags.some((f) => f === "-A" || f === "--allow-all"), false);
  assert(flags.some((f) => f.startsWith("--allow-run=")), "run access is scoped to named programs");
});
