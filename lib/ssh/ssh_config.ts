/**
 * OpenSSH client configuration for the SSH bridge: the `Host NAME.devaipod` block (pure), the
 * managed file `~/.ssh/config.d/devaipod` that holds one block per workspace, whether
 * `~/.ssh/config` includes it, and the bridge's known_hosts line.
 *
 * Every workspace's bridge presents the installation's one host key, so all blocks name the same
 * `HostKeyAlias` ({@link HOST_KEY_ALIAS}) and devaipod's own known_hosts file holds one line.
 */
import { dirname, join, normalize } from "node:path";
import { EnvironmentError, FailedError, shellQuote } from "../errors.ts";
import type { EnvReader } from "../podman/runner.ts";
import { selfArgv } from "../runtime.ts";
import type { RuntimeInfo } from "../runtime.ts";
import { readTextIfExists } from "../util/read_if_exists.ts";

/** The host name under which known_hosts holds the bridge's key, for every workspace. */
export const HOST_KEY_ALIAS = "devaipod-bridge";

/** The line to put at the top of `~/.ssh/config` (relative Includes start in `~/.ssh`). */
export const INCLUDE_LINE = "Include config.d/devaipod";

/** The ssh host name of a workspace: `NAME.devaipod`. */
export function hostAlias(workspace: string): string {
  return `${workspace}.devaipod`;
}

/** Where the user's ssh configuration lives (`$HOME/.ssh/…`). */
export interface SshConfigPaths {
  /** `~/.ssh/config`: devaipod reads it, never writes it. */
  userConfig: string;
  /** `~/.ssh/config.d/devaipod`: the blocks devaipod manages. */
  managed: string;
}

/** The ssh configuration paths under `$HOME`. */
export function sshConfigPaths(env: EnvReader): SshConfigPaths {
  const home = env.get("HOME");
  if (!home) {
    throw new EnvironmentError("cannot locate ~/.ssh: HOME is not set", { hint: "set HOME" });
  }
  return {
    userConfig: join(home, ".ssh", "config"),
    managed: join(home, ".ssh", "config.d", "devaipod"),
  };
}

/** The argv of the ProxyCommand: this devaipod (binary, or deno running its source) `ssh-proxy NAME`. */
export function proxyCommandArgv(
  workspace: string,
  runtime: RuntimeInfo,
  userConfig?: string,
): string[] {
  // The bridge reads the same user config (`[ssh] accept-env`) as the command that wrote this.
  return selfArgv(
    [...(userConfig ? ["--config", userConfig] : []), "ssh-proxy", workspace],
    runtime,
  );
}

function refuseLineBreaks(word: string, what: string): void {
  // deno-lint-ignore no-control-regex
  if (/[\n\r\x00]/.test(word)) {
    throw new FailedError(`cannot write ${what} into an ssh config: it holds a line break`, {
      hint: `${JSON.stringify(word)}: move it to a path without line breaks`,
    });
  }
}

/**
 * Quotes one word of a ProxyCommand. ssh runs it with the user's `$SHELL -c`, so the quoting
 * must mean the same to sh, bash, zsh and fish: single quotes around everything except `'` and
 * `\`, which go outside them backslash-escaped (fish reads `\\` and `\'` inside single quotes
 * differently from sh).
 */
