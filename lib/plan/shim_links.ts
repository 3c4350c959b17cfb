/**
 * Links to the shims (`opencode-agent`, `oc`) in /usr/local/bin of the workspace container, so
 * that every shell finds them, login shells included.
 *
 * The container's PATH starts with the shims' folder, and a plain `sh -c` (hooks, `ssh HOST
 * CMD`, `exec`) keeps it. But a login shell resets PATH: the shell `ssh` and `exec` open
 * (`bash -l`), `sh -l`, an editor's `bash -lc`, `su -`. Debian's and Ubuntu's /etc/profile set a
 * fixed list, as do Alpine's, login.defs' ENV_PATH and sudo's secure_path. /usr/local/bin is on
 * every one of those lists (zsh and fish keep the PATH they are given, or fall back to a list
 * that holds it). A file in /etc/profile.d would reach only the shells that read /etc/profile
 * (not zsh, fish or sudo), and a PATH set in remoteEnv or the user's dotfiles would still have
 * to name the shims' folder. Links in /usr/local/bin need nothing of the user.
 *
 * The links are made as root and never replace a file the image has there: in login shells that
 * name then runs the image's own program. They live in the container's layer: `up` makes them in
 * each new container (`rebuild` too), and `start` makes any that are missing again.
 */
import { SHIMS_DIR } from "./pod_plan.ts";

/** Where the links to the shims go: a folder every default PATH holds. */
export const SHIM_LINK_DIR = "/usr/local/bin";

/**
 * Links each file of `$1` (the shims' folder) into `$2` unless `$2` already has that name;
 * prints each name left alone because something else is there. A link that is there already is
 * kept as it is. Exits non-zero when a link cannot be made, and when `$2` is a symbolic link:
 * as root, following it would write wherever the image points it.
 */
export const LINK_SHIMS = [
  'if [ -L "$2" ]; then echo "cannot link into $2: it is a symbolic link" >&2; exit 1; fi',
  'for f in "$1"/*; do',
  '  [ -f "$f" ] || continue',
  '  n=${f##*/}; l="$2/$n"',
  '  if [ -L "$l" ] && [ "$(readlink "$l")" = "$f" ]; then continue; fi',
  '  if [ -e "$l" ] || [ -L "$l" ]; then echo "$n"; continue; fi',
  '  mkdir -p "$2" && ln -sn "$f" "$l" || exit 1',
  "done",
].join("\n");

/** The command that links the shims into {@link SHIM_LINK_DIR}; it runs as root in the workspace. */
export function linkShimsCommand(
  shimsDir: string = SHIMS_DIR,
  linkDir: string = SHIM_LINK_DIR,
): string[] {
  return ["/bin/sh", "-c", LINK_SHIMS, "devaipod-link-shims", shimsDir, linkDir];
}
