/**
 * Broken devcontainer.json files: each fixture in tests/fixtures/devcontainer/broken/ gives its
 * documented message (expected-stderr.txt, `<dir>` standing for the project folder) with the
 * exact line:column, exits 3, prints nothing on stdout and creates nothing.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";

const FIXTURES = new URL("./fixtures/devcontainer/broken/", import.meta.url).pathname;

async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    out.push(e.name);
    if (e.isDirectory) out.push(...(await listing(join(dir, e.name))).map((n) => `${e.name}/${n}`));
  }
  return out.sort();
}

const fixtures: string[] = [];
for await (const e of Deno.readDir(FIXTURES)) if (e.isDirectory) fixtures.push(e.name);
fixtures.sort();

Deno.test("config errors: the broken fixtures are all there", () => {
  assert(fixtures.length >= 15, `only ${fixtures.length} broken fixtures`);
});

for (const name of fixtures) {
  Deno.test(`config errors: ${name} gives its documented message and exit 3`, async () => {
    const dir = join(FIXTURES, name);
    const expected = await Deno.readTextFile(join(dir, "expected-stderr.txt"));
    const before = await listing(dir);
    const r = await runDevaipod(["config", dir]);
    assertEquals(r.code, 3);
    assertEquals(r.stdout, "");
    assertEquals(r.stderr.replaceAll(dir, "<dir>"), expected);
    assertEquals(await listing(dir), before, "nothing was created");
  });
}

Deno.test("config errors: --json changes nothing about failures: exit 3, stdout empty", async () => {
  const dir = join(FIXTURES, "wrong-type");
  const r = await runDevaipod(["config", dir, "--json"]);
  assertEquals([r.code, r.stdout], [3, ""]);
});

Deno.test("config errors: a project without devcontainer.json is exit 6 with a hint", async () => {
  const dir = await Deno.makeTempDir();
  const r = await runDevaipod(["config", dir]);
  assertEquals(r.code, 6);
  assertEquals(
    r.stderr,
    `error: no devcontainer.json in ${dir}\nhint: create ${dir}/.devcontainer/devcontainer.json (or .devcontainer.json), or choose one with --devcontainer PATH\n`,
  );
});

Deno.test("config errors: only named configs and none chosen lists them (exit 3)", async () => {
  const dir = await Deno.makeTempDir();
  for (const n of ["python", "node"]) {
    await Deno.mkdir(join(dir, ".devcontainer", n), { recursive: true });
    await Deno.writeTextFile(
      join(dir, ".devcontainer", n, "devcontainer.json"),
      '{ "image": "x" }',
    );
  }
  const r = await runDevaipod(["config", dir]);
  assertEquals(r.code, 3);
  assertEquals(
    r.stderr,
    `error: ${
      join(dir, ".devcontainer")
    }: 2 dev container configs and none is the default: node, python\nhint: choose one with --devcontainer node\n`,
  );
  const chosen = await runDevaipod(["config", dir, "--devcontainer", "python", "--json"]);
  assertEquals(chosen.code, 0, chosen.stderr);
  assertEquals(
    JSON.parse(chosen.stdout).configFile,
    join(dir, ".devcontainer", "python", "devcontainer.json"),
  );
  const wrong = await runDevaipod(["config", dir, "--devcontainer", "ruby"]);
  assertEquals(wrong.code, 6);
  assertEquals(wrong.stderr.split("\n")[1], "hint: named configs here: node, python");
});

Deno.test("config: unknown top-level keys are warnings with their location, on stderr", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(dir, ".devcontainer.json"),
    '{\n  "image": "x",\n  "imagee": "typo"\n}\n',
  );
  const r = await runDevaipod(["config", dir, "--json"]);
  assertEquals(r.code, 0);
  assertEquals(
    r.stderr,
    `warning: ${dir}/.devcontainer.json:3:3: unknown property "imagee" (kept, but devaipod does not use it)\n`,
  );
  const doc = JSON.parse(r.stdout);
  assertEquals(doc.warnings, [{
    message: 'unknown property "imagee" (kept, but devaipod does not use it)',
    file: `${dir}/.devcontainer.json`,
    line: 3,
    column: 3,
  }]);
  const quiet = await runDevaipod(["-q", "config", dir, "--json"]);
  assertEquals(quiet.stderr, "");
});

Deno.test("config: a config written for upstream devaipod is accepted; an unknown customizations.devaipod key is a located warning", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(dir, ".devcontainer.json"),
    [
      "{",
      '  "image": "x",',
      '  "privileged": true,',
      '  "customizations": {',
      '    "devaipod": { "nestedContainers": true, "webUi": { "port": 8080 } }',
      "  }",
      "}",
    ].join("\n"),
  );
  const r = await runDevaipod(["config", dir, "--json"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(
    r.stderr,
    `warning: ${dir}/.devcontainer.json:5:45: customizations.devaipod.webUi: unknown key, ignored ` +
      "(devaipod knows agent, agentBinary, envAllowlist, allowedDomains, nestedContainers, projects, gpu)\n",
  );
  assertEquals(JSON.parse(r.stdout).configuration.customizations.devaipod.nestedContainers, true);
  await Deno.remove(dir, { recursive: true });
});
