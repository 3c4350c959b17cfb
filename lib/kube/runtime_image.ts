/**
 * devaipod's runtime image: what a cluster's nodes need to run devaipod's side of a workspace,
 * without this host's files. It holds, under /opt/devaipod as the containers see it, the Deno
 * and devaipod's container programs (or the compiled devaipod), the injected agent binary and
 * the shims' folder, plus the dynamic loader and libraries that Deno needs, so it runs with no
 * base image. Each Pod's init container copies what the Pod mounts out of it (lib/kube/render.ts).
 *
 * Built from no base (`FROM scratch`) with this host's podman, tagged by what went in, and
 * pushed to the user's registry, where the Pods name it by digest.
 */
import { dirname, join } from "node:path";
import { FailedError, UsageError } from "../errors.ts";
import { LABELS } from "../labels.ts";
import { AGENT_BIN, RUNTIME_PATHS, SHIMS_DIR } from "../plan/pod_plan.ts";
import type { ProxyRuntime } from "../plan/pod_plan.ts";
import * as p from "../podman/mod.ts";
import { RUNTIME_FILES } from "../runtime_files.ts";
import { ElfFormatError, libraryDirs, sharedLibraries } from "../util/elf.ts";
import type { PlacedFile } from "../util/elf.ts";
import { sha256Hex } from "../util/hash.ts";
import { RUNTIME_PLACEHOLDERS } from "./render.ts";
import { VERSION } from "../version.ts";

/** The image's repository name, in the local store and under the user's registry. */
export const RUNTIME_IMAGE_REPOSITORY = "devaipod-runtime";

/** What goes into the image. */
export interface RuntimeImageInput {
  /** devaipod's code: Deno and the sources, or the compiled binary (as containers mount it). */
  runtime: ProxyRuntime;
  /** The injected agent binary; absent when the projects use their image's own agent. */
  agentBinary?: string;
  /** The machine the image is for: this host's (the binaries in it are this host's). */
  arch: "x86_64" | "aarch64";
}

/**
 * The files of the image, each at its path in the image: devaipod's runtime, the agent, and the
 * loader and libraries the runtime program needs (found on this host).
 */
export async function runtimeImageFiles(input: RuntimeImageInput): Promise<PlacedFile[]> {
  const runtime = input.runtime;
  const program = runtime.kind === "deno" ? runtime.deno : runtime.binary;
  const files: PlacedFile[] = runtime.kind === "deno"
    ? [
      { source: await Deno.realPath(runtime.deno), target: RUNTIME_PATHS.deno },
      ...RUNTIME_FILES.map((f) => ({
        source: join(runtime.sources, f.path),
        target: `${RUNTIME_PATHS.sources}/${f.path}`,
      })),
    ]
    : [{ source: await Deno.realPath(runtime.binary), target: RUNTIME_PATHS.binary }];
  if (input.agentBinary) {
    files.push({ source: await Deno.realPath(input.agentBinary), target: AGENT_BIN });
  }
  try {
    files.push(...await sharedLibraries(program, libraryDirs(input.arch)));
  } catch (err) {
    if (!(err instanceof ElfFormatError)) throw err;
    throw new FailedError(`cannot build the runtime image: ${err.message}`, {
      hint:
        "the image carries this host's Deno with its libraries; run devaipod from a glibc Linux",
    });
  }
  return files;
}

/**
 * The tag of an image of `files`: devaipod's version and a digest of each file's path in the
 * image, size and modification time (a changed file makes a new tag; nothing is read whole).
 */
export async function runtimeImageTag(files: readonly PlacedFile[]): Promise<string> {
  const lines = await Promise.all(files.map(async (f) => {
    const info = await Deno.stat(f.source);
    return `${f.target}\t${info.size}\t${info.mtime?.getTime() ?? 0}\t${f.source}\n`;
  }));
  // The folders and empty files every image has are part of what it is.
  const layout = [SHIMS_DIR, ...RUNTIME_PLACEHOLDERS].map((p) => `${p}\n`);
  return `${VERSION}-${(await sha256Hex([...lines.sort(), ...layout].join(""))).slice(0, 16)}`;
}

