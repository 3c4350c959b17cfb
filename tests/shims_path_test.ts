/**
 * The shims (`opencode-agent`, `oc`) are on PATH in every way a human enters a workspace: a
 * terminal opened with `devaipod ssh` (in tmux, read back from the pane), ssh through the bridge
 * with and without a terminal and a login shell, the remote-SSH editor flow (`ssh HOST bash`
 * with a script on stdin, `ssh HOST 'sh -c …'`), `devaipod exec`, and the lifecycle hooks; and
 * they stay there across `stop`/`start` and `rebuild`. Debian's /etc/profile resets PATH in
 * every login shell, which is what the test's image (and most images) carry.
 */
import { join } from "node:path";
import { shellQuote } from "../lib/errors.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { denoDir, denoProgram, devaipodPermissionFlags, runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { run, waitFor } from "./support/process.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { name, project, purge } from "./support/workspaces.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** Prints, for each shim, the file its name runs (links resolved), or that it is not found. */
const PROBE =
  'for c in opencode-agent oc; do p=$(command -v "$c") && readlink -f "$p" || echo "$c: not found"; done';
/** What {@link PROBE} prints when both names run devaipod's shims. */
const ON_PATH = "/opt/devaipod/shims/opencode-agent\n/opt/devaipod/shims/oc\n";

/** A hook that records what `opencode-agent` runs (in the agent too, which has no shims). */
const RECORD = (file: string, shell: string) =>
  `${shell} 'p=$(command -v opencode-agent) && readlink -f "$p" || echo not found' > /tmp/${file} 2>&1 || true`;
/** What {@link RECORD} writes when the hook found the shim. */
const SHIM = "/opt/devaipod/shims/opencode-agent\n";

/** A tmux server of this test's own (its own socket), driving one terminal. */
class Terminal {
  readonly #socket = `devaipod-test-${crypto.randomUUID().slice(0, 8)}`;
  #started = false;

