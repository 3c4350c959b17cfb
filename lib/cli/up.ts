/** `devaipod up [SOURCE] [SOURCE…] [TASK]`: a workspace pod with a sandboxed agent beside it. */
import { Command, Option } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import type { CliContext } from "./context.ts";

/** Builds the `up` command. */
export function upCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("up")
    .description(
      "start a workspace pod for a project: your workspace container and a sandboxed agent beside it",
    )
    .argument(
      "[source]",
      "project folder, git URL (https, ssh, git@host:o/r, file://) or pull/merge request URL",
      ".",
    )
    .argument(
      "[more...]",
      "more projects for the same workspace (folders or git URLs), then the agent's first prompt (stored with the workspace)",
    )
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
      "--trust-source",
      "let a URL source's devcontainer.json reach into this host (bind mounts, privileged, initializeCommand)",
    )
    .option("--no-prompt", "store TASK, but do not send it to the agent")
    .option(
      "--dry-run",
      "print the plan (every podman command, secrets redacted) and create nothing",
    )
    .option("--json", "print the result (or with --dry-run, the plan) as JSON on stdout")
    .addOption(
      new Option(
        "--network-isolation <mode>",
        "on: the agent reaches only allowed hosts, through devaipod's proxy; off: any host (not recommended)",
      )
        .choices(["on", "off"])
        .default("on"),
    )
    .addOption(
      new Option(
        "--backend <backend>",
        "podman: devaipod runs the pod; quadlet: systemd runs it from Quadlet units (podman 5); kube: a Kubernetes cluster runs it",
      )
        .choices(["podman", "quadlet", "kube"])
        .default("podman"),
    )
    .option("--context <context>", "kube: the kubeconfig context (default: its current one)")
    .option("--namespace <namespace>", "kube: the namespace (default: the context's)")
    .option("--storage <size>", "kube: each volume claim's size (default 10Gi)")
    .option("--cpu <cpus>", "kube: CPU request and limit of the workspace and the agent")
    .option("--memory <size>", "kube: memory request and limit of the workspace and the agent")
    .option(
      "--registry <registry>",
      "kube: push devaipod's runtime image there; the Pods copy devaipod's code and the agent from it, not from the node",
    )
    .option("--no-wait", "kube: return once the objects exist, without waiting for the Pods")
    .option(
      "--agent <name>",
      "the agent profile: opencode (default), claude, codex, gemini, or one of [agents.NAME]",
    )
    .option("--allow <host...>", "more hosts the agent may reach (with --network-isolation on)")
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
      new Option("--ready-timeout <seconds>", "how long to wait for the agent to become healthy")
        .default("120")
        .argParser((v) => {
          const n = Number(v);
          if (!Number.isFinite(n) || n <= 0) {
            throw new UsageError(`--ready-timeout: expected seconds, got '${v}'`);
          }
          return String(n);
        }),
    )
    .action(async (path, more, options) => {
      const [{ upAction }, { splitProjectsAndTask }] = await Promise.all([
        import("./up_action.ts"),
        import("./projects.ts"),
      ]);
      const { projects, task } = await splitProjectsAndTask(more, ctx.deps.cwd(), {});
      await upAction(ctx, path, task, {
        ...options,
        readyTimeout: Number(options.readyTimeout),
        ...(projects.length
          ? { projects: projects.map((source) => ({ source, from: "cli" as const })) }
          : {}),
      });
    });
}
