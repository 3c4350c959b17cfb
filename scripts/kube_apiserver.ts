/**
 * `deno task kube-apiserver`: builds the pinned kube-apiserver for the tests into the cache
 * (outside the repository) unless it is there. Without Go it prints why and exits 0, so `deno task
 * test` still runs on a laptop (the Kubernetes tests then skip, saying why); with `CI=true` that
 * exits 1.
 */
import { apiserverPath, buildApiserver } from "../tests/support/kube_build.ts";

const log = (line: string) => console.error(`kube-apiserver: ${line}`);
try {
  const path = await buildApiserver(log);
  log(`${path} is ready`);
} catch (err) {
  log(`cannot build ${apiserverPath()}: ${(err as Error).message}`);
  if (Deno.env.get("CI") === "true") Deno.exit(1);
  log("continuing without it: the Kubernetes tests will skip (CI=true makes this fatal)");
}
