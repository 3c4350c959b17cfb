/**
 * A real Quadlet for the tests: Debian trixie's podman package carries `quadlet` (podman 5.4),
 * which runs on this Debian 12 host. The package is downloaded once with a private apt state
 * (its own sources list, lists and cache; the system's apt is left as it is), unpacked with
 * `dpkg -x` into a cache folder, and reused from there.
 *
 * Programs run through `/bin/sh`: the test task names programs in `--allow-run`, which Deno
 * resolves when it starts, before the binary exists in the cache.
 */

/** True when running in CI (`CI=true`): a missing Quadlet fails there instead of skipping. */
const CI = Deno.env.get("CI") === "true";

/** Where the unpacked package lives: `$XDG_CACHE_HOME/devaipod-test/quadlet/trixie`. */
export function quadletCacheDir(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const base = xdg && xdg.startsWith("/") ? xdg : `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${base}/devaipod-test/quadlet/trixie`;
}

/** The binary inside the unpacked package. */
const QUADLET_IN_PACKAGE = "usr/libexec/podman/quadlet";

/** What a program printed and returned. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `program args…` through `/bin/sh` with extra environment variables. */
export async function runVia(
  program: string,
  args: readonly string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<Output> {
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", 'exec "$0" "$@"', program, ...args],
    env,
    ...(cwd ? { cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The Debian mirror this host uses (the first `URIs:` of its sources), else deb.debian.org. */
async function mirror(): Promise<string> {
  const sources = await Deno.readTextFile("/etc/apt/sources.list.d/debian.sources").catch(() => "");
  return /^URIs:\s*(\S+)/m.exec(sources)?.[1] ?? "http://deb.debian.org/debian";
}

/** Downloads and unpacks trixie's podman into `dir` (through a temporary sibling). */
async function download(dir: string): Promise<void> {
  const script = `
set -eu
dir=$1 mirror=$2
mkdir -p "$(dirname "$dir")"
tmp=$(mktemp -d "$dir.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/deb"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" > "$tmp/sources.list"
set -- -qq -o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null \\
  -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o Dir::State::Status=/dev/null \\
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root
apt-get "$@" update
(cd "$tmp/deb" && apt-get "$@" download podman)
dpkg -x "$tmp"/deb/podman_*.deb "$tmp/root"
mv -T "$tmp/root" "$dir" 2>/dev/null || test -x "$dir/${QUADLET_IN_PACKAGE}"
`;
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", script, "sh", dir, await mirror()],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    const tail = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n  ");
    throw new Error(`downloading trixie's podman failed (exit ${out.code}):\n  ${tail}`);
  }
}

/** The Quadlet binary and its version, or why there is none. */
export type QuadletBinary = { path: string; version: string } | { unavailable: string };

/** Finds the cached Quadlet, downloading it the first time. */
export async function obtainQuadlet(): Promise<QuadletBinary> {
  const dir = quadletCacheDir();
  const path = `${dir}/${QUADLET_IN_PACKAGE}`;
  try {
    const cached = await Deno.stat(path).then(() => true, () => false);
    if (!cached) await download(dir);
    const v = await runVia(path, ["-version"]);
    if (v.code !== 0) return { unavailable: `${path} -version failed: ${v.stderr.trim()}` };
    return { path, version: v.stdout.trim() };
  } catch (err) {
    return { unavailable: (err as Error).message };
  }
}

/** The Quadlet of this test module (obtained once), or why there is none. */
export const quadlet: QuadletBinary = await obtainQuadlet();

let warned = false;

/** Registers a test that needs Quadlet: skipped with the reason here, failing in CI. */
export function quadletTest(
  name: string,
  fn: (bin: { path: string; version: string }) => Promise<void>,
): void {
  const unavailable = "unavailable" in quadlet ? quadlet.unavailable : undefined;
  if (unavailable !== undefined && !CI && !warned) {
    warned = true;
    console.error(`skipping Quadlet tests: ${unavailable}`);
  }
  Deno.test({
    name,
    ignore: unavailable !== undefined && !CI,
    fn: async () => {
      if ("unavailable" in quadlet) {
        throw new Error(`Quadlet is unavailable: ${quadlet.unavailable}`);
      }
      await fn(quadlet);
    },
  });
}
