/**
 * A workspace of several projects, against real podman and real git: each at
 * /workspaces/NAME with a volume of its own and an agent clone of its own, under the same rules
 * as one project (the agent never sees the human's trees; the workspace reads the agent's clones
 * read-only), `diff` and `fetch` per project, and `rebuild` and `delete` acting on all of them.
 */
import { join } from "node:path";
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { commitAll, labelled, name, NOTHING, project, purge } from "./support/workspaces.ts";

const podman = p.Podman.fromEnv();

const exec = (ws: string, role: string, script: string) =>
  runDevaipod(["exec", ws, "-c", role, "--", "sh", "-c", script]);

async function out(ws: string, role: string, script: string): Promise<string> {
  const r = await exec(ws, role, script);
  assertEquals(r.code, 0, `${role}: ${script}: ${r.stderr}`);
  return r.stdout;
}

/** A git repository named `dir/NAME` with one commit, and an uncommitted file. */
async function repository(dir: string, repo: string): Promise<string> {
  const root = join(dir, repo);
  await Deno.mkdir(root);
  await Deno.writeTextFile(join(root, "README.md"), `# ${repo}\n`);
  await commitAll(root);
  await Deno.writeTextFile(join(root, "uncommitted.txt"), "not in the clone\n");
  return root;
}

