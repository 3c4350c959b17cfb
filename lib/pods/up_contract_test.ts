/**
 * The contract between `up` and `up --dry-run`: `up`, run against a recording podman, executes
 * step by step exactly the podman argv that the dry-run prints for the same plan, once the
 * dry-run's `<binding>` holes are filled with what `up` learned. And when a step fails, `up`
 * removes what it made, newest first, from the same step list, keeping the volumes.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { ConflictError, FailedError, PodmanFailedError } from "../errors.ts";
import { SystemdFailedError } from "../systemd/systemd.ts";
import type { BindingValues } from "../plan/bindings.ts";
import { planUp, type UpInput, type UpPlan } from "../plan/up_plan.ts";
import { Podman, RecordingRunner, type ScriptedResult } from "../podman/mod.ts";
import { Progress } from "../util/progress.ts";
import { Systemd } from "../systemd/systemd.ts";
import { dryRunSteps } from "./dry_run.ts";
import { Up } from "./up.ts";

const KEY = "sk-contract-secret-value";
const WS = "contract";

/** A git project with one commit, in a temporary folder. */
async function project(root: string): Promise<string> {
  const dir = join(root, "project");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "README.md"), "hello\n");
  const git = (...args: string[]) =>
    new Deno.Command("git", {
      args: ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", ...args],
      stdout: "null",
      stderr: "null",
    }).output();
  await git("init", "-q", "-b", "main");
  await git("add", ".");
  await git("commit", "-q", "-m", "first");
  return dir;
}

function input(root: string, dir: string, isolation: boolean, quadlet = false): UpInput {
  return {
    ...(quadlet
      ? {
        quadlet: {
          unitDir: join(root, "units"),
          scope: "user" as const,
          subnets: { internal: "10.87.5.0/29", link: "10.87.5.8/29" },
        },
        unitDir: join(root, "units"),
      }
      : {}),
    workspace: WS,
    image: "localhost/contract:latest",
    projectPath: dir,
    projectRoot: dir,
    git: true,
    hostEnv: { ANTHROPIC_API_KEY: KEY },
    shimsDir: join(root, "state", "workspaces", WS, "shims"),
    task: "do the thing",
    readyTimeoutSeconds: 5,
    ...(isolation
      ? {
        isolation: {
          egressNetwork: "podman",
          runtime: { kind: "binary", binary: "/usr/local/bin/devaipod" },
          allowFile: join(root, "state", "workspaces", WS, "allow"),
          allow: ["example.com"],
        },
      }
      : {}),
  };
}

const json = (v: unknown): ScriptedResult => ({ stdout: JSON.stringify(v) });

/** podman as a fresh machine answers it: nothing of the workspace yet, the image not pulled. */
function podmanAnswers(fail?: (args: readonly string[]) => boolean) {
  return (args: readonly string[]): ScriptedResult | undefined => {
    if (fail?.(args)) return { code: 125, stderr: "Error: scripted failure" };
    const [a, b] = args;
    if (b === "ps" || b === "ls") return args.includes("json") ? json([]) : { stdout: "" };
    if (a === "image" && b === "exists") return { code: 1 };
    if (a === "image" && b === "inspect") {
      return json([{
        Id: "sha256:1",
        RepoTags: [],
        Architecture: "amd64",
        Config: { Env: ["PATH=/usr/local/bin:/usr/bin:/bin"] },
      }]);
    }
    if (a === "network" && b === "inspect") {
      return json(
        args.slice(4).map((name, i) => ({
          name,
          id: `n${i}`,
          driver: "bridge",
          subnets: [{ subnet: `10.89.${i}.0/24` }],
          internal: true,
          dns_enabled: false,
        })),
      );
    }
    if (a === "container" && b === "inspect") {
      const name = args.at(-1) ?? "";
      return json([{
        Id: `id-${name}`,
        Name: name,
        Image: "localhost/contract:latest",
        State: { Status: "running", Running: true, ExitCode: 0 },
        Config: { Env: ["PATH=/usr/bin"] },
        HostConfig: {},
      }]);
    }
    if (a === "run" && args.some((x) => x.includes("id -u"))) {
      return { stdout: "1000\n1000\nnone\n" };
    }
    if (a === "container" && b === "exec") {
      if (args.includes("sh") && args.some((x) => x.includes("id -u"))) {
        return { stdout: "1000\n1000\nnone\n" };
      }
      if (args.includes("agent-client")) return { stdout: '{"sessionId":"ses_1"}\n' };
      return { stdout: "" };
    }
    return { stdout: "ok\n" };
  };
}

