/**
 * The gator's push: the agent's commits go to a NEW `agent/…` branch of the forge. They are read
 * from the agent's clone (mounted read-only in the gator) by devaipod's safe reader
 * (lib/pods/agent_reader.ts): its objects and refs are copied into a fresh temporary
 * repository, and git runs only there, with no config, hook or driver of the agent's. The token
 * travels as an HTTP header read from a private file, never on a command line.
 */
import { newNonce, parseReaderOutput, readerCommand } from "../pods/agent_reader.ts";
import { ForgeError } from "./forge.ts";
import type { ForgeService } from "./tools.ts";

/** Pushes the agent's branch to a new branch of a forge repository. */
export interface Pusher {
  push(
    forge: ForgeService,
    repo: string,
    branch: string,
  ): Promise<{ branch: string; commit: string; url: string }>;
}

/** The web root of a forge from its API root: `api.` or `/api/vN` dropped. */
export function webRoot(api: string): string {
  const url = new URL(api);
  if (/\/api\/v\d+\/?$/.test(url.pathname)) {
    url.pathname = url.pathname.replace(/\/api\/v\d+\/?$/, "");
  } else if (url.hostname.startsWith("api.")) {
    url.hostname = url.hostname.slice(4);
  }
  return url.href.replace(/\/$/, "");
}

/** The HTTP header git sends with the token (each forge's way of taking a token over git). */
export function pushHeader(forge: ForgeService, token: string): string {
  const user = forge === "github" ? "x-access-token" : forge === "gitlab" ? "oauth2" : "devaipod";
  return `Authorization: Basic ${btoa(`${user}:${token}`)}`;
}

/** What {@link scriptPusher} needs. */
export interface PusherOptions {
  /** Where the agent's clone is mounted (read-only), and its branch. */
  tree: string;
  agentBranch: string;
  /** Each forge's API root (its git root is derived) and token. */
  forges: Partial<Record<ForgeService, { api: string; token: string }>>;
  /** CA certificates git trusts, when the forges need more than the system's. */
  caFile?: string;
}

/** A {@link Pusher} that runs the safe reader's `push` mode with sh and git. */
export function scriptPusher(options: PusherOptions): Pusher {
  return {
    async push(forge, repo, branch) {
      const f = options.forges[forge];
      if (!f) throw new Error(`no ${forge} token was given to the gator`);
      const url = `${webRoot(f.api)}/${repo}.git`;
      const dir = await Deno.makeTempDir({ prefix: "devaipod-gator-push-" });
      try {
        const headerFile = `${dir}/header`;
        await Deno.writeTextFile(headerFile, `${pushHeader(forge, f.token)}\n`, { mode: 0o600 });
        const nonce = newNonce();
        const [program, ...args] = readerCommand({
          mode: "push",
          tree: options.tree,
          branch: options.agentBranch,
          nonce,
          target: url,
          push: { branch, headerFile, ...(options.caFile ? { caFile: options.caFile } : {}) },
        }) as [string, ...string[]];
        const out = await new Deno.Command(program, {
          args,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          env: { TMPDIR: dir },
        }).output();
        const d = new TextDecoder();
        const result = parseReaderOutput(d.decode(out.stdout), d.decode(out.stderr), "push", nonce);
        if ("error" in result) {
          throw new ForgeError(
            forge,
            0,
            `push to ${branch} failed (${result.error}): ${result.detail}`,
          );
        }
        return { branch, commit: result.pushed ?? "", url: `${webRoot(f.api)}/${repo}` };
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
}
