/**
 * `devaipod ssh-proxy NAME`: an SSH server that lives for one connection, on the ProxyCommand's
 * stdin and stdout, and carries each session into the workspace container with `podman exec`.
 * Nothing but protocol bytes is written to stdout. File transfer and forwarding run devaipod's
 * own helper in the container (`lib/ssh/in_container.ts`, from the runtime `up` mounts at
 * /opt/devaipod), so the image needs neither sshd nor sftp-server.
 */
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import process from "node:process";
import ssh2 from "ssh2";
import { ConflictError, NotFoundError } from "../errors.ts";
import { LABELS, ROLES } from "../labels.ts";
import { CONTAINER_PROGRAMS, containerDenoArgv, RUNTIME_PATHS } from "../plan/pod_plan.ts";
import * as p from "../podman/mod.ts";
import type { Podman } from "../podman/mod.ts";
import { bareName, findWorkspace, workspaceContainers } from "../pods/inventory.ts";
import type { EnvReader } from "../podman/runner.ts";
import { loadUserConfig } from "../config/user_config.ts";
import { userConfigPath } from "../paths.ts";
import { loadOrCreateHostKey, sshDir } from "./host_key.ts";
import { remoteEnvOf } from "../pods/remote_env.ts";
import { HELPER_PERMISSIONS } from "./helper_flags.ts";
import {
  SESSION_HANGUP,
  SESSION_RESIZE,
  SESSION_SIGNAL,
  sessionArgv,
  signalOfExitCode,
  SSH_SIGNALS,
} from "./session_scripts.ts";

/** The workspace container a bridge serves, and how sessions run there. */
export interface BridgeTarget {
  workspace: string;
  container: string;
  /** The user sessions run as (the workspace's remoteUser); image default when absent. */
  user?: string;
  workdir: string;
  /** The argv that starts devaipod's helper in the container; absent without the runtime mount. */
  helper?: string[];
  /** The workspace's remoteEnv, resolved (sessions get it; the client's env requests win). */
  env?: Record<string, string>;
}

/** A process a session runs in the container: its streams, exit status, and a way to stop it. */
export interface SessionProcess {
  stdin: WritableStream<Uint8Array>;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  status: Promise<{ code: number }>;
  kill(signal?: Deno.Signal): void;
}

/** What a session's process is started with. */
export interface SessionSpec {
  command: string[];
  tty?: boolean;
  user?: string;
  workdir?: string;
  env?: Readonly<Record<string, string>>;
}

/** How sessions reach the workspace's container: `podman exec`, or a cluster's exec. */
export interface SessionRunner {
  /** Starts `spec` in the target's container, stdin open. */
  spawn(target: BridgeTarget, spec: SessionSpec): SessionProcess;
  /** Whether `user` exists in the target's container. */
  hasUser(target: BridgeTarget, user: string): Promise<boolean>;
}

/** Sessions through `podman exec`: values of variables go through podman's environment. */
export function podmanRunner(podman: Podman): SessionRunner {
  return {
    spawn: (t, spec) => {
      const env = spec.env ?? {};
      return podman.spawn({
        argv: p.execArgv({
          container: t.container,
          command: spec.command,
          interactive: true,
          ...(spec.tty ? { tty: true } : {}),
          ...(spec.user ? { user: spec.user } : {}),
          ...(spec.workdir ? { workdir: spec.workdir } : {}),
          ...(Object.keys(env).length ? { envNames: Object.keys(env) } : {}),
        }),
        parse: () => {},
      }, env);
    },
    hasUser: async (t, user) =>
      (await podman.run({
        ...p.containerExec({ container: t.container, command: ["id", "-u", user] }),
        accepts: () => true,
      })).code === 0,
  };
}

/**
 * Variables a client may set with `env` requests: TERM, LANG, COLORTERM and LC_* (as OpenSSH's
 * usual AcceptEnv), and the names the user config's `[ssh] accept-env` lists.
 */
export function acceptedEnv(name: string, more: readonly string[] = []): boolean {
  return name === "TERM" || name === "LANG" || name === "COLORTERM" ||
    /^LC_[A-Z_]+$/.test(name) || more.includes(name);
}

