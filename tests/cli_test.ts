/**
 * Contract tests of the CLI as a spawned process: exit codes, the stdout/stderr split, `--json`
 * shapes and help. Fake podman programs on PATH stand in only for failures that a real podman
 * cannot be made to show (absent, broken, too old).
 */
import denoJson from "../deno.json" with { type: "json" };
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { binDir, denoProgram, devaipodPermissionFlags, runDevaipod } from "./support/cli.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";
import { labelled, name, NOTHING, project, purge } from "./support/workspaces.ts";

const HOME = await Deno.makeTempDir({ prefix: "devaipod-home-" });
/** A PATH with no podman at all. */
const EMPTY_PATH = await binDir({});

Deno.test("cli: --help lists the commands and global options on stdout, exit 0", async () => {
  const r = await runDevaipod(["--help"]);
  assertEquals(r.code, 0);
  assertEquals(r.stderr, "");
  assertMatch(r.stdout, /^Usage: devaipod \[options\] \[command\]/);
  for (const word of ["doctor", "--config <path>", "--verbose", "--quiet", "--version"]) {
    assert(r.stdout.includes(word), `help mentions ${word}`);
  }
});

Deno.test("cli: no arguments prints the help", async () => {
  const r = await runDevaipod([]);
  assertEquals(r.code, 0);
  assertMatch(r.stdout, /^Usage: devaipod/);
});

Deno.test("cli: a command's --help shows its own options", async () => {
  const r = await runDevaipod(["doctor", "--help"]);
  assertEquals(r.code, 0);
  assertMatch(r.stdout, /Usage: devaipod doctor \[options\]/);
  assertMatch(r.stdout, /--json/);
  assertMatch(r.stdout, /--no-run/);
});

Deno.test("cli: --version prints the version from deno.json", async () => {
  for (const flag of ["--version", "-V"]) {
    const r = await runDevaipod([flag]);
    assertEquals(r, { code: 0, stdout: `devaipod ${denoJson.version}\n`, stderr: "" });
  }
});

Deno.test("cli: an unknown flag is a usage error: exit 2, error and hint on stderr, nothing on stdout", async () => {
  const r = await runDevaipod(["--bogus"]);
  assertEquals(r.code, 2);
  assertEquals(r.stdout, "");
  assertEquals(
    r.stderr,
    "error: unknown option '--bogus'\nhint: run 'devaipod --help' for usage\n",
  );
});

Deno.test("cli: an unknown flag of a command names that command's help", async () => {
  const r = await runDevaipod(["doctor", "--bogus"]);
  assertEquals(r.code, 2);
  assertMatch(
    r.stderr,
    /^error: unknown option '--bogus'\nhint: run 'devaipod doctor --help' for usage\n$/,
  );
});

Deno.test("cli: a mistyped command suggests the right one", async () => {
  const r = await runDevaipod(["doctr"]);
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /^error: unknown command 'doctr' \(did you mean doctor\?\)$/m);
});

Deno.test("cli: --verbose and --quiet together are a usage error", async () => {
  const r = await runDevaipod(["-v", "-q", "doctor"]);
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /cannot be used with option/);
});

Deno.test("cli: podman absent from PATH: exit 4 with an install hint", async () => {
  const r = await runDevaipod(["doctor"], { env: { PATH: EMPTY_PATH, HOME } });
  assertEquals(r.code, 4);
  assertMatch(r.stdout, /^FAIL\s+podman\s+'podman' not found$/m);
  assertMatch(r.stdout, /hint: install podman 4\.3 or newer/);
  assertMatch(r.stderr, /^error: doctor: 1 required check failed \(podman\)$/m);
});

Deno.test("cli: doctor --json without podman: the report on stdout, exit 4", async () => {
  const r = await runDevaipod(["doctor", "--json"], { env: { PATH: EMPTY_PATH, HOME } });
  assertEquals(r.code, 4);
  const report = JSON.parse(r.stdout);
  assertEquals(report.ok, false);
  assertEquals(report.checks[0], {
    id: "podman",
    status: "fail",
    summary: "'podman' not found",
    hint:
      "install podman 4.3 or newer (e.g. `apt-get install podman`), or set DEVAIPOD_PODMAN to its path",
  });
  assertEquals(report.checks.map((c: { id: string }) => c.id), [
    "podman",
    "toolbox",
    "agent-binary",
    "gpu",
    "user-config",
  ]);
});