export function quoteProxyWord(word: string): string {
  refuseLineBreaks(word, "the ProxyCommand");
  // Bare only when no shell reads anything into it (zsh expands a leading `=`).
  if (/^[A-Za-z0-9_@+:,./-][A-Za-z0-9_@+=:,./-]*$/.test(word)) return word;
  return word.split(/(['\\])/).filter((part) => part !== "").map((part) =>
    part === "'" || part === "\\" ? `\\${part}` : `'${part}'`
  ).join("") || "''";
}

/** The ProxyCommand value: words quoted for the shell, `%` doubled (ssh expands `%h` …). */
export function proxyCommandValue(argv: readonly string[]): string {
  return argv.map(quoteProxyWord).join(" ").replaceAll("%", "%%");
}

/**
 * A path as an ssh_config value: bare when it can be, else in double quotes; `%` doubled (ssh
 * expands `%d`, `%u` … in file options). Paths ssh cannot be told refuse.
 */
export function configPath(path: string): string {
  refuseLineBreaks(path, path);
  if (path.includes('"') || path.includes("${")) {
    throw new FailedError(`cannot write ${path} into an ssh config: it holds '"' or '\${'`, {
      hint: "set XDG_STATE_HOME to a plainer path",
    });
  }
  const escaped = path.replaceAll("%", "%%");
  return /^[^\s'#\\]+$/.test(escaped) ? escaped : `"${escaped}"`;
}

/** What one workspace's ssh settings are made of. */
export interface HostBlockInput {
  workspace: string;
  /** The ProxyCommand's argv ({@link proxyCommandArgv}). */
  proxyCommand: readonly string[];
  /** The workspace's remoteUser; ssh's default (the local user name) without one. */
  user?: string;
  /** devaipod's known_hosts file, which holds the bridge's host key. */
  knownHostsFile: string;
  /** devaipod's client key, offered after the user's own keys. */
  identityFile?: string;
}

/** The ssh options of a workspace, values encoded for ssh_config (and for `ssh -o K=V`). */
export function hostOptions(input: HostBlockInput): Array<[string, string]> {
  const alias = hostAlias(input.workspace);
  if (input.user !== undefined && !/^[A-Za-z0-9._][A-Za-z0-9._@-]*$/.test(input.user)) {
    throw new FailedError(`cannot use remote user '${input.user}' in an ssh config`);
  }
  return [
    ["HostName", alias],
    ["ProxyCommand", proxyCommandValue(input.proxyCommand)],
    ...(input.user !== undefined ? [["User", input.user] as [string, string]] : []),
    ["UserKnownHostsFile", configPath(input.knownHostsFile)],
    ["StrictHostKeyChecking", "yes"],
    ["HostKeyAlias", HOST_KEY_ALIAS],
    ...(input.identityFile !== undefined
      ? [["IdentityFile", configPath(input.identityFile)] as [string, string]]
      : []),
  ];
}

/** The first line of a workspace's block in the managed file. */
export function blockBegin(workspace: string): string {
  return `# devaipod: ${workspace} (managed by devaipod; \`devaipod delete\` removes it)`;
}

/** The last line of a workspace's block in the managed file. */
export function blockEnd(workspace: string): string {
  return `# end devaipod: ${workspace}`;
}

/** A workspace's `Host` block, between its begin and end comment lines, newline-terminated. */
export function renderHostBlock(input: HostBlockInput): string {
  return [
    blockBegin(input.workspace),
    `Host ${hostAlias(input.workspace)}`,
    ...hostOptions(input).map(([k, v]) => `  ${k} ${v}`),
    blockEnd(input.workspace),
    "",
  ].join("\n");
}

const BEGIN = /^# devaipod: (\S+)(?:\s|$)/;
const END = /^# end devaipod: (\S+)\s*$/;

/**
 * The line ranges (inclusive) of a workspace's blocks. A block whose end line was deleted by
 * hand ends before the next blank line or block.
 */
function blockRanges(lines: readonly string[], workspace: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < lines.length; i++) {
    if (BEGIN.exec(lines[i] ?? "")?.[1] !== workspace) continue;
    let end = lines.length - 1;
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j] ?? "";
      if (END.exec(line)?.[1] === workspace) {
        end = j;
        break;
      }
      if (line.trim() === "" || BEGIN.test(line)) {
        end = j - 1;
        break;
      }
    }
    ranges.push([i, end]);
    i = end;
  }
  return ranges;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  return text.replace(/\n$/, "").split("\n");
}