/** The helper's argv for the runtime mounted in a container (from its mounts' destinations). */
export function helperArgv(mountTargets: readonly string[]): string[] | undefined {
  if (mountTargets.includes(RUNTIME_PATHS.binary)) return [RUNTIME_PATHS.binary, "ssh-helper"];
  if (mountTargets.includes(RUNTIME_PATHS.deno) && mountTargets.includes(RUNTIME_PATHS.sources)) {
    return containerDenoArgv(CONTAINER_PROGRAMS.sshHelper, HELPER_PERMISSIONS);
  }
  return undefined;
}

/**
 * Finds the running workspace container of `name` and how to run sessions in it: one
 * `container inspect` of the container an exact name gives (every connection starts here, so
 * it is kept short), else the workspace lookup by label and unique prefix.
 */
export async function bridgeTarget(podman: Podman, name: string): Promise<BridgeTarget> {
  // The name as given first: a workspace may be called `devaipod-1a2b` (another `1a2b`).
  let inspected: p.ContainerInspect | undefined;
  for (const workspace of new Set([name, bareName(name)])) {
    const exact = `devaipod-${workspace}-workspace`;
    [inspected] = await podman.run({
      ...p.containerInspect(exact),
      accepts: () => true,
      parse: (out) => out.code === 0 ? p.containerInspect(exact).parse(out) : [],
    });
    if (inspected?.Config.Labels[LABELS.role] === ROLES.workspace) break;
  }
  if (inspected?.Config.Labels[LABELS.role] !== ROLES.workspace) {
    const pod = await findWorkspace(podman, name);
    const workspace = pod.Labels[LABELS.workspace] ?? pod.Name;
    const ws = (await workspaceContainers(podman, workspace)).get(ROLES.workspace);
    if (!ws) throw new NotFoundError(`workspace ${workspace} has no workspace container`);
    [inspected] = await podman.run(p.containerInspect(ws.Id));
  }
  if (!inspected) throw new NotFoundError(`no workspace named '${name}'`);
  const workspace = inspected.Config.Labels[LABELS.workspace] ?? bareName(name);
  if (!inspected.State.Running) {
    throw new ConflictError(`workspace ${workspace} is not running (${inspected.State.Status})`, {
      hint: `\`devaipod start ${workspace}\``,
    });
  }
  const user = inspected.Config.Labels[LABELS.remoteUser];
  const helper = helperArgv(inspected.Mounts.map((m) => m.Destination));
  const env = remoteEnvOf(inspected.Config.Labels, inspected.Config.Env);
  return {
    ...(Object.keys(env).length ? { env } : {}),
    workspace,
    container: inspected.Id,
    ...(user ? { user } : {}),
    workdir: inspected.Config.WorkingDir || "/",
    ...(helper ? { helper } : {}),
  };
}

/**
 * What {@link runBridge} needs from the command that runs it (the CLI's context satisfies it):
 * podman, the environment (HOME, the user config's place), `--config`, and a line sink for
 * stderr (stdout carries the protocol).
 */
export interface BridgeContext {
  readonly podman: Podman;
  readonly deps: { readonly env: EnvReader };
  readonly globals: { readonly config?: string | undefined };
  /** Writes one line to stderr. */
  err(line: string): void;
}

/**
 * Runs the bridge for workspace `name` on this process's stdin/stdout until the client leaves.
 * The workspace is looked up while the client and the bridge shake hands; a lookup that fails
 * ends the connection with one line on stderr. `via` gives another way in (a cluster's exec) and
 * its target.
 */
export async function runBridge(
  ctx: BridgeContext,
  name: string,
  options: { user?: string } = {},
  via?: { runner: SessionRunner; target: Promise<BridgeTarget> },
): Promise<number> {
  const target = via?.target ?? bridgeTarget(ctx.podman, name);
  // Reported at the end (below); until then a failed lookup only ends the connection.
  target.catch(() => {});
  const user = await loadUserConfig(
    userConfigPath(ctx.deps.env, ctx.globals.config),
    ctx.globals.config !== undefined,
  );
  const key = await loadOrCreateHostKey(sshDir(ctx.deps.env));
  const socket = Duplex.from({ readable: process.stdin, writable: process.stdout });
  const bridge = new Bridge(
    via?.runner ?? podmanRunner(ctx.podman),
    target,
    key.privateKey,
    (line) => ctx.err(line),
    {
      ...options,
      acceptEnv: user.ssh?.["accept-env"] ?? [],
    },
  );
  // ssh ends its ProxyCommand with SIGHUP; the sessions' processes must end with it.
  const signals: Deno.Signal[] = ["SIGHUP", "SIGTERM"];
  for (const s of signals) {
    try {
      Deno.addSignalListener(s, () => bridge.close());
    } catch { /* not on this platform */ }
  }
  const code = await bridge.serve(socket);
  // A failed lookup is the error to report (the client only saw the connection close).
  await target;
  return code;
}

