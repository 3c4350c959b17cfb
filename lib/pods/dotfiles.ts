/**
 * The user's dotfiles (`[dotfiles] url/script` in the user config), installed as the Dev
 * Container spec's dotfiles step: after postCreateCommand, before postStartCommand, in the
 * workspace (as its user) and in the agent (in its own HOME). The repository is cloned once on
 * the host — the agent may have no way out to the git host — and copied into `~/dotfiles` of each
 * container; then the install script runs there: `script` when set, else the first of the usual
 * names (install.sh, install, bootstrap.sh, …), else every top-level dotfile is linked into HOME.
 */
import { join } from "node:path";
import { FailedError } from "../errors.ts";
import type { LifecycleStep } from "../devcontainer/lifecycle.ts";
import { HOOK_NAMES } from "../devcontainer/schema.ts";
import { runProcess } from "../util/process.ts";
import { redactUrl } from "../sources/parse.ts";

/** Where the dotfiles go in each container, under its HOME. */
export const DOTFILES_DIR = "dotfiles";

/** Unpacks the tar stream on stdin into `~/dotfiles` (as the session's user). */
export const DOTFILES_UNPACK =
  `mkdir -p "$HOME/${DOTFILES_DIR}" && tar -xf - -C "$HOME/${DOTFILES_DIR}"`;

/**
 * Runs the install script named by `$1` (relative to `~/dotfiles`), or the first usual one, or
 * links the top-level dotfiles into HOME. The script name arrives as an argument: never parsed
 * by the shell.
 */
export const DOTFILES_INSTALL = [
  `cd "$HOME/${DOTFILES_DIR}" || exit 1`,
  'if [ -n "$1" ]; then [ -x "./$1" ] || chmod +x "./$1"; exec "./$1"; fi',
  "for f in install.sh install bootstrap.sh bootstrap script/bootstrap setup.sh setup script/setup; do",
  '  if [ -f "$f" ]; then [ -x "$f" ] || chmod +x "$f"; exec "./$f"; fi',
  "done",
  "for f in .[!.]* ..?*; do",
  '  [ -e "$f" ] || continue',
  '  case "$f" in .git|.gitignore|.gitmodules|.github) continue ;; esac',
  '  ln -sfn "$PWD/$f" "$HOME/$f"',
  "done",
].join("\n");

/** The user config's dotfiles settings. */
export interface DotfilesConfig {
  url: string;
  /** The install script, relative to the repository. */
  script?: string;
}

/** A clone of the dotfiles, as a tarball to copy into each container. */
export interface Dotfiles extends DotfilesConfig {
  tarball: Uint8Array;
  commit: string;
}

/** Clones the dotfiles repository (default branch, shallow) on the host and archives it. */
export async function fetchDotfiles(config: DotfilesConfig): Promise<Dotfiles> {
  if (config.url.startsWith("-")) {
    throw new FailedError(`[dotfiles] url: '${config.url}' is not a URL`);
  }
  const work = await Deno.makeTempDir({ prefix: "devaipod-dotfiles-" });
  try {
    const tree = join(work, "dotfiles");
    const clone = await runProcess("git", [
      "clone",
      "--quiet",
      "--depth",
      "1",
      "--",
      config.url,
      tree,
    ], { env: { GIT_TERMINAL_PROMPT: "0" } });
    if (clone.code !== 0) {
      throw new FailedError(
        `[dotfiles] url: cannot clone ${redactUrl(config.url)}: ${
          clone.stderr.trim().split("\n").at(-1)
        }`,
        { hint: "check the URL in the user config (and your git credentials for it)" },
      );
    }
    if (config.script !== undefined) {
      const path = join(tree, config.script);
      if (!(await Deno.stat(path).then((s) => s.isFile, () => false))) {
        throw new FailedError(
          `[dotfiles] script: ${config.script} is not a file in ${redactUrl(config.url)}`,
        );
      }
    }
    const commit = (await runProcess("git", ["-C", tree, "rev-parse", "HEAD"])).stdout.trim();
    // The copy goes into the agent too: its .git/config must not keep credentials of the URL.
    await runProcess("git", ["-C", tree, "remote", "set-url", "origin", redactUrl(config.url)]);
    const tarball = join(work, "dotfiles.tar");
    const tar = await runProcess("tar", ["-C", tree, "-cf", tarball, "."]);
    if (tar.code !== 0) throw new FailedError(`cannot archive the dotfiles: ${tar.stderr.trim()}`);
    return { ...config, tarball: await Deno.readFile(tarball), commit };
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** The install as a lifecycle step (it fails like a hook, with its output). */
export function dotfilesStep(script: string | undefined): LifecycleStep {
  return {
    hook: "postCreateCommand",
    origin: "dotfiles",
    command: {
      kind: "single",
      form: "exec",
      argv: ["/bin/sh", "-c", DOTFILES_INSTALL, "dotfiles", script ?? ""],
    },
  };
}

/** `steps` with the dotfiles step after the last postCreateCommand (before postStartCommand). */
export function withDotfilesStep(
  steps: readonly LifecycleStep[],
  script: string | undefined,
): LifecycleStep[] {
  const after = HOOK_NAMES.indexOf("postCreateCommand");
  const at = steps.findIndex((s) => HOOK_NAMES.indexOf(s.hook) > after);
  const out = [...steps];
  out.splice(at < 0 ? out.length : at, 0, dotfilesStep(script));
  return out;
}
