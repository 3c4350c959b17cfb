/** `devaipod render [SOURCE] --target quadlet|kube [-o DIR]`: a workspace for another runner. */
import { Command, Option } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { CliContext } from "./context.ts";

/** Builds the `render` command. */
export function renderCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("render")
    .description(
      "write a project's workspace for another runner (Quadlet: systemd units for podman 5; kube: Kubernetes objects); creates nothing",
    )
    .argument("[source]", "project folder", ".")
    .addOption(
      new Option(
        "--target <target>",
        "what to render: quadlet (.pod, .container, .network, .volume) or kube (YAML)",
      )
        .choices(["quadlet", "kube"])
        .makeOptionMandatory(),
    )
    .option("-o, --output <dir>", "write the units into DIR (default: print them on stdout)")
    .option("--force", "with --output: replace unit files that exist with other content")
    .option(
      "--json",
      "print {workspace, units: [{file, text}], secrets: [{name, command}], setup, hostPaths} on stdout",
    )
    .option(
      "--name <name>",
      "workspace name (default: the folder's name and a suffix from its path)",
    )
    .option("--image <image>", "run this image (needed when the project has no devcontainer.json)")
    .option(
      "--devcontainer <path|name>",
      "a devcontainer.json path, or the name of .devcontainer/<name>/",
    )
    .addOption(
      new Option(
        "--network-isolation <mode>",
        "on: the agent reaches only allowed hosts, through devaipod's proxy; off: any host",
      ).choices(["on", "off"]).default("on"),
    )
    .option("--allow <host...>", "more hosts the agent may reach (with --network-isolation on)")
    .option(
      "--egress-network <name>",
      "the normal network the proxy and the workspace use to reach the world",
      "podman",
    )
    .option(
      "--subnet <cidr>",
      "a private /28 for the internal and link networks (default: one of 10.87.0.0/16 by the workspace's name)",
    )
    .option(
      "--agent-user <uid:gid>",
      "the agent's user in the units (`up` takes the workspace user's; never 0)",
      "1000:1000",
    )
    .option(
      "--namespace <namespace>",
      "kube: the objects' namespace (default: the kubeconfig context's, else default)",
    )
    .option("--context <context>", "kube: the kubeconfig context whose namespace to use")
    .option(
      "--registry <registry>",
      "kube: the Pods copy devaipod's code and the agent from its runtime image there (push it with `devaipod runtime-image REGISTRY`)",
    )
    .option("--storage <size>", "kube: each volume claim's size (default 10Gi)")
    .option("--cpu <cpus>", "kube: CPU request and limit of the workspace and the agent (e.g. 2)")
    .option(
      "--memory <size>",
      "kube: memory request and limit of the workspace and the agent (e.g. 4Gi)",
    )
    .addHelpText(
      "after",
      "\nSecrets are referenced by name; render prints the commands that create them (values come\n" +
        "from your shell) and never a value. The units start an empty workspace: the project's copy,\n" +
        "the agent's clone and lifecycle hooks are steps of `up`.",
    )
    .action(async (source, options) => {
      const { renderAction } = await import("./render_action.ts");
      await renderAction(ctx, source, options);
    });
}
