/**
 * The root command: global options, one subcommand per file, and the mapping of commander's
 * parse errors to {@link UsageError}. `runCli` returns normally or throws; `main.ts` prints.
 */
import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import { VERSION } from "../version.ts";
import type { CliContext } from "./context.ts";
import { agentClientCommand } from "./agent_client.ts";
import { copyRuntimeCommand } from "./copy_runtime.ts";
import { runtimeImageCommand } from "./runtime_image.ts";
import { runCommand } from "./run.ts";
import { allowCommand } from "./allow.ts";
import { egressCommand } from "./egress.ts";
import { gatorCommand, gatorServeCommand } from "./gator.ts";
import { featuresCommand } from "./features.ts";
import { verifyCommand } from "./verify.ts";
import { configCommand } from "./config.ts";
import { deleteCommand } from "./delete.ts";
import { diffCommand } from "./diff.ts";
import { doctorCommand } from "./doctor.ts";
import { execCommand } from "./exec.ts";
import { attachCommand } from "./attach.ts";
import { fetchCommand } from "./fetch.ts";
import { listCommand } from "./list.ts";
import { logsCommand } from "./logs.ts";
import { proxyCommand } from "./proxy.ts";
import { rebuildCommand } from "./rebuild.ts";
import { renderCommand } from "./render.ts";
import { sshCommand } from "./ssh.ts";
import { sshConfigCommand } from "./ssh_config.ts";
import { sshProxyCommand } from "./ssh_proxy.ts";
import { sshHelperCommand } from "./ssh_helper.ts";
import { startCommand } from "./start.ts";
import { statusCommand } from "./status.ts";
import { stopCommand } from "./stop.ts";
import { upCommand } from "./up.ts";

/** Builds the program for one run. Exported for help/contract tests. */
export function createProgram(ctx: CliContext): CommandUnknownOpts {
  const program = new Command("devaipod")
    .description(
      "Run AI coding agents in sandboxed podman pods, from a project's devcontainer.json.",
    )
    .version(`devaipod ${VERSION}`, "-V, --version", "print the version and exit")
    .addOption(
      new Option("--config <path>", "user config file (default: $XDG_CONFIG_HOME/devaipod.toml)"),
    )
    .addOption(
      new Option("-v, --verbose", "print details, and the cause chain of errors").conflicts(
        "quiet",
      ),
    )
    .addOption(new Option("-q, --quiet", "print only results and errors"))
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      "\nShell completions (commands, flags, workspace names): devaipod completion bash|zsh|fish|powershell",
    )
    .configureHelp({ showGlobalOptions: true })
    .hook("preAction", (_this, action) => {
      const g = action.optsWithGlobals() as { config?: string; verbose?: boolean; quiet?: boolean };
      ctx.globals = {
        verbose: g.verbose === true,
        quiet: g.quiet === true,
        ...(g.config ? { config: g.config } : {}),
      };
    });
  program.configureOutput({
    writeOut: (s) => ctx.deps.io.stdout(s),
    writeErr: (s) => ctx.deps.io.stderr(s),
    // Parse errors are rethrown as UsageError and printed once, by main.ts.
    outputError: () => {},
  });
  program.exitOverride();

  const commands = [
    upCommand(ctx),
    runCommand(ctx),
    listCommand(ctx),
    statusCommand(ctx),
    logsCommand(ctx),
    execCommand(ctx),
    attachCommand(ctx),
    sshCommand(ctx),
    sshConfigCommand(ctx),
    diffCommand(ctx),
    fetchCommand(ctx),
    stopCommand(ctx),
    startCommand(ctx),
    deleteCommand(ctx),
    rebuildCommand(ctx),
    allowCommand(ctx),
    egressCommand(ctx),
    gatorCommand(ctx),
    featuresCommand(ctx),
    verifyCommand(ctx),
    renderCommand(ctx),
    runtimeImageCommand(ctx),
    configCommand(ctx),
    doctorCommand(ctx),
  ];
  // Internal commands, run inside sidecars: usable, but not listed in the main help.
  const hidden = [
    proxyCommand(ctx),
    agentClientCommand(ctx),
    sshProxyCommand(ctx),
    sshHelperCommand(),
    copyRuntimeCommand(),
    gatorServeCommand(),
  ];
  for (const sub of commands) {
    sub.copyInheritedSettings(program);
    program.addCommand(sub);
  }
  for (const sub of hidden) {
    sub.copyInheritedSettings(program);
    program.addCommand(sub, { hidden: true });
  }
  return program;
}

/** The subcommand named in `args`, if any (for usage hints). */
function commandIn(program: CommandUnknownOpts, args: readonly string[]): string | undefined {
  const names = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  return args.find((a) => names.has(a));
}

/**
 * Parses `args` and runs the command. Returns when done (help and version included); throws a
 * `DevaipodError` (usage errors as {@link UsageError}) for `main.ts` to print.
 */
export async function runCli(args: readonly string[], ctx: CliContext): Promise<void> {
  const program = createProgram(ctx);
  if (args.length === 0) {
    program.outputHelp();
    return;
  }
  if (args[0] === "completion" || args[0] === "complete") {
    const { installCompletions } = await import("./completions.ts");
    await installCompletions(program, ctx, args[0] === "complete");
  }
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return; // --help, --version
      const sub = commandIn(program, args);
      const message = err.message.replace(/^error: /, "").replace(
        /\n\(Did you mean (.*)\)$/,
        " (did you mean $1)",
      );
      throw new UsageError(message, {
        hint: `run 'devaipod ${sub ? `${sub} ` : ""}--help' for usage`,
        cause: err,
      });
    }
    throw err;
  }
}