podmanTest(
  "projects: a workspace of two projects and a folder gives each its volume and the agent its own clone; verify passes; diff and fetch work per project; stop, start and rebuild keep them all, delete --volumes removes them all",
  async () => {
    const ws = name();
    const scratch = await Deno.makeTempDir({ prefix: "devaipod-projects-" });
    try {
      const lib = await repository(scratch, "lib");
      const notes = join(scratch, "notes");
      await Deno.mkdir(notes);
      await Deno.writeTextFile(join(notes, "todo.txt"), "a folder, not a repository\n");
      // The first project names one more in its config; the command line names another.
      const app = await project({
        image: DEV_IMAGE,
        remoteUser: "dev",
        customizations: { devaipod: { projects: [notes] } },
      });
      const up = await runDevaipod(["up", app, lib, "--name", ws, "--no-prompt"]);
      assertEquals(up.code, 0, up.stderr);

      // Each project at /workspaces/NAME, a clone of HEAD (or the folder's files).
      const appName = app.split("/").at(-1);
      assertEquals(
        (await out(ws, "workspace", "ls /workspaces")).split("\n").filter(Boolean).sort(),
        [appName, "lib", "notes"].sort(),
      );
      assertEquals(await out(ws, "workspace", "cat /workspaces/lib/README.md"), "# lib\n");
      assertEquals(
        (await exec(ws, "workspace", "test -e /workspaces/lib/uncommitted.txt")).code,
        1,
        "a clone of HEAD",
      );
      assertEquals(
        await out(ws, "agent", "cat /workspaces/notes/todo.txt"),
        "a folder, not a repository\n",
      );

      // The agent works in its own clones; the workspace reads them, read-only.
      const commit = (await out(
        ws,
        "agent",
        "cd /workspaces/lib && git branch --show-current && echo agent >> README.md && " +
          "git -c user.email=a@x -c user.name=agent commit -qam 'agent: lib' && git rev-parse HEAD",
      )).trim().split("\n");
      assertEquals(commit[0], `devaipod/${ws}`);
      assertEquals(
        (await exec(ws, "workspace", `touch /devaipod/agent-projects/lib/x`)).code !== 0,
        true,
        "the workspace cannot write the agent's clone",
      );
      assertEquals(await out(ws, "workspace", "cat /workspaces/lib/README.md"), "# lib\n");
      const [agent] = await podman.run(p.containerInspect(`devaipod-${ws}-agent`));
      const volumes = (agent?.Mounts ?? []).flatMap((m) => m.Name ? [m.Name] : []);
      assertEquals(
        volumes.filter((v) => v.includes("-work") && !v.includes("agent-work")),
        [],
        "the agent mounts none of the human's trees",
      );

      // diff and fetch per project.
      const diff = await runDevaipod(["diff", ws, "--project", "lib", "--json"]);
      assertEquals(diff.code, 0, diff.stderr);
      const report = JSON.parse(diff.stdout);
      assertEquals([report.project, report.commit], ["lib", commit[1]]);
      assertEquals(report.commits.map((c: { subject: string }) => c.subject), ["agent: lib"]);
      const first = await runDevaipod(["diff", ws, "--json"]);
      assertEquals(JSON.parse(first.stdout).commits, [], "the first project's clone is untouched");
      const fetched = await runDevaipod(["fetch", ws, "--project", "lib", "--json"]);
      assertEquals(fetched.code, 0, fetched.stderr);
      assertEquals(JSON.parse(fetched.stdout).commit, commit[1]);
      assertEquals(
        (await out(ws, "workspace", `git -C /workspaces/lib rev-parse agent/devaipod/${ws}`))
          .trim(),
        commit[1],
      );
      const unknown = await runDevaipod(["diff", ws, "--project", "nope"]);
      assertEquals(unknown.code, 2, unknown.stderr);
      assertMatch(unknown.stderr, /has no project 'nope' \(its further projects: lib, notes\)/);

      // status names the projects; verify's probes pass as for one project.
      const status = await runDevaipod(["status", ws, "--json"]);
      assertEquals(JSON.parse(status.stdout).projects, ["lib", "notes"]);
      const verify = await runDevaipod(["verify", ws]);
      assertEquals(verify.code, 0, verify.stdout + verify.stderr);

      // stop and start: the projects are where they were.
      for (const verb of ["stop", "start"]) {
        const r = await runDevaipod([verb, ws]);
        assertEquals(r.code, 0, `${verb}: ${r.stderr}`);
      }
      assertEquals(
        (await out(ws, "agent", "git -C /workspaces/lib rev-parse HEAD")).trim(),
        commit[1],
      );

      // rebuild: new containers, every volume kept.
      await out(ws, "workspace", "echo mine > /workspaces/lib/human.txt");
      const rebuilt = await runDevaipod(["rebuild", ws]);
      assertEquals(rebuilt.code, 0, rebuilt.stderr);
      assertEquals(await out(ws, "workspace", "cat /workspaces/lib/human.txt"), "mine\n");
      assertEquals(
        (await out(ws, "agent", "git -C /workspaces/lib rev-parse HEAD")).trim(),
        commit[1],
      );
      assertEquals(
        await out(ws, "agent", "cat /workspaces/notes/todo.txt"),
        "a folder, not a repository\n",
      );

      // delete keeps all seven volumes; --volumes removes everything.
      const del = await runDevaipod(["delete", ws, "-f"]);
      assertEquals(del.code, 0, del.stderr);
      assertEquals((await labelled(ws)).volumes, 7);
      const gone = await runDevaipod(["delete", ws, "-f", "--volumes"]);
      assertEquals(gone.code, 0, gone.stderr);
      assertEquals(await labelled(ws), NOTHING);
    } finally {
      await purge(ws);
      await Deno.remove(scratch, { recursive: true }).catch(() => {});
    }
  },
);

podmanTest(
  "projects: two projects with the same folder name are refused before anything is made",
  async () => {
    const ws = name();
    const [a, b] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    try {
      await repository(a, "same");
      await repository(b, "same");
      const app = await project({ image: DEV_IMAGE });
      const r = await runDevaipod(["up", app, join(a, "same"), join(b, "same"), "--name", ws]);
      assertEquals(r.code, 2, r.stderr);
      assertMatch(r.stderr, /would be \/workspaces\/same, like /);
      assertEquals(await labelled(ws), NOTHING);
      assert(r.stderr.includes("rename one"), r.stderr);
    } finally {
      await purge(ws);
      for (const d of [a, b]) await Deno.remove(d, { recursive: true });
    }
  },
);
