import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/support/assert.ts";
import { ConflictError, UsageError } from "../errors.ts";
import { CliContext } from "./context.ts";
import { runCli } from "./root.ts";

const FAKE_KEY = "sk-ant-api03-FAKE-RENDER-KEY-must-not-appear";

/** A project folder, a HOME, and a CLI run of `devaipod ARGS…` in process. */
async function setup(config: Record<string, unknown> = {
  image: "localhost/devaipod-test/dev:latest",
  secrets: { GH_TOKEN: {} },
}) {
  const root = await Deno.makeTempDir({ prefix: "devaipod-render-test-" });
  const project = `${root}/proj`;
  await Deno.mkdir(`${project}/.devcontainer`, { recursive: true });
  await Deno.writeTextFile(`${project}/.devcontainer/devcontainer.json`, JSON.stringify(config));
  const env = new Map([
    ["HOME", `${root}/home`],
    ["ANTHROPIC_API_KEY", FAKE_KEY],
    ["GH_TOKEN", "ghp_FAKE_RENDER_TOKEN"],
  ]);
  const run = async (...args: string[]) => {
    let stdout = "";
    let stderr = "";
    const ctx = new CliContext({
      env: { get: (k) => env.get(k), toObject: () => Object.fromEntries(env) },
      cwd: () => root,
      io: {
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stderr += t),
        stdoutIsTerminal: false,
      },
      makePodman: () => {
        throw new Error("render must not call podman");
      },
      inToolbox: () => false,
      signal: new AbortController().signal,
    });
    await runCli(args, ctx);
    return { stdout, stderr };
  };
  return { root, project, run };
}

function assertNoSecrets(text: string) {
  for (const value of [FAKE_KEY, "ghp_FAKE_RENDER_TOKEN", "<redacted>"]) {
    assert(!text.includes(value), `${value} leaked`);
  }
}

