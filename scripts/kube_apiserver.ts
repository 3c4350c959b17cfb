/**
 * `deno task kube-apiserver`: builds the tests' Kubernetes parts into the cache (outside the
 * repository) unless they are there: the pinned kube-apiserver and kube-scheduler, and kwok (the
 * fake nodes' kubelet). Without Go it prints why and exits 0, so `deno task test` still runs on a
 * laptop (the Kubernetes tests then skip, saying why); with `CI=true` that exits 1.
 */
import { buildApiserver, buildKwok, buildScheduler } from "../tests/support/kube_build.ts";

const log = (line: string) => console.error(`kube-apiserver: ${line}`);
try {
  for (const build of [buildApiserver, buildScheduler, buildKwok]) {
    log(`${await build(log)} is ready`);
  }
} catch (err) {
  log(`cannot build the tests' Kubernetes parts: ${(err as Error).message}`);
  if (Deno.env.get("CI") === "true") Deno.exit(1);
  log("continuing without them: the Kubernetes tests will skip (CI=true makes this fatal)");
}
