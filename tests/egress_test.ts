/**
 * Egress isolation against real podman: "the internet" is a test-made normal network with a web
 * server container answering as api.example.test (and, unlisted, as evil.example.test). The agent
 * reaches only what the allowlist permits, through the proxy; the workspace keeps normal access.
 * One way only: the workspace reaches the agent (through the proxy's relay), the agent reaches
 * nothing of the workspace. Internal networks are probed only from inside containers on them.
 */
import { join } from "node:path";
import { AGENT_HOST, AGENT_PORT } from "../lib/plan/pod_plan.ts";
import * as p from "../lib/podman/mod.ts";
import { listenerArgv } from "../lib/pods/verify_port.ts";
import { podAddresses, portProbes } from "../lib/pods/verify_port_run.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import type { CliResult } from "./support/cli.ts";
import { cleanupByLabel, TEST_LABEL, testRunId } from "./support/cleanup.ts";
import { podmanTest } from "./support/podman_env.ts";
import { startSimulatedInternet } from "./support/simulated_internet.ts";
import { eventually } from "./support/process.ts";
import { DEV_IMAGE } from "./support/test_images.ts";

const podman = p.Podman.fromEnv();

const SERVER = `const hello = (req) => new Response("hello from " + new URL(req.url).host + "\\n");
Deno.serve({ hostname: "0.0.0.0", port: 8080 }, hello);
Deno.serve({
  hostname: "0.0.0.0",
  port: 8443,
  cert: Deno.readTextFileSync("/srv/server.pem"),
  key: Deno.readTextFileSync("/srv/server.key"),
}, hello);
`;

/** A normal network with a web server on it, known by two names. */
function simulatedInternet(run: string) {
  return startSimulatedInternet(run, SERVER, ["api.example.test", "evil.example.test"]);
}

async function project(caFile: string, extra: Record<string, unknown> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-egress-project-" });
  await Deno.writeTextFile(
    join(dir, ".devcontainer.json"),
    JSON.stringify({ image: DEV_IMAGE, remoteUser: "dev", ...extra }),
  );
  await Deno.copyFile(caFile, join(dir, "test-ca.pem"));
  return dir;
}

const agent = (ws: string, script: string) =>
  runDevaipod(["exec", ws, "-c", "agent", "--", "sh", "-c", script]);