Deno.test("render prints the units on stdout, each after a '# file:' line, and the secrets' commands on stderr", async () => {
  const { project, run } = await setup();
  const r = await run("render", project, "--target", "quadlet", "--name", "proj-ab12");
  const files = [...r.stdout.matchAll(/^# file: (.*)$/gm)].map((m) => m[1]);
  assertEquals(files, [
    "devaipod-proj-ab12-agent-home.volume",
    "devaipod-proj-ab12-agent-work.volume",
    "devaipod-proj-ab12-agent.container",
    "devaipod-proj-ab12-internal.network",
    "devaipod-proj-ab12-link.network",
    "devaipod-proj-ab12-proxy.container",
    "devaipod-proj-ab12-work.volume",
    "devaipod-proj-ab12-workspace.container",
    "devaipod-proj-ab12.pod",
  ]);
  assertMatch(
    r.stderr,
    /^ {2}printf %s "\$\{ANTHROPIC_API_KEY:\?\}" \| podman secret create .* devaipod-proj-ab12-anthropic-api-key -$/m,
  );
  assertMatch(
    r.stderr,
    /^ {2}printf %s "\$\{GH_TOKEN:\?\}" \| podman secret create .*-ws-GH_TOKEN -$/m,
  );
  assertMatch(r.stderr, /^write the proxy's allowlist:$/m);
  assertNoSecrets(r.stdout + r.stderr);
});

Deno.test("render names a workspace the same way for the same folder, so its output is the same", async () => {
  const { project, run } = await setup();
  const a = await run("render", project, "--target", "quadlet");
  const b = await run("render", project, "--target", "quadlet");
  assertEquals(a.stdout, b.stdout);
  assertMatch(a.stdout, /^# file: devaipod-proj-[0-9a-f]{4}\.pod$/m);
});

Deno.test("render -o writes the units, leaves equal files alone and replaces others only with --force", async () => {
  const { root, project, run } = await setup();
  const out = `${root}/units`;
  const args = ["render", project, "--target", "quadlet", "--name", "proj-ab12", "-o", out];
  const first = await run(...args);
  assertMatch(first.stdout, new RegExp(`^wrote ${out}/devaipod-proj-ab12\\.pod$`, "m"));
  assertMatch(first.stdout, /^create the secrets the units reference/m);
  const written: string[] = [];
  for await (const e of Deno.readDir(out)) written.push(e.name);
  assertEquals(written.length, 9);
  let all = first.stdout + first.stderr;
  for (const name of written) all += await Deno.readTextFile(`${out}/${name}`);
  assertNoSecrets(all);

  const again = await run(...args);
  assertEquals(again.stdout.match(/^unchanged /gm)?.length, 9);

  const pod = `${out}/devaipod-proj-ab12.pod`;
  await Deno.writeTextFile(pod, "# edited by hand\n");
  const err = await assertRejects(() => run(...args), ConflictError);
  assertMatch(
    err.message,
    /devaipod-proj-ab12\.pod exists with other content; nothing was written/,
  );
  assertEquals(await Deno.readTextFile(pod), "# edited by hand\n");
  const forced = await run(...args, "--force");
  assertMatch(forced.stdout, new RegExp(`^replaced ${pod}$`, "m"));

  // Without isolation the networks and the proxy are no longer rendered: render says so.
  const off = await run(...args, "--force", "--network-isolation", "off");
  assertMatch(off.stderr, /devaipod-proj-ab12-proxy\.container is from an earlier render/);
});

Deno.test("render --json prints the units, the secrets' commands and the setup as one document", async () => {
  const { project, run } = await setup();
  const r = await run("render", project, "--target", "quadlet", "--name", "proj-ab12", "--json");
  const doc = JSON.parse(r.stdout);
  assertEquals(Object.keys(doc), ["workspace", "target", "units", "secrets", "setup", "hostPaths"]);
  assertEquals(doc.workspace, "proj-ab12");
  assertEquals(doc.units.length, 9);
  assertEquals(Object.keys(doc.units[0]), ["file", "text"]);
  assertEquals(
    doc.secrets.map((s: { name: string; source: string }) => [s.name, s.source]),
    [
      ["devaipod-proj-ab12-anthropic-api-key", "env"],
      ["devaipod-proj-ab12-opencode-server-password", "random"],
      ["devaipod-proj-ab12-ws-GH_TOKEN", "env"],
    ],
  );
  assertNoSecrets(r.stdout);
});

Deno.test("render refuses bad flags before reading anything", async () => {
  const { project, run } = await setup();
  for (
    const [args, pattern] of [
      [["--target", "helm"], /--target/],
      [[], /--target/],
      [["--target", "quadlet", "--agent-user", "0:0"], /never runs as root/],
      [["--target", "quadlet", "--agent-user", "me"], /expected UID:GID/],
      [["--target", "quadlet", "--subnet", "10.87.0.0/24"], /--subnet: expected an IPv4 \/28/],
      [["--target", "quadlet", "--allow", "bad host"], /--allow/],
    ] as [string[], RegExp][]
  ) {
    const err = await assertRejects(() => run("render", project, ...args), UsageError);
    assertMatch(err.message, pattern);
  }
  const url = await assertRejects(
    () => run("render", "https://example.com/o/r.git", "--target", "quadlet"),
    UsageError,
  );
  assertMatch(url.message, /render takes a project folder/);
});

Deno.test("render --subnet and --agent-user reach the units", async () => {
  const { project, run } = await setup();
  const r = await run(
    "render",
    project,
    "--target",
    "quadlet",
    "--name",
    "proj-ab12",
    "--subnet",
    "172.20.0.32/28",
    "--agent-user",
    "1234:5678",
  );
  assertMatch(r.stdout, /^Subnet=172\.20\.0\.32\/29$/m);
  assertMatch(r.stdout, /^Subnet=172\.20\.0\.40\/29$/m);
  assertMatch(r.stdout, /^Network=devaipod-proj-ab12-internal\.network:ip=172\.20\.0\.35$/m);
  assertMatch(r.stdout, /^User=1234:5678$/m);
});

Deno.test("render --target kube prints YAML on stdout and the secrets' kubectl commands on stderr; -o writes one file", async () => {
  const { root, project, run } = await setup();
  const r = await run(
    "render",
    project,
    "--target",
    "kube",
    "--name",
    "proj-ab12",
    "--namespace",
    "team",
  );
  const kinds = [...r.stdout.matchAll(/^kind: (.*)$/gm)].map((m) => m[1]);
  assertEquals(kinds.filter((k) => k === "Pod").length, 3);
  assertEquals(r.stdout.split("\n---\n").length + (r.stdout.startsWith("---\n") ? 0 : 1), 12);
  assertMatch(r.stdout, /^ {2}namespace: team$/m);
  assertMatch(
    r.stderr,
    /^ {2}printf %s "\$\{GH_TOKEN:\?\}" \| kubectl --namespace team create secret generic devaipod-proj-ab12-ws-gh-token --from-file=value=\/dev\/stdin$/m,
  );
  assertMatch(r.stderr, /^host paths the Pods mount/m);
  assertNoSecrets(r.stdout + r.stderr);
  const w = await run(
    "render",
    project,
    "--target",
    "kube",
    "--name",
    "proj-ab12",
    "--namespace",
    "team",
    "-o",
    "out",
  );
  assertEquals(w.stdout.split("\n")[0], `wrote ${root}/out/devaipod-proj-ab12.yaml`);
  assertEquals(await Deno.readTextFile(`${root}/out/devaipod-proj-ab12.yaml`), r.stdout);
});

Deno.test("render --target kube: the namespace comes from the kubeconfig's context; bad quantities are usage errors", async () => {
  const { root, project, run } = await setup();
  await Deno.mkdir(`${root}/home/.kube`, { recursive: true });
  await Deno.writeTextFile(
    `${root}/home/.kube/config`,
    "current-context: a\ncontexts:\n- name: a\n  context: {namespace: from-context}\n",
  );
  const r = await run("render", project, "--target", "kube", "--json");
  assertEquals(JSON.parse(r.stdout).namespace, "from-context");
  const err = await assertRejects(
    () => run("render", project, "--target", "kube", "--memory", "lots"),
    UsageError,
  );
  assertMatch(err.message, /^--memory: 'lots' is not a Kubernetes quantity/);
});

Deno.test("render --target kube takes the user config's [kube] defaults where no flag is given; a bad one names the file", async () => {
  const { root, project, run } = await setup();
  await Deno.mkdir(`${root}/home/.config`, { recursive: true });
  const config = `${root}/home/.config/devaipod.toml`;
  await Deno.writeTextFile(
    config,
    '[kube]\nnamespace = "team"\ncpu = "3"\nmemory = "6Gi"\nstorage = "20Gi"\n',
  );
  const r = await run("render", project, "--target", "kube", "--json", "--cpu", "1");
  const out = JSON.parse(r.stdout);
  assertEquals(out.namespace, "team");
  // deno-lint-ignore no-explicit-any
  const agent = out.objects.find((o: any) =>
    o.kind === "Pod" && o.metadata.name.endsWith("-agent")
  );
  assertEquals(agent.spec.containers[0].resources, {
    requests: { cpu: "1", memory: "6Gi" },
    limits: { cpu: "1", memory: "6Gi" },
  });
  // deno-lint-ignore no-explicit-any
  const claim = out.objects.find((o: any) => o.kind === "PersistentVolumeClaim");
  assertEquals(claim.spec.resources.requests.storage, "20Gi");

  await Deno.writeTextFile(config, '[kube]\ncpu = "lots"\n');
  const err = await assertRejects(() => run("render", project, "--target", "kube"), Error);
  assertMatch(err.message, /devaipod\.toml:2:\d+: .*kube\.cpu: expected a Kubernetes quantity/);
});

Deno.test("render and up --backend kube refuse a project whose agent is not opencode, rather than plan another", async () => {
  const { project, run } = await setup({
    image: "localhost/devaipod-test/dev:latest",
    customizations: { devaipod: { agent: "claude" } },
  });
  for (const target of ["quadlet", "kube"]) {
    const err = await assertRejects(() => run("render", project, "--target", target), UsageError);
    assertMatch(err.message, /render plans opencode only; this project's agent is Claude Code/);
    assertMatch(err.hint ?? "", /up --agent claude --backend quadlet/);
  }
  // The same for the cluster: by the project's choice, or by --agent.
  const kube = await assertRejects(() => run("up", project, "--backend", "kube"), UsageError);
  assertMatch(kube.message, /up --backend kube plans opencode only/);
  const flag = await assertRejects(
    () => run("up", project, "--backend", "kube", "--agent", "codex"),
    UsageError,
  );
  assertMatch(flag.message, /--agent codex with --backend kube: the cluster runs opencode only/);
});
