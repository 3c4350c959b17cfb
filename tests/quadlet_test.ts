/**
 * Rendered units against a real Quadlet (Debian trixie's, podman 5.4; tests/support/quadlet_bin.ts)
 * and systemd's own checker: every unit converts without a warning, every generated service
 * passes `systemd-analyze verify`, the agent's service still carries its isolation, and values
 * reach podman's argv exactly as the specs hold them.
 */
import { ENV_LOADER, HEALTH_PROBE } from "../lib/plan/pod_plan.ts";
import type { ContainerSpec } from "../lib/plan/spec.ts";
import { renderQuadlet } from "../lib/quadlet/render.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { quadletTest, runVia } from "./support/quadlet_bin.ts";
import type { Output } from "./support/quadlet_bin.ts";
import { DEV_IMAGE } from "./support/test_images.ts";

const FAKE_KEY = "sk-ant-api03-FAKE-QUADLET-KEY-must-not-appear";
const GOLDEN = new URL("./fixtures/quadlet/", import.meta.url).pathname;

/** Stderr lines other than Quadlet's "Loading source unit file" notes. */
function complaints(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "" && !/Loading source unit file/.test(l));
}

/** `quadlet [-user] -dryrun` over the units in `dir`. */
function dryRun(bin: string, dir: string, user: boolean): Promise<Output> {
  return runVia(bin, [...(user ? ["-user"] : []), "-dryrun"], { QUADLET_UNIT_DIRS: dir });
}

/** The generated services, keyed by file name (`---name.service---` blocks of the dry run). */
function services(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of stdout.split(/^---(?=.+\.service---$)/m).slice(1)) {
    const end = block.indexOf("---\n");
    out.set(block.slice(0, end), block.slice(end + 4));
  }
  return out;
}

/**
 * The argv of an `ExecStart=` line as systemd runs it: `%%` is `%` (other specifiers kept),
 * words split on blanks outside quotes, C escapes undone, `$$` is `$`.
 */
function execArgv(line: string): string[] {
  const text = line.replace(/^ExecStart=/, "").replaceAll(
    /%(.)/g,
    (_m, c) => (c === "%" ? "%" : `%${c}`),
  );
  const words: string[] = [];
  let word: string | undefined;
  let quote = false;
  const escapes: Record<string, string> = {
    n: "\n",
    t: "\t",
    r: "\r",
    "\\": "\\",
    '"': '"',
    "'": "'",
    s: " ",
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "\\") {
      const next = text[i + 1] ?? "";
      if (next === "x") {
        word = (word ?? "") + String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
        i += 3;
      } else {
        word = (word ?? "") + (escapes[next] ?? next);
        i += 1;
      }
    } else if (c === '"') {
      quote = !quote;
      word ??= "";
    } else if (!quote && /\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? "") + c;
  }
  if (word !== undefined) words.push(word);
  return words.map((w) => {
    assert(!/(^|[^$])\$([A-Za-z_{]|$)/.test(w.replaceAll("$$", "")), `systemd would expand ${w}`);
    return w.replaceAll("$$", "$");
  });
}

function execStart(service: string | undefined): string[] {
  const line = service?.split("\n").find((l) => l.startsWith("ExecStart="));
  assert(line, `no ExecStart= in\n${service}`);
  return execArgv(line);
}

/** Whether `argv` holds `flag` followed by `value` (or `flag=value`). */
function hasOption(argv: readonly string[], flag: string, value: string): boolean {
  return argv.some((a, i) => (a === flag && argv[i + 1] === value) || a === `${flag}=${value}`);
}

