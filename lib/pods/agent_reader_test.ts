import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertNotMatch } from "../../tests/support/assert.ts";
import {
  DETECTOR_SCRIPT,
  DRAIN_SCRIPT,
  PLANT_TRAPS_SCRIPT,
} from "../../tests/support/booby_trap.ts";
import {
  fetchedRef,
  newNonce,
  parseFiles,
  parseLog,
  parseReaderOutput,
  readerCommand,
  ReaderOutputError,
} from "./agent_reader.ts";
import type { ReaderFailure, ReaderMode, ReaderReport } from "./agent_reader.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const SHA2 = "89abcdef0123456789abcdef0123456789abcdef";
const SHA256 = "a".repeat(64);

// ---- the parser (pure) ----

Deno.test("parseReaderOutput() reads the summary lines of status", () => {
  const out = [
    "reader=1",
    `tip=${SHA}`,
    `head=${SHA}`,
    "head_ref=refs/heads/devaipod/demo",
    "format=sha1",
    "base_present=1",
    "ahead=3",
    "untracked=2",
    "uncommitted=1",
    "",
  ].join("\n");
  assertEquals(parseReaderOutput(out, "", "status", "n"), {
    tip: SHA,
    head: SHA,
    headRef: "refs/heads/devaipod/demo",
    format: "sha1",
    basePresent: true,
    ahead: 3,
    uncommitted: true,
    untracked: 2,
  });
});

Deno.test("parseReaderOutput() reads unknowns as null: no branch, detached, no base", () => {
  const out =
    `reader=1\ntip=\nhead=${SHA256}\nhead_ref=\nformat=sha256\nbase_present=0\nuncommitted=\n`;
  const r = parseReaderOutput(out, "", "status", "n") as ReaderReport;
  assertEquals(
    [r.tip, r.head, r.headRef, r.format, r.basePresent, r.ahead, r.uncommitted, r.untracked],
    [null, SHA256, null, "sha256", false, null, null, null],
  );
});

Deno.test("parseReaderOutput() returns a reported failure with what the script said", () => {
  assertEquals(
    parseReaderOutput("reader=1\nerror=not-git\n", "/devaipod/agent has no .git\n", "diff", "n"),
    { error: "not-git", detail: "/devaipod/agent has no .git" } satisfies ReaderFailure,
  );
});

Deno.test("parseReaderOutput() rejects output that breaks the contract", () => {
  const cases: [string, string, ReaderMode][] = [
    ["an unknown error code", "reader=1\nerror=boom\n", "status"],
    [
      "a ref that is no object id",
      `reader=1\ntip=../../etc\nhead=\nhead_ref=\nformat=sha1\nbase_present=0\n`,
      "status",
    ],
    [
      "a head ref outside refs/heads",
      `reader=1\ntip=\nhead=\nhead_ref=refs/x\nformat=sha1\nbase_present=0\n`,
      "status",
    ],
    ["no reader line", "tip=\n", "status"],
    [
      "a diff cut short",
      `reader=1\ntip=\nhead=\nhead_ref=\nformat=sha1\nbase_present=0\n\n@@n log\n`,
      "diff",
    ],
  ];
  for (const [what, out, mode] of cases) {
    let thrown: unknown;
    try {
      parseReaderOutput(out, "", mode, "n");
    } catch (err) {
      thrown = err;
    }
    assert(thrown instanceof ReaderOutputError, `${what}: ${thrown}`);
  }
});

Deno.test("parseReaderOutput() keeps each section exactly, and only markers with the nonce split", () => {
  const nonce = "abc123";
  const patch = "diff --git a/x b/x\n+@@other log\n+\n@@abc12 fake\n";
  const out = [
    `reader=1\ntip=${SHA}\nhead=${SHA}\nhead_ref=refs/heads/b\nformat=sha1\nbase_present=1\nahead=1\nuncommitted=0\nuntracked=0\n`,
    `\n@@${nonce} log\n${SHA2} first line\n`,
    `\n@@${nonce} committed-files\nM\0x\0`,
    `\n@@${nonce} committed-numstat\n1\t0\tx\0`,
    `\n@@${nonce} committed-patch\n${patch}`,
    `\n@@${nonce} end\n`,
  ].join("");
  const r = parseReaderOutput(out, "", "diff", nonce) as ReaderReport;
  assertEquals(r.commits, [{ commit: SHA2, subject: "first line" }]);
  assertEquals(r.committed, {
    files: [{ path: "x", status: "M", added: 1, deleted: 0 }],
    patch,
  });
  assertEquals(r.uncommittedChanges, undefined);
});

