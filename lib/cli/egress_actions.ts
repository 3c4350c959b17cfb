/** What `allow`, `egress` and `verify` do (loaded only when one runs). */
import { join } from "node:path";
import { DEFAULT_LLM_KEYS } from "../agents/llm_keys.ts";
import { FailedError, UsageError } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import { devaipodDirs } from "../paths.ts";
import { PASSWORD_ENV } from "../plan/pod_plan.ts";
import * as p from "../podman/mod.ts";
import { findWorkspace, workspaceContainers } from "../pods/inventory.ts";
import { workspaceDirs } from "../pods/state.ts";
import { judge, parseProbeOutput, PROBE_SCRIPT } from "../pods/verify.ts";
import { parseAllowFile } from "../proxy/allow_file.ts";
import { AllowlistError, parseEntry } from "../proxy/allowlist.ts";
import type { DecisionRecord } from "../proxy/server.ts";
import type { CliContext } from "./context.ts";
import { renderTable } from "./table.ts";

async function isolated(ctx: CliContext, name: string) {
  const pod = await findWorkspace(ctx.podman, name);
  const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
  const containers = await workspaceContainers(ctx.podman, workspace);
  const proxy = containers.get(ROLES.proxy);
  if (!proxy) {
    throw new UsageError(`workspace ${workspace} runs without network isolation`, {
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
  for (const h of hosts) {
    try {
      parseEntry(h);
    } catch (err) {
      if (err instanceof AllowlistError) throw new UsageError(err.message);
      throw err;
    }
  }
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

/** The proxy's decision records, from its container's log. */
export async function decisions(ctx: CliContext, proxyId: string): Promise<DecisionRecord[]> {
  const logs = await ctx.podman.run(p.containerLogs(proxyId));
  return logs.stdout.split("\n").filter((l) => l.startsWith("{")).flatMap((l) => {
    try {
      return [JSON.parse(l) as DecisionRecord];
    } catch {
      return [];
    }
  });
}

/** `devaipod egress NAME [--json] [--denied]`: the proxy's decisions. */
export async function egressAction(
  ctx: CliContext,
  name: string,
  options: { json?: boolean; denied?: boolean },
): Promise<void> {
  const { proxy } = await isolated(ctx, name);
  const records = (await decisions(ctx, proxy.Id)).filter((r) =>
    !options.denied || r.decision === "deny"
  );
  if (options.json) return ctx.json(records);
  const rows = [
    ["TIME", "DECISION", "TARGET", "STATUS", "UP", "DOWN", "REASON"],
    ...records.map((r) => [
      r.time.slice(11, 19),
      r.decision,
      `${r.host ?? "?"}:${r.port ?? "?"}`,
      String(r.status),
      String(r.bytesUp),
      String(r.bytesDown),
      r.reason,
    ]),
  ];
  for (const line of renderTable(rows)) ctx.out(line);
}

/** `devaipod verify NAME [--json]`: probes from inside the agent; exit 1 on any escape. */
export async function verifyAction(
  ctx: CliContext,
  name: string,
  options: { json?: boolean },
): Promise<void> {
  const { workspace, containers, proxy, allowFile } = await isolated(ctx, name);
  const agent = containers.get(ROLES.agent);
  if (agent?.State !== "running") throw new FailedError(`the agent of ${workspace} is not running`);
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
        !(k ?? "").endsWith("-internal")
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
