import { assertEquals } from "../../tests/support/assert.ts";
import type { AgentWorkSummary } from "../pods/agent_work.ts";
import { diffJson, fetchJson, forTerminal, workRow } from "./agent_work_actions.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const work = {
  workspace: "demo",
  container: "c",
  branch: "devaipod/demo",
  base: A,
  repository: "/workspaces/demo",
  volume: "devaipod-demo-agent-work",
};

Deno.test("forTerminal() escapes control characters but keeps newlines and tabs", () => {
  assertEquals(forTerminal("+a\tb\n+\x1b]0;title\x07\r\n"), "+a\tb\n+\\x1b]0;title\\x07\\x0d\n");
});

Deno.test("diffJson() is the documented shape, patch or stat, nulls for the unknown", () => {
  const files = [{ path: "x", status: "M", added: 1, deleted: 0 }];
  assertEquals(
    diffJson({
      work,
      report: {
        tip: B,
        head: B,
        headRef: "refs/heads/devaipod/demo",
        format: "sha1",
        basePresent: true,
        ahead: 1,
        uncommitted: true,
        untracked: 0,
        special: [],
        commits: [{ commit: B, subject: "s" }],
        committed: { files, patch: "p" },
        uncommittedChanges: { files, stat: "st" },
      },
    }),
    {
      workspace: "demo",
      project: null,
      branch: "devaipod/demo",
      base: A,
      commit: B,
      ahead: 1,
      head: B,
      checkedOut: "devaipod/demo",
      commits: [{ commit: B, subject: "s" }],
      committed: { files, patch: "p" },
      uncommitted: { files, stat: "st" },
      untracked: 0,
      special: [],
    },
  );
  const bare = diffJson({
    work: { ...work, base: undefined },
    report: {
      tip: null,
      head: null,
      headRef: null,
      format: "sha1",
      basePresent: false,
      ahead: null,
      uncommitted: null,
      untracked: null,
    },
  });
  assertEquals(
    [bare.base, bare.commit, bare.commits, bare.committed, bare.uncommitted, bare.special],
    [null, null, [], null, null, []],
  );
});

Deno.test("fetchJson() is the documented shape", () => {
  assertEquals(
    fetchJson({
      work,
      ref: "refs/remotes/agent/devaipod/demo",
      previous: null,
      commit: B,
      ahead: 2,
    }),
    {
      workspace: "demo",
      project: null,
      branch: "devaipod/demo",
      ref: "refs/remotes/agent/devaipod/demo",
      commit: B,
      previous: null,
      base: A,
      ahead: 2,
      repository: "/workspaces/demo",
    },
  );
});

Deno.test("workRow() says branch, commits ahead and uncommitted changes, or why not", () => {
  const ok: AgentWorkSummary = {
    clone: "ok",
    branch: "devaipod/demo",
    commit: B,
    base: A,
    ahead: 1,
    uncommitted: false,
    checkedOut: "devaipod/demo",
    note: null,
  };
  assertEquals(
    workRow(ok, "demo"),
    "devaipod/demo: 1 commit ahead of its base, no uncommitted changes (devaipod diff demo)",
  );
  assertEquals(
    workRow({ ...ok, ahead: 3, uncommitted: true, checkedOut: "wip\x1b" }, "demo"),
    "devaipod/demo (wip\\x1b checked out): 3 commits ahead of its base, uncommitted changes (devaipod diff demo)",
  );
  assertEquals(
    workRow({ ...ok, clone: "stopped", note: "workspace 'demo' is not running" }, "demo"),
    "stopped: workspace 'demo' is not running",
  );
});