podmanTest(
  "egress: the agent reaches allowed hosts only through the proxy; the workspace keeps the network",
  async () => {
    const run = testRunId();
    const ws = `e${run.slice(-8)}`;
    const inet = await simulatedInternet(run);
    const dir = await project(join(inet.dir, "ca.pem"));
    try {
      const up = await runDevaipod([
        "up",
        dir,
        "--name",
        ws,
        "--network-isolation",
        "on",
        "--egress-network",
        inet.network,
        "--allow",
        "api.example.test:8080",
        `${inet.serverIp}:8080`,
        "api.example.test:8443",
        `${inet.serverIp}:8443`,
      ]);
      assertEquals(up.code, 0, up.stderr);

      // Give the server a moment to listen.
      for (let i = 0; i < 40; i++) {
        const probe = await runDevaipod([
          "exec",
          ws,
          "--",
          "curl",
          "-s",
          "-m",
          "2",
          "http://api.example.test:8080/",
        ]);
        if (probe.code === 0) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      // The workspace: normal network access, by name.
      const direct = await runDevaipod([
        "exec",
        ws,
        "--",
        "curl",
        "-s",
        "-m",
        "5",
        "http://api.example.test:8080/",
      ]);
      assertEquals(direct.stdout, "hello from api.example.test:8080\n", direct.stderr);

      // The agent: TLS to an allowed name through the proxy (curl follows HTTPS_PROXY), verified
      // with the test CA.
      const tls = await agent(
        ws,
        "curl -sS -m 5 --cacert test-ca.pem https://api.example.test:8443/",
      );
      assertEquals(tls.stdout, "hello from api.example.test:8443\n", tls.stderr);
      // The agent: allowed through the proxy; a denied name gets 403 and a deny line.
      const allowed = await agent(
        ws,
        "curl -s -m 5 -p -x http://proxy.devaipod:3128 http://api.example.test:8080/",
      );
      assertEquals(allowed.stdout, "hello from api.example.test:8080\n", allowed.stderr);
      const denied = await agent(
        ws,
        'curl -s -m 5 -p -o /dev/null -w "%{http_connect}" http://evil.example.test:8080/',
      );
      assertEquals(denied.stdout, "403");
      // Without the IP entry, a name resolving to a private address would be refused too.
      const logs = await runDevaipod(["logs", ws, "-c", "proxy"]);
      const records = logs.stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) =>
        JSON.parse(l)
      );
      assert(
        records.some((r) =>
          r.host === "evil.example.test" && r.decision === "deny" && r.status === 403
        ),
      );
      assert(
        records.some((r) =>
          r.host === "api.example.test" && r.decision === "allow" && r.bytesDown > 0
        ),
      );

      // No way around the proxy: no DNS, no route to the server's address, no IPv6, no UDP path.
      const escape = await agent(
        ws,
        `getent hosts api.example.test || echo no-dns; ` +
          `curl --noproxy '*' -s -m 3 -o /dev/null -w "%{http_code}" http://${inet.serverIp}:8080/ || echo " no-route"; ` +
          `ip -6 route | grep -v '^fe80' | grep -c . ; ip route | grep -c default`,
      );
      const lines = escape.stdout.trim().split("\n");
      assertEquals(lines[0], "no-dns");
      assertMatch(lines[1] ?? "", /no-route$/);
      assertEquals(lines.slice(2), ["0", "0"], "no IPv6 route and no default route");
      // The host is not reachable either: the agent's only neighbour besides the pod is the proxy.
      const hostGateway = await agent(ws, "ip neigh; ip route");
      assertEquals(hostGateway.stdout.includes("default"), false);

      // status knows it is isolated, and the agent is healthy behind the proxy.
      const status = JSON.parse((await runDevaipod(["status", ws, "--json"])).stdout);
      assertEquals([status.isolated, status.agent.health], [true, "healthy"]);
    } finally {
      await runDevaipod(["delete", "-f", "--volumes", ws]);
      await cleanupByLabel(podman, run);
      await Deno.remove(inet.dir, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
    const left = await podman.run(p.networkLs({ "io.devaipod.workspace": ws }));
    assertEquals(left, [], "delete removes the internal network");
  },
);

/** The file in the agent's HOME whose creation ends the held tunnel. */
const RELEASE = "$HOME/release-held-tunnel";

/** One connection as `devaipod egress --json` shows it (the fields this test reads). */
interface Entry {
  id: string;
  host: string;
  port: number;
  state: string;
  bytesUp: number | null;
  bytesDown: number | null;
}

const egress = async (ws: string): Promise<Entry[]> => {
  const r = await runDevaipod(["egress", ws, "--json"]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

podmanTest(
  "egress: hosts allowed by the user config (and allowedDomains) are reachable by the agent, others not; egress and status show a tunnel while it is open",
  async () => {
    const run = testRunId();
    const ws = `u${run.slice(-8)}`;
    const inet = await simulatedInternet(run);
    // TLS (8443) only by the user config; plain HTTP through a tunnel (8080) only by the project's
    // allowedDomains. The server's address is private, so it is allowed by IP as well.
    const dir = await project(join(inet.dir, "ca.pem"), {
      customizations: {
        devaipod: { allowedDomains: ["api.example.test:8080", `${inet.serverIp}:8080`] },
      },
    });
    const config = join(dir, "devaipod.toml");
    await Deno.writeTextFile(
      config,
      `[network-isolation]\nallowed_domains = ["api.example.test:8443", "${inet.serverIp}:8443"]\n`,
    );
    let holder: Promise<CliResult> | undefined;
    try {
      const up = await runDevaipod([
        "--config",
        config,
        "up",
        dir,
        "--name",
        ws,
        "--egress-network",
        inet.network,
      ]);
      assertEquals(up.code, 0, up.stderr);

      // The agent: the user config's host over TLS, verified with the test CA.
      const tls = await eventually(
        () => agent(ws, "curl -sS -m 10 --cacert test-ca.pem https://api.example.test:8443/"),
        (r) => r.code === 0,
        { ms: 30_000 },
      );
      if (tls.code !== 0) {
        const logs = await runDevaipod(["logs", ws, "-c", "proxy"]);
        throw new Error(
          `the agent cannot reach api.example.test:8443: ${tls.stderr}\n${logs.stdout}`,
        );
      }
      assertEquals(tls.stdout, "hello from api.example.test:8443\n", tls.stderr);
      const tunnelled = await agent(
        ws,
        "curl -sS -m 5 -p -x http://proxy.devaipod:3128 http://api.example.test:8080/",
      );
      assertEquals(tunnelled.stdout, "hello from api.example.test:8080\n", tunnelled.stderr);
      // Unlisted: another name for the same server, and a listed name on another port.
      for (const url of ["https://evil.example.test:8443/", "https://api.example.test:9443/"]) {
        const denied = await agent(
          ws,
          `curl -s -m 5 -o /dev/null -w "%{http_connect}" --cacert test-ca.pem ${url}`,
        );
        assertEquals(denied.stdout, "403", url);
      }

      // A tunnel held open by the agent (bash's /dev/tcp): one request through it, then it stays
      // open until the test creates the release file (at most 120 s).
      holder = runDevaipod([
        "exec",
        ws,
        "-c",
        "agent",
        "--",
        "bash",
        "-c",
        "exec 3<>/dev/tcp/proxy.devaipod/3128; " +
        "printf 'CONNECT api.example.test:8080 HTTP/1.1\\r\\n\\r\\n' >&3; read -r l <&3; read -r l <&3; " +
        "printf 'GET /held HTTP/1.1\\r\\nHost: api.example.test\\r\\n\\r\\n' >&3; " +
        "while read -r l <&3; do case $l in hello*) break;; esac; done; " +
        `for i in $(seq 1200); do [ -e ${RELEASE} ] && break; sleep 0.1; done`,
      ]);
      const isHeld = (e: Entry) => e.host === "api.example.test" && e.port === 8080;
      const whileOpen = await eventually(
        () => egress(ws),
        (es) => es.some((e) => isHeld(e) && e.state === "open"),
      );
      const held = whileOpen.find((e) => isHeld(e) && e.state === "open");
      assertEquals([held?.bytesUp, held?.bytesDown], [null, null], "no totals while open");
      const status = JSON.parse((await runDevaipod(["status", ws, "--json"])).stdout);
      assert(status.egress.open >= 1, JSON.stringify(status.egress));
      const text = await runDevaipod(["egress", ws]);
      assertMatch(text.stdout, /^\S+\s+allow\s+api\.example\.test:8080\s+200\s+open\s+-\s+-\s+-/m);

      await agent(ws, `touch ${RELEASE}`);
      const finished = await holder;
      assertEquals(finished.code, 0, finished.stderr);
      holder = undefined;
      const after = await eventually(
        () => egress(ws),
        (es) => es.some((e) => e.id === held?.id && e.state === "closed"),
      );
      const same = after.filter((e) => e.id === held?.id);
      assertEquals(same.length, 1, "an open tunnel and its close are one entry");
      assertEquals(same[0]?.state, "closed");
      assert((same[0]?.bytesUp ?? 0) > 0 && (same[0]?.bytesDown ?? 0) > 0, JSON.stringify(same));
    } finally {
      if (holder) await agent(ws, `touch ${RELEASE}`).then(() => holder).catch(() => {});
      await runDevaipod(["delete", "-f", "--volumes", ws]);
      await cleanupByLabel(podman, run);
      await Deno.remove(inet.dir, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** Runs `script` with `sh -c` in a container (through podman, without the CLI). */
async function sh(container: string, script: string): Promise<p.ExecResult> {
  return await podman.run(p.containerExec({ container, command: ["sh", "-c", script] }));
}

/** A container's address on each of its networks. */
async function addressesOf(container: string): Promise<Record<string, string>> {
  return await podman.run({
    argv: [
      "container",
      "inspect",
      "--format",
      "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}",
      container,
    ],
    parse: (out) => Object.fromEntries(out.stdout.trim().split(" ").map((kv) => kv.split("="))),
  });
}

/** A server in the workspace on 0.0.0.0 at a free port, answering "human": its port. */
async function humanServer(workspace: string): Promise<string> {
  const started = await sh(
    workspace,
    '/opt/devaipod/bin/deno eval --no-config \'Deno.serve({ hostname: "0.0.0.0", port: 0, ' +
      'onListen: (a) => console.log("port=" + a.port) }, () => new Response("human\\n"))\' ' +
      ">/tmp/human.log 2>&1 </dev/null & " +
      "i=0; while [ $i -lt 300 ]; do grep -q port= /tmp/human.log && break; sleep 0.1; i=$((i+1)); done; " +
      "cat /tmp/human.log",
  );
  const port = /port=(\d+)/.exec(started.stdout)?.[1];
  assert(port, `the workspace's server did not start: ${started.stdout}${started.stderr}`);
  return port;
}

podmanTest(
  "one way: the agent reaches no port of the workspace by any address or name, directly or through the proxy; the workspace reaches the agent, across stop and start; verify's port probe catches a shared network and holds here",
  async () => {
    const run = testRunId();
    const ws = `o${run.slice(-8)}`;
    const pod = `devaipod-${ws}`;
    const [wsName, agentName, proxyName] = ["workspace", "agent", "proxy"].map((r) =>
      `${pod}-${r}`
    ) as [string, string, string];
    const inet = await simulatedInternet(run);
    const dir = await project(join(inet.dir, "ca.pem"));
    try {
      const up = await runDevaipod([
        "up",
        dir,
        "--name",
        ws,
        "--egress-network",
        inet.network,
        "--allow",
        "api.example.test:8080",
        `${inet.serverIp}:8080`,
      ]);
      assertEquals(up.code, 0, up.stderr);

      // The networks: the agent shares one with the proxy only, the pod another with the proxy.
      const [podAddr, agentAddr, proxyAddr] = await Promise.all([
        podman.run(p.podInspect(pod)).then(([i]) => addressesOf(i?.InfraContainerID ?? "")),
        addressesOf(agentName),
        addressesOf(proxyName),
      ]);
      const internal = `${pod}-internal`;
      const link = `${pod}-link`;
      assertEquals(Object.keys(podAddr).sort(), [inet.network, link].sort());
      assertEquals(Object.keys(agentAddr), [internal]);
      assertEquals(Object.keys(proxyAddr).sort(), [inet.network, internal, link].sort());
      const labels = await podman.run(p.networkInspect(link));
      assertEquals(labels[0]?.labels?.["io.devaipod.role"], "link-network");

      // A server of the human's on 0.0.0.0: the workspace and a neighbour on the egress network
      // reach it (so the refusals below are the network's doing, not a dead server's).
      const port = await humanServer(wsName);
      assertEquals((await sh(wsName, `curl -s -m 3 http://127.0.0.1:${port}/`)).stdout, "human\n");
      const neighbour = await sh(
        `devaipod-test-web-${run}`,
        `curl -s -m 3 http://${podAddr[inet.network]}:${port}/`,
      );
      assertEquals(neighbour.stdout, "human\n", neighbour.stderr);

      // The agent: every address and name of the pod it could know, and the internal network's
      // old pod address (.4), directly and through the proxy. Nothing answers.
      const internalSubnet = (await podman.run(p.networkInspect(internal)))[0]?.subnets[0]?.subnet;
      const oldPodIp = internalSubnet?.replace(/\.0\/\d+$/, ".4") ?? "";
      const targets = [
        ...await podAddresses(podman, pod, [wsName, AGENT_HOST]),
        oldPodIp,
      ];
      assert(
        targets.includes(podAddr[link] ?? "?") && targets.includes(podAddr[inet.network] ?? "?"),
      );
      const tries = await sh(
        agentName,
        `for t in ${targets.join(" ")}; do ` +
          `echo "$t $(curl --noproxy '*' -s -m 3 -o /dev/null -w '%{http_code}' http://$t:${port}/) ` +
          `$(curl --noproxy '' -s -m 5 -p -x http://proxy.devaipod:3128 -o /dev/null -w '%{http_connect}' http://$t:${port}/)"; done`,
      );
      const lines = tries.stdout.trim().split("\n");
      assertEquals(lines.length, targets.length, tries.stderr);
      for (const line of lines) {
        const [target, direct, proxied] = line.split(" ");
        assertEquals(direct, "000", `the agent reached the workspace directly at ${target}`);
        assertEquals(proxied, "403", `the proxy tunnelled the agent to the workspace at ${target}`);
      }

      // Even allowed by IP, the pod's link address stays out of reach: the proxy never connects
      // into the workspace's own networks, and logs why.
      const linkIp = podAddr[link] ?? "";
      const allow = await runDevaipod(["allow", ws, `${linkIp}:${port}`]);
      assertEquals(allow.code, 0, allow.stderr);
      const allowed = await sh(
        agentName,
        `curl -s -m 5 -p -x http://proxy.devaipod:3128 -o /dev/null -w '%{http_connect}' http://${linkIp}:${port}/`,
      );
      assertEquals(allowed.stdout, "403");
      const records = (await podman.run(p.containerLogs(proxyName))).stdout.trim().split("\n")
        .filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
      assert(
        records.some((r) =>
          r.host === linkIp && r.status === 403 &&
          String(r.reason).includes("in the workspace's own network")
        ),
        JSON.stringify(records.slice(-3)),
      );

      // The workspace reaches the agent (the shims' URL, through the relay): 401 without the
      // password, healthy with it. Egress through the proxy still works for the agent.
      const health = (container: string) =>
        sh(
          container,
          `curl -s -m 5 -o /dev/null -w '%{http_code} ' http://${AGENT_HOST}:${AGENT_PORT}/global/health; ` +
            `curl -s -m 5 -u "opencode:$(cat /run/secrets/devaipod-agent-password)" http://${AGENT_HOST}:${AGENT_PORT}/global/health`,
        );
      const reached = await health(wsName);
      assertMatch(reached.stdout, /^401 \{"healthy":true/, reached.stderr);
      const out = await sh(
        agentName,
        "curl -s -m 5 -p -x http://proxy.devaipod:3128 http://api.example.test:8080/",
      );
      assertEquals(out.stdout, "hello from api.example.test:8080\n", out.stderr);

      // verify's port probe: first against a deliberately shared layout — a container joined to
      // the pod (its network namespace), playing the agent — where it must report an escape …
      const shared = await podman.run(p.containerRun({
        name: `devaipod-test-shared-${run}`,
        image: DEV_IMAGE,
        pod,
        labels: { [TEST_LABEL]: run },
        user: "1000:1000",
        entrypoint: ["sleep", "600"],
      }));
      const [wsInspect] = await podman.run(p.containerInspect(wsName));
      const targetsOf = {
        workspace: wsName,
        listener: listenerArgv(wsInspect?.Mounts.map((m) => m.Destination) ?? []),
        addresses: await podAddresses(podman, pod, [wsName]),
        agentUrl: `http://${AGENT_HOST}:${AGENT_PORT}`,
      };
      const escaped = await portProbes(podman, { ...targetsOf, agent: shared });
      const escape = escaped.find((x) => x.id === "port");
      assertEquals(escape?.ok, false, escape?.detail);
      assertMatch(escape?.detail ?? "", /^ESCAPE: .*directly at 127\.0\.0\.1.*connections arrived/);
      // … then the same probe, as `devaipod verify` runs it, holds on this workspace.
      const verify = await runDevaipod(["verify", ws, "--json"]);
      const probes: { id: string; ok: boolean; detail: string }[] =
        JSON.parse(verify.stdout).probes;
      const mine = probes.filter((x) => x.id === "port" || x.id === "agent-reachable");
      assertEquals(
        mine.map((x) => [x.id, x.ok]),
        [["port", true], ["agent-reachable", true]],
        JSON.stringify(mine),
      );
      assertMatch(mine[0]?.detail ?? "", new RegExp(`at ${targetsOf.addresses.length} addresses`));

      // Stop and start: the relay is back, the agent is still on its own.
      const stop = await runDevaipod(["stop", ws]);
      assertEquals(stop.code, 0, stop.stderr);
      const start = await runDevaipod(["start", ws]);
      assertEquals(start.code, 0, start.stderr);
      assertMatch((await health(wsName)).stdout, /^401 \{"healthy":true/);
      const port2 = await humanServer(wsName);
      const after = await sh(
        agentName,
        `curl --noproxy '*' -s -m 3 -o /dev/null -w '%{http_code}' http://${linkIp}:${port2}/`,
      );
      assertEquals(after.stdout, "000");
    } finally {
      await runDevaipod(["delete", "-f", "--volumes", ws]);
      await cleanupByLabel(podman, run);
      await Deno.remove(inet.dir, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
    const left = await podman.run(p.networkLs({ "io.devaipod.workspace": ws }));
    assertEquals(left, [], "delete removes the internal and the link network");
  },
);
