import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/support/assert.ts";
import { FailedError } from "../errors.ts";
import {
  blockBegin,
  blockEnd,
  configIncludes,
  configWords,
  ensureKnownHost,
  globMatches,
  HOST_KEY_ALIAS,
  hostAlias,
  includeStatus,
  proxyCommandArgv,
  proxyCommandValue,
  removeBlockText,
  removeHostBlock,
  renderHostBlock,
  sshClientArgv,
  upsertBlockText,
  upsertHostBlock,
} from "./ssh_config.ts";

const block = (workspace: string, user?: string) =>
  renderHostBlock({
    workspace,
    proxyCommand: ["/usr/bin/devaipod", "ssh-proxy", workspace],
    knownHostsFile: "/s/known_hosts",
    ...(user ? { user } : {}),
  });

async function ssh(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command("ssh", {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("ssh_config: a workspace's host alias is NAME.devaipod", () => {
  assertEquals(hostAlias("web-1"), "web-1.devaipod");
});

Deno.test("ssh_config: the block names the host, proxy, user, known_hosts and one key alias", () => {
  assertEquals(
    block("web", "dev"),
    [
      "# devaipod: web (managed by devaipod; `devaipod delete` removes it)",
      "Host web.devaipod",
      "  HostName web.devaipod",
      "  ProxyCommand /usr/bin/devaipod ssh-proxy web",
      "  User dev",
      "  UserKnownHostsFile /s/known_hosts",
      "  StrictHostKeyChecking yes",
      `  HostKeyAlias ${HOST_KEY_ALIAS}`,
      "# end devaipod: web",
      "",
    ].join("\n"),
  );
});

Deno.test("ssh_config: without a remote user the block has no User line", () => {
  assert(!/^\s*User /m.test(block("web")));
});

Deno.test("ssh_config: ProxyCommand words are shell-quoted and % is doubled", () => {
  assertEquals(
    proxyCommandValue(["/opt/my deno/deno", "100%", "it's", "a\\b", "=x", "--allow-run=a,b"]),
    `'/opt/my deno/deno' '100%%' 'it'\\''s' 'a'\\\\'b' '=x' --allow-run=a,b`,
  );
  assertEquals(proxyCommandValue([""]), "''");
  assertThrows(() => proxyCommandValue(["a\nb"]), FailedError);
});

Deno.test("ssh_config: paths with spaces are double-quoted and % doubled; unusable ones refused", () => {
  const b = renderHostBlock({
    workspace: "w",
    proxyCommand: ["x"],
    knownHostsFile: "/home/a b/100%/known_hosts",
  });
  assertMatch(b, /^ {2}UserKnownHostsFile "\/home\/a b\/100%%\/known_hosts"$/m);
  assertThrows(
    () => renderHostBlock({ workspace: "w", proxyCommand: ["x"], knownHostsFile: '/a"b' }),
    FailedError,
  );
  assertThrows(
    () => renderHostBlock({ workspace: "w", proxyCommand: ["x"], knownHostsFile: "/a\nb" }),
    FailedError,
  );
});

Deno.test("ssh_config: OpenSSH reads the block back as written (ssh -G)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "devaipod ssh %x " });
  try {
    const file = join(dir, "config");
    const known = join(dir, "state 100%", "known_hosts");
    await Deno.writeTextFile(
      file,
      renderHostBlock({
        workspace: "web",
        proxyCommand: ["x"],
        user: "dev",
        knownHostsFile: known,
      }),
    );
    const out = await ssh(["-G", "-F", file, "web.devaipod"]);
    assertEquals(out.code, 0, out.stderr);
    const lines = out.stdout.split("\n");
    assert(lines.includes(`userknownhostsfile ${known}`), out.stdout);
    assert(lines.includes("user dev"));
    assert(lines.includes(`hostkeyalias ${HOST_KEY_ALIAS}`));
    assert(lines.includes("stricthostkeychecking true"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function shellExists(shell: string): Promise<boolean> {
  try {
    await new Deno.Command(shell, { args: ["-c", "true"], stdout: "null", stderr: "null" })
      .output();
    return true;
  } catch {
    return false;
  }
}

Deno.test("ssh_config: ssh runs the ProxyCommand with each word intact, in sh, bash, zsh and fish", async () => {
  const words = [
    "a b",
    "it's",
    "back\\slash",
    "\\'",
    "100%",
    "%h",
    "$HOME",
    "`x`",
    "*",
    "~",
    "=eq",
    "{a,b}",
    "(x)",
    "#hash",
    "!bang",
    "tab\there",
    "",
  ];
  const dir = await Deno.makeTempDir({ prefix: "devaipod ssh %p " });
  try {
    let tried = 0;
    for (const shell of ["/bin/sh", "bash", "zsh", "fish"]) {
      if (!(await shellExists(shell))) continue;
      tried++;
      const out = join(dir, `${shell.replaceAll("/", "_")} out`);
      const file = join(dir, "config");
      await Deno.writeTextFile(
        file,
        renderHostBlock({
          workspace: "w",
          // Writes its arguments, one per line, then exits (ssh then fails: no server).
          proxyCommand: ["/bin/sh", "-c", 'printf "%s\\n" "$@" > "$0"', out, ...words],
          knownHostsFile: join(dir, "known_hosts"),
        }),
      );
      const shellPath = shell.startsWith("/") ? shell : await which(shell);
      await ssh(["-F", file, "-o", "BatchMode=yes", "w.devaipod", "true"], {
        SHELL: shellPath,
        PATH: Deno.env.get("PATH") ?? "",
        HOME: dir,
      });
      assertEquals(await Deno.readTextFile(out), words.map((w) => `${w}\n`).join(""), shell);
    }
    assert(tried > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function which(program: string): Promise<string> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if ((await Deno.stat(`${dir}/${program}`)).isFile) return `${dir}/${program}`;
    } catch {
      // not here
    }
  }
  throw new Error(`${program} not on PATH`);
}

Deno.test("ssh_config: upserting twice replaces the block instead of adding one", () => {
  const once = upsertBlockText("", "web", block("web", "dev"));
  const twice = upsertBlockText(once, "web", block("web", "root"));
  assertEquals(twice, block("web", "root"));
  assertEquals(upsertBlockText(twice, "web", block("web", "root")), twice);
});

Deno.test("ssh_config: two workspaces coexist, and replacing one keeps the other", () => {
  const both = upsertBlockText(upsertBlockText("", "a", block("a")), "b", block("b"));
  assertEquals(both, `${block("a")}\n${block("b")}`);
  const replaced = upsertBlockText(both, "a", block("a", "dev"));
  assertEquals(replaced, `${block("a", "dev")}\n${block("b")}`);
});

Deno.test("ssh_config: foreign text around the blocks is kept byte for byte", () => {
  const foreign = "# mine\nHost other\n  User me\n";
  const text = upsertBlockText(foreign, "a", block("a"));
  assertEquals(text, `${foreign}\n${block("a")}`);
  const withTail = `${text}# tail\n`;
  const updated = upsertBlockText(withTail, "a", block("a", "dev"));
  assertEquals(updated, `${foreign}\n${block("a", "dev")}# tail\n`);
  assertEquals(removeBlockText(updated, "a"), `${foreign}# tail\n`);
});

Deno.test("ssh_config: a workspace whose name prefixes another's is told apart", () => {
  const text = upsertBlockText(upsertBlockText("", "web", block("web")), "web-2", block("web-2"));
  assertEquals(removeBlockText(text, "web"), block("web-2"));
  assertEquals(removeBlockText(text, "web-2"), block("web"));
});

Deno.test("ssh_config: removal returns undefined when the workspace has no block", () => {
  assertEquals(removeBlockText(block("a"), "b"), undefined);
  assertEquals(removeBlockText("", "b"), undefined);
  assertEquals(removeBlockText(block("a"), "a"), "");
});

Deno.test("ssh_config: a block whose end line was deleted by hand ends at the blank line", () => {
  const broken = block("a").replace(`${blockEnd("a")}\n`, "");
  const text = `${broken}\nHost mine\n  User me\n`;
  assertEquals(removeBlockText(text, "a"), "Host mine\n  User me\n");
});

Deno.test("ssh_config: only a block of that workspace is accepted for upsert", () => {
  assertThrows(() => upsertBlockText("", "a", block("b")));
  assertThrows(() => upsertBlockText("", "a", `${blockBegin("a")}\n`));
});

Deno.test("ssh_config: the managed file is written 0600 in a 0700 folder; removal says whether it removed", async () => {
  const home = await Deno.makeTempDir();
  try {
    const file = join(home, ".ssh", "config.d", "devaipod");
    assertEquals(await removeHostBlock(file, "a"), false);
    assertEquals(await upsertHostBlock(file, "a", block("a")), "added");
    assertEquals(await upsertHostBlock(file, "b", block("b")), "added");
    assertEquals(await upsertHostBlock(file, "a", block("a")), "unchanged");
    assertEquals(await upsertHostBlock(file, "a", block("a", "dev")), "updated");
    assertEquals((await Deno.stat(file)).mode, 0o100600);
    assertEquals(((await Deno.stat(join(home, ".ssh", "config.d"))).mode ?? 0) & 0o777, 0o700);
    assertEquals(await removeHostBlock(file, "a"), true);
    assertEquals(await removeHostBlock(file, "a"), false);
    assertEquals(await Deno.readTextFile(file), block("b"));
    assertEquals([...Deno.readDirSync(join(home, ".ssh", "config.d"))].length, 1); // no temp files
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("ssh_config: config words follow OpenSSH quoting and comments", () => {
  assertEquals(configWords(`a "b c" 'd e' f\\ g # comment`), ["a", "b c", "d e", "f g"]);
  assertEquals(configWords("  "), []);
});

Deno.test("ssh_config: globs match within one path component", () => {
  assert(globMatches("/h/.ssh/config.d/*", "/h/.ssh/config.d/devaipod"));
  assert(globMatches("/h/.ssh/config.d/dev[a-z]ipod", "/h/.ssh/config.d/devaipod"));
  assert(globMatches("/h/.ssh/*/devaipod", "/h/.ssh/config.d/devaipod"));
  assert(!globMatches("/h/.ssh/*", "/h/.ssh/config.d/devaipod"));
  assert(!globMatches("/h/.ssh/config.d/devaipod?", "/h/.ssh/config.d/devaipod"));
});

Deno.test("ssh_config: which ~/.ssh/config texts include the managed file", () => {
  const home = "/home/u";
  const managed = "/home/u/.ssh/config.d/devaipod";
  const table: Array<[string, string, number | undefined]> = [
    ["Include config.d/devaipod\n", "top-level", 1],
    ["include config.d/*\n", "top-level", 1],
    ["INCLUDE=~/.ssh/config.d/devaipod\n", "top-level", 1],
    ["Include ~/.ssh/config.d/*\n", "top-level", 1],
    ["Include /home/u/.ssh/config.d/devaipod\n", "top-level", 1],
    ['Include "config.d/devaipod"\n', "top-level", 1],
    ["Include other config.d/devaipod # mine\n", "top-level", 1],
    ["  Include\tconfig.d/devaipod\n", "top-level", 1],
    ["Host *\n  Include config.d/devaipod\n", "top-level", 2],
    ["Match all\nInclude config.d/devaipod\n", "top-level", 2],
    ["Host x\n  User me\nInclude config.d/devaipod\n", "conditional", 3],
    ["Match host x\nInclude ~/.ssh/config.d/*\n", "conditional", 2],
    ["Host x\nInclude config.d/*\nHost *\nInclude config.d/devaipod\n", "top-level", 4],
    ["# Include config.d/devaipod\n", "missing", undefined],
    ["Include config.d/other\n", "missing", undefined],
    ["Include config.d\n", "missing", undefined],
    ["Include /etc/ssh/config.d/*\n", "missing", undefined],
    ["Include ~/config.d/devaipod\n", "missing", undefined],
    ["", "missing", undefined],
  ];
  for (const [text, status, line] of table) {
    assertEquals(
      includeStatus(text, managed, home),
      line === undefined ? { status } : { status, line },
      JSON.stringify(text),
    );
    assertEquals(configIncludes(text, managed, home), status === "top-level", text);
  }
});

Deno.test("ssh_config: known_hosts gets one line per alias, replaced when the key changes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "ssh", "known_hosts");
    await Deno.mkdir(join(dir, "ssh"));
    await Deno.writeTextFile(file, "other ssh-ed25519 AAAAother\n");
    assertEquals(
      await ensureKnownHost(file, "devaipod-bridge", "ssh-ed25519 AAAAone devaipod"),
      true,
    );
    assertEquals(
      await ensureKnownHost(file, "devaipod-bridge", "ssh-ed25519 AAAAone devaipod"),
      false,
    );
    assertEquals(
      await Deno.readTextFile(file),
      "other ssh-ed25519 AAAAother\ndevaipod-bridge ssh-ed25519 AAAAone\n",
    );
    assertEquals(await ensureKnownHost(file, "devaipod-bridge", "ssh-ed25519 AAAAtwo"), true);
    assertEquals(
      await Deno.readTextFile(file),
      "other ssh-ed25519 AAAAother\ndevaipod-bridge ssh-ed25519 AAAAtwo\n",
    );
    assertEquals((await Deno.stat(file)).mode, 0o100600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ssh_config: the ProxyCommand runs the binary itself when compiled", () => {
  assertEquals(
    proxyCommandArgv("web", {
      standalone: true,
      execPath: "/usr/local/bin/devaipod",
      mainModule: "file:///tmp/deno-compile-devaipod/main.ts",
    }),
    ["/usr/local/bin/devaipod", "ssh-proxy", "web"],
  );
  // A deno under another name still runs the sources: Deno.build.standalone decides.
  assertEquals(
    proxyCommandArgv("web", {
      standalone: false,
      execPath: "/opt/deno-2.9",
      mainModule: "file:///x/main.ts",
      permissionFlags: ["--allow-env"],
    }),
    ["/opt/deno-2.9", "run", "--quiet", "--allow-env", "/x/main.ts", "ssh-proxy", "web"],
  );
});

Deno.test("ssh_config: from source, deno runs main.ts with the devaipod task's permissions", () => {
  const argv = proxyCommandArgv("web", {
    standalone: false,
    execPath: "/home/u/.deno/bin/deno",
    mainModule: "file:///src/dev%20aipod/main.ts",
  });
  assertEquals(argv.slice(0, 3), ["/home/u/.deno/bin/deno", "run", "--quiet"]);
  assertEquals(argv.slice(-3), ["/src/dev aipod/main.ts", "ssh-proxy", "web"]);
  const flags = argv.slice(3, -3);
  assert(
    flags.length > 0 && flags.every((f) => f.startsWith("--allow-") || f.startsWith("--deny-")),
  );
  assert(flags.some((f) => /^--allow-run=.*\bpodman\b/.test(f)));
});

Deno.test("ssh_config: from a URL, deno runs the URL with the deno.json beside it as import map", () => {
  assertEquals(
    proxyCommandArgv("web", {
      standalone: false,
      execPath: "/usr/bin/deno",
      mainModule: "https://example.com/devaipod/main.ts",
      permissionFlags: ["--allow-all"],
    }),
    [
      "/usr/bin/deno",
      "run",
      "--quiet",
      "--allow-all",
      "--import-map=https://example.com/devaipod/deno.json",
      "https://example.com/devaipod/main.ts",
      "ssh-proxy",
      "web",
    ],
  );
});

Deno.test("ssh_config: the ssh client argv carries the settings as -o and quotes the command", () => {
  assertEquals(
    sshClientArgv({
      workspace: "web",
      proxyCommand: ["/bin/devaipod", "ssh-proxy", "web"],
      user: "dev",
      knownHostsFile: "/s/known hosts",
      tty: false,
      command: ["ls", "a b", "-l"],
    }),
    [
      "ssh",
      "-o",
      "HostName=web.devaipod",
      "-o",
      "ProxyCommand=/bin/devaipod ssh-proxy web",
      "-o",
      "User=dev",
      "-o",
      'UserKnownHostsFile="/s/known hosts"',
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `HostKeyAlias=${HOST_KEY_ALIAS}`,
      "-T",
      "--",
      "web.devaipod",
      "ls 'a b' -l",
    ],
  );
  const shell = sshClientArgv({
    workspace: "web",
    proxyCommand: ["x"],
    knownHostsFile: "/k",
    tty: true,
    command: [],
  });
  assertEquals(shell.slice(-3), ["-t", "--", "web.devaipod"]);
  assert(!shell.some((a) => a.startsWith("User=")));
});

Deno.test("ssh_config: a user config named with --config goes to the bridge too", () => {
  assertEquals(
    proxyCommandArgv("web", {
      standalone: true,
      execPath: "/usr/local/bin/devaipod",
      mainModule: "file:///x/main.ts",
    }, "/home/u/my devaipod.toml"),
    ["/usr/local/bin/devaipod", "--config", "/home/u/my devaipod.toml", "ssh-proxy", "web"],
  );
});
