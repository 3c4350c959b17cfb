import { join } from "node:path";
import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { UsageError } from "../errors.ts";
import { prepareProjects, splitProjectsAndTask } from "./projects.ts";

Deno.test("splitProjectsAndTask(): folders and git URLs are projects, the last other argument the task", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "lib"));
    assertEquals(
      await splitProjectsAndTask(
        ["lib", "https://example.com/o/docs.git", "fix the build"],
        dir,
        {},
      ),
      { projects: [join(dir, "lib"), "https://example.com/o/docs.git"], task: "fix the build" },
    );
    assertEquals(await splitProjectsAndTask([], dir, {}), { projects: [] });
    assertEquals(await splitProjectsAndTask(["just a task"], dir, {}), {
      projects: [],
      task: "just a task",
    });
    // Only the last may be the task; a pull request is never a further project.
    const notLast = await assertRejects(
      () => splitProjectsAndTask(["nope", "lib"], dir, {}),
      UsageError,
    );
    assertEquals(
      notLast.message,
      "'nope' is neither a folder nor a git URL: up takes SOURCE [SOURCE…] [TASK], with the task last",
    );
    await assertRejects(
      () => splitProjectsAndTask(["https://github.com/o/r/pull/3"], dir, {}),
      /a pull request can only be the first source/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepareProjects(): names come from the folders; a folder outside git is copied as files; a clash is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const d of ["a/same", "b/same", "notes"]) {
      await Deno.mkdir(join(dir, d), { recursive: true });
    }
    const options = {
      folder: join(dir, "app"),
      stateRoot: join(dir, "state"),
      taken: "app",
      dryRun: true,
      forges: {},
      note: () => {},
    };
    assertEquals(
      await prepareProjects([{ source: "../notes", from: "config" }], options),
      [{
        name: "notes",
        root: join(dir, "notes"),
        git: false,
        source: `config:${join(dir, "notes")}`,
      }],
    );
    // A dry run clones nothing: the clone's place is planned.
    assertEquals(
      await prepareProjects([{ source: "https://example.com/o/docs.git", from: "cli" }], options),
      [{
        name: "docs",
        root: join(dir, "state", "projects", "docs"),
        git: true,
        source: "cli:https://example.com/o/docs.git",
      }],
    );
    const clash = await assertRejects(
      () =>
        prepareProjects([
          { source: join(dir, "a/same"), from: "cli" },
          { source: join(dir, "b/same"), from: "cli" },
        ], options),
      UsageError,
    );
    assertEquals(
      clash.message,
      `project '${join(dir, "b/same")}' would be /workspaces/same, like ${join(dir, "a/same")}`,
    );
    await assertRejects(
      () => prepareProjects([{ source: join(dir, "missing"), from: "cli" }], options),
      /is not a folder/,
    );
    await assertRejects(
      () =>
        prepareProjects([{ source: join(dir, "notes"), from: "cli" }], {
          ...options,
          taken: "notes",
        }),
      /like the first project/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
