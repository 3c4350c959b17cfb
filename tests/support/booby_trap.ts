/**
 * A booby-trapped agent clone, for the tests of the safe reader (`diff`, `fetch`, `status`): every
 * way git could run the agent's code or read through its links, each writing its own marker file
 * if it ever acts. The same scripts run on the host (unit test) and inside the containers
 * (integration test), so both check the same traps.
 */

/**
 * Plants the traps in the clone at `$1` (its branch committed, its work tree as the agent left
 * it); `$2` is the marker folder every trap writes into (one file per trap), `$3` the folder of
 * the read detectors that the clone's links point at (see {@link DETECTOR_SCRIPT}). Run as the
 * agent, last: the traps would fire on the agent's own git commands.
 *
 * The traps: hooks (in `.git/hooks` and in a `core.hooksPath` folder), `core.fsmonitor`,
 * `uploadpack.packObjectsHook`, `core.alternateRefsCommand`, filter drivers (`.gitattributes` +
 * clean, smudge, process, required), diff drivers (`textconv`, `command`, `diff.external`),
 * merge drivers, `core.sshCommand`, `core.pager` and `pager.*`, `core.editor`,
 * `credential.helper`, `gpg.program` with `log.showSignature`, `core.askPass`, `core.gitProxy`, an
 * `ext::` remote; a nested repository (a committed submodule and an untracked
 * one) with its own `core.fsmonitor` and hooks; links out of the tree in `.git/objects` (a pack,
 * its index, a loose object, the alternates file of an alternate), in `refs` (the branch's loose
 * ref, whose real value sits in `packed-refs`) and in the work tree (tracked, replacing a
 * tracked file, untracked); a FIFO replacing a tracked file and FIFOs in `.git/objects`.
 */
export const PLANT_TRAPS_SCRIPT = String.raw`set -eu
R=$1 M=$2 D=$3
cd "$R"
# The branch's real value goes to packed-refs (before any trap is set: git runs here).
branch=$(git symbolic-ref HEAD)
git pack-refs --all
t() { printf 'mkdir -p %s && : >%s/%s' "$M" "$M" "$1"; }
hook() { printf '#!/bin/sh\n%s\ncat >/dev/null 2>&1 || :\n' "$(t "$2")" >"$1"; chmod +x "$1"; }
HOOKS="applypatch-msg pre-applypatch post-applypatch pre-commit pre-merge-commit prepare-commit-msg
  commit-msg post-commit pre-rebase post-checkout post-merge pre-push pre-receive update
  proc-receive post-receive post-update reference-transaction push-to-checkout pre-auto-gc
  post-rewrite sendemail-validate fsmonitor-watchman p4-changelist p4-prepare-changelist
  p4-post-changelist p4-pre-submit post-index-change"
mkdir -p .git/hooks .git/evil-hooks
for h in $HOOKS; do
  hook ".git/hooks/$h" "hook-$h"
  hook ".git/evil-hooks/$h" "hookspath-$h"
done
c() { git config "$@"; }
c core.fsmonitor "$(t fsmonitor)"
c core.hooksPath .git/evil-hooks
c uploadpack.packObjectsHook "$(t packObjectsHook)"
c core.alternateRefsCommand "$(t alternateRefsCommand)"
c filter.trap.clean "$(t filter-clean)"
c filter.trap.smudge "$(t filter-smudge)"
c filter.trap.process "$(t filter-process)"
c filter.trap.required true
c diff.trap.textconv "$(t diff-textconv)"
c diff.trap.command "$(t diff-command)"
c diff.external "$(t diff-external)"
c merge.trap.driver "$(t merge-driver)"
c core.sshCommand "$(t sshCommand)"
c core.pager "$(t core-pager)"
c pager.diff "$(t pager-diff)"
c pager.log "$(t pager-log)"
c core.editor "$(t editor)"
c sequence.editor "$(t sequence-editor)"
c credential.helper "!$(t credential-helper)"
c gpg.program "$(t gpg-program)"
c log.showSignature true
c core.askPass "$(t askPass)"
c core.gitProxy "$(t gitProxy)"
c protocol.allow always
c remote.trap.url "ext::sh -c $(t ext-remote)"
printf '* filter=trap diff=trap merge=trap\n' >.gitattributes
mkdir -p .git/info
printf '* filter=trap diff=trap\n' >.git/info/attributes
# A nested repository, untracked, with traps of its own.
for n in nested sub; do
  [ -d "$n/.git" ] || continue
  git -C "$n" config core.fsmonitor "$(t "$n-fsmonitor")"
  mkdir -p "$n/.git/hooks"
  for h in $HOOKS; do hook "$n/.git/hooks/$h" "$n-hook-$h"; done
done
# The branch's loose ref points out of the tree; its real value is in packed-refs.
mkdir -p ".git/$(dirname "$branch")"
ln -sf "$D/ref" ".git/$branch"
ln -s "$D/ref-other" .git/refs/heads/trap-other
# Links and FIFOs in .git/objects.
P=pack-0123456789abcdef0123456789abcdef01234567
ln -s "$D/objects-pack" ".git/objects/pack/$P.pack"
ln -s "$D/objects-idx" ".git/objects/pack/$P.idx"
mkdir -p .git/objects/fe
ln -s "$D/objects-loose" .git/objects/fe/dcba9876543210fedcba9876543210fedcba98
mkfifo .git/objects/pack/pack-fedcba9876543210fedcba9876543210fedcba98.pack
mkfifo .git/objects/fe/0123456789abcdef0123456789abcdef01234567
mkdir -p .git/objects/info
printf '%s\n' "$D/alternate" >.git/objects/info/alternates
# Links in the work tree: a new one, one replacing a tracked file; a FIFO replacing another.
ln -s "$D/worktree-untracked" untracked-link
rm -f replaced-by-link.txt
ln -s "$D/worktree-replaced" replaced-by-link.txt
rm -f replaced-by-fifo.txt
mkfifo replaced-by-fifo.txt
`;