function joinLines(lines: readonly string[]): string {
  return lines.length ? `${lines.join("\n")}\n` : "";
}

/** `text` with the workspace's block replaced by `block`, or `block` appended. */
export function upsertBlockText(text: string, workspace: string, block: string): string {
  const blockLines = splitLines(block);
  if (blockLines[0] !== blockBegin(workspace) || blockLines.at(-1) !== blockEnd(workspace)) {
    throw new Error(`not a devaipod block for ${workspace}`);
  }
  const lines = splitLines(text);
  const ranges = blockRanges(lines, workspace);
  const first = ranges[0];
  if (!first) {
    const gap = lines.length && lines.at(-1)?.trim() !== "" ? [""] : [];
    return joinLines([...lines, ...gap, ...blockLines]);
  }
  // The first copy is replaced in place; any later copies go.
  const out: string[] = [];
  let from = 0;
  for (const [start, end] of ranges) {
    out.push(...lines.slice(from, start));
    if (start === first[0]) out.push(...blockLines);
    from = end + 1;
  }
  out.push(...lines.slice(from));
  return joinLines(out);
}

/** `text` without the workspace's block (and the blank line that separated it), or undefined. */
export function removeBlockText(text: string, workspace: string): string | undefined {
  const lines = splitLines(text);
  const ranges = blockRanges(lines, workspace);
  if (!ranges.length) return undefined;
  const drop = new Set<number>();
  for (const [start, end] of ranges) {
    for (let i = start; i <= end; i++) drop.add(i);
    if (lines[end + 1]?.trim() === "") drop.add(end + 1);
    else if (start > 0 && lines[start - 1]?.trim() === "") drop.add(start - 1);
  }
  return joinLines(lines.filter((_, i) => !drop.has(i)));
}

/** Writes `text` to `file` (mode 0600; its folder 0700 when made) through a temporary file. */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(tmp, text, { mode: 0o600, createNew: true });
    await Deno.chmod(tmp, 0o600).catch(() => {}); // Windows has no modes
    await Deno.rename(tmp, file);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** What {@link upsertHostBlock} did. */
export type UpsertResult = "added" | "updated" | "unchanged";

/** Adds or replaces the workspace's block in the managed file; other text stays as it is. */
export async function upsertHostBlock(
  file: string,
  workspace: string,
  block: string,
): Promise<UpsertResult> {
  const before = await readTextIfExists(file) ?? "";
  const after = upsertBlockText(before, workspace, block);
  if (after === before) return "unchanged";
  await writePrivateFile(file, after);
  return blockRanges(splitLines(before), workspace).length ? "updated" : "added";
}

/** Removes the workspace's block from the managed file; false when it had none. */
export async function removeHostBlock(file: string, workspace: string): Promise<boolean> {
  const before = await readTextIfExists(file);
  if (before === undefined) return false;
  const after = removeBlockText(before, workspace);
  if (after === undefined) return false;
  await writePrivateFile(file, after);
  return true;
}

/**
 * Splits an ssh_config line's arguments as OpenSSH does: whitespace-separated, `"…"` and `'…'`
 * quoting, `\` escapes; an unquoted word starting with `#` ends the line.
 */
export function configWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] ?? "")) i++;
    if (i >= text.length || text[i] === "#") break;
    let word = "";
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i] ?? "";
      if (quote) {
        if (c === quote) quote = undefined;
        else if (c === "\\" && (text[i + 1] === quote || text[i + 1] === "\\")) word += text[++i];
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === "\\" && i + 1 < text.length) word += text[++i];
      else if (/\s/.test(c)) break;
      else word += c;
    }
    words.push(word);
  }
  return words;
}

/** Whether a glob(3) pattern (`*`, `?`, `[…]`; none crossing `/`) matches a path. */
export function globMatches(pattern: string, path: string): boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      const body = pattern.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\");
      re += `[${body}]`;
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  try {
    return new RegExp(`^${re}$`).test(path);
  } catch {
    return false;
  }
}

