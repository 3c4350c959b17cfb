/**
 * devaipod's entry point: the only place that reads `Deno.args`, prints errors and calls
 * `Deno.exit`.
 */
import { CliContext } from "./lib/cli/context.ts";
import { formatError } from "./lib/cli/format_error.ts";
import { runCli } from "./lib/cli/root.ts";
import { InterruptedError, toDevaipodError } from "./lib/errors.ts";
import { Podman } from "./lib/podman/driver.ts";
import { detectToolbox, ProcessRunner } from "./lib/podman/runner.ts";

const encoder = new TextEncoder();
const writer = (stream: { writeSync(p: Uint8Array): number }) => (text: string) => {
  const bytes = encoder.encode(text);
  let off = 0;
  try {
    while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
  } catch (err) {
    // The reader went away (`devaipod list | head`): stop quietly, as other tools do.
    if (err instanceof Deno.errors.BrokenPipe) Deno.exit(0);
    throw err;
  }
};

if (import.meta.main) {
  const controller = new AbortController();
  let interrupts = 0;
  try {
    Deno.addSignalListener("SIGINT", () => {
      // First Ctrl-C: let the running command clean up; second: leave at once.
      if (++interrupts > 1) Deno.exit(130);
      controller.abort();
    });
  } catch {
    // Signal listeners are unavailable on some platforms; Ctrl-C then ends the process.
  }

  const ctx = new CliContext({
    env: Deno.env,
    cwd: () => Deno.cwd(),
    io: {
      stdout: writer(Deno.stdout),
      stderr: writer(Deno.stderr),
      stdoutIsTerminal: Deno.stdout.isTerminal(),
    },
    makePodman: () => new Podman(ProcessRunner.fromEnv(), { interrupt: controller.signal }),
    inToolbox: () => detectToolbox(),
    signal: controller.signal,
  });
  let code = 0;
  try {
    await runCli(Deno.args, ctx);
    // Ctrl-C after the last podman call: the command finished its cleanup; still report it.
    if (controller.signal.aborted) throw new InterruptedError();
  } catch (err) {
    const e = toDevaipodError(err);
    writer(Deno.stderr)(formatError(e, ctx.globals.verbose));
    code = e.exitCode;
  }
  Deno.exit(code);
}
