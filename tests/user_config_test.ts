/** The user config through the CLI: `config --user`, its errors, and what `up` takes from it. */
import { join } from "node:path";
import { assert, assertEquals } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";

/** A step of `up --dry-run --json`. */
interface Step {
  id: string;
  step: string;
  commands: { argv: string[]; stdin?: string; when?: string }[];
  action?: string;
}

/** The argv of the step `id`'s only command, joined (`""` when there is no such step). */
function argvOf(steps: readonly Step[], id: string): string {
  const commands = steps.find((s) => s.id === id)?.commands ?? [];
  assert(commands.length <= 1, `${id}: ${JSON.stringify(commands)}`);
  return commands[0]?.argv.join(" ") ?? "";
}

async function userConfig(text: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-user-" });
  await Deno.writeTextFile(join(dir, "devaipod.toml"), text);
  return join(dir, "devaipod.toml");
}

/** A project whose devcontainer.json names the local test image. */
async function devProject(extra: Record<string, unknown> = {}): Promise<string> {
  const project = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(project, ".devcontainer.json"),
    JSON.stringify({ image: "localhost/devaipod-test/dev:latest", ...extra }),
  );
  return project;
}

Deno.test("user config: config --user prints it with trusted values redacted", async () => {
  const file = await userConfig(
    '[trusted.env]\nGH_TOKEN = "ghp_do_not_print"\n[env]\nallowlist = ["MY_KEY"]\n',
  );
  const r = await runDevaipod(["--config", file, "config", "--user", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(JSON.parse(r.stdout), {
    file,
    config: { trusted: { env: { GH_TOKEN: "<redacted>" } }, env: { allowlist: ["MY_KEY"] } },
  });
  assertEquals(r.stdout.includes("ghp_do_not_print"), false);
});

Deno.test("user config: the XDG location is read without --config; a missing one is empty", async () => {
  const xdg = await Deno.makeTempDir();
  const r = await runDevaipod(["config", "--user", "--json"], { env: { XDG_CONFIG_HOME: xdg } });
  assertEquals(JSON.parse(r.stdout), { file: join(xdg, "devaipod.toml"), config: {} });
  const missing = await runDevaipod(["--config", join(xdg, "nope.toml"), "config", "--user"]);
  assertEquals([missing.code, missing.stderr.split("\n")[0]], [
    3,
    `error: --config ${join(xdg, "nope.toml")}: no such file`,
  ]);
});

Deno.test("user config: mistakes are exit 3 with file:line:col", async () => {
  const file = await userConfig(
    '[agent]\ndefault = "opencode"\n\n[network-isolation]\nallowed_domain = ["x.com"]\n',
  );
  const r = await runDevaipod(["--config", file, "config", "--user"]);
  assertEquals(r.code, 3);
  assertEquals(
    r.stderr.split("\n")[0],
    `error: ${file}:5:1: network-isolation.allowed_domain: unknown key`,
  );
  const syntax = await userConfig("[env\n");
  const s = await runDevaipod(["--config", syntax, "up", ".", "--dry-run"]);
  assertEquals(s.code, 3);
  assert(s.stderr.startsWith(`error: ${syntax}:1:`), s.stderr);
});

Deno.test("user config: up takes default-image and the agent's env allowlist from it (dry run)", async () => {
  const project = await Deno.makeTempDir();
  const file = await userConfig(
    'default-image = "localhost/devaipod-test/dev:latest"\n[env]\nallowlist = ["MY_KEY"]\n',
  );
  const r = await runDevaipod([
    "--config",
    file,
    "up",
    project,
    "--name",
    "uc",
    "--dry-run",
    "--json",
  ], {
    env: { MY_KEY: "my-secret-value" },
  });
  assertEquals(r.code, 0, r.stderr);
  const plan = JSON.parse(r.stdout) as { image: string; steps: Step[] };
  assertEquals(plan.image, "localhost/devaipod-test/dev:latest");
  const secret = plan.steps.find((s) => s.id === "secret devaipod-uc-my-key");
  assertEquals(secret?.commands[0]?.stdin, "<value of $MY_KEY>", "MY_KEY travels as a secret");
  assertEquals(secret?.commands[0]?.argv.at(-2), "devaipod-uc-my-key");
  assertEquals(r.stdout.includes("my-secret-value"), false);
});

Deno.test("user config: env.vars reach both containers, trusted.env only the workspace, redacted in the plan", async () => {
  const project = await devProject();
  const file = await userConfig(
    '[env.vars]\nEDITOR = "vim"\n[trusted.env]\nGH_TOKEN = "ghp_never_shown"\n',
  );
  const r = await runDevaipod([
    "--config",
    file,
    "up",
    project,
    "--name",
    "uc2",
    "--dry-run",
    "--json",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const steps = JSON.parse(r.stdout).steps as Step[];
  const workspace = argvOf(steps, "container devaipod-uc2-workspace");
  const agent = argvOf(steps, "container devaipod-uc2-agent");
  assert(workspace.includes("--env EDITOR=vim"), workspace);
  assert(workspace.includes("--env GH_TOKEN=<redacted>"), workspace);
  assert(agent.includes("--env EDITOR=vim"), agent);
  assertEquals(
    agent.includes("GH_TOKEN"),
    false,
    "trusted env never reaches the agent",
  );
  assertEquals(r.stdout.includes("ghp_never_shown"), false);
});

Deno.test("user config: a setting that does nothing is warned about; [agent] version picks the binary", async () => {
  const project = await devProject();
  const file = await userConfig('[agent]\nversion = "1.0.0"\n[dotfiles]\nscript = "setup.sh"\n');
  const r = await runDevaipod(["--config", file, "up", project, "--name", "uc3", "--dry-run"]);
  assertEquals(r.code, 0, r.stderr);
  assert(r.stderr.includes(`warning: ${file}: [dotfiles] script has no url`), r.stderr);
  assertEquals(r.stderr.includes("[agent]"), false, r.stderr);
  // The binary's path depends on the image's architecture: the step that fetches it names the
  // version, and both containers mount what it produces.
  assert(r.stdout.includes("opencode 1.0.0 for <image.arch>"), r.stdout);
  assert(
    r.stdout.includes("source=<agent.binary>,destination=/opt/devaipod/bin/opencode"),
    r.stdout,
  );
  const plain = await userConfig('[env.vars]\nEDITOR = "vim"\n');
  const quiet = await runDevaipod(["--config", plain, "up", project, "--name", "uc3", "--dry-run"]);
  assertEquals(quiet.stderr.includes("warning"), false, quiet.stderr);
});

Deno.test("user config: dotfiles and [trusted] secrets show in the dry-run plan, in hook order", async () => {
  const project = await devProject({ postCreateCommand: "true", postStartCommand: "true" });
  const file = await userConfig(
    '[trusted]\nsecrets = ["GH_TOKEN=my-gh"]\n[dotfiles]\nurl = "https://tok3n@example.com/d.git"\n',
  );
  const r = await runDevaipod([
    "--config",
    file,
    "up",
    project,
    "--name",
    "uc4",
    "--dry-run",
    "--json",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const steps = JSON.parse(r.stdout).steps as Step[];
  // Dotfiles are cloned on the host before anything is created, installed after postCreate.
  const ids = steps.map((s) => s.id);
  assert(ids.includes("dotfiles") && ids.indexOf("dotfiles") < ids.indexOf("image"), ids.join());
  const hooks = steps.find((s) => s.id === "hooks")?.action ?? "";
  assert(
    hooks.startsWith("postCreateCommand, postStartCommand, dotfiles after postCreateCommand:"),
    hooks,
  );
  // The URL is shown without the token it carries, here and in `config --user`.
  const dotfiles = steps.find((s) => s.id === "dotfiles")?.action ?? "";
  assert(dotfiles.includes("https://example.com/d.git"), dotfiles);
  assertEquals(r.stdout.includes("tok3n") || r.stderr.includes("tok3n"), false);
  const shown = await runDevaipod(["--config", file, "config", "--user"]);
  assertEquals(shown.code, 0, shown.stderr);
  assert(shown.stdout.includes("https://example.com/d.git"), shown.stdout);
  assertEquals(shown.stdout.includes("tok3n"), false);
  // The user's secret must exist; it is never created.
  assertEquals(steps.find((s) => s.id === "user-secrets")?.action, "each must exist: my-gh");
  assertEquals(ids.some((id) => id.startsWith("secret ") && id.includes("my-gh")), false);
  const ws = argvOf(steps, "container devaipod-uc4-workspace");
  assert(
    ws.includes("--secret my-gh,type=mount,target=/run/secrets/devaipod-workspace-env/GH_TOKEN"),
    ws,
  );
  const agent = argvOf(steps, "container devaipod-uc4-agent");
  assert(agent.startsWith("podman container run "), agent);
  assertEquals(agent.includes("my-gh"), false, "the user's secret never reaches the agent");
});
