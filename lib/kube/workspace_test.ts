import { assertEquals, assertMatch, assertRejects } from "../../tests/support/assert.ts";
import { FailedError } from "../errors.ts";
import { KubeClient } from "./client.ts";
import { waitGone } from "./workspace.ts";

/** A client whose server answers each Pod list with the next of `answers` (the last repeats). */
function scripted(answers: { name: string; deleting?: boolean }[][]): KubeClient {
  let i = 0;
  return new KubeClient({ context: "t", server: "https://k.test", namespace: "n" }, {
    fetch: () => {
      const pods = answers[Math.min(i++, answers.length - 1)] ?? [];
      const items = pods.map((p) => ({
        metadata: {
          name: p.name,
          labels: { "io.devaipod.workspace": "w" },
          ...(p.deleting ? { deletionTimestamp: "2026-11-28T00:00:00Z" } : {}),
        },
        spec: { containers: [{ name: "c" }] },
      }));
      return Promise.resolve(new Response(JSON.stringify({ items }), { status: 200 }));
    },
    close: () => {},
  });
}

/** A clock that moves 1 s per sleep. */
function clock() {
  let t = 0;
  return { now: () => t, sleep: () => Promise.resolve(void (t += 1000)) };
}

Deno.test("waitGone() returns once the workspace's Pods are gone", async () => {
  const c = clock();
  await waitGone(
    scripted([[{ name: "a", deleting: true }], [{ name: "a", deleting: true }], []]),
    "w",
    10,
    c,
  );
  assertEquals(c.now(), 2000);
});

Deno.test("waitGone() with terminatingOnly waits only for Pods being deleted", async () => {
  const c = clock();
  await waitGone(
    scripted([[{ name: "a", deleting: true }, { name: "b" }], [{ name: "b" }]]),
    "w",
    10,
    c,
    true,
  );
  assertEquals(c.now(), 1000);
});

Deno.test("waitGone() fails after the timeout naming the Pods still there", async () => {
  const err = await assertRejects(
    () => waitGone(scripted([[{ name: "devaipod-w-agent", deleting: true }]]), "w", 3, clock()),
    FailedError,
  );
  assertMatch(err.message, /^workspace w: pods still terminating after 3s: devaipod-w-agent$/);
});