/** The local reference of the image for `tag`. */
export function localRuntimeRef(tag: string): string {
  return `localhost/${RUNTIME_IMAGE_REPOSITORY}:${tag}`;
}

const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/**
 * `registry` checked as a place to push to: a host (with a port) and an optional path, such as
 * `registry.example.com/team`. A scheme, a tag or a digest is a {@link UsageError}.
 */
export function checkRegistry(registry: string, flag = "--registry"): string {
  const r = registry.replace(/\/+$/, "");
  if (!REGISTRY.test(r)) {
    throw new UsageError(
      `${flag} '${registry}': not a registry (a host[:port] and an optional path, lower case)`,
      { hint: "for example registry.example.com/team or 127.0.0.1:5000" },
    );
  }
  return r;
}

/** Options of {@link buildRuntimeImage}. */
export interface BuildRuntimeOptions {
  /** A folder for the build context (a fresh one inside it, removed afterwards). */
  scratchDir: string;
  /** A progress line. */
  log?: (line: string) => void;
}

/**
 * Builds the image of `input` into the local store unless an image of the same tag is there;
 * returns its local reference. Files are hard-linked into the build context where they can be,
 * else copied.
 */
export async function buildRuntimeImage(
  podman: p.Podman,
  input: RuntimeImageInput,
  options: BuildRuntimeOptions,
): Promise<string> {
  const files = await runtimeImageFiles(input);
  const ref = localRuntimeRef(await runtimeImageTag(files));
  if (await podman.run(p.imageExists(ref))) return ref;
  options.log?.(`building ${ref}`);
  await Deno.mkdir(options.scratchDir, { recursive: true });
  const work = await Deno.makeTempDir({ dir: options.scratchDir, prefix: "runtime-image-" });
  try {
    const context = join(work, "context");
    for (const f of files) {
      const to = join(context, f.target);
      await Deno.mkdir(dirname(to), { recursive: true });
      try {
        await Deno.link(f.source, to);
      } catch {
        await Deno.copyFile(f.source, to);
      }
    }
    await Deno.mkdir(join(context, SHIMS_DIR), { recursive: true });
    for (const placeholder of RUNTIME_PLACEHOLDERS) {
      await Deno.writeTextFile(join(context, placeholder), "");
    }
    const file = join(work, "Containerfile");
    await Deno.writeTextFile(file, "FROM scratch\nCOPY . /\n");
    await podman.run(p.imageBuild({
      tag: ref,
      file,
      context,
      pull: "never",
      labels: { [LABELS.version]: VERSION },
    }));
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  return ref;
}

/**
 * Pushes the local image `ref` to `registry` under its tag; returns the reference by digest
 * that the Pods name (`REGISTRY/devaipod-runtime@sha256:…`). Pushing what the registry already
 * holds sends no layer again.
 */
export async function pushRuntimeImage(
  podman: p.Podman,
  ref: string,
  registry: string,
  scratchDir: string,
): Promise<string> {
  const repo = `${checkRegistry(registry)}/${RUNTIME_IMAGE_REPOSITORY}`;
  const tag = ref.slice(ref.lastIndexOf(":") + 1);
  await Deno.mkdir(scratchDir, { recursive: true });
  const digestFile = await Deno.makeTempFile({ dir: scratchDir, prefix: "runtime-digest-" });
  try {
    await podman.run(p.imagePush(ref, `${repo}:${tag}`, digestFile));
    const digest = (await Deno.readTextFile(digestFile)).trim();
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new FailedError(`podman push wrote no digest for ${repo}:${tag} (got '${digest}')`);
    }
    return `${repo}@${digest}`;
  } finally {
    await Deno.remove(digestFile).catch(() => {});
  }
}
