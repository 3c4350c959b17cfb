import { assert, assertEquals } from "../tests/support/assert.ts";
import { formatError } from "./cli/format_error.ts";
import {
  ConfigError,
  ConflictError,
  DevaipodError,
  EnvironmentError,
  ExitCode,
  formatArgv,
  formatLocation,
  PermissionError,
  PodmanFailedError,
  PodmanMissingError,
  shellQuote,
  tailLines,
  toDevaipodError,
  UsageError,
} from "./errors.ts";

Deno.test("errors: each class carries its documented exit code", () => {
  assertEquals(new UsageError("x").exitCode, 2);
  assertEquals(new ConfigError("x").exitCode, 3);
  assertEquals(new PodmanMissingError("podman").exitCode, 4);
  assertEquals(new PodmanFailedError(["podman", "x"], 125, "").exitCode, 5);
  assertEquals(new ConflictError("x").exitCode, 9);
  assertEquals(new EnvironmentError("x").exitCode, 10);
  assertEquals(ExitCode.interrupted, 130);
});

Deno.test("errors: every exit code is distinct, so each names one category", () => {
  const codes = Object.values(ExitCode);
  assertEquals(new Set(codes).size, codes.length);
});

Deno.test("errors: config errors lead with file:line:col", () => {
  const e = new ConfigError("unexpected token", {
    location: { file: "/p/devcontainer.json", line: 3, column: 7 },
  });
  assertEquals(e.message, "/p/devcontainer.json:3:7: unexpected token");
  assertEquals(formatLocation({ file: "f", line: 2 }), "f:2");
  assertEquals(formatLocation({ file: "f" }), "f");
});

Deno.test("errors: argv is shown as a shell would read it back", () => {
  assertEquals(shellQuote("plain-word_1.2/x=y"), "plain-word_1.2/x=y");
  assertEquals(shellQuote(""), "''");
  assertEquals(shellQuote("it's a test"), `'it'\\''s a test'`);
  assertEquals(formatArgv(["podman", "run", "--label", "a=b c"]), "podman run --label 'a=b c'");
});

Deno.test("errors: a podman failure keeps argv, code and the last stderr lines", () => {
  assertEquals(tailLines("a\n\nb\r\nc  \n", 2), ["b", "c"]);
  const e = new PodmanFailedError(
    ["podman", "pod", "start", "x"],
    125,
    "Error: no pod with name x\n",
  );
  assertEquals(
    e.message,
    "podman failed (exit 125): podman pod start x\n  Error: no pod with name x",
  );
});

Deno.test("errors: Deno permission errors become PermissionError; unknown errors exit 1 as bugs", () => {
  const denied = toDevaipodError(
    new Deno.errors.NotCapable('Requires run access to "ls", run again with the --allow-run flag'),
  );
  assert(denied instanceof PermissionError);
  assertEquals(denied.message, 'Requires run access to "ls"');
  const bug = toDevaipodError(new TypeError("x is undefined"));
  assertEquals(bug.exitCode, 1);
  assert(bug.hint?.includes("bug"));
  const same = new UsageError("u");
  assertEquals(toDevaipodError(same), same);
});

Deno.test("errors: output is error and hint lines; --verbose adds the cause chain", () => {
  const root = new Error("ENOENT");
  const e = new DevaipodError("cannot read", ExitCode.failure, {
    hint: "check the path",
    cause: new DevaipodError("middle", 1, { cause: root }),
  });
  assertEquals(formatError(e, false), "error: cannot read\nhint: check the path\n");
  const verbose = formatError(e, true);
  assert(verbose.includes("caused by: middle\ncaused by: Error: ENOENT"));
});