Deno.test("cli: a podman that fails to report its version: exit 5 naming its stderr", async () => {
  const bin = await binDir({
    podman: "#!/bin/sh\necho 'Error: database is locked' >&2\nexit 125\n",
  });
  const r = await runDevaipod(["doctor", "--json"], {
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME },
  });
  assertEquals(r.code, 5);
  const podman = JSON.parse(r.stdout).checks[0];
  assertEquals(podman.status, "fail");
  assertMatch(podman.summary, /database is locked/);
});

Deno.test("cli: a podman older than 4.3 fails the doctor with exit 5", async () => {
  const version = JSON.stringify({ Client: { Version: "4.2.0" } });
  const bin = await binDir({
    podman:
      `#!/bin/sh\ncase "$1" in version) echo '${version}';; *) echo 'unsupported' >&2; exit 125;; esac\n`,
  });
  const r = await runDevaipod(["doctor", "--json"], {
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME },
  });
  assertEquals(r.code, 5);
  const report = JSON.parse(r.stdout);
  assertEquals(report.checks[0].summary, "podman 4.2.0 is older than 4.3");
});

Deno.test("cli: DEVAIPOD_PODMAN outside the granted permissions is a permission error (exit 8), with causes under -v", async () => {
  const r = await runDevaipod(["doctor"], {
    env: { DEVAIPOD_PODMAN: "/opt/elsewhere/podman", HOME },
  });
  assertEquals(r.code, 8);
  assertMatch(r.stderr, /^error: not permitted to run '\/opt\/elsewhere\/podman'$/m);
  assertMatch(r.stderr, /^hint: .*--allow-run=\/opt\/elsewhere\/podman$/m);
  assertEquals(r.stderr.includes("caused by"), false);
  const verbose = await runDevaipod(["-v", "doctor"], {
    env: { DEVAIPOD_PODMAN: "/opt/elsewhere/podman", HOME },
  });
  assertMatch(verbose.stderr, /^caused by: NotCapable: /m);
});

Deno.test("cli: a program devaipod needs (git) missing is an environment error: exit 10, install hint", async () => {
  const r = await runDevaipod(
    ["up", "--dry-run", "file:///nonexistent/repo.git", "--name", "tenv"],
    {
      env: { PATH: EMPTY_PATH, HOME },
    },
  );
  assertEquals(r.code, 10, r.stderr);
  assertEquals(r.stdout, "");
  assertMatch(r.stderr, /^error: cannot run 'git': not found\nhint: install git$/m);
});

Deno.test("cli: no HOME (and no XDG folders) is an environment error: exit 10 naming what to set", async () => {
  const r = await runDevaipod(["config", "--user"], {
    env: { HOME: "", XDG_CONFIG_HOME: "", XDG_CACHE_HOME: "", XDG_STATE_HOME: "" },
  });
  assertEquals(r.code, 10, r.stderr);
  assertMatch(r.stderr, /^error: cannot locate the \w+ directory: HOME is not set$/m);
  assertMatch(r.stderr, /^hint: set HOME/m);
});

