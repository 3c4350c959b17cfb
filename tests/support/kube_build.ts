/**
 * Building the tests' kube-apiserver: the version pinned in tests/kube/apiserver/go.mod, built
 * with Go once into `$XDG_CACHE_HOME/devaipod-test/kube/` (outside the repository) and reused while
 * the pin is the same. `deno task kube-apiserver` runs it; it starts nothing.
 */
import { join } from "node:path";

const MODULE_DIR = new URL("../kube/apiserver/", import.meta.url).pathname;

/** The pinned Kubernetes version, from the helper module's go.mod. */
export function kubeVersion(): string {
  const mod = Deno.readTextFileSync(join(MODULE_DIR, "go.mod"));
  const m = /^require k8s\.io\/kubernetes (v[0-9.]+)$/m.exec(mod);
  if (!m?.[1]) throw new Error("tests/kube/apiserver/go.mod does not pin k8s.io/kubernetes");
  return m[1];
}

/** Where the built kube-apiserver lives (outside the repository). */
export function apiserverPath(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const cache = xdg && xdg.startsWith("/") ? xdg : `${Deno.env.get("HOME")}/.cache`;
  return join(cache, "devaipod-test", "kube", `kube-apiserver-${kubeVersion()}`);
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

/**
 * Builds the pinned kube-apiserver into the cache unless it is there; returns its path. A cold
 * build takes 3–5 minutes on 2 cores.
 */
export async function buildApiserver(log: (line: string) => void): Promise<string> {
  const out = apiserverPath();
  if (exists(out)) return out;
  const go = goProgram();
  if (!go) throw new Error("no Go toolchain (go on PATH or /usr/local/go/bin/go)");
  log(`building kube-apiserver ${kubeVersion()} (a few minutes, once) …`);
  const started = performance.now();
  await Deno.mkdir(join(out, ".."), { recursive: true });
  const tmp = `${out}.tmp`;
  const r = await new Deno.Command(go, {
    args: [
      "build",
      "-trimpath",
      "-ldflags",
      "-s -w",
      "-o",
      tmp,
      "k8s.io/kubernetes/cmd/kube-apiserver",
    ],
    cwd: MODULE_DIR,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (r.code !== 0) {
    const tail = new TextDecoder().decode(r.stderr).trim().split("\n").slice(-10).join("\n  ");
    throw new Error(`go build of kube-apiserver failed (exit ${r.code}):\n  ${tail}`);
  }
  await Deno.rename(tmp, out);
  log(`built kube-apiserver in ${Math.round((performance.now() - started) / 1000)}s`);
  return out;
}
