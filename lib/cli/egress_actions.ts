/** What `allow`, `egress` and `verify` do (loaded only when one runs). */
import { join } from "node:path";
import { DEFAULT_LLM_KEYS } from "../agents/llm_keys.ts";
import { PROVIDERS } from "../agents/providers.ts";
import {
  GATOR_TOKENS_SCRIPT,
  judgeProviderKeys,
  KEY_DUMP_SCRIPT,
  parseGatorTokens,
} from "../pods/verify_keys.ts";
import { ConflictError, FailedError, UsageError } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import { devaipodDirs } from "../paths.ts";
import { PASSWORD_ENV, podName } from "../plan/pod_plan.ts";
import * as p from "../podman/mod.ts";
import { findWorkspace, workspaceContainers } from "../pods/inventory.ts";
import { workspaceDirs } from "../pods/state.ts";
import { judge, parseProbeOutput, PROBE_SCRIPT } from "../pods/verify.ts";
import type { Probe } from "../pods/verify.ts";
import { treeProbes } from "../pods/verify_trees.ts";
import { agentDiff } from "../pods/agent_work.ts";
import { workspacePortProbes } from "../pods/verify_port_run.ts";
import type { ContainerListEntry } from "../podman/mod.ts";
import { parseAllowFile } from "../proxy/allow_file.ts";
import { entryProblems, parseEntry } from "../proxy/allowlist.ts";
import { egressRows } from "../proxy/egress_log.ts";
import { proxyConnections } from "../pods/egress.ts";
import type { CliContext } from "./context.ts";
import { renderTable } from "./table.ts";

