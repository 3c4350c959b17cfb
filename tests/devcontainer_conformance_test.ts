/**
 * Conformance: for every fixture in tests/fixtures/devcontainer/conformance/, the
 * `configuration` of `devaipod config --json` equals the one of the reference implementation's
 * `devcontainer read-configuration`, under the same environment; so do the workspace folder and
 * mount.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { oracleTest, oracleUnavailable, readConfiguration } from "./support/oracle.ts";

const FIXTURES = new URL("./fixtures/devcontainer/conformance/", import.meta.url).pathname;

/** The environment both sides see: set, unset, with colons and spaces. */
const ENV = {
  NO_COLOR: "1",
  DEVAIPOD_TEST_VAR: "hello",
  DEVAIPOD_TEST_COLON: "a:b",
  DEVAIPOD_TEST_SPACES: "x y  z",
};
if (Deno.env.get("DEVAIPOD_TEST_UNSET") !== undefined) Deno.env.delete("DEVAIPOD_TEST_UNSET");

/** Which named config a fixture uses (`.devcontainer/<name>/devcontainer.json`). */
const NAMED: Record<string, string> = { "named-config": "python" };

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

const fixtures: string[] = [];
for await (const e of Deno.readDir(FIXTURES)) if (e.isDirectory) fixtures.push(e.name);
fixtures.sort();

// Fixtures are copied outside this repository: inside it, both sides would (rightly) mount its
// git root, and the answer would depend on where the repository is checked out.
const work = await Deno.makeTempDir({ prefix: "devaipod-conformance-" });

interface Pair {
  ours: Record<string, unknown>;
  theirs: Record<string, unknown>;
}

async function compare(folder: string, named?: string): Promise<Pair> {
  const config = named ? join(folder, ".devcontainer", named, "devcontainer.json") : undefined;
  const [mine, theirs] = await Promise.all([
    runDevaipod(["config", folder, "--json", ...(named ? ["--devcontainer", named] : [])], {
      env: ENV,
    }),
    readConfiguration(folder, { env: ENV, ...(config ? { config } : {}) }),
  ]);
  assertEquals(mine.code, 0, mine.stderr);
  return { ours: JSON.parse(mine.stdout), theirs };
}

/** Runs `fn` over items, `limit` at a time. */
async function pooled<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  }));
  return results;
}

// Both sides run for every fixture up front, in parallel; each test then compares one pair.
const results = new Map<string, Pair | Error>();
if (!oracleUnavailable) {
  const pairs = await pooled(fixtures, 4, async (name) => {
    const folder = join(work, name);
    await copyTree(join(FIXTURES, name), folder);
    try {
      return await compare(folder, NAMED[name]);
    } catch (err) {
      return err as Error;
    }
  });
  fixtures.forEach((name, i) => results.set(name, pairs[i] as Pair | Error));
}

Deno.test("conformance: there are at least 30 fixtures", () => {
  assert(fixtures.length >= 30, `${fixtures.length} fixtures`);
});

for (const name of fixtures) {
  oracleTest(`conformance: ${name} reads as the reference reads it`, async () => {
    const pair = results.get(name);
    if (pair instanceof Error) throw pair;
    assert(pair, "compared");
    assertEquals(pair.ours.configuration, pair.theirs.configuration);
    const workspace = pair.theirs.workspace as {
      workspaceFolder?: string;
      workspaceMount?: string;
    };
    assertEquals(pair.ours.containerWorkspaceFolder, workspace.workspaceFolder);
    assertEquals(pair.ours.workspaceMount ?? undefined, workspace.workspaceMount);
    await Promise.resolve();
  });
}

oracleTest(
  "conformance: a project inside a git repository mounts the repository's root",
  async () => {
    const repo = join(work, "git-repo");
    const project = join(repo, "nested", "project");
    await copyTree(join(FIXTURES, "var-container-workspace-folder-default"), project);
    const init = await new Deno.Command("git", {
      args: ["init", "-q", repo],
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(init.code, 0, new TextDecoder().decode(init.stderr));
    const { ours, theirs } = await compare(project);
    assertEquals(ours.configuration, theirs.configuration);
    assertEquals(ours.containerWorkspaceFolder, "/workspaces/git-repo/nested/project");
    assertEquals(ours.workspaceMount, `type=bind,source=${repo},target=/workspaces/git-repo`);
    assertEquals((theirs.workspace as Record<string, unknown>).workspaceMount, ours.workspaceMount);
  },
);

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(work, { recursive: true });
  } catch {
    // already gone
  }
});