  /** Opens a 200×50 terminal running `argv` (through the user's shell, as tmux does). */
  async open(argv: string[], env: Record<string, string>): Promise<void> {
    const r = await this.#tmux([
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      "200",
      "-y",
      "50",
      ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
      argv.map(shellQuote).join(" "),
    ]);
    assertEquals(r.code, 0, r.stderr);
    this.#started = true;
  }

  type(line: string): Promise<unknown> {
    return this.#tmux(["send-keys", "-t", "t", "-l", line]).then(() =>
      this.#tmux(["send-keys", "-t", "t", "Enter"])
    );
  }

  /** The pane's text, wrapped lines joined. */
  async screen(): Promise<string> {
    return (await this.#tmux(["capture-pane", "-p", "-J", "-t", "t", "-S", "-200"])).stdout;
  }

  /** Waits until the pane matches `pattern`; the failure shows the pane. */
  async until(pattern: RegExp, ms = 30_000): Promise<string> {
    let text = "";
    try {
      await waitFor(`the terminal to show ${pattern}`, async () => {
        text = await this.screen();
        return pattern.test(text);
      }, { ms });
    } catch (err) {
      throw new Error(`${(err as Error).message}; the terminal shows:\n${text}`);
    }
    return text;
  }

  async close(): Promise<void> {
    if (this.#started) await this.#tmux(["kill-server"]);
  }

  #tmux(args: string[]) {
    return run("tmux", ["-L", this.#socket, ...args]);
  }
}

podmanTest(
  "shims: opencode-agent and oc are on PATH in a terminal, ssh with and without a login shell, exec and hooks, across start and rebuild",
  async (t) => {
    const dir = await project({
      image: DEV_IMAGE,
      remoteUser: "dev",
      postCreateCommand: {
        sh: RECORD("create-sh", "sh -c"),
        login: RECORD("create-login", "bash -lc"),
      },
      postStartCommand: { login: RECORD("start-login", "bash -lc") },
    });
    const ws = name();
    const container = `devaipod-${ws}-workspace`;
    const terminal = new Terminal();
    const tmp = await Deno.makeTempDir({ prefix: "devaipod-shims-" });
    try {
      const up = await runDevaipod(["up", dir, "--name", ws, "--network-isolation", "off", "-q"]);
      assertEquals(up.code, 0, up.stderr);
      const printed = await runDevaipod(["ssh-config", ws, "--json"]);
      assertEquals(printed.code, 0, printed.stderr);
      const doc = JSON.parse(printed.stdout);
      await Deno.writeTextFile(join(tmp, "config"), doc.block);
      const opts = ["-F", join(tmp, "config"), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"];
      const ssh = (args: string[], stdin?: string) => run("ssh", [...opts, ...args], { stdin });
      const file = (path: string) => run("podman", ["exec", container, "cat", path]);

      await t.step("a terminal opened with `devaipod ssh` (a login shell)", async () => {
        await terminal.open(
          [denoProgram(), "run", "--quiet", ...devaipodPermissionFlags(), MAIN, "ssh", ws],
          { DENO_DIR: denoDir(), NO_COLOR: "1" },
        );
        await terminal.until(/\$ $/m);
        await terminal.type("command -v opencode-agent oc");
        await terminal.type(
          'for c in opencode-agent oc; do printf "at:%s\\n" "$(readlink -f "$(command -v $c)")"; done',
        );
        const screen = await terminal.until(/^at:.*\n(.*\n)*at:.*$/m);
        // `command -v` answers with a path for each name; the paths are devaipod's shims.
        assertMatch(screen, /^\/\S+\/opencode-agent$/m, screen);
        assertMatch(screen, /^\/\S+\/oc$/m, screen);
        assertMatch(
          screen,
          /^at:\/opt\/devaipod\/shims\/opencode-agent$\n^at:\/opt\/devaipod\/shims\/oc$/m,
          screen,
        );
        await terminal.type("exit");
      });

      await t.step("ssh with a terminal (-tt): the login shell", async () => {
        const r = await ssh(["-tt", doc.host], `${PROBE}; exit\n`);
        assertEquals(r.code, 0, r.stderr);
        // (The echoed input holds the probe's text, never its answer.)
        const out = r.stdout.replaceAll("\r", "");
        assert(out.includes(ON_PATH), out);
      });

      await t.step("ssh without a terminal: a command, bash -lc, sh -lc, as root", async () => {
        assertEquals((await ssh([doc.host, PROBE])).stdout, ON_PATH);
        assertEquals((await ssh([doc.host, `bash -lc ${shellQuote(PROBE)}`])).stdout, ON_PATH);
        assertEquals((await ssh([doc.host, `sh -lc ${shellQuote(PROBE)}`])).stdout, ON_PATH);
        assertEquals(
          (await ssh([`root@${doc.host}`, `bash -lc ${shellQuote(PROBE)}`])).stdout,
          ON_PATH,
        );
      });

      await t.step("the remote-SSH editor flow: `ssh HOST bash` and `sh -c`", async () => {
        // How VS Code's Remote-SSH starts: a shell with its script on stdin, then sh -c commands.
        assertEquals((await ssh(["-T", doc.host, "bash"], `${PROBE}\n`)).stdout, ON_PATH);
        assertEquals((await ssh(["-T", doc.host, "bash -l"], `${PROBE}\n`)).stdout, ON_PATH);
        assertEquals((await ssh([doc.host, `sh -c ${shellQuote(PROBE)}`])).stdout, ON_PATH);
      });

      await t.step("devaipod exec: a command, a login shell, the default shell", async () => {
        for (
          const argv of [["sh", "-c", PROBE], ["sh", "-lc", PROBE], ["bash", "-lc", PROBE]]
        ) {
          const r = await runDevaipod(["exec", ws, "--", ...argv]);
          assertEquals([argv, r.stdout], [argv, ON_PATH], r.stderr);
        }
        const shell = await runDevaipod(["exec", ws], { stdin: `${PROBE}\n` });
        assertEquals(shell.stdout, ON_PATH, shell.stderr);
      });

      const hookSaw = async (names: string[]) => {
        for (const n of names) {
          const r = await file(`/tmp/${n}`);
          assertEquals([n, r.stdout], [n, SHIM], r.stderr);
        }
      };

      await t.step("hooks: postCreateCommand (sh -c, bash -lc) and postStartCommand", async () => {
        await hookSaw(["create-sh", "create-login", "start-login"]);
      });

      await t.step(
        "start puts back a missing link and keeps a file of the image's own",
        async () => {
          // As if the container had lost the link, and its image had an `oc` of its own there.
          const prep = await run("podman", [
            "exec",
            "-u",
            "0",
            container,
            "sh",
            "-c",
            "rm -f /tmp/start-login /usr/local/bin/opencode-agent /usr/local/bin/oc && " +
            "printf '#!/bin/sh\\necho own oc\\n' > /usr/local/bin/oc && chmod 755 /usr/local/bin/oc",
          ]);
          assertEquals(prep.code, 0, prep.stderr);
          assertEquals((await runDevaipod(["stop", ws])).code, 0);
          const start = await runDevaipod(["start", ws]);
          assertEquals(start.code, 0, start.stderr);
          assertMatch(start.stderr, /\/usr\/local\/bin\/oc is the image's own/);
          const r = await ssh([doc.host, `bash -lc ${shellQuote(PROBE)}`]);
          assertEquals(r.stdout, "/opt/devaipod/shims/opencode-agent\n/usr/local/bin/oc\n");
          assertEquals((await ssh([doc.host, "bash -lc oc"])).stdout, "own oc\n");
          await file("/tmp/start-login").then((r) => assertEquals(r.stdout, SHIM));
        },
      );

      await t.step("rebuild: a new container has the links too", async () => {
        const r = await runDevaipod(["rebuild", ws, "-q"]);
        assertEquals(r.code, 0, r.stderr);
        assertEquals((await ssh([doc.host, `bash -lc ${shellQuote(PROBE)}`])).stdout, ON_PATH);
        await hookSaw(["create-sh", "create-login", "start-login"]);
      });
    } finally {
      await terminal.close();
      await purge(ws);
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
