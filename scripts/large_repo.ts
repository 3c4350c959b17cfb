/**
 * `deno run --allow-run=git --allow-read --allow-write scripts/large_repo.ts DIR [--files N]
 * [--history-mb M] [--image IMAGE]`: makes a large git project for benchmarks: N files (10,000)
 * in 100 folders, and about M MB (50) of packed history from commits that each rewrite a few
 * hundred files, written by `git fast-import` in one go. The content is pseudo-random text from a
 * fixed seed (hardly compressible, the same every time), so runs compare. With `--image`, a
 * `.devcontainer/devcontainer.json` naming IMAGE makes it a project `up` can start.
 */
import { join } from "node:path";

/** What {@link makeLargeRepo} makes. */
export interface LargeRepoOptions {
  /** Files in the work tree (default 10,000). */
  files?: number;
  /** Megabytes of packed history to aim for (default 50). */
  historyMb?: number;
  /** The image of a devcontainer.json to add (none when absent). */
  image?: string;
}

/** What was made: the folder, its HEAD, and the sizes as git counts them. */
export interface LargeRepo {
  dir: string;
  head: string;
  files: number;
  commits: number;
  packMb: number;
}

/** A xorshift32 stream of base64-like text: deterministic and about 6 bits of entropy a byte. */
function textSource(seed: number): (bytes: number) => Uint8Array {
  const alphabet = new TextEncoder().encode(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
  );
  let x = seed >>> 0 || 1;
  return (bytes) => {
    const out = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      // A line break every 64 characters keeps it text.
      out[i] = i % 65 === 64 ? 10 : alphabet[x & 63] ?? 65;
    }
    return out;
  };
}

const encoder = new TextEncoder();

async function git(dir: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args: ["-C", dir, ...args], stdout: "piped" })
    .output();
  if (out.code !== 0) throw new Error(`git ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

/** Makes the repository in `dir` (created; must not exist or be empty). */
export async function makeLargeRepo(
  dir: string,
  options: LargeRepoOptions = {},
): Promise<LargeRepo> {
  const files = options.files ?? 10_000;
  const historyBytes = (options.historyMb ?? 50) * 1024 * 1024;
  await Deno.mkdir(dir, { recursive: true });
  await git(dir, "init", "-q", "-b", "main");
  const child = new Deno.Command("git", {
    args: ["-C", dir, "fast-import", "--quiet", "--date-format=raw"],
    stdin: "piped",
    stdout: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const next = textSource(0x5eed);
  const path = (i: number) =>
    `src/d${String(i % 100).padStart(2, "0")}/f${String(i).padStart(5, "0")}.txt`;
  let mark = 0;
  let written = 0;
  let commits = 0;
  const blob = async (bytes: number): Promise<number> => {
    const data = next(bytes);
    mark++;
    await writer.write(encoder.encode(`blob\nmark :${mark}\ndata ${data.length}\n`));
    await writer.write(data);
    await writer.write(encoder.encode("\n"));
    written += data.length;
    return mark;
  };
  const commit = async (changes: [string, number][], message: string): Promise<void> => {
    const when = 1_700_000_000 + commits * 60;
    const text = encoder.encode(message);
    await writer.write(encoder.encode(
      `commit refs/heads/main\nauthor Bench <bench@example.com> ${when} +0000\n` +
        `committer Bench <bench@example.com> ${when} +0000\ndata ${text.length}\n${message}\n` +
        changes.map(([p, m]) => `M 100644 :${m} ${p}\n`).join("") + "\n",
    ));
    commits++;
  };
  // The first commit: every file, about 1 KB each.
  const first: [string, number][] = [];
  for (let i = 0; i < files; i++) first.push([path(i), await blob(1024)]);
  if (options.image) {
    const config = encoder.encode(JSON.stringify({ image: options.image }));
    mark++;
    await writer.write(encoder.encode(`blob\nmark :${mark}\ndata ${config.length}\n`));
    await writer.write(config);
    await writer.write(encoder.encode("\n"));
    first.push([".devcontainer/devcontainer.json", mark]);
  }
  await commit(first, "the tree");
  // Then history: 250 files rewritten per commit (4 KB each), until the pack reaches the size
  // (zlib keeps about 78% of this text, measured).
  let at = 0;
  while (written * 0.78 < historyBytes) {
    const changes: [string, number][] = [];
    for (let k = 0; k < 250; k++, at = (at + 7919) % files) {
      changes.push([path(at), await blob(4096)]);
    }
    await commit(changes, `change ${commits}`);
  }
  await writer.close();
  const status = await child.status;
  if (!status.success) throw new Error("git fast-import failed");
  await git(dir, "reset", "-q", "--hard");
  const counted = await git(dir, "count-objects", "-v");
  const packKb = Number(/size-pack: (\d+)/.exec(counted)?.[1] ?? "0");
  return {
    dir,
    head: await git(dir, "rev-parse", "HEAD"),
    files: files + (options.image ? 1 : 0),
    commits,
    packMb: Math.round(packKb / 102.4) / 10,
  };
}

if (import.meta.main) {
  const [dir, ...rest] = Deno.args;
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  if (!dir) {
    console.error(
      "usage: scripts/large_repo.ts DIR [--files N] [--history-mb M] [--image IMAGE]",
    );
    Deno.exit(2);
  }
  const files = flag("--files");
  const history = flag("--history-mb");
  const image = flag("--image");
  const started = performance.now();
  const repo = await makeLargeRepo(join(Deno.cwd(), dir), {
    ...(files ? { files: Number(files) } : {}),
    ...(history ? { historyMb: Number(history) } : {}),
    ...(image ? { image } : {}),
  });
  console.log(
    `${repo.dir}: ${repo.files} files, ${repo.commits} commits, ${repo.packMb} MB packed, ` +
      `HEAD ${repo.head.slice(0, 12)} (${((performance.now() - started) / 1000).toFixed(1)}s)`,
  );
}