// deno-lint-ignore no-explicit-any
type Any = any;

/** The ciphers the bridge offers (all native in Deno's node:crypto; no chacha20, see serve). */
export const CIPHERS = [
  "aes128-gcm@openssh.com",
  "aes256-gcm@openssh.com",
  "aes128-ctr",
  "aes192-ctr",
  "aes256-ctr",
];

/** One SSH connection's server side. */
export class Bridge {
  readonly #runner: SessionRunner;
  #targetPromise: Promise<BridgeTarget>;
  /** `ssh-proxy --user`: sessions run as this user, whatever the client asks. */
  readonly #forcedUser: string | undefined;
  /** More variable names `env` requests may set (`[ssh] accept-env`). */
  readonly #acceptEnv: readonly string[];
  /** Set once the lookup is done (every channel waits for it). */
  #target: BridgeTarget = { workspace: "", container: "", workdir: "/" };
  readonly #hostKey: string;
  readonly #warn: (line: string) => void;
  /** Every process this connection started: killed when it ends. */
  readonly #children = new Set<SessionProcess>();
  #sessions = 0;
  /** Sessions whose process runs, by id: hung up when their client goes. */
  readonly #running = new Set<string>();

  constructor(
    runner: SessionRunner,
    target: BridgeTarget | Promise<BridgeTarget>,
    hostKey: string,
    warn: (line: string) => void,
    options: { user?: string; acceptEnv?: readonly string[] } = {},
  ) {
    this.#runner = runner;
    this.#forcedUser = options.user;
    this.#acceptEnv = options.acceptEnv ?? [];
    this.#targetPromise = Promise.resolve(target).then((t) => this.#target = t);
    // Reported by the caller; here a failed lookup only ends the connection.
    this.#targetPromise.catch(() => {});
    this.#hostKey = hostKey;
    this.#warn = warn;
  }

  #close: () => void = () => {};

  /** Ends the connection as if the client had left (ssh sends its ProxyCommand SIGHUP on exit). */
  close(): void {
    this.#close();
  }