podmanTest(
  "cli: conflicts exit 9 (already exists, is running); delete and rebuild take only the exact name (exit 6)",
  async () => {
    const dir = await project({ image: DEV_IMAGE });
    const ws = name();
    try {
      const up = await runDevaipod(["up", dir, "--name", ws, "-q"]);
      assertEquals(up.code, 0, up.stderr);

      const again = await runDevaipod(["up", dir, "--name", ws]);
      assertEquals(again.code, 9, again.stderr);
      assertEquals(again.stdout, "");
      assertMatch(again.stderr, new RegExp(`^error: workspace ${ws} already exists$`, "m"));
      assertMatch(again.stderr, new RegExp(`^hint: .*devaipod start ${ws}`, "m"));

      const running = await runDevaipod(["delete", ws]);
      assertEquals(running.code, 9, running.stderr);
      assertMatch(running.stderr, new RegExp(`^error: workspace ${ws} is running$`, "m"));

      // A prefix that other commands accept never reaches the commands that destroy.
      const prefix = ws.slice(0, -2);
      assertEquals((await runDevaipod(["status", prefix, "--json"])).code, 0);
      for (const command of [["delete", "-f", "--volumes"], ["rebuild"]]) {
        const r = await runDevaipod([...command, prefix]);
        assertEquals(r.code, 6, `${command[0]}: ${r.stderr}`);
        assertMatch(r.stderr, new RegExp(`^error: no workspace named exactly '${prefix}'$`, "m"));
        assertMatch(r.stderr, new RegExp(`^hint: .*never a prefix: .*'${ws}'`, "m"));
      }
      const kept = await labelled(ws);
      assertEquals([kept.pods, kept.volumes], [1, 3], "the workspace is untouched");

      const del = await runDevaipod(["delete", "-f", "--volumes", `devaipod-${ws}`]);
      assertEquals(del.code, 0, del.stderr);
      assertEquals(await labelled(ws), NOTHING);
    } finally {
      await purge(ws);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

podmanTest(
  "cli: doctor --json on this host: one JSON document on stdout, every check ok or warn",
  async () => {
    const r = await runDevaipod(["doctor", "--json"], { env: { HOME } });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stderr, "");
    const report = JSON.parse(r.stdout);
    assertEquals(report.ok, true);
    const ids = report.checks.map((c: { id: string }) => c.id);
    assertEquals(ids, [
      "podman",
      "mode",
      "oci-runtime",
      "cgroups",
      "network-backend",
      "run",
      "toolbox",
      "agent-binary",
      "gpu",
      "user-config",
    ]);
    for (const c of report.checks) {
      assert(c.status === "ok" || c.status === "warn", `${c.id}: ${c.status} ${c.summary}`);
      assertEquals(typeof c.summary, "string");
    }
  },
);

podmanTest("cli: doctor's end-to-end check leaves no pod behind", async () => {
  const before = await runPodmanLines([
    "pod",
    "ps",
    "-q",
    "--filter",
    "label=io.devaipod.role=doctor",
  ]);
  const r = await runDevaipod(["doctor"], { env: { HOME } });
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^ok\s+run\s+podman can create, start and remove a pod$/m);
  assertEquals(
    await runPodmanLines(["pod", "ps", "-q", "--filter", "label=io.devaipod.role=doctor"]),
    before,
  );
});

async function runPodmanLines(args: string[]): Promise<string[]> {
  const out = await new Deno.Command("podman", { args, stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
}

podmanTest("cli: Ctrl-C while the doctor's pod exists removes the pod and exits 130", async () => {
  const list = () =>
    runPodmanLines(["pod", "ps", "-q", "--filter", "label=io.devaipod.role=doctor"]);
  const before = await list();
  const child = new Deno.Command(denoProgram(), {
    args: [
      "run",
      "--quiet",
      ...devaipodPermissionFlags(),
      new URL("../main.ts", import.meta.url).pathname,
      "doctor",
    ],
    env: { HOME, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let seen = false;
  for (let i = 0; i < 100 && !seen; i++) {
    seen = (await list()).length > before.length;
    if (!seen) await new Promise((r) => setTimeout(r, 20));
  }
  child.kill("SIGINT");
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(seen, "the doctor's pod appeared");
  assertEquals(out.code, 130, stderr);
  assertMatch(stderr, /^error: interrupted$/m);
  assertEquals(await list(), before, "the interrupted doctor removed its pod");
});

Deno.test("cli: runs from a URL with deno.json as the import map", async () => {
  const root = new URL("../", import.meta.url);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname.slice(1);
    try {
      const body = await Deno.readFile(new URL(path, root));
      const type = path.endsWith(".json") ? "application/json" : "application/typescript";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const out = await new Deno.Command(denoProgram(), {
      args: [
        "run",
        "--quiet",
        ...devaipodPermissionFlags(),
        `--import-map=${base}/deno.json`,
        `${base}/main.ts`,
        "--version",
      ],
      cwd: HOME, // no deno.json here: the remote one is the only configuration
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(out.stderr), "");
    assertEquals([out.code, new TextDecoder().decode(out.stdout)], [
      0,
      `devaipod ${denoJson.version}\n`,
    ]);
  } finally {
    await server.shutdown();
  }
});
