/**
 * Building the tests' kube-apiserver and kube-scheduler (the version pinned in
 * tests/kube/apiserver/go.mod) and kwok (pinned in tests/kube/kwok/go.mod): each built with Go once
 * into `$XDG_CACHE_HOME/devaipod-test/kube/` (outside the repository) and reused while the pin is
 * the same. `deno task kube-apiserver` runs it; it starts nothing.
 */
import { join } from "node:path";

const MODULE_DIR = new URL("../kube/apiserver/", import.meta.url).pathname;
const KWOK_MODULE_DIR = new URL("../kube/kwok/", import.meta.url).pathname;

/** kwok's stages (node and pod lifecycles), passed to kwok with `-c`: a bare kwok has none. */
export const kwokStagesFile: string = join(KWOK_MODULE_DIR, "stages.yaml");

/** The pinned Kubernetes version, from the helper module's go.mod. */
export function kubeVersion(): string {
  const mod = Deno.readTextFileSync(join(MODULE_DIR, "go.mod"));
  const m = /^require k8s\.io\/kubernetes (v[0-9.]+)$/m.exec(mod);
  if (!m?.[1]) throw new Error("tests/kube/apiserver/go.mod does not pin k8s.io/kubernetes");
  return m[1];
}

/** The pinned kwok version, from its helper module's go.mod. */
export function kwokVersion(): string {
  const mod = Deno.readTextFileSync(join(KWOK_MODULE_DIR, "go.mod"));
  const m = /^require sigs\.k8s\.io\/kwok (v[0-9.]+)$/m.exec(mod);
  if (!m?.[1]) throw new Error("tests/kube/kwok/go.mod does not pin sigs.k8s.io/kwok");
  return m[1];
}

function cachePath(name: string): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const cache = xdg && xdg.startsWith("/") ? xdg : `${Deno.env.get("HOME")}/.cache`;
  return join(cache, "devaipod-test", "kube", name);
}

/** Where the built kube-apiserver lives (outside the repository). */
export function apiserverPath(): string {
  return cachePath(`kube-apiserver-${kubeVersion()}`);
}

/** Where the built kube-scheduler lives (outside the repository). */
export function schedulerPath(): string {
  return cachePath(`kube-scheduler-${kubeVersion()}`);
}

/** Where the built kwok lives (outside the repository). */
export function kwokPath(): string {
  return cachePath(`kwok-${kwokVersion()}`);
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The `go` program: on PATH, else the toolchain at /usr/local/go. */
export function goProgram(): string | undefined {
  for (const dir of [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/local/go/bin"]) {
    if (dir && exists(`${dir}/go`)) return `${dir}/go`;
  }
  return undefined;
}

/** `go build` of `pkg` in `moduleDir` into `out` unless it is there; returns `out`. */
async function goBuild(
  what: string,
  moduleDir: string,
  pkg: string,
  out: string,
  log: (line: string) => void,
): Promise<string> {
  if (exists(out)) return out;
  const go = goProgram();
  if (!go) throw new Error("no Go toolchain (go on PATH or /usr/local/go/bin/go)");
  log(`building ${what} (a few minutes, once) …`);
  const started = performance.now();
  await Deno.mkdir(join(out, ".."), { recursive: true });
  const tmp = `${out}.tmp`;
  const r = await new Deno.Command(go, {
    args: ["build", "-trimpath", "-ldflags", "-s -w", "-o", tmp, pkg],
    cwd: moduleDir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (r.code !== 0) {
    const tail = new TextDecoder().decode(r.stderr).trim().split("\n").slice(-10).join("\n  ");
    throw new Error(`go build of ${what} failed (exit ${r.code}):\n  ${tail}`);
  }
  await Deno.rename(tmp, out);
  log(`built ${what} in ${Math.round((performance.now() - started) / 1000)}s`);
  return out;
}

/**
 * Builds the pinned kube-apiserver into the cache unless it is there; returns its path. A cold
 * build takes 3–5 minutes on 2 cores.
 */
export function buildApiserver(log: (line: string) => void): Promise<string> {
  return goBuild(
    `kube-apiserver ${kubeVersion()}`,
    MODULE_DIR,
    "k8s.io/kubernetes/cmd/kube-apiserver",
    apiserverPath(),
    log,
  );
}

/**
 * Builds the pinned kube-scheduler into the cache unless it is there; returns its path. About a
 * minute on 2 cores after kube-apiserver (they share most packages).
 */
export function buildScheduler(log: (line: string) => void): Promise<string> {
  return goBuild(
    `kube-scheduler ${kubeVersion()}`,
    MODULE_DIR,
    "k8s.io/kubernetes/cmd/kube-scheduler",
    schedulerPath(),
    log,
  );
}

/**
 * Builds the pinned kwok into the cache unless it is there; returns its path. A cold build takes
 * ~4.5 minutes on 2 cores (it uses newer Kubernetes libraries than the API server's).
 */
export function buildKwok(log: (line: string) => void): Promise<string> {
  return goBuild(
    `kwok ${kwokVersion()}`,
    KWOK_MODULE_DIR,
    "sigs.k8s.io/kwok/cmd/kwok",
    kwokPath(),
    log,
  );
}
