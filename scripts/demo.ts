/**
 * `deno task demo`: devaipod's main job, end to end on this machine.
 *
 * 1. `devaipod doctor` checks the host.
 * 2. The local image is built if missing (no registry needed).
 * 3. A sample project (a git repository with a devcontainer.json) is made in a temporary folder.
 * 4. `devaipod up` starts it: a workspace container and the real opencode agent, injected into
 *    an image that has none, locked down beside it.
 * 5. `devaipod status` shows it; the workspace reaches the agent (with its password; 401 without).
 * 6. It prints how to get a shell and how to delete it (the workspace keeps running).
 */
import { CliContext } from "../lib/cli/context.ts";
import { formatError } from "../lib/cli/format_error.ts";
import { runCli } from "../lib/cli/root.ts";
import { toDevaipodError } from "../lib/errors.ts";
import * as p from "../lib/podman/mod.ts";
import { DEV_IMAGE, ensureTestImages } from "../tests/support/test_images.ts";

const encoder = new TextEncoder();
const write = (stream: { writeSync(b: Uint8Array): number }) => (t: string) =>
  void stream.writeSync(encoder.encode(t));
const say = (line = "") => console.log(line);
const podman = p.Podman.fromEnv();

async function cli(...args: string[]): Promise<void> {
  const ctx = new CliContext({
    env: Deno.env,
    cwd: () => Deno.cwd(),
    io: {
      stdout: write(Deno.stdout),
      stderr: write(Deno.stderr),
      stdoutIsTerminal: Deno.stdout.isTerminal(),
    },
    makePodman: () => podman,
    inToolbox: () => p.detectToolbox(),
    signal: new AbortController().signal,
  });
  await runCli(args, ctx);
}

async function sampleProject(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-demo-project-" });
  await Deno.mkdir(`${dir}/.devcontainer`);
  await Deno.writeTextFile(
    `${dir}/.devcontainer/devcontainer.json`,
    JSON.stringify(
      {
        name: "devaipod demo",
        image: DEV_IMAGE,
        remoteUser: "dev",
        containerEnv: { DEMO: "1" },
        postCreateCommand: "git log --oneline | head -n 1",
      },
      null,
      2,
    ) + "\n",
  );
  await Deno.writeTextFile(`${dir}/hello.py`, 'print("hello from the demo project")\n');
  const git = (...args: string[]) =>
    new Deno.Command("git", {
      args: ["-C", dir, "-c", "user.email=demo@devaipod", "-c", "user.name=demo", ...args],
      stdout: "null",
    }).output();
  await git("init", "-q");
  await git("add", "-A");
  await git("commit", "-q", "-m", "demo project");
  return dir;
}

try {
  say("== 1. devaipod doctor");
  await cli("doctor");
  say();
  say("== 2. the local image");
  for (const o of await ensureTestImages({ podman, log: (l) => console.error(`  ${l}`) })) {
    say(`  ${o.image}: ${o.action} (${o.seconds}s)`);
  }
  say();
  say("== 3. a sample project");
  const dir = await sampleProject();
  say(`  ${dir} (a git repository with .devcontainer/devcontainer.json)`);
  say();
  const name = `demo-${crypto.randomUUID().slice(0, 4)}`;
  say(`== 4. devaipod up ${dir} "say hello" --name ${name}`);
  await cli("up", dir, "say hello", "--name", name);
  say();
  say(`== 5. devaipod status ${name}`);
  await cli("status", name);
  say();
  say(
    "== the workspace reaches its agent (agent.devaipod:4096: the proxy's relay on the link network; the agent cannot reach back)",
  );
  const probe = await podman.run(p.containerExec({
    container: `devaipod-${name}-workspace`,
    command: [
      "sh",
      "-c",
      'printf "  without the password: HTTP %s\\n" "$(curl -s -o /dev/null -w "%{http_code}" http://agent.devaipod:4096/global/health)"; ' +
      'printf "  with it:              %s\\n" "$(curl -s -u "opencode:$(cat /run/secrets/devaipod-agent-password)" http://agent.devaipod:4096/global/health)"',
    ],
  }));
  say(probe.stdout.trimEnd());
  const agent = await podman.run(p.containerExec({
    container: `devaipod-${name}-agent`,
    command: [
      "sh",
      "-c",
      'printf "  agent: uid %s, %s, %s\\n" "$(id -u)" "$(grep CapEff /proc/self/status | tr -s "\\t" " ")" "$(grep NoNewPrivs /proc/self/status | tr -s "\\t" " ")"',
    ],
  }));
  say(agent.stdout.trimEnd());
  say();
  say(`== devaipod verify ${name} (probes from inside the agent)`);
  await cli("verify", name);
  say();
  say("== 6. what next");
  say(`  a shell in the workspace:   deno task devaipod ssh ${name}`);
  say(`  talk to the agent:          deno task devaipod exec ${name} -- opencode-agent`);
  say(`  delete it (keeps volumes):  deno task devaipod delete -f ${name}`);
  say(`  and its volumes too:        deno task devaipod delete -f --volumes ${name}`);
  say(`  the sample project:         ${dir}`);
} catch (err) {
  const e = toDevaipodError(err);
  console.error(formatError(e, true).trimEnd());
  Deno.exit(e.exitCode);
}