  /** Serves one connection on `socket`; resolves with the exit code when it closes. */
  serve(socket: Duplex): Promise<number> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (code: number) => {
        if (done) return;
        done = true;
        this.#shutDown().then(() => resolve(code));
      };
      this.#close = () => finish(0);
      const server = new (ssh2 as Any).Server(
        {
          hostKeys: [this.#hostKey],
          ident: "devaipod",
          // ssh2's chacha20-poly1305 would run in JavaScript here, at a fraction of the speed,
          // and clients prefer it when offered: only AES (native in node:crypto) is offered.
          algorithms: { cipher: CIPHERS },
        },
        (client: Any) => {
          let username = "";
          client.on("authentication", (auth: Any) => {
            // The pipe is the user's own process: any key their client offers will do.
            username = String(auth.username ?? "");
            if (auth.method === "publickey") auth.accept();
            else auth.reject(["publickey"]);
          });
          // Channels open only once the workspace is known; a failed lookup ends the connection.
          client.on("ready", () => {
            this.#targetPromise = this.#targetPromise.then(async (t) =>
              this.#target = await this.#withUser(t, username)
            );
            this.#onReady(client);
            this.#targetPromise.catch(() => client.end());
          });
          client.on("error", (err: Error) => {
            if (!/ECONNRESET|EPIPE|write after end/i.test(err.message)) {
              this.#warn(`devaipod ssh-proxy: ${err.message}`);
            }
          });
          client.on("close", () => finish(0));
        },
      );
      socket.on("error", () => finish(0));
      socket.on("close", () => finish(0));
      // The client's end of the pipe closed (ssh exited or was killed): nobody is left to serve,
      // even when no session has output that would notice.
      socket.on("end", () => finish(0));
      // Without a workspace there is nothing to serve: close at once (the caller says why).
      this.#targetPromise.catch(() => {
        socket.destroy();
        finish(1);
      });
      server.injectSocket(socket);
    });
  }

  /**
   * Who sessions run as: `--user`; else the client's user name (ssh's `User`, `user@host`) when
   * the workspace has such a user; else the workspace's remoteUser (the image's default user
   * without one).
   */
  async #withUser(t: BridgeTarget, username: string): Promise<BridgeTarget> {
    const chosen = this.#forcedUser ?? username;
    if (!chosen || chosen === t.user) return t;
    if (this.#forcedUser === undefined && !(await this.#runner.hasUser(t, chosen))) return t;
    return { ...t, user: chosen };
  }

  /** Listeners go on at once (ssh2 refuses channels nobody listens for); work waits for the lookup. */
  #onReady(client: Any): void {
    // A forward that cannot start (no process to spawn) is refused alone; the connection stays.
    const later = (work: () => void, reject: () => void) =>
      this.#targetPromise.then(() => {
        try {
          work();
        } catch (err) {
          this.#warn(`devaipod ssh-proxy: ${(err as Error).message}`);
          reject();
        }
      }, () => reject());
    client.on("session", (accept: Any) => this.#session(accept()));
    client.on("tcpip", (accept: Any, reject: Any, info: Any) => {
      later(
        () => this.#forward(["tcp", String(info.destIP), String(info.destPort)], accept, reject),
        reject,
      );
    });
    client.on("openssh.streamlocal", (accept: Any, reject: Any, info: Any) => {
      later(() => this.#forward(["unix", String(info.socketPath)], accept, reject), reject);
    });
  }

  #spawn(spec: SessionSpec): SessionProcess {
    const child = this.#runner.spawn(this.#target, spec);
    this.#children.add(child);
    child.status.finally(() => this.#children.delete(child)).catch(() => {});
    return child;
  }

  #exec(
    command: readonly string[],
    options: { tty?: boolean; env?: Record<string, string> } = {},
  ): SessionProcess {
    const t = this.#target;
    // A client's variables (an accepted token, say) never show in the host's process list: the
    // runner passes values out of band where it can.
    const env = { ...t.env, ...options.env };
    return this.#spawn({
      command: [...command],
      ...(options.tty ? { tty: true } : {}),
      ...(t.user ? { user: t.user } : {}),
      workdir: t.workdir,
      ...(Object.keys(env).length ? { env } : {}),
    });
  }

  #session(session: Any): void {
    const id = `${Deno.pid}-${++this.#sessions}`;
    const env: Record<string, string> = {};
    let pty: { rows: number; cols: number; term?: string } | undefined;
    let started = false;
    const signalled = new Set<string>();

    session.on("env", (accept: Any, reject: Any, info: Any) => {
      if (acceptedEnv(String(info.key), this.#acceptEnv)) {
        env[String(info.key)] = String(info.val);
        accept?.();
      } else reject?.();
    });
    session.on("pty", (accept: Any, _reject: Any, info: Any) => {
      pty = { rows: Number(info.rows) || 24, cols: Number(info.cols) || 80, term: info.term };
      accept?.();
    });
    // Resizes run one after another, and only the latest size is applied; before the session
    // starts, the size is simply the one it starts with.
    let resizing: Promise<void> = Promise.resolve();
    session.on("window-change", (accept: Any, _reject: Any, info: Any) => {
      accept?.();
      if (!pty) return;
      const wanted = { ...pty, rows: Number(info.rows), cols: Number(info.cols) };
      pty = wanted;
      if (!started) return;
      resizing = resizing.then(() =>
        pty !== wanted ? undefined : this.#control([
          "/bin/sh",
          "-c",
          SESSION_RESIZE,
          "resize",
          id,
          String(wanted.rows),
          String(wanted.cols),
        ])
      );
    });
    session.on("signal", (accept: Any, reject: Any, info: Any) => {
      const name = String(info.name).replace(/^SIG/, "");
      if (!started || !(SSH_SIGNALS as readonly string[]).includes(name)) return reject?.();
      accept?.();
      signalled.add(name);
      this.#control(["/bin/sh", "-c", SESSION_SIGNAL, "signal", id, name]);
    });
    // Accepted at once (a client may send EOF right after its request); run once the
    // workspace is known.
    const run = (command: string[], accept: Any, _reject: Any) => {
      const channel = accept();
      if (!channel) return;
      started = true;
      this.#afterLookup(channel, () => start(command, channel));
    };
    const start = (command: string[], channel: Any) => {
      const vars = { ...env, ...(pty?.term && !env.TERM ? { TERM: pty.term } : {}) };
      const child = this.#exec(sessionArgv(id, command, pty), {
        tty: pty !== undefined,
        ...(Object.keys(vars).length ? { env: vars } : {}),
      });
      this.#running.add(id);
      child.status.finally(() => this.#running.delete(id));
      // The client closed the channel while the process runs: hang it up (as sshd does).
      channel.on("close", () => {
        if (this.#running.has(id)) this.#hangup([id]);
      });
      this.#relay(channel, child, { signalled });
    };
    session.on("exec", (accept: Any, reject: Any, info: Any) => {
      run(["/bin/sh", "-c", String(info.command)], accept, reject);
    });
    session.on("shell", (accept: Any, reject: Any) => {
      run(
        [
          "/bin/sh",
          "-c",
          "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi",
        ],
        accept,
        reject,
      );
    });
    session.on("subsystem", (accept: Any, reject: Any, info: Any) => {
      if (String(info.name) !== "sftp") return reject?.();
      const channel = accept();
      if (channel) this.#afterLookup(channel, () => this.#sftp(channel));
    });
  }

  /** Runs `work` once the workspace is known; a failed lookup ends `channel` with its reason. */
  #afterLookup(channel: Any, work: () => void): void {
    const fail = (err: Error) => {
      channel.stderr.write(`devaipod ssh-proxy: ${err.message}\n`);
      channel.exit(255);
      channel.end();
    };
    this.#targetPromise.then(() => {
      // A session that cannot start fails alone, with its reason; the connection stays.
      try {
        work();
      } catch (err) {
        fail(err as Error);
      }
    }, fail);
  }

  /** The sftp subsystem: devaipod's helper in the container speaks SFTP on its stdio. */
  #sftp(channel: Any): void {
    const helper = this.#target.helper;
    if (!helper) {
      const why =
        `devaipod ssh-proxy: sftp needs devaipod's helper in the workspace; \`devaipod rebuild ${this.#target.workspace}\` adds it`;
      this.#warn(why);
      channel.exit(1);
      channel.end();
      return;
    }
    this.#relay(channel, this.#exec([...helper, "sftp"]), {});
  }

  /**
   * Ends what this connection started: its sessions' processes in the container (podman exec
   * does not pass signals on), then the podman processes, SIGKILL for any that linger.
   */
  async #shutDown(): Promise<void> {
    if (this.#running.size) {
      await Promise.race([
        this.#hangup([...this.#running]),
        new Promise((r) => setTimeout(r, 5000)),
      ]);
    }
    const children = [...this.#children];
    for (const child of children) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    const ended = Promise.allSettled(children.map((c) => c.status));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = await Promise.race([
      ended.then(() => false),
      new Promise<boolean>((r) => timer = setTimeout(() => r(true), 2000)),
    ]);
    clearTimeout(timer);
    if (late) {
      for (const child of this.#children) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
      await ended;
    }
  }

  /** Hangs up sessions in the container (HUP, then KILL), as root: they may be any user's. */
  #hangup(ids: string[]): Promise<void> {
    return this.#control(["/bin/sh", "-c", SESSION_HANGUP, "hangup", ...ids], "0");
  }

  /**
   * A short control command in the container (resize, signal, hang-up), as the sessions' user
   * or `user`; failures are ignored.
   */
  #control(command: string[], user?: string): Promise<void> {
    return this.#targetPromise.then(async (t) => {
      const as = user ?? t.user;
      const child = this.#spawn({ command, ...(as ? { user: as } : {}) });
      child.stdin.close().catch(() => {});
      child.stdout.cancel().catch(() => {});
      child.stderr.cancel().catch(() => {});
      await child.status;
    }).catch(() => {});
  }

  /** Opens a forwarding channel when the helper in the container has connected. */
  #forward(args: string[], accept: Any, reject: Any): void {
    const helper = this.#target.helper;
    if (!helper) {
      this.#warn(
        `devaipod ssh-proxy: forwarding needs devaipod's helper in the workspace; \`devaipod rebuild ${this.#target.workspace}\` adds it`,
      );
      return reject();
    }
    const child = this.#exec([...helper, ...args]);
    const reader = child.stdout.getReader();
    (async () => {
      // The helper's first byte says whether it connected (0) or not (1, then why).
      let first: Uint8Array | undefined;
      while (first === undefined || first.length === 0) {
        const r = await reader.read();
        if (r.done) break;
        first = r.value;
      }
      if (!first || first[0] !== 0) {
        reject();
        child.stdin.close().catch(() => {});
        reader.cancel().catch(() => {});
        child.stderr.cancel().catch(() => {});
        return;
      }
      const channel = accept();
      const rest = first.subarray(1);
      if (rest.length) channel.write(Buffer.from(rest));
      reader.releaseLock();
      this.#relay(channel, child, { forward: true });
    })().catch((err) => this.#warn(`devaipod ssh-proxy: ${(err as Error).message}`));
  }

  /** Relays a channel and a process: stdin, stdout, stderr, EOF, then the exit status. */
  #relay(
    channel: Any,
    child: SessionProcess,
    options: { signalled?: Set<string>; forward?: boolean },
  ): void {
    const writer = child.stdin.getWriter();
    let closedIn = false;
    const closeIn = () => {
      if (closedIn) return;
      closedIn = true;
      writer.close().catch(() => {});
    };
    channel.on("data", (chunk: Uint8Array) => {
      writer.write(chunk).catch(() => {});
      if ((writer.desiredSize ?? 1) <= 0) {
        channel.pause();
        writer.ready.then(() => channel.resume(), () => {});
      }
    });
    channel.on("end", closeIn);
    channel.on("close", () => {
      closeIn();
      // The client went away: stop the process (its output has nowhere to go).
      if (!options.forward) return;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
    });
    const output = new ChannelOutput(channel);
    const out = pump(child.stdout, (b) => output.write("out", b));
    const err = options.forward
      ? child.stderr.cancel()
      : pump(child.stderr, (b) => output.write("err", b));
    Promise.all([child.status, out, err]).then(([status]) => {
      if (!options.forward) {
        const signal = signalOfExitCode(status.code);
        if (signal && options.signalled?.has(signal)) channel.exit(signal, false, "");
        else channel.exit(status.code);
      }
      channel.end();
      closeIn();
    }, () => channel.end());
  }
}

