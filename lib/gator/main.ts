/**
 * The gator sidecar's entry point (bundled with the MCP SDK into one file that the sidecar runs;
 * the compiled devaipod runs it as `devaipod gator-serve`).
 *
 *   gator --listen HOST:PORT --secret-file F --scopes-file F --tokens-dir D
 *     [--endpoint SERVICE=URL…] [--ca-file F] [--agent-tree DIR --agent-branch BRANCH]
 *
 * The tokens are files in the tokens folder named by their variable: `GH_TOKEN` or
 * `GITHUB_TOKEN`, `GITLAB_TOKEN`, `FORGEJO_TOKEN` or `GITEA_TOKEN`, `JIRA_API_TOKEN` (with
 * `JIRA_USERNAME`). A service without a token has no tools; JIRA also needs its endpoint.
 */
import { forgejoClient } from "./forgejo.ts";
import { githubClient } from "./github.ts";
import { gitlabClient } from "./gitlab.ts";
import { jiraClient } from "./jira.ts";
import { scriptPusher } from "./push.ts";
import { watchScopesFile } from "./scopes_file.ts";
import { startGator } from "./server.ts";
import type { ToolClients } from "./tools.ts";
import { DEFAULT_ENDPOINTS, TOKEN_VARIABLES } from "./tokens.ts";
import type { GatorService } from "./scopes.ts";

/** Parsed flags. */
export interface GatorArgs {
  hostname: string;
  port: number;
  secretFile: string;
  scopesFile: string;
  tokensDir: string;
  endpoints: Partial<Record<GatorService, string>>;
  caFile?: string;
  /** The agent's clone (read-only) and its branch: what `push_branch` pushes. */
  agentTree?: string;
  agentBranch?: string;
}

/** Parses the sidecar's flags; throws an Error naming the flag. */
export function parseGatorArgs(args: readonly string[]): GatorArgs {
  const out: Partial<GatorArgs> & { endpoints: Partial<Record<GatorService, string>> } = {
    endpoints: {},
  };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = args[i + 1];
    if (value === undefined) throw new Error(`${flag}: expected a value`);
    i++;
    switch (flag) {
      case "--listen": {
        const m = /^(.+):(\d+)$/.exec(value);
        if (!m) throw new Error(`--listen: expected HOST:PORT, got '${value}'`);
        out.hostname = m[1];
        out.port = Number(m[2]);
        break;
      }
      case "--secret-file":
        out.secretFile = value;
        break;
      case "--scopes-file":
        out.scopesFile = value;
        break;
      case "--tokens-dir":
        out.tokensDir = value;
        break;
      case "--ca-file":
        out.caFile = value;
        break;
      case "--agent-tree":
        out.agentTree = value;
        break;
      case "--agent-branch":
        out.agentBranch = value;
        break;
      case "--endpoint": {
        const m = /^(github|gitlab|forgejo|jira)=(https?:\/\/\S+)$/.exec(value);
        if (!m) throw new Error(`--endpoint: expected SERVICE=URL, got '${value}'`);
        out.endpoints[m[1] as GatorService] = (m[2] ?? "").replace(/\/$/, "");
        break;
      }
      default:
        throw new Error(`unknown flag '${flag}'`);
    }
  }
  for (
    const [key, flag] of [["secretFile", "--secret-file"], ["scopesFile", "--scopes-file"], [
      "tokensDir",
      "--tokens-dir",
    ]] as const
  ) {
    if (!out[key]) throw new Error(`${flag} is required`);
  }
  if (out.hostname === undefined || out.port === undefined) throw new Error("--listen is required");
  return out as GatorArgs;
}

function readToken(dir: string, names: readonly string[]): string | undefined {
  for (const name of names) {
    try {
      const value = Deno.readTextFileSync(`${dir}/${name}`).trim();
      if (value) return value;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return undefined;
}

/** The clients of the services that have a token (and, for JIRA, an endpoint). */
export function clientsFromArgs(args: GatorArgs, fetchImpl: typeof fetch): ToolClients {
  const endpoint = (s: GatorService) => args.endpoints[s] ?? DEFAULT_ENDPOINTS[s];
  const forges: ToolClients["forges"] = {};
  const gh = readToken(args.tokensDir, TOKEN_VARIABLES.github);
  const github = endpoint("github");
  if (gh && github) forges.github = githubClient({ api: github, token: gh, fetch: fetchImpl });
  const gl = readToken(args.tokensDir, TOKEN_VARIABLES.gitlab);
  const gitlab = endpoint("gitlab");
  if (gl && gitlab) forges.gitlab = gitlabClient({ api: gitlab, token: gl, fetch: fetchImpl });
  const fj = readToken(args.tokensDir, TOKEN_VARIABLES.forgejo);
  const forgejo = endpoint("forgejo");
  if (fj && forgejo) forges.forgejo = forgejoClient({ api: forgejo, token: fj, fetch: fetchImpl });
  const jiraToken = readToken(args.tokensDir, TOKEN_VARIABLES.jira);
  const username = readToken(args.tokensDir, ["JIRA_USERNAME"]);
  const jira = endpoint("jira");
  const pushable = Object.fromEntries(
    ([["github", gh, github], ["gitlab", gl, gitlab], ["forgejo", fj, forgejo]] as const).flatMap(
      ([s, token, api]) => token && api ? [[s, { api, token }]] : [],
    ),
  );
  return {
    forges,
    ...(args.agentTree && args.agentBranch
      ? {
        pusher: scriptPusher({
          tree: args.agentTree,
          agentBranch: args.agentBranch,
          forges: pushable,
          ...(args.caFile ? { caFile: args.caFile } : {}),
        }),
      }
      : {}),
    ...(jiraToken && jira
      ? {
        jira: jiraClient({
          url: jira,
          token: jiraToken,
          ...(username ? { username } : {}),
          fetch: fetchImpl,
        }),
      }
      : {}),
  };
}

/** Runs the gator until it is stopped. */
export function main(argv: readonly string[]): void {
  const args = parseGatorArgs(argv);
  const client = args.caFile
    ? Deno.createHttpClient({ caCerts: [Deno.readTextFileSync(args.caFile)] })
    : undefined;
  const fetchImpl: typeof fetch = client
    ? (input, init) => fetch(input, { ...init, client })
    : fetch;
  const clients = clientsFromArgs(args, fetchImpl);
  const server = startGator({
    listen: { hostname: args.hostname, port: args.port },
    secret: Deno.readTextFileSync(args.secretFile).trim(),
    scopes: watchScopesFile(args.scopesFile, (m) => console.error(`gator: ${m}`)),
    clients,
  });
  const services = [...Object.keys(clients.forges), ...(clients.jira ? ["jira"] : [])];
  console.error(
    `gator: listening on ${server.addr.hostname}:${server.addr.port} for ${
      services.join(", ") || "no service (no token was given)"
    }`,
  );
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => {
      server.close().finally(() => Deno.exit(0));
    });
  }
}

if (import.meta.main) {
  try {
    main(Deno.args);
  } catch (err) {
    console.error(`gator: ${(err as Error).message}`);
    Deno.exit(2);
  }
}
