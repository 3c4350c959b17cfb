/**
 * Workspaces made from a git URL or a pull request: the source is cloned on the host (at the
 * default branch, `--ref`, or the pull request's head) into the workspace's state folder, where
 * `rebuild`, `start` and `ssh` read its devcontainer.json again; the workspace volume is filled
 * from that clone. What the source was is recorded in the pod's labels — a pull request's title
 * verbatim, whatever it holds: labels travel as argv, never through a shell.
 */
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { LABELS } from "../labels.ts";
import { NESTED_CONTAINERS, withoutSecurityRunArgs } from "../plan/pod_plan.ts";
import type { ResolvedConfig } from "../devcontainer/resolve.ts";
import { cloneGit, clonePullRequest } from "../sources/clone.ts";
import { fetchPullRequest } from "../sources/forge.ts";
import { redactUrl } from "../sources/parse.ts";
import type { ForgeKind, Source } from "../sources/parse.ts";

/** Where a workspace's source came from (stored in its pod's labels). */
export interface SourceRecord {
  /** The git URL, or the pull request's web URL (credentials removed). */
  url: string;
  ref?: string;
  commit: string;
  pr?: { forge: ForgeKind; title: string; base: string };
}

/** The pod labels of a source record. */
export function sourceLabels(record: SourceRecord): Record<string, string> {
  return {
    [LABELS.source]: record.url,
    [LABELS.commit]: record.commit,
    ...(record.ref !== undefined ? { [LABELS.sourceRef]: record.ref } : {}),
    ...(record.pr
      ? {
        [LABELS.forge]: record.pr.forge,
        [LABELS.prTitle]: record.pr.title,
        [LABELS.prBase]: record.pr.base,
      }
      : {}),
  };
}

/** The source record in a pod's labels; undefined for a workspace made from a local folder. */
export function readSourceRecord(
  labels: Readonly<Record<string, string>>,
): SourceRecord | undefined {
  const url = labels[LABELS.source];
  if (url === undefined) return undefined;
  const forge = labels[LABELS.forge] as ForgeKind | undefined;
  return {
    url,
    commit: labels[LABELS.commit] ?? "",
    ...(labels[LABELS.sourceRef] !== undefined ? { ref: labels[LABELS.sourceRef] } : {}),
    ...(forge
      ? {
        pr: {
          forge,
          title: labels[LABELS.prTitle] ?? "",
          base: labels[LABELS.prBase] ?? "",
        },
      }
      : {}),
  };
}

/** The folder name a source suggests for the workspace name: the repository (and `-prN`). */
export function sourceBaseName(source: Exclude<Source, { kind: "path" }>): string {
  if (source.kind === "pr") return `${source.repo}-pr${source.number}`;
  const last = source.url.replace(/[/]+$/, "").split(/[/:]/).at(-1) ?? "workspace";
  return last.replace(/\.git$/, "") || "workspace";
}

/** The folder holding a workspace's source clone, in its state folder. */
export function sourceDir(workspaceStateRoot: string): string {
  return join(workspaceStateRoot, "source");
}

/**
 * Clones `source` into `dir` (which must not exist): a git URL at its default branch or `ref`, a
 * pull request at its head, asking the forge for its metadata with the host's token.
 */
export async function checkoutSource(
  source: Exclude<Source, { kind: "path" }>,
  dir: string,
  options: {
    ref?: string | undefined;
    env: Readonly<Record<string, string>>;
    note?: (line: string) => void;
  },
): Promise<SourceRecord> {
  if (source.kind === "git") {
    const result = await cloneGit(source.url, dir, options.ref ? { ref: options.ref } : {});
    return {
      url: redactUrl(source.url),
      commit: result.commit,
      ...(options.ref ? { ref: options.ref } : {}),
    };
  }
  if (options.ref) {
    throw new UsageError(
      "--ref cannot be used with a pull request URL: it is checked out at its head",
    );
  }
  const pr = await fetchPullRequest(source, options.env);
  if (pr.state !== "open" && pr.state !== "opened") {
    options.note?.(`note: ${source.webUrl} is ${pr.state}`);
  }
  const result = await clonePullRequest(pr, dir);
  if (result.commit !== pr.headSha) {
    options.note?.(
      `note: the head moved since the forge answered: ${pr.headSha.slice(0, 12)} → ${
        result.commit.slice(0, 12)
      }`,
    );
  }
  return {
    url: source.webUrl,
    commit: result.commit,
    pr: { forge: source.forge, title: pr.title, base: pr.baseRef },
  };
}

