/**
 * The host side of the project's copies, with real git and tar (no podman): the clone both
 * volumes are filled from, the agent's branch in it, and the agent's clone made from an archive
 * of the human's tree that an agent could have booby-trapped.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { FailedError } from "../errors.ts";
import {
  branchCopy,
  cloneProject,
  copyFromArchive,
  disposeCopy,
  migrationNotes,
} from "./source.ts";

const ID = { "user.email": "t@example.com", "user.name": "t" };

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env } : {}),
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text.trim();
}

const git = (dir: string, ...args: string[]) =>
  run("git", [
    "-C",
    dir,
    ...Object.entries(ID).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    ...args,
  ]);

/** A project with two commits on `main`, an origin holding credentials and an uncommitted file. */
async function project(): Promise<{ dir: string; head: string }> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-source-test-" });
  await git(dir, "init", "-q", "-b", "main");
  await Deno.writeTextFile(join(dir, "README.md"), "one\n");
  await git(dir, "add", "-A");
  await git(dir, "commit", "-qm", "one");
  await Deno.writeTextFile(join(dir, "README.md"), "two\n");
  await git(dir, "commit", "-qam", "two");
  await git(dir, "remote", "add", "origin", "https://user:hunter2@forge.example/o/r.git");
  await Deno.writeTextFile(join(dir, "uncommitted.txt"), "not in a clone\n");
  return { dir, head: await git(dir, "rev-parse", "HEAD") };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("source: one host clone at HEAD, origin without credentials; the agent's branch at the same commit", async () => {
  const { dir, head } = await project();
  const copy = await cloneProject(dir, true);
  try {
    assertEquals(copy.commit, head);
    assertEquals(await git(copy.tree, "rev-parse", "HEAD"), head);
    assertEquals(await git(copy.tree, "branch", "--show-current"), "main");
    assertEquals(
      await git(copy.tree, "remote", "get-url", "origin"),
      "https://forge.example/o/r.git",
    );
    assertEquals(await exists(join(copy.tree, "uncommitted.txt")), false);
    await branchCopy(copy, "devaipod/proj-ab12");
    assertEquals(await git(copy.tree, "branch", "--show-current"), "devaipod/proj-ab12");
    assertEquals(await git(copy.tree, "rev-parse", "HEAD"), head);
    assertEquals(await git(copy.tree, "status", "--porcelain"), "");
    assertEquals(await git(dir, "branch", "--list", "devaipod/*"), "", "the project is untouched");
  } finally {
    await disposeCopy(copy);
    await Deno.remove(dir, { recursive: true });
  }
  assertEquals(await exists(copy.scratch), false, "dispose removes the temporary folder");
});

