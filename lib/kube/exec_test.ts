import { KubeApiError } from "./client.ts";
import { CHANNEL, exitCodeOf, frame } from "./exec.ts";
import { assertEquals, assertThrows } from "../../tests/support/assert.ts";

Deno.test("frame() puts the channel byte before the data", () => {
  assertEquals([...frame(CHANNEL.stdin, new Uint8Array([7, 8]))], [0, 7, 8]);
  assertEquals([...frame(CHANNEL.close, new Uint8Array([CHANNEL.stdin]))], [255, 0]);
  assertEquals([...frame(CHANNEL.resize, new Uint8Array())], [4]);
});

Deno.test("exitCodeOf() reads 0 from Success and the code of a NonZeroExitCode Status", () => {
  assertEquals(exitCodeOf('{"metadata":{},"status":"Success"}', "exec"), 0);
  assertEquals(
    exitCodeOf(
      JSON.stringify({
        status: "Failure",
        message:
          "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3",
        reason: "NonZeroExitCode",
        details: { causes: [{ reason: "ExitCode", message: "3" }] },
      }),
      "exec",
    ),
    3,
  );
});

Deno.test("exitCodeOf() turns any other failure, or an unreadable status, into a KubeApiError with the server's message", () => {
  const err = assertThrows(
    () =>
      exitCodeOf(
        JSON.stringify({
          status: "Failure",
          message: 'container not found ("agent")',
          reason: "InternalError",
        }),
        "exec in p",
      ),
    KubeApiError,
  );
  assertEquals(err.message, 'exec in p: container not found ("agent")');
  assertEquals(err.exitCode, 11);
  assertThrows(() => exitCodeOf("not json", "exec"), /unreadable status: not json/);
  // A NonZeroExitCode without a numeric code is not taken as one.
  assertThrows(
    () =>
      exitCodeOf(
        JSON.stringify({ status: "Failure", reason: "NonZeroExitCode", message: "m" }),
        "exec",
      ),
    KubeApiError,
  );
});