/**
 * runArgs a URL source may use without `--trust-source`: they limit, label or size the
 * container.
 */
const SAFE_RUN_ARGS =
  /^(--init|--cap-drop=[A-Za-z_,]+|--shm-size=\w+|--memory=\w+|--cpus=[\d.]+|--ulimit=[\w=:-]+|--label=[^=]*=?.*|--tmpfs=\/[^,]*)$/;

/**
 * What a devcontainer.json from someone else's repository asks that reaches beyond its own
 * container: into the host (initializeCommand, bind or named volume mounts, privileged mode,
 * capabilities, security options, `nestedContainers`, any runArgs but a few harmless ones), or
 * into the user's environment (`secrets`, `${localEnv:…}`, the agent's `envAllowlist`) and the
 * agent's egress (`allowedDomains`). With `nestedContainers`, the privileges it grants are named
 * in place of the `privileged`, `capAdd`, `securityOpt` and security runArgs it replaces. `up`
 * refuses these for a URL source unless `--trust-source` is given.
 * `configText` is the file's text (for `${localEnv:…}`, gone once substituted).
 */
export function hostReachingSettings(
  resolved: ResolvedConfig | undefined,
  configText = "",
): string[] {
  if (!resolved) return [];
  const config = resolved.config;
  const out: string[] = [];
  if (resolved.lifecycle.steps.some((s) => s.hook === "initializeCommand")) {
    out.push("initializeCommand (runs on your host)");
  }
  const secrets = Object.keys(config.secrets ?? {});
  if (secrets.length) out.push(`secrets: ${secrets.join(", ")} (from your environment)`);
  const localEnv = [...new Set(configText.match(/\$\{localEnv:[^}]*\}/g) ?? [])];
  if (localEnv.length) out.push(`${localEnv.join(", ")} (reads your environment)`);
  for (const m of config.mounts ?? []) {
    const fields = typeof m === "string"
      ? Object.fromEntries(m.split(",").map((kv) => kv.split("=")))
      : m as Record<string, unknown>;
    const type = fields.type ?? "volume";
    const text = typeof m === "string" ? m : JSON.stringify(m);
    if (type === "bind") out.push(`mounts: a bind mount of a host path (${text})`);
    else if (type === "volume" && (fields.source ?? fields.src)) {
      out.push(`mounts: a named volume, which may be another workspace's (${text})`);
    }
  }
  const nested = resolved.devaipod.nestedContainers === true;
  if (nested) {
    out.push(
      `customizations.devaipod.nestedContainers: true (the workspace gets ${
        NESTED_CONTAINERS.capAdd.join(", ")
      }, ${NESTED_CONTAINERS.securityOpt.join(", ")}, ${NESTED_CONTAINERS.devices.join(", ")})`,
    );
  } else if (config.privileged) out.push("privileged: true");
  const runArgs = nested ? withoutSecurityRunArgs(config.runArgs ?? []) : config.runArgs ?? [];
  for (const a of runArgs) if (!SAFE_RUN_ARGS.test(a)) out.push(`runArgs: ${a}`);
  if (!nested && config.capAdd?.length) out.push(`capAdd: ${config.capAdd.join(", ")}`);
  if (!nested && config.securityOpt?.length) {
    out.push(`securityOpt: ${config.securityOpt.join(", ")}`);
  }
  if (resolved.devaipod.envAllowlist?.length) {
    out.push(
      `customizations.devaipod.envAllowlist: ${
        resolved.devaipod.envAllowlist.join(", ")
      } (to the agent)`,
    );
  }
  if (resolved.devaipod.allowedDomains?.length) {
    out.push(
      `customizations.devaipod.allowedDomains: ${
        resolved.devaipod.allowedDomains.join(", ")
      } (the agent's egress)`,
    );
  }
  // Folders of this host, or repositories cloned with its git credentials, copied to the agent.
  for (const project of resolved.devaipod.projects ?? []) {
    out.push(`customizations.devaipod.projects: ${project} (copied from your host to the agent)`);
  }
  return out;
}