async function isolated(ctx: CliContext, name: string) {
  const pod = await findWorkspace(ctx.podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
  const containers = await workspaceContainers(ctx.podman, workspace);
  const proxy = containers.get(ROLES.proxy);
  if (!proxy) {
    throw new ConflictError(`workspace ${workspace} runs without network isolation`, {
      hint: "recreate it with `devaipod up --network-isolation on`",
    });
  }
  return {
    workspace,
    containers,
    proxy,
    allowFile: join(workspaceDirs(devaipodDirs(ctx.deps.env).state, workspace).root, "allow"),
  };
}

/** `devaipod allow NAME HOST…`: adds entries to a running workspace's allowlist (no restart). */
export async function allowAction(ctx: CliContext, name: string, hosts: string[]): Promise<void> {
  const bad = entryProblems(hosts);
  if (bad.length) throw new UsageError(bad.join("; "));
  const { workspace, allowFile } = await isolated(ctx, name);
  const text = await Deno.readTextFile(allowFile);
  const present = new Set(parseAllowFile(text).map((e) => `${e.kind}:${e.host}:${e.port}`));
  const added = hosts.filter((h) => {
    const e = parseEntry(h);
    return !present.has(`${e.kind}:${e.host}:${e.port}`);
  });
  if (added.length) {
    await Deno.writeTextFile(allowFile, `${text.replace(/\n?$/, "\n")}${added.join("\n")}\n`);
  }
  ctx.info(
    added.length
      ? `${workspace}: the agent may now reach ${added.join(", ")}`
      : `${workspace}: already allowed`,
  );
}

/** `devaipod egress NAME [--json] [--denied]`: the proxy's connections, one entry each. */
export async function egressAction(
  ctx: CliContext,
  name: string,
  options: { json?: boolean; denied?: boolean },
): Promise<void> {
  const { proxy } = await isolated(ctx, name);
  const records = (await proxyConnections(ctx.podman, proxy.Id)).filter((r) =>
    !options.denied || r.decision === "deny"
  );
  if (options.json) return ctx.json(records);
  for (const line of renderTable(egressRows(records))) ctx.out(line);
}

/** The hook and write probes of a workspace's trees (lib/pods/verify_trees.ts). */
async function treeProbesOf(
  ctx: CliContext,
  workspace: string,
  containers: Map<string, ContainerListEntry>,
  agent: string,
): Promise<Probe[]> {
  const ws = containers.get(ROLES.workspace);
  // By role in the answer: podman 4.3 ORs several label filters of `volume ls`.
  const work = (await ctx.podman.run(p.volumeLs({ [LABELS.workspace]: workspace }))).find((v) =>
    v.Labels[LABELS.role] === ROLES.workspaceVolume
  );
  if (ws?.State !== "running") {
    return [{ id: "trees", ok: false, detail: "the workspace container is not running" }];
  }
  if (!work) return [{ id: "trees", ok: false, detail: `${workspace} has no work volume` }];
  const user = ws.Labels[LABELS.remoteUser];
  return await treeProbes(ctx.podman, {
    agent,
    workspace: ws.Id,
    ...(user ? { workspaceUser: user } : {}),
    workVolume: work.Name,
    // With the traps planted, `diff`'s safe reader reads the agent's clone (its objects, refs and
    // work tree) in the workspace: nothing of the clone may run there either. A layout it cannot
    // read (no clone of the agent's own) is the other probes' finding, not this one's.
    readers: async () => {
      await agentDiff(ctx.podman, workspace).catch(() => undefined);
    },
  });
}

/** `devaipod verify NAME [--json]`: probes from inside the agent; exit 1 on any escape. */
export async function verifyAction(
  ctx: CliContext,
  name: string,
  options: { json?: boolean },
): Promise<void> {
  const { workspace, containers, proxy, allowFile } = await isolated(ctx, name);
  const agent = containers.get(ROLES.agent);
  if (agent?.State !== "running") {
    throw new ConflictError(`the agent of ${workspace} is not running`, {
      hint: `\`devaipod start ${workspace}\``,
    });
  }
  const outsideIp = await ctx.podman.run({
    argv: [
      "container",
      "inspect",
      "--format",
      "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}",
      proxy.Id,
    ],
    parse: (out) =>
      out.stdout.trim().split(" ").map((kv) => kv.split("=")).find(([k]) =>
        k !== `${podName(workspace)}-internal` && k !== `${podName(workspace)}-link`
      )?.[1] ?? "",
  });
  const allowed = parseAllowFile(await Deno.readTextFile(allowFile)).find((e) =>
    e.kind === "connect" && !e.host.startsWith("*.")
  );
  const result = await ctx.podman.run(p.containerExec({
    container: agent.Id,
    command: [
      "sh",
      "-c",
      PROBE_SCRIPT,
      "probe",
      outsideIp,
      allowed?.host ?? "example.com",
      "devaipod-verify.invalid",
    ],
  }));
  const probes = judge(parseProbeOutput(result.stdout), [...DEFAULT_LLM_KEYS, PASSWORD_ENV]);
  probes.push(await providerKeysProbe(ctx, agent.Id));
  const gator = containers.get(ROLES.gator);
  if (gator) probes.push(await gatorTokensProbe(ctx, agent.Id, gator.Id));
  probes.push(...await treeProbesOf(ctx, workspace, containers, agent.Id));
  probes.push(...await workspacePortProbes(ctx.podman, containers));
  const ok = probes.every((x) => x.ok);
  if (options.json) ctx.json({ workspace, ok, probes });
  else {for (const line of renderTable(probes.map((x) => [x.ok ? "ok" : "FAIL", x.id, x.detail]))) {
      ctx.out(line);
    }}
  if (!ok) {
    throw new FailedError(
      `verify: ${probes.filter((x) => !x.ok).map((x) => x.id).join(", ")} failed`,
    );
  }
}

/**
 * The provider-keys probe: the real values of the keys the proxy serves, as this environment has
 * them, looked for in what the agent can read (read out of it, never searched inside it).
 */
async function providerKeysProbe(ctx: CliContext, agent: string): Promise<Probe> {
  const keys = Object.fromEntries(
    PROVIDERS.flatMap((p) => {
      const v = ctx.deps.env.get(p.key);
      return v ? [[p.key, v]] : [];
    }),
  );
  if (!Object.keys(keys).length) return judgeProviderKeys("", keys);
  const dump = await ctx.podman.run(p.containerExec({
    container: agent,
    command: ["sh", "-c", KEY_DUMP_SCRIPT],
  })).then((r) => r.stdout, () => undefined);
  return judgeProviderKeys(dump, keys);
}

/**
 * The gator-tokens probe: the gator's tokens, read from the gator, looked for in what the agent
 * can read and in the agent container's inspect (its environment, labels and command).
 */
async function gatorTokensProbe(ctx: CliContext, agent: string, gator: string): Promise<Probe> {
  const id = "gator-tokens";
  const read = await ctx.podman.run(p.containerExec({
    container: gator,
    command: ["sh", "-c", GATOR_TOKENS_SCRIPT],
  })).then((r) => r.stdout, () => undefined);
  if (read === undefined) return { id, ok: false, detail: "the gator's tokens could not be read" };
  const tokens = parseGatorTokens(read);
  const dump = await ctx.podman.run(p.containerExec({
    container: agent,
    command: ["sh", "-c", KEY_DUMP_SCRIPT],
  })).then((r) => r.stdout, () => undefined);
  const inspect = await ctx.podman.run({
    argv: ["container", "inspect", agent],
    parse: (out) => out.stdout,
  }).catch(() => undefined);
  return judgeProviderKeys(
    dump === undefined || inspect === undefined ? undefined : `${dump}\n${inspect}`,
    tokens,
    { id, none: "not probed: the gator holds no token" },
  );
}
