/**
 * The test Features (tests/fixtures/features) published to a real registry on loopback by the
 * reference CLI, and projects that use them.
 */
import { join } from "node:path";
import { publishFeatures } from "./oracle.ts";
import { startRegistry } from "./registry.ts";
import type { TestRegistry } from "./registry.ts";
import { commitAll } from "./workspaces.ts";

const FIXTURES = new URL("../fixtures/features/", import.meta.url).pathname;

/** A registry holding the test Features. */
export interface FeatureRegistry {
  registry: TestRegistry;
  /** `localhost:PORT/devaipod-test/features` (the reference speaks plain HTTP to `localhost`). */
  collection: string;
  /** A git project from tests/fixtures/features/project over `image`, with `features` if given. */
  project(image: string, features?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

async function copyTree(from: string, to: string, fill: (text: string) => string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory) await copyTree(src, dst, fill);
    else {
      const mode = (await Deno.stat(src)).mode ?? 0o644;
      await Deno.writeTextFile(dst, fill(await Deno.readTextFile(src)), { mode });
      await Deno.chmod(dst, mode & 0o777);
    }
  }
}

/** Starts a registry and publishes every Feature of tests/fixtures/features/src to it. */
export async function startFeatureRegistry(): Promise<FeatureRegistry> {
  const registry = await startRegistry();
  const port = registry.address.split(":")[1];
  const collection = `localhost:${port}/devaipod-test/features`;
  const dirs: string[] = [];
  const src = await Deno.makeTempDir({ prefix: "devaipod-features-" });
  dirs.push(src);
  try {
    await copyTree(join(FIXTURES, "src"), src, (t) => t.replaceAll("{{COLLECTION}}", collection));
    await publishFeatures(`localhost:${port}`, "devaipod-test/features", src);
  } catch (err) {
    await registry.close();
    throw err;
  }
  return {
    registry,
    collection,
    project: async (image, features) => {
      const dir = await Deno.makeTempDir({ prefix: "devaipod-project-" });
      dirs.push(dir);
      await copyTree(
        join(FIXTURES, "project"),
        dir,
        (t) => t.replaceAll("{{COLLECTION}}", collection).replaceAll("{{IMAGE}}", image),
      );
      if (features) {
        const file = join(dir, ".devcontainer", "devcontainer.json");
        const config = { image, features, postCreateCommand: "true" };
        await Deno.writeTextFile(file, JSON.stringify(config, null, 2));
      }
      await commitAll(dir);
      return dir;
    },
    close: async () => {
      await registry.close().catch(() => {});
      for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
    },
  };
}
