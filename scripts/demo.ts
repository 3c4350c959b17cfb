/**
 * `deno task demo`: what devaipod does today, end to end on this machine.
 *
 * 1. `devaipod doctor` checks the host.
 * 2. The local images are built (or found up to date).
 * 3. The pinned opencode binary is fetched into the cache (integrity checked).
 * 4. One sandboxed agent container starts in a pod through the typed driver — all capabilities
 *    dropped, no-new-privileges, non-root, `--init`, opencode bind-mounted read-only — shows what
 *    the sandbox looks like from inside, and is removed again.
 *
 * The pods issue turns this into `devaipod up`.
 */
import { fetchPinnedBinary } from "../lib/agents/fetch_binary.ts";
import { agentPlatform, opencodePin } from "../lib/agents/opencode.ts";
import { CliContext } from "../lib/cli/context.ts";
import { formatError } from "../lib/cli/format_error.ts";
import { Progress } from "../lib/cli/progress.ts";
import { runCli } from "../lib/cli/root.ts";
import { toDevaipodError } from "../lib/errors.ts";
import { LABELS } from "../lib/labels.ts";
import { devaipodDirs } from "../lib/paths.ts";
import * as p from "../lib/podman/mod.ts";
import { DEV_IMAGE, ensureTestImages } from "../tests/support/test_images.ts";

const say = (line = "") => console.log(line);
const podman = p.Podman.fromEnv();
const progress = new Progress({ write: (l) => console.error(l), quiet: false });
const id = crypto.randomUUID().slice(0, 6);
const pod = `devaipod-demo-${id}`;
const labels = { [LABELS.workspace]: pod, [LABELS.role]: "demo" };

async function doctor(): Promise<void> {
  say("== devaipod doctor");
  const ctx = new CliContext({
    env: Deno.env,
    cwd: () => Deno.cwd(),
    io: {
      stdout: (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)),
      stderr: (t) => Deno.stderr.writeSync(new TextEncoder().encode(t)),
      stdoutIsTerminal: Deno.stdout.isTerminal(),
    },
    makePodman: () => podman,
    inToolbox: () => p.detectToolbox(),
    signal: new AbortController().signal,
  });
  await runCli(["doctor"], ctx);
  say();
}

async function sandbox(opencode: string): Promise<void> {
  say(`== a sandboxed agent container in pod ${pod}`);
  await progress.step(`create pod ${pod}`, () => podman.run(p.podCreate({ name: pod, labels })));
  const agent = `${pod}-agent`;
  await progress.step(
    "start the agent container (cap-drop ALL, no-new-privileges, uid 1000, --init)",
    () =>
      podman.run(p.containerRun({
        name: agent,
        image: DEV_IMAGE,
        pod,
        labels: { ...labels, [LABELS.role]: "agent" },
        user: "1000:1000",
        init: true,
        capDrop: ["ALL"],
        securityOpt: ["no-new-privileges"],
        env: { HOME: "/tmp/agent-home" },
        mounts: [{
          type: "bind",
          source: opencode,
          target: "/opt/devaipod/bin/opencode",
          readonly: true,
        }],
        command: ["sleep", "infinity"],
      })),
  );
  const exec = (command: string[]) => podman.run(p.containerExec({ container: agent, command }));
  const status = (await exec(["cat", "/proc/self/status"])).stdout;
  const field = (name: string) =>
    new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1]?.trim() ?? "?";
  const version = await progress.step(
    "run the injected opencode",
    () => exec(["/opt/devaipod/bin/opencode", "--version"]),
  );
  say(`  uid/gid           ${(await exec(["id"])).stdout.trim()}`);
  say(`  CapEff            ${field("CapEff")}  (no capabilities)`);
  say(`  NoNewPrivs        ${field("NoNewPrivs")}`);
  say(
    `  PID 1             ${(await exec(["cat", "/proc/1/comm"])).stdout.trim()}  (podman's init)`,
  );
  say(`  opencode          ${version.stdout.trim()} (bind-mounted read-only from the cache)`);
  const write = await exec(["sh", "-c", "echo x > /opt/devaipod/bin/opencode"]);
  say(
    `  write to opencode ${
      write.code === 0 ? "ALLOWED (unexpected!)" : "refused, as it should be"
    }`,
  );
}

try {
  await doctor();
  say("== local images");
  await ensureTestImages({ podman, log: (l) => progress.note(l) }).then((outcomes) => {
    for (const o of outcomes) progress.note(`${o.image}: ${o.action} (${o.seconds}s)`);
  });
  say();
  say("== agent binary");
  const info = await podman.run(p.info());
  const platform = agentPlatform(info.host.arch);
  if (!platform) throw new Error(`opencode has no Linux build for ${info.host.arch}`);
  const opencode = await progress.step(
    `fetch opencode for ${platform} (cached after the first time)`,
    () =>
      fetchPinnedBinary(opencodePin(platform), {
        cacheDir: devaipodDirs(Deno.env).cache,
        log: (l) => progress.note(l),
      }),
  );
  say();
  await sandbox(opencode);
  say();
  say(`demo done in ${progress.elapsed()}. Run the tests with: deno task test`);
} catch (err) {
  console.error(formatError(toDevaipodError(err), true).trimEnd());
  Deno.exitCode = toDevaipodError(err).exitCode;
} finally {
  await podman.run(p.podRm(pod, { force: true, timeoutSeconds: 0 })).then(
    () => console.error(`removed pod ${pod}`),
    () => {},
  );
}