/** systemd as it answers once the units started: every service asked about is active. */
function activeUnits(args: readonly string[]): ScriptedResult | undefined {
  return args[0] === "is-active"
    ? { stdout: args.slice(1).map(() => "active\n").join("") }
    : undefined;
}

/**
 * Runs `up` of `plan` on a recording podman (and, for Quadlet, a recording systemd); the calls,
 * each with its step's id.
 */
function runUp(
  root: string,
  plan: UpPlan,
  respond: ReturnType<typeof podmanAnswers>,
  systemctl: (args: readonly string[]) => ScriptedResult | undefined = activeUnits,
) {
  const byStep: { step: string; argv: string[] }[] = [];
  const runner = new RecordingRunner((args) => {
    byStep.push({ step: up.currentStep, argv: ["podman", ...args] });
    return respond(args);
  });
  const systemctlRunner = new RecordingRunner((args) => {
    byStep.push({ step: up.currentStep, argv: ["systemctl", "--user", ...args] });
    return systemctl(args);
  }, ["systemctl", "--user"]);
  const systemd = new Systemd("user", {
    systemctl: systemctlRunner,
    journalctl: new RecordingRunner(() => undefined, ["journalctl", "--user"]),
  });
  const logs: string[] = [];
  const up: Up = new Up({ plan, projectPath: plan.pod.workspace }, {
    podman: new Podman(runner),
    hostEnv: { ANTHROPIC_API_KEY: KEY },
    progress: new Progress({ write: () => {}, quiet: true }),
    log: (t) => logs.push(t),
    cacheDir: join(root, "cache"),
    stateDir: join(root, "state"),
    systemd,
  });
  return { up, runner, systemctlRunner, byStep, logs };
}

/** A dry-run argv with its `<binding>` holes filled from what `up` learned. */
function filled(argv: readonly string[], values: BindingValues): string[] {
  return argv.map((a) =>
    a.replace(/<([a-z]+\.[A-Za-z]+)>/g, (hole, name: keyof BindingValues) => values[name] ?? hole)
  );
}

/** The conditions of this run: the image was missing, the agent healthy at once. */
const HOLDS = new Set([
  "the image is not in local storage",
  "every 250 ms until healthy",
  "once healthy (its first record)",
  "an earlier up of this name left no such volume (else it is adopted)",
  "every 250 ms until each is active",
]);

