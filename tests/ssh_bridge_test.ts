/**
 * The SSH bridge end to end with the real OpenSSH client (ssh, scp, sftp, rsync) against a
 * workspace whose image has no sshd and no sftp-server: the client reaches it only through
 * `devaipod ssh-proxy` as its ProxyCommand, configured by `devaipod ssh-config`.
 */
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import ssh2 from "ssh2";
import { assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import type { CliResult } from "./support/cli.ts";
import { run, waitFor } from "./support/process.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { name, project, purge } from "./support/workspaces.ts";

const dec = new TextDecoder();

/** An SSH client set up for one workspace: its config file, key and host alias. */
interface Client {
  ws: string;
  host: string;
  dir: string;
  /** `-F config -i key …`: what every OpenSSH program here is given. */
  opts: string[];
  key: string;
  proxyCommand: string[];
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Processes of this bridge still alive on the host (bridge or podman exec). */
async function leftovers(c: Client, container: string): Promise<string[]> {
  const id = (await run("podman", ["container", "inspect", "--format", "{{.Id}}", container]))
    .stdout.trim();
  const ps = await run("ps", ["-eo", "pid,args"]);
  return ps.stdout.split("\n").filter((l) =>
    (l.includes(`ssh-proxy ${c.ws}`) && !l.includes("ps -eo")) ||
    (l.includes("podman") && l.includes(" exec ") && (l.includes(container) || l.includes(id)))
  );
}

/** Processes in the workspace whose command line contains `marker`. */
async function inContainer(container: string, marker: string): Promise<string[]> {
  const ps = await run("podman", ["exec", container, "ps", "-eo", "pid,args"]);
  return ps.stdout.split("\n").filter((l) => l.includes(marker) && !l.includes("ps -eo"));
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function setUp(ws: string): Promise<Client> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-ssh-" });
  const printed = await runDevaipod(["ssh-config", ws, "--json"]);
  assertEquals(printed.code, 0, printed.stderr);
  const doc = JSON.parse(printed.stdout);
  const config = join(dir, "config");
  await Deno.writeTextFile(config, doc.block);
  return {
    ws,
    host: doc.host,
    dir,
    // devaipod's own client key, named by the block: no key of the user's is needed.
    key: doc.identityFile,
    proxyCommand: doc.proxyCommand,
    opts: ["-F", config, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"],
  };
}

/** Starts the ProxyCommand as ssh would (through a shell: the test may not run deno itself). */
function spawnProxy(c: Client): Deno.ChildProcess {
  return new Deno.Command("/bin/sh", {
    args: ["-c", 'exec "$@"', "sh", ...c.proxyCommand],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/** A pty shell through ssh2's client (it can send window-change and signal requests). */
function ssh2Shell(c: Client, script: (stream: Any, output: () => string) => Promise<void>) {
  return new Promise<void>((resolve, reject) => {
    const proxy = spawnProxy(c);
    const sock = nodeDuplex(proxy, proxy.stdin.getWriter());
    const client = new (ssh2 as Any).Client();
    client.on("ready", () => {
      client.shell({ rows: 24, cols: 80, term: "xterm" }, async (err: Error, stream: Any) => {
        if (err) return reject(err);
        let out = "";
        stream.on("data", (d: Uint8Array) => out += dec.decode(d));
        try {
          await script(stream, () => out);
          client.end();
          resolve();
        } catch (e) {
          client.end();
          reject(e);
        }
      });
    });
    client.on("error", reject);
    client.connect({
      sock,
      username: "dev",
      privateKey: Deno.readTextFileSync(c.key),
      hostVerifier: () => true,
    });
  });
}

// deno-lint-ignore no-explicit-any
type Any = any;

/** A node Duplex over a child process's stdio (ssh2's client wants a socket-like stream). */
function nodeDuplex(
  proxy: Deno.ChildProcess,
  writer: WritableStreamDefaultWriter<Uint8Array>,
): Duplex {
  const reader = proxy.stdout.getReader();
  return new Duplex({
    read() {
      reader.read().then(({ done, value }) => this.push(done ? null : Buffer.from(value)));
    },
    write(chunk, _enc, cb) {
      writer.write(chunk).then(() => cb(), cb);
    },
    final(cb) {
      writer.close().then(() => cb(), () => cb());
    },
  });
}

async function until(output: () => string, pattern: RegExp, ms = 10_000): Promise<void> {
  await waitFor(`output matching ${pattern}`, () => pattern.test(output()), { ms });
}

podmanTest(
  "ssh bridge: OpenSSH's ssh, scp, sftp and rsync reach a workspace without sshd or sftp-server",
  async (t) => {
    const dir = await project({
      image: DEV_IMAGE,
      remoteUser: "dev",
      remoteEnv: { FROM_REMOTE_ENV: "${containerEnv:NOT_THERE:remote}-set", UNSET_HERE: null },
    });
    const ws = name();
    let c: Client | undefined;
    const background: Deno.ChildProcess[] = [];
    try {
      const up = await runDevaipod(["up", dir, "--name", ws, "--network-isolation", "off", "-q"]);
      assertEquals(up.code, 0, up.stderr);
      const client = c = await setUp(ws);
      const ssh = (args: string[], stdin?: string | Uint8Array) =>
        run("ssh", [...client.opts, ...args], { stdin });
      const container = `devaipod-${ws}-workspace`;
      const noSftpServer = await ssh([
        client.host,
        "ls /usr/lib/openssh/sftp-server /usr/lib/sftp-server 2>/dev/null | wc -l",
      ]);
      assertEquals(noSftpServer.stdout.trim(), "0", "the image has no sftp-server");

      await t.step("exec: exit status, stderr apart from stdout, stdin to EOF", async () => {
        const r = await ssh(
          [client.host, "cat > /tmp/in.txt; echo out; echo err >&2; whoami; pwd; exit 7"],
          "from stdin\n",
        );
        assertEquals(r.code, 7, r.stderr);
        assertEquals(r.stdout.trim().split("\n"), [
          "out",
          "dev",
          `/workspaces/${dir.split("/").at(-1)}`,
        ]);
        assertEquals(r.stderr.trim(), "err");
        assertEquals((await ssh([client.host, "cat /tmp/in.txt"])).stdout, "from stdin\n");
        // remoteEnv reaches sessions, through the bridge and through podman exec alike.
        const remoteEnv = 'echo "$FROM_REMOTE_ENV ${UNSET_HERE-unset}"';
        assertEquals((await ssh([client.host, remoteEnv])).stdout, "remote-set unset\n");
        const noBridge = await runDevaipod(["exec", ws, "--", "sh", "-c", remoteEnv]);
        assertEquals(noBridge.stdout, "remote-set unset\n");
        // ssh's user picks the session's user when the workspace has it; else remoteUser.
        assertEquals((await ssh([`root@${client.host}`, "whoami"])).stdout, "root\n");
        assertEquals((await ssh([`nosuchuser@${client.host}`, "whoami"])).stdout, "dev\n");
        // `devaipod ssh` goes through the system ssh and the bridge, and keeps the exit code.
        const viaCli = await runDevaipod(["-v", "ssh", ws, "--", "sh", "-c", "whoami; exit 5"]);
        assertEquals([viaCli.code, viaCli.stdout], [5, "dev\n"], viaCli.stderr);
        assertMatch(viaCli.stderr, /running ssh .*ProxyCommand=/);
        // env requests: LANG (and TERM, LC_*) always; EDITOR because the user config says so.
        const config = join(client.dir, "xdg");
        await Deno.mkdir(config);
        await Deno.writeTextFile(join(config, "devaipod.toml"), '[ssh]\naccept-env = ["EDITOR"]\n');
        const env = await run(
          "ssh",
          [
            ...client.opts,
            "-o",
            "SetEnv=LANG=C.UTF-8 SECRET_X=1 EDITOR=vi",
            client.host,
            'echo "$LANG-${SECRET_X:-unset}-${EDITOR:-unset}"',
          ],
          { env: { XDG_CONFIG_HOME: config } },
        );
        assertEquals(env.stdout.trim(), "C.UTF-8-unset-vi", env.stderr);
        // An accepted value reaches the session, but not the host's process list.
        const secretValue = `vi-${crypto.randomUUID()}`;
        const slow = new Deno.Command("ssh", {
          args: [
            ...client.opts,
            "-o",
            `SetEnv=EDITOR=${secretValue}`,
            client.host,
            "sleep 3; echo slow-session",
          ],
          env: { XDG_CONFIG_HOME: config },
          stdout: "null",
          stderr: "null",
        }).spawn();
        await waitFor(
          "the session",
          async () => (await inContainer(container, "slow-session")).length > 0,
        );
        // (The test's own ssh has it in its argv; the bridge's podman must not.)
        const podmanLines = (await run("ps", ["-eo", "args"])).stdout.split("\n")
          .filter((l) => l.includes("podman") && l.includes(" exec ")).join("\n");
        assertEquals(podmanLines.includes(secretValue), false, "the value is not in argv");
        assertMatch(podmanLines, /podman container exec .*--env EDITOR /);
        await slow.status;
        const without = await run("ssh", [
          ...client.opts,
          "-o",
          "SetEnv=EDITOR=vi",
          client.host,
          'echo "${EDITOR:-unset}"',
        ]);
        assertEquals(without.stdout.trim(), "unset", "EDITOR is not accepted without the config");
      });

      await t.step(
        "shell: ssh -tt gets a terminal; window-change resizes it; signals reach the process",
        async () => {
          const tt = await ssh(["-tt", client.host], "tty; stty size; exit 3\n");
          assertEquals(tt.code, 3, tt.stderr);
          assertMatch(tt.stdout, /\/dev\/pts\/\d+/);
          // ssh without a terminal of its own asks for 0×0: the bridge gives 24×80.
          assertMatch(tt.stdout, /^24 80\r?$/m);
          await ssh2Shell(client, async (stream, output) => {
            stream.write("stty size\n");
            await until(output, /^24 80\r?$/m);
            stream.setWindow(50, 132, 0, 0);
            await new Promise((r) => setTimeout(r, 500));
            stream.write("stty size\n");
            await until(output, /^50 132\r?$/m);
            stream.write("exit\n");
          });
          // A signal request ends a running command with exit-signal.
          await new Promise<void>((resolve, reject) => {
            const proxy = spawnProxy(client);
            const sc = new (ssh2 as Any).Client();
            sc.on("ready", () => {
              sc.exec("sleep 30", (err: Error, stream: Any) => {
                if (err) return reject(err);
                setTimeout(() => stream.signal("TERM"), 1500);
                stream.on("exit", (code: number | null, signal?: string) => {
                  try {
                    // ssh2 reports the name the bridge sent (TERM) with its SIG prefix.
                    assertEquals([code, signal], [null, "SIGTERM"]);
                    resolve();
                  } catch (e) {
                    reject(e);
                  } finally {
                    sc.end();
                  }
                });
                stream.resume();
              });
            });
            sc.on("error", reject);
            sc.connect({
              sock: nodeDuplex(proxy, proxy.stdin.getWriter()),
              username: "dev",
              privateKey: Deno.readTextFileSync(client.key),
              hostVerifier: () => true,
            });
          });
        },
      );

      const local = join(client.dir, "blob");
      const big = new Uint8Array(5 * 1024 * 1024);
      for (let i = 0; i < big.length; i += 65536) {
        crypto.getRandomValues(big.subarray(i, i + 65536));
      }
      await Deno.writeFile(local, big);
      const sum = await sha256(local);

      await t.step("sftp -b: put, get, ls, rename, rm", async () => {
        const batch = join(client.dir, "batch");
        const back = join(client.dir, "back");
        await Deno.writeTextFile(
          batch,
          `mkdir up\nput ${local} up/blob\nls -l up\nrename up/blob up/moved\nget up/moved ${back}\nrm up/moved\nrmdir up\n`,
        );
        const r = await run("sftp", [...client.opts, "-b", batch, client.host]);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stdout, /blob/);
        assertEquals(await sha256(back), sum);
      });

      await t.step(
        "scp: SFTP mode and legacy (-O) mode, both directions, checksums equal",
        async () => {
          for (const mode of [[], ["-O"]]) {
            const back = join(client.dir, `scp-back${mode.length}`);
            const upload = await run("scp", [
              ...client.opts,
              ...mode,
              local,
              `${client.host}:scp-${mode.length}`,
            ]);
            assertEquals(upload.code, 0, upload.stderr);
            const download = await run("scp", [
              ...client.opts,
              ...mode,
              `${client.host}:scp-${mode.length}`,
              back,
            ]);
            assertEquals(download.code, 0, download.stderr);
            assertEquals(await sha256(back), sum, `scp ${mode.join(" ")}`);
          }
        },
      );

      await t.step("rsync -e ssh: a tree goes over and comes back equal", async () => {
        const tree = join(client.dir, "tree");
        await Deno.mkdir(join(tree, "a", "b"), { recursive: true });
        await Deno.copyFile(local, join(tree, "a", "b", "blob"));
        await Deno.writeTextFile(join(tree, "a", "note.txt"), "note\n");
        const rsh = ["ssh", ...client.opts].join(" ");
        const out = await run("rsync", ["-a", "-e", rsh, `${tree}/`, `${client.host}:tree/`]);
        assertEquals(out.code, 0, out.stderr);
        const back = join(client.dir, "tree-back");
        const inn = await run("rsync", ["-a", "-e", rsh, `${client.host}:tree/`, `${back}/`]);
        assertEquals(inn.code, 0, inn.stderr);
        assertEquals(await sha256(join(back, "a", "b", "blob")), sum);
        assertEquals(await Deno.readTextFile(join(back, "a", "note.txt")), "note\n");
      });

      // A server inside the workspace, on its loopback and on a unix socket.
      const wsPort = 18000 + Math.floor(Math.random() * 1000);
      const serve = (args: string) =>
        runDevaipod([
          "exec",
          ws,
          "--",
          "sh",
          "-c",
          `nohup /opt/devaipod/bin/deno run --quiet --no-config --allow-net --allow-read --allow-write /opt/devaipod/src/tests/support/ws_server.ts ${args} > /tmp/server-${
            args.replaceAll(/\W/g, "")
          }.log 2>&1 &`,
        ]);
      assertEquals((await serve(`tcp ${wsPort}`)).code, 0);
      assertEquals((await serve("unix /tmp/ws.sock")).code, 0);
      await waitFor(
        "the workspace's servers",
        async () =>
          (await ssh([client.host, "ls /tmp/ws.sock && curl -sf http://127.0.0.1:" + wsPort]))
            .code === 0,
      );

      const forward = async (args: string[], check: () => Promise<CliResult>) => {
        const child = new Deno.Command("ssh", {
          args: [...client.opts, "-N", "-o", "ExitOnForwardFailure=yes", ...args, client.host],
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        background.push(child);
        try {
          let last: CliResult = { code: -1, stdout: "", stderr: "" };
          await waitFor(
            `forwarding ${args.join(" ")}`,
            async () => (last = await check()).code === 0,
          );
          assertMatch(last.stdout, /^hello from the workspace \d+$/m);
        } finally {
          child.kill("SIGTERM");
          await child.output();
        }
      };

      await t.step(
        "-L to 127.0.0.1 in the workspace, -D SOCKS to the same, a unix socket forward",
        async () => {
          const l = freePort();
          await forward(
            ["-L", `${l}:127.0.0.1:${wsPort}`],
            () => run("curl", ["-sf", `http://127.0.0.1:${l}/`]),
          );
          const d = freePort();
          await forward(["-D", String(d)], () =>
            run("curl", [
              "-sf",
              "--socks5-hostname",
              `127.0.0.1:${d}`,
              `http://127.0.0.1:${wsPort}/`,
            ]));
          const sock = join(client.dir, "local.sock");
          await forward(
            ["-L", `${sock}:/tmp/ws.sock`],
            () => run("curl", ["-sf", "--unix-socket", sock, "http://workspace/"]),
          );
        },
      );

      await t.step("ControlMaster: 10 parallel sessions over one connection", async () => {
        const cm = [
          "-o",
          "ControlMaster=auto",
          "-o",
          `ControlPath=${client.dir}/cm-%C`,
          "-o",
          "ControlPersist=30",
        ];
        assertEquals((await ssh([...cm, client.host, "true"])).code, 0);
        const results = await Promise.all(
          Array.from(
            { length: 10 },
            (_, i) => ssh([...cm, client.host, `echo session-${i}; sleep 0.5`]),
          ),
        );
        assertEquals(
          results.map((r) => r.stdout.trim()),
          Array.from({ length: 10 }, (_, i) => `session-${i}`),
        );
        const proxies = (await leftovers(client, container)).filter((l) => l.includes("ssh-proxy"));
        assertEquals(proxies.length, 1, proxies.join("\n"));
        assertEquals((await ssh([...cm, "-O", "exit", client.host])).code, 0);
      });

      await t.step(
        "VS Code Remote-SSH's flow: ssh -T -D PORT host bash, a script on stdin, a server reached through SOCKS",
        async () => {
          const d = freePort();
          const vsPort = wsPort + 1;
          const child = new Deno.Command("ssh", {
            args: [...client.opts, "-T", "-D", String(d), client.host, "bash"],
            stdin: "piped",
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          background.push(child);
          const w = child.stdin.getWriter();
          await w.write(new TextEncoder().encode([
            'echo "platform==$(uname -s)==arch==$(uname -m)=="',
            "mkdir -p ~/.vscode-server-test",
            "cat > ~/.vscode-server-test/settings.json <<'VSCODE_EOF'",
            '{"from": "stdin"}',
            "VSCODE_EOF",
            `nohup /opt/devaipod/bin/deno run --quiet --no-config --allow-net /opt/devaipod/src/tests/support/ws_server.ts tcp ${vsPort} > /tmp/vs.log 2>&1 &`,
            `for i in $(seq 50); do curl -sf http://127.0.0.1:${vsPort} >/dev/null && break; sleep 0.2; done`,
            `echo "listeningOn==${vsPort}=="`,
            "",
          ].join("\n")));
          const reader = child.stdout.getReader();
          let out = "";
          while (!out.includes("listeningOn==")) {
            const r = await reader.read();
            if (r.done) break;
            out += dec.decode(r.value);
          }
          assertMatch(out, /platform==Linux==arch==\w+==/);
          const viaSocks = await run("curl", [
            "-sf",
            "--socks5-hostname",
            `127.0.0.1:${d}`,
            `http://127.0.0.1:${vsPort}/`,
          ]);
          assertMatch(viaSocks.stdout, /^hello from the workspace/);
          const settings = await ssh([client.host, "cat ~/.vscode-server-test/settings.json"]);
          assertEquals(settings.stdout.trim(), '{"from": "stdin"}');
          await w.close();
          reader.releaseLock();
          const status = await child.status;
          assertEquals(status.code, 0);
        },
      );

      await t.step(
        "100 sequential connections and a client killed mid-transfer leave nothing behind",
        async () => {
          for (let i = 0; i < 100; i++) {
            const r = await ssh([client.host, "true"]);
            assertEquals(r.code, 0, r.stderr);
          }
          const killed = new Deno.Command("ssh", {
            args: [...client.opts, client.host, "cat /dev/zero"],
            stdout: "piped",
            stderr: "null",
          }).spawn();
          const reader = killed.stdout.getReader();
          let got = 0;
          while (got < 4 * 1024 * 1024) {
            const r = await reader.read();
            if (r.done) break;
            got += r.value.length;
          }
          killed.kill("SIGKILL");
          await killed.status;
          await waitFor(
            "no bridge or podman exec left",
            async () => (await leftovers(client, container)).length === 0,
          );
          // Killed clients of a pty shell and of a plain command: their processes in the
          // workspace end too (podman exec itself does not pass signals on).
          for (const tty of [["-tt"], ["-T"]]) {
            const marker = `sleep 99${tty[0] === "-tt" ? 1 : 2}`;
            const client2 = new Deno.Command("ssh", {
              args: [...client.opts, ...tty, client.host, marker],
              stdin: "piped",
              stdout: "null",
              stderr: "null",
            }).spawn();
            await waitFor(
              `${marker} running`,
              async () => (await inContainer(container, marker)).length > 0,
            );
            client2.kill("SIGKILL");
            await client2.status;
            await waitFor(
              `${marker} gone`,
              async () => (await inContainer(container, marker)).length === 0,
            );
          }
          await waitFor(
            "the bridges of the killed clients gone",
            async () => (await leftovers(client, container)).length === 0,
          );
        },
      );
    } finally {
      for (const child of background) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
      await purge(ws);
      if (c) await Deno.remove(c.dir, { recursive: true }).catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);