/** Where `~/.ssh/config` includes the managed file. */
export interface IncludeStatus {
  /**
   * `top-level`: before any `Host`/`Match` line (or under `Host *` / `Match all`), so ssh reads
   * it for every host; `conditional`: only under some other `Host`/`Match`, which ssh honours
   * only for hosts that match it; `missing`: no Include names it.
   */
  status: "top-level" | "conditional" | "missing";
  /** The 1-based line of the Include. */
  line?: number;
}

/**
 * Whether an ssh config text includes `managedFile` (an absolute path), and where. Relative
 * Include paths start in `~/.ssh` (`home`/.ssh); `~/` is `home`; globs are matched; keywords are
 * case-insensitive and may be followed by `=`; commented-out lines do not count.
 */
export function includeStatus(
  sshConfigText: string,
  managedFile: string,
  home: string,
): IncludeStatus {
  const target = normalize(managedFile);
  let conditional = false;
  let found: IncludeStatus = { status: "missing" };
  const lines = sshConfigText.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const m = /^\s*([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$/.exec(raw);
    if (!m || raw.trimStart().startsWith("#")) continue;
    const keyword = (m[1] ?? "").toLowerCase();
    const args = configWords(m[2] ?? "");
    if (keyword === "host") {
      conditional = !(args.length === 1 && args[0] === "*");
    } else if (keyword === "match") {
      conditional = !(args.length === 1 && args[0]?.toLowerCase() === "all");
    } else if (keyword === "include") {
      const hit = args.some((arg) => {
        const path = arg.startsWith("~/")
          ? join(home, arg.slice(2))
          : arg.startsWith("/")
          ? arg
          : join(home, ".ssh", arg);
        return globMatches(normalize(path), target);
      });
      if (!hit) continue;
      if (!conditional) return { status: "top-level", line: index + 1 };
      if (found.status === "missing") found = { status: "conditional", line: index + 1 };
    }
  }
  return found;
}

/** Whether an ssh config text includes `managedFile` where ssh reads it for every host. */
export function configIncludes(sshConfigText: string, managedFile: string, home: string): boolean {
  return includeStatus(sshConfigText, managedFile, home).status === "top-level";
}

/**
 * Makes `knownHostsFile` (mode 0600) hold `ALIAS TYPE BASE64` for `publicKey` (a
 * `TYPE BASE64 [comment]` line), replacing other keys of that alias. Returns whether it wrote.
 */
export async function ensureKnownHost(
  knownHostsFile: string,
  alias: string,
  publicKey: string,
): Promise<boolean> {
  const [type, blob] = publicKey.trim().split(/\s+/);
  if (!type || !blob) throw new Error(`not a public key line: ${publicKey}`);
  const wanted = `${alias} ${type} ${blob}`;
  const before = await readTextIfExists(knownHostsFile) ?? "";
  const lines = splitLines(before);
  const others = lines.filter((line) => {
    const hosts = line.trim().split(/\s+/)[0] ?? "";
    return !hosts.split(",").includes(alias);
  });
  if (others.length === lines.length - 1 && lines.includes(wanted)) return false;
  await writePrivateFile(knownHostsFile, joinLines([...others, wanted]));
  return true;
}

/** `ssh` argv that reaches a workspace through the bridge without any ssh config file entry. */
export function sshClientArgv(
  input: HostBlockInput & { program?: string; tty: boolean; command: readonly string[] },
): string[] {
  return [
    input.program ?? "ssh",
    ...hostOptions(input).flatMap(([k, v]) => ["-o", `${k}=${v}`]),
    input.tty ? "-t" : "-T",
    "--",
    hostAlias(input.workspace),
    // ssh joins the words with spaces for the remote shell: quoted, they arrive as they are.
    ...(input.command.length ? [input.command.map(shellQuote).join(" ")] : []),
  ];
}
