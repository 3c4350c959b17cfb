import { assertEquals } from "../../tests/support/assert.ts";
import { hostArgv } from "./executors.ts";

Deno.test("executors: host commands always run through /bin/sh, arrays without interpretation", () => {
  assertEquals(hostArgv(["/bin/sh", "-c", "echo $HOME"]), ["/bin/sh", "-c", "echo $HOME"]);
  assertEquals(hostArgv(["git", "fetch", "$x; rm -rf /"]), [
    "/bin/sh",
    "-c",
    'exec "$@"',
    "sh",
    "git",
    "fetch",
    "$x; rm -rf /",
  ]);
  assertEquals(hostArgv(["/bin/sh", "-c", "a", "extra"]), [
    "/bin/sh",
    "-c",
    'exec "$@"',
    "sh",
    "/bin/sh",
    "-c",
    "a",
    "extra",
  ]);
});
