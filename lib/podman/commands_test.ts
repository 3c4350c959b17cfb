import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { FailedError } from "../errors.ts";
import type { PodmanCommand } from "./command.ts";
import * as p from "./mod.ts";

const labels = { "io.devaipod.workspace": "w1", "io.devaipod.role": "agent" };

/** Every builder of the driver, with the exact argv it must produce. */
const cases: [string, PodmanCommand<unknown>, string[]][] = [
  ["version", p.version(), ["version", "--format", "json"]],
  ["info", p.info(), ["info", "--format", "json"]],
  ["image exists", p.imageExists("localhost/x:1"), ["image", "exists", "localhost/x:1"]],
  ["image inspect", p.imageInspect("a", "b"), ["image", "inspect", "--format", "json", "a", "b"]],
  [
    "image build with everything",
    p.imageBuild({
      tag: "localhost/app:h",
      file: "/p/.devcontainer/Dockerfile",
      context: "/p",
      buildArgs: { Z: "1", A: "x y" },
      target: "dev",
      labels,
      pull: "never",
      extraArgs: ["--network=host"],
    }),
    [
      "build",
      "--quiet",
      "--tag",
      "localhost/app:h",
      "--file",
      "/p/.devcontainer/Dockerfile",
      "--pull=never",
      "--target",
      "dev",
      "--build-arg",
      "A=x y",
      "--build-arg",
      "Z=1",
      "--label",
      "io.devaipod.role=agent",
      "--label",
      "io.devaipod.workspace=w1",
      "--network=host",
      "/p",
    ],
  ],
  [
    "image build minimal",
    p.imageBuild({ tag: "t", file: "f", context: "c" }),
    ["build", "--quiet", "--tag", "t", "--file", "f", "c"],
  ],
  [
    "image import",
    p.imageImport({
      tarball: "/tmp/r.tar",
      ref: "localhost/b",
      changes: ["ENV PATH=/bin", 'CMD ["/bin/bash"]'],
    }),
    [
      "import",
      "--quiet",
      "--change",
      "ENV PATH=/bin",
      "--change",
      'CMD ["/bin/bash"]',
      "/tmp/r.tar",
      "localhost/b",
    ],
  ],
  ["image rm", p.imageRm(["a"]), ["image", "rm", "a"]],
  ["image rm --force", p.imageRm(["a", "b"], { force: true }), [
    "image",
    "rm",
    "--force",
    "a",
    "b",
  ]],

  ["pod create minimal", p.podCreate({ name: "devaipod-x" }), [
    "pod",
    "create",
    "--name",
    "devaipod-x",
  ]],
  [
    "pod create with everything",
    p.podCreate({
      name: "devaipod-x",
      labels,
      hostname: "x",
      infraImage: "localhost/pause",
      userns: "keep-id",
      networks: ["net-a", "net-b"],
      addHosts: [{ host: "proxy", ip: "10.0.0.2" }],
      publish: ["127.0.0.1:8080:8080"],
    }),
    [
      "pod",
      "create",
      "--name",
      "devaipod-x",
      "--label",
      "io.devaipod.role=agent",
      "--label",
      "io.devaipod.workspace=w1",
      "--hostname",
      "x",
      "--infra-image",
      "localhost/pause",
      "--userns",
      "keep-id",
      "--network",
      "net-a",
      "--network",
      "net-b",
      "--add-host",
      "proxy:10.0.0.2",
      "--publish",
      "127.0.0.1:8080:8080",
    ],
  ],
  ["pod inspect", p.podInspect("x"), ["pod", "inspect", "--format", "json", "x"]],
  ["pod ps", p.podPs(), ["pod", "ps", "--format", "json"]],
  [
    "pod ps by labels",
    p.podPs({ "io.devaipod.workspace": true, "io.devaipod.role": "agent" }),
    [
      "pod",
      "ps",
      "--format",
      "json",
      "--filter",
      "label=io.devaipod.role=agent",
      "--filter",
      "label=io.devaipod.workspace",
    ],
  ],
  ["pod start", p.podStart("x"), ["pod", "start", "x"]],
  ["pod stop", p.podStop("x"), ["pod", "stop", "x"]],
  ["pod stop --time", p.podStop("x", { timeoutSeconds: 0 }), ["pod", "stop", "--time", "0", "x"]],
  ["pod rm", p.podRm("x"), ["pod", "rm", "x"]],
  ["pod rm --force --time", p.podRm("x", { force: true, timeoutSeconds: 3 }), [
    "pod",
    "rm",
    "--force",
    "--time",
    "3",
    "x",
  ]],
  ["pod exists", p.podExists("x"), ["pod", "exists", "x"]],

  [
    "container create minimal",
    p.containerCreate({ name: "c", image: "img" }),
    ["container", "create", "--name", "c", "img"],
  ],
  [
    "container create sandboxed agent",
    p.containerCreate({
      name: "devaipod-x-agent",
      image: "localhost/dev",
      pod: "devaipod-x",
      labels: { "io.devaipod.role": "agent" },
      env: { HOME: "/home/agent", B: "2" },
      user: "1000:1000",
      workdir: "/workspaces/p",
      hostname: "agent",
      entrypoint: ["/opt/devaipod/opencode"],
      init: true,
      capDrop: ["ALL"],
      capAdd: ["NET_BIND_SERVICE"],
      securityOpt: ["no-new-privileges"],
      privileged: false,
      readOnlyRootfs: true,
      userns: "keep-id",
      mounts: [
        { type: "volume", source: "devaipod-x-work", target: "/workspaces/p" },
        {
          type: "bind",
          source: "/cache/opencode",
          target: "/opt/devaipod/opencode",
          readonly: true,
          relabel: "shared",
        },
        { type: "tmpfs", target: "/tmp", sizeBytes: 1048576, mode: "1777" },
      ],
      secrets: [{
        name: "devaipod-x-key",
        type: "mount",
        target: "/run/secrets/key",
        uid: 1000,
        gid: 1000,
        mode: 0o400,
      }],
      healthCheck: {
        command: ["curl", "-f", "http://127.0.0.1:4096/global/health"],
        intervalSeconds: 2,
        timeoutSeconds: 5,
        retries: 3,
        startPeriodSeconds: 1,
      },
      interactive: true,
      tty: true,
      stopTimeoutSeconds: 5,
      extraArgs: ["--memory=2g"],
      command: ["serve", "--port", "4096"],
    }),
    [
      "container",
      "create",
      "--name",
      "devaipod-x-agent",
      "--pod",
      "devaipod-x",
      "--label",
      "io.devaipod.role=agent",
      "--env",
      "B=2",
      "--env",
      "HOME=/home/agent",
      "--user",
      "1000:1000",
      "--workdir",
      "/workspaces/p",
      "--hostname",
      "agent",
      "--entrypoint",
      '["/opt/devaipod/opencode"]',
      "--init",
      "--cap-drop",
      "ALL",
      "--cap-add",
      "NET_BIND_SERVICE",
      "--security-opt",
      "no-new-privileges",
      "--read-only",
      "--userns",
      "keep-id",
      "--mount",
      "type=volume,source=devaipod-x-work,destination=/workspaces/p",
      "--mount",
      "type=bind,source=/cache/opencode,destination=/opt/devaipod/opencode,ro=true,relabel=shared",
      "--mount",
      "type=tmpfs,destination=/tmp,tmpfs-size=1048576,tmpfs-mode=1777",
      "--secret",
      "devaipod-x-key,type=mount,target=/run/secrets/key,uid=1000,gid=1000,mode=0400",
      "--health-cmd",
      '["curl","-f","http://127.0.0.1:4096/global/health"]',
      "--health-interval",
      "2s",
      "--health-timeout",
      "5s",
      "--health-retries",
      "3",
      "--health-start-period",
      "1s",
      "--interactive",
      "--tty",
      "--stop-timeout",
      "5",
      "--memory=2g",
      "localhost/dev",
      "serve",
      "--port",
      "4096",
    ],
  ],
  [
    "container run outside a pod with networks and ports",
    p.containerRun({
      name: "proxy",
      image: "img",
      networks: ["internal", "normal"],
      publish: ["127.0.0.1:3128:3128"],
      addHosts: [{ host: "h", ip: "1.2.3.4" }],
      privileged: true,
    }),
    [
      "container",
      "run",
      "--detach",
      "--name",
      "proxy",
      "--privileged",
      "--add-host",
      "h:1.2.3.4",
      "--network",
      "internal",
      "--network",
      "normal",
      "--publish",
      "127.0.0.1:3128:3128",
      "img",
    ],
  ],
  [
    "container run clearing the entrypoint",
    p.containerRun({ name: "c", image: "i", entrypoint: [] }),
    ["container", "run", "--detach", "--name", "c", "--entrypoint", "[]", "i"],
  ],
  ["container start", p.containerStart("c"), ["container", "start", "c"]],
  ["container stop", p.containerStop("c", { timeoutSeconds: 2 }), [
    "container",
    "stop",
    "--time",
    "2",
    "c",
  ]],
  ["container inspect", p.containerInspect("c"), ["container", "inspect", "--format", "json", "c"]],
  ["container ps", p.containerPs({ "io.devaipod.workspace": "w1" }), [
    "container",
    "ps",
    "--all",
    "--format",
    "json",
    "--filter",
    "label=io.devaipod.workspace=w1",
  ]],
  [
    "container exec",
    p.containerExec({
      container: "c",
      command: ["sh", "-c", "echo $HOME"],
      user: "dev",
      workdir: "/w",
      env: { A: "1" },
      tty: true,
    }),
    [
      "container",
      "exec",
      "--tty",
      "--user",
      "dev",
      "--workdir",
      "/w",
      "--env",
      "A=1",
      "c",
      "sh",
      "-c",
      "echo $HOME",
    ],
  ],
  [
    "container exec passes envNames by name only (values come from podman's environment)",
    p.containerExec({ container: "c", command: ["true"], envNames: ["TOKEN", "LANG"] }),
    ["container", "exec", "--env", "LANG", "--env", "TOKEN", "c", "true"],
  ],
  [
    "container exec with stdin is interactive",
    p.containerExec({ container: "c", command: ["cat"] }, new TextEncoder().encode("x")),
    ["container", "exec", "--interactive", "c", "cat"],
  ],
  ["container logs", p.containerLogs("c"), ["container", "logs", "c"]],
  ["container logs -f -n", p.containerLogs("c", { follow: true, tail: 20, timestamps: true }), [
    "container",
    "logs",
    "--follow",
    "--tail",
    "20",
    "--timestamps",
    "c",
  ]],
  ["container wait", p.containerWait("c"), ["container", "wait", "c"]],
  ["container wait --condition", p.containerWait("c", { condition: "healthy" }), [
    "container",
    "wait",
    "--condition",
    "healthy",
    "c",
  ]],
  ["container rm", p.containerRm(["c"]), ["container", "rm", "c"]],
  [
    "container rm everything",
    p.containerRm(["c", "d"], { force: true, timeoutSeconds: 0, volumes: true }),
    ["container", "rm", "--force", "--time", "0", "--volumes", "c", "d"],
  ],
  ["container exists", p.containerExists("c"), ["container", "exists", "c"]],

  ["volume create", p.volumeCreate("v", { labels }), [
    "volume",
    "create",
    "--label",
    "io.devaipod.role=agent",
    "--label",
    "io.devaipod.workspace=w1",
    "v",
  ]],
  ["volume inspect", p.volumeInspect("v"), ["volume", "inspect", "--format", "json", "v"]],
  ["volume ls", p.volumeLs({ "io.devaipod.workspace": "w1" }), [
    "volume",
    "ls",
    "--format",
    "json",
    "--filter",
    "label=io.devaipod.workspace=w1",
  ]],
  ["volume rm", p.volumeRm(["v"], { force: true }), ["volume", "rm", "--force", "v"]],
  ["volume exists", p.volumeExists("v"), ["volume", "exists", "v"]],

  [
    "network create internal without DNS",
    p.networkCreate({
      name: "n",
      labels: { a: "b" },
      internal: true,
      disableDns: true,
      subnet: "10.89.7.0/24",
    }),
    [
      "network",
      "create",
      "--internal",
      "--disable-dns",
      "--subnet",
      "10.89.7.0/24",
      "--label",
      "a=b",
      "n",
    ],
  ],
  ["network create plain", p.networkCreate({ name: "n" }), ["network", "create", "n"]],
  ["network inspect", p.networkInspect("n"), ["network", "inspect", "--format", "json", "n"]],
  ["network ls", p.networkLs({ a: true }), [
    "network",
    "ls",
    "--format",
    "json",
    "--filter",
    "label=a",
  ]],
  [
    "network connect",
    p.networkConnect("n", "c", { ip: "10.89.7.2", aliases: ["proxy", "gator"] }),
    ["network", "connect", "--ip", "10.89.7.2", "--alias", "proxy", "--alias", "gator", "n", "c"],
  ],
  ["network rm", p.networkRm(["n"], { force: true }), ["network", "rm", "--force", "n"]],
  ["network exists", p.networkExists("n"), ["network", "exists", "n"]],

  ["secret create reads the value from stdin", p.secretCreate("s", "v", { labels: { a: "b" } }), [
    "secret",
    "create",
    "--label",
    "a=b",
    "s",
    "-",
  ]],
  ["secret inspect", p.secretInspect("s"), ["secret", "inspect", "s"]],
  ["secret names", p.secretNames(), ["secret", "ls", "--noheading", "--format", "{{.Name}}"]],
  ["secret exists", p.secretExists("s"), ["secret", "ls", "--noheading", "--format", "{{.Name}}"]],
  ["secret rm", p.secretRm(["s", "t"]), ["secret", "rm", "s", "t"]],
];