for (
  const [isolation, quadlet] of [[true, false], [false, false], [true, true], [
    false,
    true,
  ]] as const
) {
  Deno.test(`up contract (${quadlet ? "quadlet" : "podman"}, isolation ${isolation ? "on" : "off"}): up runs, step by step, exactly the argv the dry-run prints, bindings filled`, async () => {
    const root = await Deno.makeTempDir({ prefix: "devaipod-contract-" });
    try {
      const dir = await project(root);
      const plan = planUp(input(root, dir, isolation, quadlet));
      // Without isolation the health wait and the task go over HTTP to the published port: a
      // stand-in agent answers there, and checks the password it was given.
      const heard: string[] = [];
      const agent = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
        const path = new URL(req.url).pathname;
        heard.push(`${req.method} ${path}`);
        if (!req.headers.get("authorization")?.startsWith("Basic ")) {
          return new Response("", { status: 401 });
        }
        if (path === "/session") return Response.json({ id: "ses_http" });
        return Response.json({ healthy: true });
      });
      const answers = podmanAnswers();
      const respond = (args: readonly string[]) =>
        args[0] === "port" ? { stdout: `127.0.0.1:${agent.addr.port}\n` } : answers(args);
      const { up, runner, systemctlRunner, byStep } = runUp(root, plan, respond);
      let result;
      try {
        result = await up.run();
      } finally {
        await agent.shutdown();
      }
      assertEquals(result.sessionId, isolation ? "ses_1" : "ses_http");
      assertEquals(
        heard.filter((h) => h !== "GET /global/health"),
        isolation ? [] : ["POST /session", "POST /session/ses_http/prompt_async"],
      );
      const values = up.values;
      assertEquals(
        byStep.length,
        runner.calls.length + systemctlRunner.calls.length,
        "every call is told to its step",
      );
      const printed = dryRunSteps(plan);
      assertEquals(printed.map((s) => s.id), plan.steps.map((s) => s.id));
      for (const step of printed) {
        const ran = byStep.filter((c) => c.step === step.id).map((c) => c.argv.join(" ")).sort();
        const skipped = step.when !== undefined && values[step.when] === undefined;
        const expected = skipped ? [] : step.commands
          .filter((c) => c.when === undefined || HOLDS.has(c.when))
          .map((c) => filled(c.argv, values).join(" "))
          .sort();
        assertEquals(ran, expected, step.id);
      }
      // Every call belongs to a printed step; no value of a secret is in any argv.
      const ids = new Set(printed.map((s) => s.id));
      assertEquals(byStep.filter((c) => !ids.has(c.step)), []);
      assertEquals(runner.calls.some((c) => c.args.join(" ").includes(KEY)), false);
      // The key went on stdin, to its own secret.
      const keyCall = runner.calls.find((c) =>
        c.args.includes("devaipod-contract-anthropic-api-key")
      );
      assertEquals(keyCall?.stdin, KEY);
      // The bindings it learned are the ones the dry-run named.
      assertEquals(
        values["net.proxy"],
        isolation ? (quadlet ? "10.87.5.2" : "10.89.0.2") : undefined,
      );
      assertEquals(
        values["net.pod"],
        isolation ? (quadlet ? "10.87.5.11" : "10.89.1.3") : undefined,
      );
      if (quadlet) {
        // The units are the plan's, with what up learned; podman made no pod or container.
        const files = [...Deno.readDirSync(join(root, "units"))].map((e) => e.name).sort();
        const step = plan.steps.find((x) => x.op.kind === "units")?.op;
        assertEquals(files, step?.kind === "units" ? [...step.files] : []);
        const agentUnit = Deno.readTextFileSync(
          join(root, "units", `devaipod-${WS}-agent.container`),
        );
        assert(agentUnit.includes("User=1000:1000"), agentUnit);
        if (isolation) {
          assert(agentUnit.includes(`internal.network:ip=${values["net.agent"]}`), agentUnit);
        }
        for (const f of files) {
          assertEquals(Deno.readTextFileSync(join(root, "units", f)).includes(KEY), false, f);
        }
        assertEquals(
          runner.calls.filter((c) =>
            ["pod create", "container run", "network create"].includes(c.args.slice(0, 2).join(" "))
          ),
          [],
        );
        assertEquals(systemctlRunner.calls.map((c) => c.args.join(" ")), [
          "daemon-reload",
          `start devaipod-${WS}-pod.service`,
          `is-active ${
            [
              `devaipod-${WS}-agent.service`,
              ...(isolation ? [`devaipod-${WS}-proxy.service`] : []),
              `devaipod-${WS}-workspace.service`,
            ].join(" ")
          }`,
        ]);
      }
      assertEquals([values["user.uid"], values["user.gid"]], ["1000", "1000"]);
      assert(/^[0-9a-f]{40}$/.test(values["copy.commit"] ?? ""), values["copy.commit"]);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

Deno.test("up contract: a failing step rolls back, newest first, what the earlier steps created; volumes stay", async () => {
  const root = await Deno.makeTempDir({ prefix: "devaipod-contract-" });
  try {
    const dir = await project(root);
    const plan = planUp(input(root, dir, true));
    const failAgent = (args: readonly string[]) =>
      args[0] === "container" && args[1] === "run" && args.includes(`devaipod-${WS}-agent`);
    const { up, runner, logs } = runUp(root, plan, podmanAnswers(failAgent));
    await assertRejects(() => up.run(), PodmanFailedError);
    const at = runner.calls.findIndex((c) => failAgent(c.args));
    const after = runner.calls.slice(at + 1).map((c) => c.args.slice(0, 3).join(" "));
    const name = (args: readonly string[]) => args.at(-1);
    assertEquals(
      runner.calls.slice(at + 1).map((c) => `${c.args[0]} ${c.args[1]} ${name(c.args)}`),
      [
        `container rm devaipod-${WS}-agent`,
        `container rm devaipod-${WS}-workspace`,
        `pod rm devaipod-${WS}`,
        `container rm devaipod-${WS}-proxy`,
        `network rm devaipod-${WS}-link`,
        `network rm devaipod-${WS}-internal`,
        `secret rm devaipod-${WS}-anthropic-api-key`,
        `secret rm devaipod-${WS}-opencode-server-password`,
      ],
      after.join("\n"),
    );
    assertEquals(runner.calls.some((c) => c.args[0] === "volume" && c.args[1] === "rm"), false);
    assert(logs.some((l) => l.includes("removing what it created (volumes are kept)")));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("up contract (quadlet): a service that fails to start is stopped, its units removed and systemd reloaded; networks and secrets go, volumes stay", async () => {
  const root = await Deno.makeTempDir({ prefix: "devaipod-contract-" });
  try {
    const dir = await project(root);
    const plan = planUp(input(root, dir, true, true));
    const { up, runner, systemctlRunner, logs } = runUp(
      root,
      plan,
      podmanAnswers(),
      (args) => args[0] === "start" ? { code: 1, stderr: "Job failed" } : undefined,
    );
    await assertRejects(() => up.run(), SystemdFailedError);
    assertEquals(systemctlRunner.calls.map((c) => c.args.join(" ")), [
      "daemon-reload",
      `start devaipod-${WS}-pod.service`,
      // Every unit's service, the pod's first: the networks' would stay active otherwise.
      `stop devaipod-${WS}-pod.service ${
        [
          "agent-home-volume",
          "agent-work-volume",
          "agent",
          "internal-network",
          "link-network",
          "proxy",
          "work-volume",
          "workspace",
        ].map((s) => `devaipod-${WS}-${s}.service`).join(" ")
      }`,
      "daemon-reload",
    ]);
    assertEquals([...Deno.readDirSync(join(root, "units"))].map((e) => e.name), []);
    const removed = runner.calls.filter((c) => c.args[1] === "rm").map((c) =>
      `${c.args[0]} rm ${c.args.filter((a) => a.startsWith("devaipod-")).join(" ")}`
    );
    assertEquals(removed, [
      `network rm devaipod-${WS}-internal devaipod-${WS}-link`,
      `secret rm devaipod-${WS}-anthropic-api-key`,
      `secret rm devaipod-${WS}-opencode-server-password`,
    ]);
    assert(logs.some((l) => l.includes("removing what it created (volumes are kept)")));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("up contract (quadlet): a network that already has one of the units' subnets stops up (exit 9) before any unit is written", async () => {
  const root = await Deno.makeTempDir({ prefix: "devaipod-contract-" });
  try {
    const dir = await project(root);
    const plan = planUp(input(root, dir, true, true));
    const answers = podmanAnswers();
    const { up, systemctlRunner } = runUp(
      root,
      plan,
      (args) =>
        args[0] === "network" && args[1] === "ls"
          ? json([{
            name: "someone-elses",
            id: "n9",
            driver: "bridge",
            subnets: [{ subnet: "10.87.5.8/29" }],
            internal: false,
            dns_enabled: true,
          }])
          : answers(args),
    );
    const err = await assertRejects(() => up.run(), ConflictError);
    assertEquals(err.exitCode, 9);
    assert(
      err.message.includes("someone-elses") && err.message.includes("10.87.5.8/29"),
      err.message,
    );
    assertEquals(systemctlRunner.calls, []);
    assertEquals(await Deno.stat(join(root, "units")).then(() => true, () => false), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("up contract (quadlet): a container's service that fails fails up, naming the journal to read; the units are rolled back", async () => {
  const root = await Deno.makeTempDir({ prefix: "devaipod-contract-" });
  try {
    const dir = await project(root);
    const plan = planUp(input(root, dir, true, true));
    const { up, systemctlRunner } = runUp(
      root,
      plan,
      podmanAnswers(),
      (args) =>
        args[0] === "is-active"
          ? {
            code: 3,
            stdout: args.slice(1).map((u) => u.endsWith("-agent.service") ? "failed\n" : "active\n")
              .join(""),
          }
          : undefined,
    );
    const err = await assertRejects(() => up.run(), FailedError);
    assertEquals(err.message, `devaipod-${WS}-agent.service failed to start`);
    assertEquals(err.hint, `\`journalctl --user -u devaipod-${WS}-agent.service\` shows why`);
    const calls = systemctlRunner.calls.map((c) => c.args[0]);
    assertEquals(calls, ["daemon-reload", "start", "is-active", "stop", "daemon-reload"]);
    assertEquals([...Deno.readDirSync(join(root, "units"))], []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
