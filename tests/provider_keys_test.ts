/**
 * Keys never enter the sandbox, against real podman: a stand-in Anthropic provider (a test double
 * for the paid API, tests/support/llm_standin.ts) runs on the simulated internet behind TLS with
 * the test CA. The user's key reaches only the proxy, whose provider endpoint adds it; the agent
 * holds a placeholder and the endpoint's URL. The test calls the API from the agent, as an SDK
 * would, and then has the real opencode answer a prompt through the endpoint. The stand-in saw
 * the real key every time; nothing in the agent (its processes' environments, its HOME, its
 * secret files) holds it; `verify` says so; the proxy's log has the calls with their sizes.
 */
import * as p from "../lib/podman/mod.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runDevaipod } from "./support/cli.ts";
import { cleanupByLabel, testRunId } from "./support/cleanup.ts";
import {
  askOpencode,
  STANDIN_HOST,
  STANDIN_REPLY,
  standInCalls,
  standInProject,
  startStandIn,
} from "./support/llm_standin.ts";
import { podmanTest } from "./support/podman_env.ts";
import { DEV_IMAGE } from "./support/test_images.ts";

const podman = p.Podman.fromEnv();
const REAL = "sk-ant-api03-REAL-KEY-the-agent-must-never-see-0123456789";
const PROVIDER_HOST = STANDIN_HOST;

podmanTest(
  "provider keys: the agent calls Anthropic through the proxy's endpoint with a placeholder; the stand-in gets the real key, the agent never holds it, verify says so, and the proxy logs the calls",
  async () => {
    const run = testRunId();
    const ws = `k${run.slice(-8)}`;
    const inet = await startStandIn(run);
    const dir = await standInProject(DEV_IMAGE, { prefix: "devaipod-keys-project-" });
    try {
      const config = inet.config;
      const env = { ANTHROPIC_API_KEY: REAL };
      const up = await runDevaipod([
        "--config",
        config,
        "up",
        dir,
        "--name",
        ws,
        "--network-isolation",
        "on",
        "--egress-network",
        inet.network,
      ], { env });
      assertEquals(up.code, 0, up.stderr);
      assertEquals((up.stdout + up.stderr).includes(REAL), false);
      assertEquals(up.stderr.includes("enters the agent"), false, up.stderr);

      const inAgent = (script: string) =>
        runDevaipod(["exec", ws, "-c", "agent", "--", "sh", "-c", script]);
      const vars = await inAgent('printf "%s\\n%s\\n" "$ANTHROPIC_API_KEY" "$ANTHROPIC_BASE_URL"');
      assertEquals(vars.code, 0, vars.stderr);
      assertEquals(vars.stdout.split("\n").slice(0, 2), [
        "devaipod-key-held-by-the-proxy",
        "http://proxy.devaipod:3129/anthropic",
      ]);

      // An SDK's call, with what the agent has (the Anthropic SDK adds /v1/messages to the base
      // URL): the endpoint adds the real key.
      const call = await inAgent(
        `curl -sS -m 20 "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: $ANTHROPIC_API_KEY" ` +
          `-H "anthropic-version: 2023-06-01" -H "content-type: application/json" ` +
          `-d '{"model":"claude-standin","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}'`,
      );
      assertEquals(call.code, 0, call.stderr);
      assertEquals(JSON.parse(call.stdout).content[0].text, STANDIN_REPLY);
      const first = await standInCalls((argv) => runDevaipod(["exec", ws, "--", ...argv]));
      assertEquals(first.map((c) => [c.path, c.key, c.authorization]), [
        ["/v1/messages", REAL, null],
      ]);

      // The real opencode, asked through its server as `up TASK` would: it streams from the
      // stand-in through the endpoint.
      const asked = await askOpencode(ws, "say done");
      assertMatch(asked, new RegExp(STANDIN_REPLY.replace(/[.:]/g, "\\$&")));
      const all = await standInCalls((argv) => runDevaipod(["exec", ws, "--", ...argv]));
      assert(all.length > first.length, JSON.stringify(all));
      for (const c of all) assertEquals(c.key, REAL, "every call carried the real key");
      assert(all.some((c) => c.stream), "opencode streamed");

      // Nothing in the agent holds the key: its processes' environments, HOME, secrets, /tmp.
      const dump = await inAgent(
        'cat /proc/[0-9]*/environ 2>/dev/null; find "$HOME" /run/secrets /tmp -type f -size -2M ' +
          "-exec cat {} + 2>/dev/null; true",
      );
      assertEquals(dump.code, 0, dump.stderr);
      assert(
        dump.stdout.includes("devaipod-key-held-by-the-proxy"),
        "the dump read the environments",
      );
      assertEquals(dump.stdout.includes(REAL), false, "the real key is in the agent");
      const verify = await runDevaipod(["verify", ws, "--json"], { env });
      const report = JSON.parse(verify.stdout);
      const keys = report.probes.find((x: { id: string }) => x.id === "provider-keys");
      assert(keys, verify.stdout);
      assertEquals([keys.ok, verify.code], [true, 0], `${keys.detail}\n${verify.stderr}`);

      // The proxy's log: each provider call, with its sizes, and never the key.
      const logs = await podman.run(p.containerLogs(`devaipod-${ws}-proxy`));
      assertEquals((logs.stdout + logs.stderr).includes(REAL), false);
      const egress = await runDevaipod(["egress", ws, "--json"]);
      assertEquals(egress.code, 0, egress.stderr);
      const provider = JSON.parse(egress.stdout).filter((e: { host: string }) =>
        e.host === PROVIDER_HOST
      );
      assertEquals(provider.length, all.length, egress.stdout);
      for (const e of provider) assert(e.bytesUp > 0 && e.bytesDown > 0, JSON.stringify(e));
    } finally {
      await runDevaipod(["delete", "-f", "--volumes", ws]);
      await cleanupByLabel(podman, run);
      await Deno.remove(inet.dir, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
  },
);