for (const [name, command, argv] of cases) {
  Deno.test(`driver argv: ${name}`, () => {
    assertEquals([...command.argv], argv);
  });
}

Deno.test("driver: secret values travel on stdin, never in argv", () => {
  const cmd = p.secretCreate("devaipod-key", "sk-very-secret");
  assertEquals(cmd.argv.some((a) => a.includes("sk-very-secret")), false);
  assertEquals(new TextDecoder().decode(cmd.stdin), "sk-very-secret");
});

Deno.test("driver: a pod member with its own network, ports or hosts is refused", () => {
  for (
    const extra of [{ networks: ["n"] }, { publish: ["1:1"] }, {
      addHosts: [{ host: "h", ip: "1.1.1.1" }],
    }]
  ) {
    assertThrows(
      () => p.containerCreate({ name: "c", image: "i", pod: "p", ...extra }),
      FailedError,
    );
    assertThrows(() => p.containerRun({ name: "c", image: "i", pod: "p", ...extra }), FailedError);
  }
});

Deno.test("driver: a label filter with an empty value is refused (podman would match any value)", () => {
  for (const list of [p.podPs, p.containerPs, p.volumeLs, p.networkLs]) {
    assertThrows(() => list({ "io.devaipod.workspace": "" }), FailedError);
  }
});

Deno.test("driver: mount paths with ',' or '=' are refused, not mangled", () => {
  assertThrows(() => p.mountArg({ type: "bind", source: "/a,b", target: "/x" }), /cannot hold ','/);
  assertThrows(() => p.mountArg({ type: "volume", source: "v", target: "/x=y" }), FailedError);
});

Deno.test("driver: a volume podman hands to the container's user renders U=true", () => {
  assertEquals(
    p.mountArg({ type: "volume", source: "v", target: "/w", chown: true }),
    "type=volume,source=v,destination=/w,U=true",
  );
  assertEquals(
    p.mountArg({ type: "volume", source: "v", target: "/w", readonly: true }),
    "type=volume,source=v,destination=/w,ro=true",
  );
  assertEquals(p.volumeExport("v", "/t/x.tar").argv, [
    "volume",
    "export",
    "v",
    "--output",
    "/t/x.tar",
  ]);
});

Deno.test("driver: secret refs render podman's --secret syntax", () => {
  assertEquals(p.secretArg({ name: "k", type: "env", target: "KEY" }), "k,type=env,target=KEY");
  assertEquals(p.secretArg({ name: "k", type: "mount", mode: 0o440 }), "k,type=mount,mode=0440");
});