async function demoProject(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-quadlet-project-" });
  await Deno.mkdir(`${dir}/demo/.devcontainer`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/demo/.devcontainer/devcontainer.json`,
    JSON.stringify({
      name: "devaipod demo",
      image: DEV_IMAGE,
      remoteUser: "dev",
      containerEnv: { DEMO: "1", GREETING: "hello $USER, 100% sure" },
      forwardPorts: [3000],
      secrets: { GH_TOKEN: {} },
      postCreateCommand: "git log --oneline | head -n 1",
    }),
  );
  return dir;
}

/** Generates the services into a folder and runs `systemd-analyze verify` on all of them. */
async function verify(bin: string, units: string, user: boolean): Promise<Output> {
  const out = await Deno.makeTempDir({ prefix: "devaipod-quadlet-generated-" });
  const gen = await runVia(bin, [...(user ? ["-user"] : []), "-no-kmsg-log", out], {
    QUADLET_UNIT_DIRS: units,
  });
  assertEquals(gen.code, 0, gen.stderr);
  const files: string[] = [];
  for await (const e of Deno.readDir(out)) {
    if (e.isFile && e.name.endsWith(".service")) files.push(e.name);
  }
  assert(files.length > 0, "quadlet generated no services");
  // A user manager needs a runtime folder; a private one keeps the host's out of it.
  const runtime = await Deno.makeTempDir({ prefix: "devaipod-quadlet-runtime-" });
  return await runVia(
    "systemd-analyze",
    [...(user ? ["--user"] : []), "verify", "--man=no", ...files.sort()],
    { XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: "0" },
    out,
  );
}

quadletTest(
  "quadlet: a demo-like project's units convert without a warning and verify",
  async (q) => {
    const root = await demoProject();
    const units = `${root}/units`;
    const r = await runDevaipod(
      ["render", `${root}/demo`, "--target", "quadlet", "--name", "demo-ab12", "-o", units],
      { env: { HOME: root, ANTHROPIC_API_KEY: FAKE_KEY, GH_TOKEN: "ghp_FAKE" } },
    );
    assertEquals(r.code, 0, r.stderr);
    for (const user of [false, true]) {
      const dry = await dryRun(q.path, units, user);
      assertEquals(dry.code, 0, dry.stderr);
      assertEquals(complaints(dry.stderr), [], `quadlet ${q.version}${user ? " -user" : ""}`);
      assert(!dry.stdout.includes(FAKE_KEY) && !dry.stdout.includes("ghp_FAKE"));
      assertEquals([...services(dry.stdout).keys()].sort(), [
        "devaipod-demo-ab12-agent-home-volume.service",
        "devaipod-demo-ab12-agent-work-volume.service",
        "devaipod-demo-ab12-agent.service",
        "devaipod-demo-ab12-internal-network.service",
        "devaipod-demo-ab12-link-network.service",
        "devaipod-demo-ab12-pod.service",
        "devaipod-demo-ab12-proxy.service",
        "devaipod-demo-ab12-work-volume.service",
        "devaipod-demo-ab12-workspace.service",
      ]);
      const checked = await verify(q.path, units, user);
      assertEquals(
        [checked.code, checked.stdout + checked.stderr],
        [0, ""],
        "systemd-analyze verify",
      );
    }
  },
);

quadletTest("quadlet: the generated services keep the agent's isolation", async (q) => {
  const root = await demoProject();
  const units = `${root}/units`;
  const r = await runDevaipod(
    ["render", `${root}/demo`, "--target", "quadlet", "--name", "demo-ab12", "-o", units],
    { env: { HOME: root, ANTHROPIC_API_KEY: FAKE_KEY } },
  );
  assertEquals(r.code, 0, r.stderr);
  const all = services((await dryRun(q.path, units, false)).stdout);
  const agent = execStart(all.get("devaipod-demo-ab12-agent.service"));
  for (const [flag, value] of [["--cap-drop", "all"], ["--user", "1000:1000"]]) {
    assert(hasOption(agent, flag ?? "", value ?? ""), `${flag} ${value} not in ${agent.join(" ")}`);
  }
  assert(agent.includes("--security-opt=no-new-privileges"), agent.join(" "));
  assert(agent.includes("--init"));
  const networks = agent.filter((_a, i) => agent[i - 1] === "--network");
  assertEquals(networks.length, 1, `the agent joins one network: ${networks}`);
  assert(/^devaipod-demo-ab12-internal:ip=10\.87\.\d+\.\d+$/.test(networks[0] ?? ""), networks[0]);
  assert(!agent.some((a) => a.startsWith("--pod")), "the agent is no pod member");
  assert(
    !agent.some((a) => a.startsWith("--publish") || a === "--privileged" || a === "--cap-add"),
  );
  // The key is the proxy's (a file of its user), the agent has a placeholder.
  assert(!agent.some((a) => a.startsWith("devaipod-demo-ab12-anthropic-api-key")), "no key");
  assert(agent.includes("ANTHROPIC_API_KEY=devaipod-key-held-by-the-proxy"), agent.join(" "));
  assert(!agent.join(" ").includes(FAKE_KEY));
  const proxy = execStart(all.get("devaipod-demo-ab12-proxy.service"));
  assert(
    proxy.some((a) =>
      /^devaipod-demo-ab12-anthropic-api-key,type=mount,target=\/run\/devaipod-keys\/ANTHROPIC_API_KEY,uid=65534,gid=65534,mode=0400$/
        .test(a)
    ),
    `the key arrives as a file of the proxy's: ${proxy.join(" ")}`,
  );
  assert(!proxy.join(" ").includes(FAKE_KEY));

  const internal = execStart(all.get("devaipod-demo-ab12-internal-network.service"));
  for (const flag of ["--internal", "--disable-dns", "--subnet"]) {
    assert(internal.includes(flag), flag);
  }

  for (const flag of ["--read-only", "--security-opt=no-new-privileges"]) {
    assert(proxy.includes(flag));
  }
  assert(hasOption(proxy, "--cap-drop", "all") && hasOption(proxy, "--user", "65534:65534"));

  const workspace = execStart(all.get("devaipod-demo-ab12-workspace.service"));
  assert(workspace.includes("--pod-id-file"), "the workspace joins the pod");
  assert(!workspace.includes("--network"), "a pod member has no network of its own");
  assert(hasOption(workspace, "--env", "GREETING=hello $USER, 100% sure"), workspace.join(" "));
  const pod = all.get("devaipod-demo-ab12-pod.service") ?? "";
  const create = execArgv(pod.split("\n").find((l) => l.startsWith("ExecStartPre=")) ?? "");
  assert(
    !create.some((a) => a.startsWith("devaipod-demo-ab12-internal")),
    "the pod is off the internal network",
  );
});