/**
 * The read detectors, run where the reader runs (the workspace container, or the host in the
 * unit test): in `$1`, a FIFO for each link target of {@link PLANT_TRAPS_SCRIPT}, each with a
 * writer in the background that writes the marker `read-<name>` into `$2` the moment anything
 * opens the FIFO to read. `$3`, when given, is the agent's tree, whose FIFO gets a writer too (that
 * one must run where the tree is writable: the host, or the agent container).
 */
export const DETECTOR_SCRIPT = String.raw`set -eu
D=$1 M=$2 TREE=${"$"}{3-}
mkdir -p "$D/alternate/info" "$M"
watch() {
  # Opening a FIFO to write waits for a reader: the marker is written the moment one opens it.
  ( exec 3>"$1" && : >"$M/read-$2" && printf 'x\n' >&3 ) </dev/null >/dev/null 2>&1 &
}
for n in ref ref-other objects-pack objects-idx objects-loose worktree-untracked worktree-replaced; do
  mkfifo "$D/$n"
  watch "$D/$n" "$n"
done
mkfifo "$D/alternate/info/alternates"
watch "$D/alternate/info/alternates" alternates
if [ -n "$TREE" ]; then
  watch "$TREE/replaced-by-fifo.txt" tree-fifo
  watch "$TREE/.git/objects/pack/pack-fedcba9876543210fedcba9876543210fedcba98.pack" objects-fifo-pack
  watch "$TREE/.git/objects/fe/0123456789abcdef0123456789abcdef01234567" objects-fifo-loose
fi
`;

/**
 * Unblocks the detectors' writers once the test has looked (each FIFO read once, so every
 * writer exits): `$1` the detector folder, `$2` the agent's tree (or empty).
 */
export const DRAIN_SCRIPT = String.raw`D=$1 TREE=${"$"}{2-}
for f in "$D"/* "$D/alternate/info/alternates"; do [ -p "$f" ] && timeout 2 cat "$f" >/dev/null 2>&1; done
if [ -n "$TREE" ]; then
  for f in "$TREE/replaced-by-fifo.txt" \
    "$TREE/.git/objects/pack/pack-fedcba9876543210fedcba9876543210fedcba98.pack" \
    "$TREE/.git/objects/fe/0123456789abcdef0123456789abcdef01234567"; do
    [ -p "$f" ] && timeout 2 cat "$f" >/dev/null 2>&1
  done
fi
:
`;