/**
 * A channel's stdout and stderr, written one chunk at a time, each after the last was sent.
 * ssh2 (1.17) keeps one pending chunk per stream while the client's window is shut, resumes only
 * one of them when it opens, and never forgets a chunk it resent: written at once, stdout and
 * stderr could be lost or sent twice. With one write in flight and the pending slots cleared
 * after each, that cannot happen; and everything is sent before the channel is ended.
 */
export class ChannelOutput {
  readonly #channel: Any;
  #last: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(channel: Any) {
    this.#channel = channel;
    channel.on("close", () => this.#closed = true);
  }

  /** Writes `bytes` to stdout or stderr; resolves when sent (or when the channel is gone). */
  write(stream: "out" | "err", bytes: Uint8Array): Promise<void> {
    this.#last = this.#last.then(() =>
      new Promise<void>((resolve) => {
        const target = stream === "out" ? this.#channel : this.#channel.stderr;
        if (this.#closed || target.destroyed || target.writableEnded) return resolve();
        const done = () => {
          this.#channel.off("close", done);
          // Nothing is pending now: clear what ssh2 would otherwise resend.
          this.#channel._chunk = this.#channel._chunkcb = undefined;
          this.#channel._chunkErr = this.#channel._chunkcbErr = undefined;
          resolve();
        };
        this.#channel.on("close", done);
        // A view, not a copy: the process stream does not reuse its chunks.
        target.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), done);
      })
    );
    return this.#last;
  }
}

/** Copies a process stream through `write`, one chunk at a time. */
async function pump(
  stream: ReadableStream<Uint8Array>,
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<void> {
  for await (const chunk of stream) await write(chunk);
}