quadletTest("quadlet: values reach podman's argv exactly as the spec holds them", async (q) => {
  const spec: ContainerSpec = {
    name: "devaipod-t-tricky",
    image: "localhost/img",
    env: {
      SPACE: "a b",
      QUOTE: `say "hi" 'there'`,
      DOLLAR: "$HOME ${X} $$ $",
      PCT: "50% %n %%",
      NL: "line1\nline2\ttab",
      BACK: "a\\b\\n",
      UNI: "ünïcödé",
    },
    labels: { "io.devaipod.remote-env": JSON.stringify({ A: "b c", B: "$d" }) },
    workdir: "/workspaces/my project",
    entrypoint: ["/bin/sh", "-c", ENV_LOADER, "x"],
    command: ["sh", "-c", 'echo "$1" 100%', "x y", "back\\slash"],
    healthCheck: { command: ["/bin/sh", "-c", HEALTH_PROBE] },
    extraArgs: ["--annotation", "note=a b $c"],
  };
  const dir = await Deno.makeTempDir({ prefix: "devaipod-quadlet-tricky-" });
  const units = renderQuadlet({
    workspace: "t",
    pod: { name: "devaipod-t" },
    containers: [spec],
    networks: [],
    volumes: [],
    secrets: [],
  });
  for (const u of units) await Deno.writeTextFile(`${dir}/${u.file}`, u.text);
  const dry = await dryRun(q.path, dir, false);
  assertEquals(dry.code, 0, dry.stderr);
  assertEquals(complaints(dry.stderr), []);
  const argv = execStart(services(dry.stdout).get("devaipod-t-tricky.service"));
  for (const [k, v] of Object.entries(spec.env ?? {})) {
    assert(hasOption(argv, "--env", `${k}=${v}`), `--env ${k}=${JSON.stringify(v)} not in ${argv}`);
  }
  assert(
    hasOption(argv, "--label", `io.devaipod.remote-env=${JSON.stringify({ A: "b c", B: "$d" })}`),
  );
  assert(hasOption(argv, "--workdir", "/workspaces/my project"));
  assert(hasOption(argv, "--entrypoint", JSON.stringify(spec.entrypoint)));
  assert(hasOption(argv, "--health-cmd", JSON.stringify(spec.healthCheck?.command)));
  assert(hasOption(argv, "--annotation", "note=a b $c"));
  const image = argv.indexOf("localhost/img");
  assertEquals(argv.slice(image + 1), spec.command);
  const verified = await verify(q.path, dir, false);
  assertEquals([verified.code, verified.stdout + verified.stderr], [0, ""]);
});

quadletTest(
  "quadlet: every kept sample's units convert (short image names aside) and verify",
  async (q) => {
    const samples: string[] = [];
    for await (const e of Deno.readDir(GOLDEN)) if (e.isDirectory) samples.push(e.name);
    assert(samples.length >= 2, `samples: ${samples}`);
    for (const sample of samples.sort()) {
      const dir = `${GOLDEN}${sample}`;
      const dry = await dryRun(q.path, dir, true);
      assertEquals(dry.code, 0, `${sample}: ${dry.stderr}`);
      // The fixtures name `debian:bookworm`, which Quadlet warns about and still converts.
      const rest = complaints(dry.stderr).filter((l) =>
        !/not a fully qualified image name/.test(l)
      );
      assertEquals(rest, [], sample);
      const checked = await verify(q.path, dir, true);
      assertEquals([checked.code, checked.stdout + checked.stderr], [0, ""], sample);
    }
  },
);
