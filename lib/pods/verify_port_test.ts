import { assertEquals } from "../../tests/support/assert.ts";
import { RUNTIME_PATHS } from "../plan/pod_plan.ts";
import { parseProbeOutput } from "./verify.ts";
import { judgePort, listenerArgv } from "./verify_port.ts";

const TARGETS = ["127.0.0.1", "localhost", "ws", "devaipod-ws", "10.89.1.3", "10.88.0.7"];

/** The output of a workspace whose port the agent cannot reach, and which reaches the agent. */
const SEALED = `listen_pid=42
listen_port=39123
tool=curl
try_0=000 7
via_proxy_0=403
try_1=000 7
via_proxy_1=403
try_2=000 6
via_proxy_2=403
try_3=000 6
via_proxy_3=403
try_4=000 7
via_proxy_4=403
try_5=000 7
via_proxy_5=403
listen_hits=0
listen_clients=
agent_http=401 0`;

const judged = (text: string) => judgePort(parseProbeOutput(text), TARGETS);

Deno.test("verify port: a one-way workspace passes both probes", () => {
  assertEquals(judged(SEALED), [
    {
      id: "port",
      ok: true,
      detail: "the workspace's port 39123 on 0.0.0.0 was out of reach at 6 addresses and names, " +
        "directly and through the proxy",
    },
    {
      id: "agent-reachable",
      ok: true,
      detail: "the workspace reaches the agent (HTTP 401 without the password)",
    },
  ]);
});

Deno.test("verify port: every way in is an escape, named", () => {
  const table: [string, string, string][] = [
    // The shared network namespace of a pod member: loopback and every address answer.
    [
      "try_0=000 7",
      "try_0=400 0",
      "ESCAPE: the agent reached the workspace's port 39123; directly at 127.0.0.1",
    ],
    [
      "try_4=000 7",
      "try_4=400 0",
      "ESCAPE: the agent reached the workspace's port 39123; directly at 10.89.1.3",
    ],
    // A name that resolves to the workspace.
    [
      "try_2=000 6",
      "try_2=200 0",
      "ESCAPE: the agent reached the workspace's port 39123; directly at ws",
    ],
    [
      "via_proxy_5=403",
      "via_proxy_5=200",
      "ESCAPE: the agent reached the workspace's port 39123; through the proxy at 10.88.0.7",
    ],
    // Whatever the agent's tools said: a connection arrived at the listener.
    [
      "listen_hits=0\nlisten_clients=",
      "listen_hits=2\nlisten_clients=10.89.0.3:5012 10.89.0.3:5013 ",
      "ESCAPE: the agent reached the workspace's port 39123; 2 connections arrived " +
      "(from 10.89.0.3:5012 10.89.0.3:5013)",
    ],
  ];
  for (const [from, to, detail] of table) {
    const probes = judged(SEALED.replace(from, to));
    assertEquals(probes.filter((p) => !p.ok), [{ id: "port", ok: false, detail }], to);
  }
});

Deno.test("verify port: with bash only, an open connection is an escape", () => {
  const bash = `listen_pid=42
listen_port=39123
tool=bash
${TARGETS.map((_, i) => `try_${i}=closed`).join("\n")}
listen_hits=0
agent_tcp=open`;
  assertEquals(judged(bash).map((p) => p.ok), [true, true]);
  assertEquals(
    judged(bash.replace("try_1=closed", "try_1=open"))[0]?.detail,
    "ESCAPE: the agent reached the workspace's port 39123; directly at localhost",
  );
});

Deno.test("verify port: what could not be probed fails, saying why", () => {
  const table: [string, string, string, string][] = [
    [
      "listen_port=39123",
      "listen_error=error: Address in use",
      "port",
      "not probed: the workspace could not listen (error: Address in use)",
    ],
    [
      "tool=curl",
      "tool=none",
      "port",
      "not probed: the agent's image has neither curl nor bash to connect with",
    ],
    [
      "agent_http=401 0",
      "agent_http=000 6",
      "agent-reachable",
      "the workspace cannot reach the agent (HTTP 000, curl exit 6)",
    ],
    [
      "agent_http=401 0",
      "agent_tcp=closed",
      "agent-reachable",
      "the workspace cannot reach the agent's port",
    ],
    [
      "agent_http=401 0",
      "agent_tcp=untested",
      "agent-reachable",
      "not probed: the workspace's image has neither curl nor bash",
    ],
  ];
  for (const [from, to, id, detail] of table) {
    const failed = judged(SEALED.replace(from, to)).filter((p) => !p.ok);
    assertEquals(failed, [{ id, ok: false, detail }], to);
  }
});

Deno.test("verify port: the listener is devaipod's proxy from the runtime the workspace mounts", () => {
  assertEquals(listenerArgv(["/workspaces/x", RUNTIME_PATHS.binary]), [
    RUNTIME_PATHS.binary,
    "proxy",
    "--listen",
    "0.0.0.0:0",
  ]);
  assertEquals(listenerArgv([RUNTIME_PATHS.deno, RUNTIME_PATHS.sources]), [
    RUNTIME_PATHS.deno,
    "run",
    "--quiet",
    "--no-config",
    "--no-lock",
    "--allow-net",
    `--allow-read=${RUNTIME_PATHS.sources}`,
    `${RUNTIME_PATHS.sources}/lib/proxy/main.ts`,
    "--listen",
    "0.0.0.0:0",
  ]);
  assertEquals(listenerArgv([RUNTIME_PATHS.deno]), undefined, "deno without the sources");
  assertEquals(listenerArgv([]), undefined);
});