Deno.test("source: a folder without git is used as it is, and has no branch", async () => {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-source-test-" });
  const copy = await cloneProject(dir, false);
  try {
    assertEquals([copy.tree, copy.commit], [dir, undefined]);
    await assertRejects(() => branchCopy(copy, "devaipod/x"));
  } finally {
    await disposeCopy(copy);
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The human's tree as an agent that shared it could leave it: hooks, core.fsmonitor, a filter
 * driver, alternates, symlinks out of `.git/objects` and `.git/refs`, each writing a marker (or
 * pointing at one) if git used it. HEAD is `main` in packed-refs.
 */
async function trappedTree(markers: string): Promise<{ dir: string; head: string }> {
  const { dir, head } = await project();
  const trap = (name: string) => `#!/bin/sh\ntouch '${markers}/${name}'\ncat\n`;
  await Deno.writeTextFile(join(dir, ".gitattributes"), "* filter=trap diff=trap\n");
  await git(dir, "add", ".gitattributes");
  await git(dir, "commit", "-qm", "attributes");
  const top = await git(dir, "rev-parse", "HEAD");
  await git(dir, "pack-refs", "--all");
  for (const hook of ["post-checkout", "post-index-change", "reference-transaction"]) {
    await Deno.writeTextFile(join(dir, ".git", "hooks", hook), trap(hook), { mode: 0o755 });
  }
  await Deno.writeTextFile(join(markers, "..", "fsmonitor"), trap("fsmonitor"), { mode: 0o755 });
  await Deno.writeTextFile(join(markers, "..", "smudge"), trap("smudge"), { mode: 0o755 });
  await git(dir, "config", "core.fsmonitor", join(markers, "..", "fsmonitor"));
  await git(dir, "config", "filter.trap.smudge", join(markers, "..", "smudge"));
  await git(dir, "config", "filter.trap.clean", join(markers, "..", "smudge"));
  // Alternates: another repository's objects would be read as the tree's own.
  const other = join(markers, "..", "other");
  await Deno.mkdir(other);
  await git(other, "init", "-q");
  await Deno.writeTextFile(
    join(dir, ".git", "objects", "info", "alternates"),
    `${other}/.git/objects\n`,
  );
  // Symlinks out of the tree, in objects and refs.
  await Deno.symlink("/etc", join(dir, ".git", "objects", "ee"));
  await Deno.symlink("/etc/hostname", join(dir, ".git", "refs", "heads", "evil"));
  assert(top !== head);
  return { dir, head: top };
}

Deno.test("source: the agent's clone from an archive of the human's tree reads objects and refs as data", async () => {
  const markers = await Deno.makeTempDir({ prefix: "devaipod-source-markers-" });
  await Deno.mkdir(join(markers, "m"));
  const { dir, head } = await trappedTree(join(markers, "m"));
  const scratch = await Deno.makeTempDir({ prefix: "devaipod-source-test-" });
  const tarball = join(scratch, "human.tar");
  // As `podman volume export` names them: no leading "./".
  const names = [...Deno.readDirSync(dir)].map((e) => e.name);
  await run("tar", ["-C", dir, "-cf", tarball, ...names]);
  const copy = await copyFromArchive(scratch, tarball, dir);
  try {
    assertEquals(copy.commit, head);
    assertEquals(copy.hooks, ["post-checkout", "post-index-change", "reference-transaction"]);
    const env = copy.gitEnv ?? {};
    const inCopy = (...args: string[]) => run("git", ["-C", copy.tree, ...args], env);
    assertEquals(await inCopy("rev-parse", "HEAD"), head);
    assertEquals(await Deno.readTextFile(join(copy.tree, "README.md")), "two\n");
    assertEquals(await exists(join(copy.tree, "uncommitted.txt")), false);
    assertEquals(await inCopy("remote", "get-url", "origin"), "https://forge.example/o/r.git");
    // Nothing of the tree's own: no hooks, config, alternates or symlinks.
    assertEquals(await exists(join(copy.tree, ".git", "objects", "info", "alternates")), false);
    assertEquals(await exists(join(copy.tree, ".git", "objects", "ee")), false);
    assertEquals(await exists(join(copy.tree, ".git", "refs", "heads", "evil")), false);
    assertEquals(await exists(join(copy.tree, ".git", "hooks", "post-checkout")), false);
    const config = await Deno.readTextFile(join(copy.tree, ".git", "config"));
    assertEquals(/fsmonitor|filter|alternate/.test(config), false, config);
    // The agent's branch, then git as the agent will use it: none of the traps runs.
    await branchCopy(copy, "devaipod/proj-ab12");
    await inCopy("status", "--porcelain");
    await inCopy("checkout", "-q", "-b", "x");
    assertEquals(await inCopy("fsck", "--no-dangling"), "");
    assertEquals([...Deno.readDirSync(join(markers, "m"))].map((e) => e.name), []);
    // The traps are real: git in the human's tree runs them.
    await git(dir, "checkout", "-q", "main");
    assert((await git(dir, "status", "--porcelain")) !== undefined);
    const fired = [...Deno.readDirSync(join(markers, "m"))].map((e) => e.name).sort();
    assert(fired.includes("post-checkout") && fired.includes("fsmonitor"), fired.join(", "));
  } finally {
    await disposeCopy(copy);
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(markers, { recursive: true });
  }
});

Deno.test("source: an archive without .git gives the files as they are; a HEAD without its commit is an error", async () => {
  const scratch = await Deno.makeTempDir({ prefix: "devaipod-source-test-" });
  const plain = await Deno.makeTempDir({ prefix: "devaipod-source-plain-" });
  await Deno.writeTextFile(join(plain, "notes.txt"), "no git\n");
  const tarball = join(scratch, "plain.tar");
  await run("tar", ["-C", plain, "-cf", tarball, "."]);
  const copy = await copyFromArchive(scratch, tarball, plain);
  assertEquals([copy.commit, copy.archive], [undefined, tarball]);
  await disposeCopy(copy);

  const { dir } = await project();
  await Deno.writeTextFile(join(dir, ".git", "HEAD"), `${"d".repeat(40)}\n`);
  const broken = await Deno.makeTempDir({ prefix: "devaipod-source-test-" });
  await run("tar", ["-C", dir, "-cf", join(broken, "h.tar"), "."]);
  const missing = await assertRejects(
    () => copyFromArchive(broken, join(broken, "h.tar"), dir),
    FailedError,
  );
  assertEquals(
    missing.message,
    `cannot make the agent's clone from the human's tree: its HEAD ${
      "d".repeat(12)
    } is not in its objects`,
  );
  await Deno.writeTextFile(join(dir, ".git", "HEAD"), "ref: refs/heads/../../x\n");
  const again = await Deno.makeTempDir({ prefix: "devaipod-source-test-" });
  await run("tar", ["-C", dir, "-cf", join(again, "h.tar"), "."]);
  await assertRejects(
    () => copyFromArchive(again, join(again, "h.tar"), dir),
    /its HEAD names no commit/,
  );
  // `.git/objects` as a link out of the tree: dropped, so the HEAD's commit is missing.
  const { dir: linked, head } = await project();
  await Deno.rename(join(linked, ".git", "objects"), join(linked, "real-objects"));
  await Deno.symlink(join(linked, "real-objects"), join(linked, ".git", "objects"));
  const third = await Deno.makeTempDir({ prefix: "devaipod-source-test-" });
  await run("tar", ["-C", linked, "-cf", join(third, "h.tar"), "."]);
  await assertRejects(
    () => copyFromArchive(third, join(third, "h.tar"), linked),
    new RegExp(`its HEAD ${head.slice(0, 12)} is not in its objects`),
  );
  for (const d of [plain, dir, broken, again, linked, third]) {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("source: the migration says what it made, that the work volume was only read, and which hooks it found", () => {
  const base = { workVolume: "devaipod-p-work", agentVolume: "devaipod-p-agent-work" };
  const table: [Parameters<typeof migrationNotes>[0], string[]][] = [
    [
      { ...base, branch: "devaipod/p", commit: "0123456789abcdef0123", hooks: ["post-checkout"] },
      [
        "devaipod-p-work predates the agent's own clone: made devaipod-p-agent-work from it, a " +
        "clone of its HEAD 0123456789ab (uncommitted changes not taken) on branch devaipod/p; " +
        "devaipod-p-work was only read",
        "the agent could write devaipod-p-work until now: look at its .git/config and .git/hooks " +
        "before you trust them (hooks there: post-checkout)",
      ],
    ],
    [
      { ...base, branch: "devaipod/p", commit: "0123456789abcdef0123", hooks: [] },
      [
        "devaipod-p-work predates the agent's own clone: made devaipod-p-agent-work from it, a " +
        "clone of its HEAD 0123456789ab (uncommitted changes not taken) on branch devaipod/p; " +
        "devaipod-p-work was only read",
        "the agent could write devaipod-p-work until now: look at its .git/config and .git/hooks " +
        "before you trust them",
      ],
    ],
    [
      { ...base, branch: "devaipod/p" },
      [
        "devaipod-p-work predates the agent's own copy: made devaipod-p-agent-work as a copy of " +
        "its files; devaipod-p-work was only read",
      ],
    ],
  ];
  for (const [input, want] of table) assertEquals(migrationNotes(input), want);
});