Deno.test("parseFiles() merges name-status and numstat; binary files count null", () => {
  assertEquals(
    parseFiles("A\0new file\0D\0gone\0M\0bin\0", "3\t0\tnew file\0" + "0\t2\tgone\0-\t-\tbin\0"),
    [
      { path: "new file", status: "A", added: 3, deleted: 0 },
      { path: "gone", status: "D", added: 0, deleted: 2 },
      { path: "bin", status: "M", added: null, deleted: null },
    ],
  );
});

Deno.test("parseLog() reads commit and subject, and nothing else", () => {
  assertEquals(parseLog(`${SHA} fix: it\n${SHA2} \nnot a commit\n`), [
    { commit: SHA, subject: "fix: it" },
    { commit: SHA2, subject: "" },
  ]);
});

Deno.test("readerCommand() passes every value as its own argument, never inside the script", () => {
  const argv = readerCommand({
    mode: "fetch",
    branch: "devaipod/demo",
    base: SHA,
    nonce: "n1",
    target: "/workspaces/it's",
  });
  assertEquals(argv.slice(0, 2), ["/bin/sh", "-c"]);
  assertEquals(argv.slice(3), [
    "devaipod-reader",
    "fetch",
    "/devaipod/agent",
    "devaipod/demo",
    SHA,
    "n1",
    "/workspaces/it's",
  ]);
  assertNotMatch(argv[2] ?? "", /devaipod\/demo|it's/);
});

// ---- the script, run with sh and git on a booby-trapped clone on this host ----

const decoder = new TextDecoder();

async function run(
  program: string,
  args: string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(program, {
    args,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function git(dir: string, ...args: string[]): Promise<string> {
  const r = await run("git", [
    "-C",
    dir,
    "-c",
    "user.email=agent@example.com",
    "-c",
    "user.name=agent",
    "-c",
    "init.defaultBranch=main",
    ...args,
  ]);
  if (r.code !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

async function sh(script: string, ...args: string[]): Promise<string> {
  const r = await run("sh", ["-c", script, "sh", ...args]);
  if (r.code !== 0) throw new Error(`sh: ${r.stderr}`);
  return r.stdout;
}

interface Trapped {
  root: string;
  human: string;
  agent: string;
  markers: string;
  detectors: string;
  base: string;
  tip: string;
}

/** The human's repository and the agent's clone of it, the clone worked on and trapped. */
async function trappedClone(): Promise<Trapped> {
  const root = await Deno.makeTempDir({ prefix: "devaipod-reader-test-" });
  const human = join(root, "human");
  const agent = join(root, "agent");
  await Deno.mkdir(join(human, "d"), { recursive: true });
  for (
    const [f, text] of Object.entries({
      "a.txt": "line 1\n",
      "d/x.txt": "x\n",
      "kept.txt": "kept\n",
      "replaced-by-link.txt": "plain\n",
      "replaced-by-fifo.txt": "plain\n",
    })
  ) await Deno.writeTextFile(join(human, f), text);
  await git(root, "init", "-q", human);
  await git(human, "add", "-A");
  await git(human, "commit", "-q", "-m", "base");
  const base = await git(human, "rev-parse", "HEAD");
  await git(root, "clone", "-q", human, agent);
  await git(agent, "checkout", "-q", "-b", "devaipod/demo");
  await Deno.writeTextFile(join(agent, "a.txt"), "line 1\nagent line\n");
  await Deno.writeTextFile(join(agent, "new.txt"), "new\n");
  await git(agent, "add", "-A");
  await git(agent, "commit", "-q", "-m", "agent: first");
  // A submodule whose work tree is a repository of the agent's, with traps of its own.
  const sub = join(agent, "sub");
  await git(root, "init", "-q", sub);
  await Deno.writeTextFile(join(sub, "s.txt"), "s\n");
  await git(sub, "add", "-A");
  await git(sub, "commit", "-q", "-m", "sub");
  const marker = (n: string) =>
    `mkdir -p ${join(root, "markers")} && : >${join(root, "markers", n)}`;
  await Deno.writeTextFile(
    join(agent, ".gitmodules"),
    `[submodule "sub"]\n\tpath = sub\n\turl = ext::sh -c '${marker("gitmodules-url")}'\n` +
      `\tignore = none\n`,
  );
  await git(agent, "add", ".gitmodules", "sub");
  await git(agent, "commit", "-q", "-m", "agent: second");
  const tip = await git(agent, "rev-parse", "HEAD");
  // Uncommitted work: a change, a deletion, an untracked file, an untracked repository.
  await Deno.writeTextFile(join(agent, "d/x.txt"), "x\nchanged\n");
  await Deno.remove(join(agent, "kept.txt"));
  await Deno.writeTextFile(join(agent, "untracked.txt"), "untracked\n");
  await git(root, "init", "-q", join(agent, "nested"));
  await Deno.writeTextFile(join(agent, "nested", "n.txt"), "n\n");
  await git(join(agent, "nested"), "add", "-A");
  await git(join(agent, "nested"), "commit", "-q", "-m", "nested");
  const markers = join(root, "markers");
  const detectors = join(root, "detectors");
  await Deno.mkdir(markers);
  await Deno.mkdir(detectors);
  await sh(PLANT_TRAPS_SCRIPT, agent, markers, detectors);
  await sh(DETECTOR_SCRIPT, detectors, markers, agent);
  return { root, human, agent, markers, detectors, base, tip };
}

async function release(t: Trapped): Promise<void> {
  await run("sh", ["-c", DRAIN_SCRIPT, "sh", t.detectors, t.agent], { timeoutMs: 30_000 });
  await Deno.remove(t.root, { recursive: true });
}

async function markersIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

async function read(
  mode: ReaderMode,
  tree: string,
  options: {
    base?: string;
    target?: string;
    branch?: string;
    push?: { branch: string; headerFile?: string };
  } = {},
): Promise<{ result: ReaderReport | ReaderFailure; stderr: string }> {
  const nonce = newNonce();
  const [program, ...args] = readerCommand({
    mode,
    tree,
    nonce,
    branch: options.branch ?? "devaipod/demo",
    ...(options.base ? { base: options.base } : {}),
    ...(options.target ? { target: options.target } : {}),
    ...(options.push ? { push: options.push } : {}),
  }) as [string, ...string[]];
  // A reader that followed a link to a FIFO or opened a FIFO would hang here: the timeout says so.
  const r = await run(program, args, { timeoutMs: 60_000 });
  assertEquals(r.code, 0, r.stderr);
  return { result: parseReaderOutput(r.stdout, r.stderr, mode, nonce), stderr: r.stderr };
}

function report(x: ReaderReport | ReaderFailure): ReaderReport {
  if ("error" in x) throw new Error(`reader failed: ${x.error}: ${x.detail}`);
  return x;
}

Deno.test("the reader reads a booby-trapped clone: no trap fires, the results are right", async () => {
  const t = await trappedClone();
  try {
    const refsBefore = await git(t.human, "for-each-ref", "--format=%(refname) %(objectname)");
    const headBefore = await git(t.human, "rev-parse", "HEAD");
    const statusBefore = await git(t.human, "status", "--porcelain", "--ignored");
    const indexBefore = await Deno.readFile(join(t.human, ".git", "index"));

    const status = report((await read("status", t.agent, { base: t.base })).result);
    assertEquals(
      [status.tip, status.head, status.headRef, status.basePresent, status.ahead],
      [t.tip, t.tip, "refs/heads/devaipod/demo", true, 2],
    );
    assertEquals(status.uncommitted, true);
    // untracked.txt, nested/, untracked-link and the planted .gitattributes.
    assertEquals(status.untracked, 4);

    const diff = report((await read("diff", t.agent, { base: t.base })).result);
    assertEquals(diff.commits?.map((c) => c.subject), ["agent: second", "agent: first"]);
    assertEquals(diff.committed?.files, [
      { path: ".gitmodules", status: "A", added: 4, deleted: 0 },
      { path: "a.txt", status: "M", added: 1, deleted: 0 },
      { path: "new.txt", status: "A", added: 1, deleted: 0 },
    ]);
    assertMatch(diff.committed?.patch ?? "", /^\+agent line$/m);
    const uncommitted = diff.uncommittedChanges?.files.map((f) => `${f.status} ${f.path}`);
    assertEquals(uncommitted, [
      "A .gitattributes",
      "M d/x.txt",
      "D kept.txt",
      "D replaced-by-fifo.txt",
      "T replaced-by-link.txt",
      "A untracked-link",
      "A untracked.txt",
    ]);
    // A FIFO is never opened: it is named, and the file it replaced counts as deleted.
    assertEquals(diff.special, ["replaced-by-fifo.txt"]);
    const patch = diff.uncommittedChanges?.patch ?? "";
    // Links are shown as links (their target's name), never followed.
    assertMatch(patch, new RegExp(`^\\+${t.detectors}/worktree-replaced$`, "m"));
    assertMatch(patch, /^\+changed$/m);
    assertMatch(patch, /^\+untracked$/m);

    const stat = report((await read("diff-stat", t.agent, { base: t.base })).result);
    assertMatch(stat.committed?.stat ?? "", /a\.txt +\| 1 \+/);
    assertEquals(stat.committed?.patch, undefined);

    const fetched = report(
      (await read("fetch", t.agent, { base: t.base, target: t.human })).result,
    );
    assertEquals([fetched.previous, fetched.fetched], [null, t.tip]);
    assertEquals(
      await git(t.human, "rev-parse", fetchedRef("devaipod/demo")),
      t.tip,
    );

    // Nothing fired, nothing was read through a link, nothing hung.
    assertEquals(await markersIn(t.markers), []);

    // The human's repository gained the one ref, and nothing else changed.
    const refsAfter = await git(t.human, "for-each-ref", "--format=%(refname) %(objectname)");
    assertEquals(
      refsAfter.split("\n").sort(),
      [...refsBefore.split("\n"), `refs/remotes/agent/devaipod/demo ${t.tip}`].sort(),
    );
    assertEquals(await git(t.human, "rev-parse", "HEAD"), headBefore);
    assertEquals(await git(t.human, "status", "--porcelain", "--ignored"), statusBefore);
    assertEquals(await Deno.readFile(join(t.human, ".git", "index")), indexBefore);
    assertEquals(await Deno.stat(join(t.human, ".git", "FETCH_HEAD")).catch(() => null), null);
    // The fetched objects follow the human's umask, not the reader's private one.
    const closed = await run("sh", [
      "-c",
      'umask 022; cd "$1" && find .git/objects -type f ! -perm -044',
      "sh",
      t.human,
    ]);
    assertEquals(closed.stdout, "");
    // The reader's temporary folders are gone.
    const left =
      (await run("sh", ["-c", `ls -d "\${TMPDIR:-/tmp}"/devaipod-agent-read-* 2>/dev/null`]))
        .stdout;
    assertEquals(left, "");
  } finally {
    await release(t);
  }
});

Deno.test("fetch again after the agent rewrote its branch moves the ref and says from where", async () => {
  const t = await trappedClone();
  try {
    report((await read("fetch", t.agent, { target: t.human })).result);
    // The agent resets its branch to its first commit (packed-refs is what the reader reads).
    const first = await git(t.human, "rev-parse", `${fetchedRef("devaipod/demo")}~1`);
    const packed = await Deno.readTextFile(join(t.agent, ".git", "packed-refs"));
    await Deno.writeTextFile(
      join(t.agent, ".git", "packed-refs"),
      packed.replace(`${t.tip} refs/heads/devaipod/demo`, `${first} refs/heads/devaipod/demo`),
    );
    const again = report((await read("fetch", t.agent, { target: t.human })).result);
    assertEquals([again.previous, again.fetched], [t.tip, first]);
    assertEquals(await markersIn(t.markers), []);
  } finally {
    await release(t);
  }
});

Deno.test("the reader refuses a .git that is a link or a gitfile, without reading through it", async () => {
  const root = await Deno.makeTempDir({ prefix: "devaipod-reader-test-" });
  try {
    const markers = join(root, "markers");
    const detectors = join(root, "detectors");
    await Deno.mkdir(detectors);
    await sh(DETECTOR_SCRIPT, detectors, markers);
    const linked = join(root, "linked");
    await Deno.mkdir(linked);
    await Deno.symlink(join(detectors, "ref"), join(linked, ".git"));
    const gitfile = join(root, "gitfile");
    await Deno.mkdir(gitfile);
    await Deno.writeTextFile(join(gitfile, ".git"), `gitdir: ${join(detectors, "ref")}\n`);
    const plain = join(root, "plain");
    await Deno.mkdir(plain);
    await Deno.writeTextFile(join(plain, "file.txt"), "no git here\n");
    for (const mode of ["status", "diff", "fetch"] as const) {
      const codes = [];
      for (const tree of [linked, gitfile, plain, join(root, "missing")]) {
        const { result } = await read(mode, tree, { target: root });
        codes.push("error" in result ? result.error : "read");
      }
      assertEquals(codes, ["unsafe", "unsafe", "not-git", "no-tree"], mode);
    }
    assertEquals(await markersIn(markers), []);
    await run("sh", ["-c", DRAIN_SCRIPT, "sh", detectors], { timeoutMs: 30_000 });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the reader says what is missing: the agent's branch, a git repository to fetch into", async () => {
  const t = await trappedClone();
  try {
    const gone = report(
      (await read("status", t.agent, { base: t.base, branch: "devaipod/other" }))
        .result,
    );
    assertEquals([gone.tip, gone.head, gone.ahead], [null, t.tip, null]);
    const noBranch = (await read("fetch", t.agent, { target: t.human, branch: "devaipod/other" }))
      .result;
    assertEquals("error" in noBranch ? noBranch.error : "fetched", "no-branch");
    const plain = join(t.root, "plain");
    await Deno.mkdir(plain);
    const notGit = (await read("fetch", t.agent, { target: plain })).result;
    assertEquals("error" in notGit ? notGit.error : "fetched", "target-not-git");
    const badBase = (await read("status", t.agent, { base: "HEAD~1" })).result;
    assertEquals("error" in badBase ? badBase.error : "read", "bad-base");
    assertEquals(await markersIn(t.markers), []);
  } finally {
    await release(t);
  }
});

Deno.test("the traps are live: git run in the agent's clone itself fires them", async () => {
  // What the reader avoids, done naively: proof that the test above could fail. (Each detector
  // answers one read: a second read of the same link would wait for ever.)
  const t = await trappedClone();
  try {
    const steps: [string, string[]][] = [
      ["git", ["-C", t.agent, "hook", "run", "post-checkout"]],
      ["sh", ["-c", 'cat "$1"', "sh", join(t.agent, "replaced-by-link.txt")]],
      ["git", ["-C", t.agent, "status"]],
    ];
    // A tracked file whose stat no longer matches the index: git status must read it through the
    // clean filter, however the setup's writes fell on the clock (racily clean, or not).
    await Deno.utime(join(t.agent, "a.txt"), new Date(2001, 0, 1), new Date(2001, 0, 1));
    for (const [program, args] of steps) {
      await run(program, args, { timeoutMs: 10_000 }).catch(() => {});
    }
    await new Promise((r) => setTimeout(r, 300));
    const fired = await markersIn(t.markers);
    for (
      const marker of [
        "hookspath-post-checkout",
        "read-worktree-replaced",
        "read-ref",
        "fsmonitor",
        "filter-process",
      ]
    ) assert(fired.includes(marker), `${marker} did not fire: ${fired.join(", ")}`);
  } finally {
    await release(t);
  }
});

Deno.test("the reader reads a shallow clone (a URL source may be one): commits ahead, fetch", async () => {
  const root = await Deno.makeTempDir({ prefix: "devaipod-reader-test-" });
  try {
    const human = join(root, "human");
    await git(root, "init", "-q", human);
    for (const n of ["one", "two", "three"]) {
      await Deno.writeTextFile(join(human, "f.txt"), `${n}\n`);
      await git(human, "add", "-A");
      await git(human, "commit", "-q", "-m", n);
    }
    const base = await git(human, "rev-parse", "HEAD");
    const agent = join(root, "agent");
    await git(root, "clone", "-q", "--depth", "1", `file://${human}`, agent);
    await git(agent, "checkout", "-q", "-b", "devaipod/demo");
    await Deno.writeTextFile(join(agent, "f.txt"), "agent\n");
    await git(agent, "commit", "-q", "-am", "agent");
    const tip = await git(agent, "rev-parse", "HEAD");
    const status = report((await read("status", agent, { base })).result);
    assertEquals([status.tip, status.ahead, status.uncommitted], [tip, 1, false]);
    const fetched = report((await read("fetch", agent, { base, target: human })).result);
    assertEquals(fetched.fetched, tip);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fetch refuses objects that fail git's checks (a .gitmodules that would run a command)", async () => {
  const root = await Deno.makeTempDir({ prefix: "devaipod-reader-test-" });
  try {
    const human = join(root, "human");
    await git(root, "init", "-q", human);
    await Deno.writeTextFile(join(human, "f.txt"), "one\n");
    await git(human, "add", "-A");
    await git(human, "commit", "-q", "-m", "one");
    const agent = join(root, "agent");
    await git(root, "clone", "-q", human, agent);
    await git(agent, "checkout", "-q", "-b", "devaipod/demo");
    await Deno.writeTextFile(
      join(agent, ".gitmodules"),
      `[submodule "s"]\n\tpath = s\n\turl = ./s\n\tupdate = !touch ${join(root, "ran")}\n`,
    );
    await git(agent, "add", ".gitmodules");
    await git(agent, "commit", "-q", "-m", "a later `git submodule update` would run this");
    const { result } = await read("fetch", agent, { target: human });
    assertEquals("error" in result ? result.error : "fetched", "fetch-failed");
    assertMatch("error" in result ? result.detail : "", /gitmodulesUpdate/);
    assertEquals(await git(human, "for-each-ref", "refs/remotes"), "");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("push sends the agent's branch to a new agent/… branch of a remote; no trap fires, nothing is forced", async () => {
  const t = await trappedClone();
  const remote = join(t.root, "remote.git");
  await git(t.root, "init", "-q", "--bare", remote);
  const url = `file://${remote}`;
  try {
    const pushed = report(
      (await read("push", t.agent, { target: url, push: { branch: "agent/fix" } })).result,
    );
    assertEquals(pushed.pushed, t.tip);
    assertEquals(await git(remote, "rev-parse", "refs/heads/agent/fix"), t.tip);
    assertEquals(await markersIn(t.markers), []);
    // Never onto a branch that exists, even a fast-forward; only agent/… branches.
    const again =
      (await read("push", t.agent, { target: url, push: { branch: "agent/fix" } })).result;
    assertEquals("error" in again && again.error, "branch-exists");
    for (const branch of ["main", "agent/", "agent/../main", "agent/x.lock"]) {
      const bad = (await read("push", t.agent, { target: url, push: { branch } })).result;
      assertEquals("error" in bad && bad.error, "bad-branch", branch);
    }
    assertEquals(await git(remote, "for-each-ref", "--format=%(refname)"), "refs/heads/agent/fix");
    assertEquals(await markersIn(t.markers), []);
  } finally {
    await release(t);
  }
});
