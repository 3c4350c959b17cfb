import { join } from "node:path";
import { assertEquals } from "../../tests/support/assert.ts";
import { parseProbeOutput } from "./verify.ts";
import { HOOK_CLEAN_SCRIPT, HOOK_PLANT_SCRIPT, HOOK_RUN_SCRIPT, judgeHook } from "./verify_hook.ts";

Deno.test("verify hook: a marker is an escape; no git or no repository is not probed; nothing planted is no proof", () => {
  const table: [Record<string, string>, boolean, RegExp][] = [
    [{ hook_planted: "5", hook_git: "ran", hook_markers: "" }, true, /^5 planted .* ran none/],
    [
      { hook_planted: "5", hook_git: "ran", hook_markers: "fsmonitor post-checkout " },
      false,
      /^ESCAPE: .*planted: fsmonitor, post-checkout$/,
    ],
    // A marker counts even when the rest did not report.
    [{ hook_markers: "post-checkout" }, false, /^ESCAPE/],
    [{ hook_planted: "5", hook_git: "missing", hook_markers: "" }, true, /no git/],
    [{ hook_planted: "5", hook_git: "not-a-repo", hook_markers: "" }, true, /not a git/],
    [{ hook_planted: "no-repo", hook_git: "ran", hook_markers: "" }, true, /no repository/],
    [{ hook_planted: "failed", hook_git: "ran", hook_markers: "" }, false, /could not plant/],
    [{ hook_planted: "0", hook_git: "ran", hook_markers: "" }, false, /could not plant/],
    [{ hook_git: "ran", hook_markers: "" }, false, /could not plant its hooks \(no answer\)/],
    [{ hook_planted: "5", hook_markers: "" }, false, /did not report/],
  ];
  for (const [values, ok, detail] of table) {
    const probe = judgeHook(values);
    assertEquals([probe.id, probe.ok], ["hook", ok], JSON.stringify(values));
    assertEquals(detail.test(probe.detail), true, `${JSON.stringify(values)}: ${probe.detail}`);
  }
});

async function sh(script: string, cwd: string, ...args: string[]): Promise<Record<string, string>> {
  const out = await new Deno.Command("sh", {
    args: ["-c", script, "probe", ...args],
    cwd,
    stdout: "piped",
  }).output();
  return parseProbeOutput(new TextDecoder().decode(out.stdout));
}

async function repo(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-verify-hook-" });
  const git = (...args: string[]) =>
    new Deno.Command("git", {
      args: ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args],
      stdout: "null",
      stderr: "null",
    }).output();
  await git("init", "-q");
  await Deno.writeTextFile(join(dir, "a.txt"), "a\n");
  await git("add", "-A");
  await git("commit", "-qm", "a");
  await Deno.mkdir(join(dir, "sub"));
  return dir;
}

Deno.test("verify hook: the scripts catch a shared tree, hold on separate ones, and leave the agent's clone as it was", async () => {
  const nonce = crypto.randomUUID().slice(0, 8);
  const [human, agent] = [await repo(), await repo()];
  const config = await Deno.readTextFile(join(agent, ".git", "config"));
  try {
    // Separate trees: the agent plants in its own (from a subfolder of it), the human's git runs
    // in the human's.
    const planted = await sh(HOOK_PLANT_SCRIPT, join(agent, "sub"), nonce);
    const ran = await sh(HOOK_RUN_SCRIPT, human, nonce);
    assertEquals(judgeHook({ ...planted, ...ran }).ok, true, JSON.stringify({ planted, ran }));
    assertEquals((await sh(HOOK_CLEAN_SCRIPT, agent, nonce)).hook_cleaned, "yes");
    assertEquals(await Deno.readTextFile(join(agent, ".git", "config")), config);
    assertEquals(
      [...Deno.readDirSync(join(agent, ".git", "hooks"))].filter((e) =>
        !e.name.endsWith(".sample")
      ),
      [],
    );
    // One shared tree: the same scripts see the escape.
    const shared = await sh(HOOK_PLANT_SCRIPT, human, nonce);
    const escaped = judgeHook({ ...shared, ...await sh(HOOK_RUN_SCRIPT, human, nonce) });
    assertEquals(escaped.ok, false, escaped.detail);
    assertEquals(/fsmonitor/.test(escaped.detail) && /post-checkout/.test(escaped.detail), true);
    await sh(HOOK_CLEAN_SCRIPT, human, nonce);
  } finally {
    await Deno.remove(human, { recursive: true });
    await Deno.remove(agent, { recursive: true });
  }
});
