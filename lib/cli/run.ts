/** `devaipod run SOURCE TASK`: a workspace whose agent does TASK, waited for; for CI and scripts. */
import { Command, Option } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import type { CliContext } from "./context.ts";

function seconds(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) {
      throw new UsageError(`${flag}: expected seconds, got '${v}'`);
    }
    return String(n);
  };
}

/** Builds the `run` command. */
export function runCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("run")
    .description(
      "make a workspace, give its agent TASK, wait until the agent is done and print its answer; " +
        "exit 0 when it finished, 1 when it failed, 12 when the time ran out (the workspace and the work remain)",
    )
    .argument(
      "<source>",
      "project folder, git URL (https, ssh, git@host:o/r, file://) or pull/merge request URL",
    )
    .argument("<task>", "what the agent is to do")
    .option(
      "--name <name>",
      "workspace name (default: the project's folder name and a short suffix)",
    )
    .option("--image <image>", "run this image (needed when the project has no devcontainer.json)")
    .option(
      "--devcontainer <path|name>",
      "a devcontainer.json path, or the name of .devcontainer/<name>/",
    )
    .option("--ref <ref>", "with a git URL: the branch, tag or commit to check out")
    .option(
      "--agent <name>",
      "the agent profile: opencode (default), claude, codex, gemini, or one of [agents.NAME]",
    )
    .option("--allow <host...>", "more hosts the agent may reach")
    .option(
      "--gator <scope...>",
      "more gator scopes for the agent: SERVICE:TARGET=PERMISSION[,…], e.g. github:octo/demo=read",
    )
    .option("--no-gator", "no gator, whatever the source and the user config say")
    .option(
      "--egress-network <name>",
      "the normal network the proxy and the workspace use to reach the world",
      "podman",
    )
    .addOption(
      new Option("--timeout <seconds>", "how long the agent may work").default("1800")
        .argParser(seconds("--timeout")),
    )
    .addOption(
      new Option("--ready-timeout <seconds>", "how long to wait for the agent to become healthy")
        .default("120").argParser(seconds("--ready-timeout")),
    )
    .option(
      "--json",
      "print {workspace, sessionId, state, text, error?, seconds} on stdout",
    )
    .action(async (source, task, options) => {
      const { runAction } = await import("./run_action.ts");
      await runAction(ctx, source, task, {
        ...options,
        timeout: Number(options.timeout),
        readyTimeout: Number(options.readyTimeout),
      });
    });
}
