import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { Progress } from "./progress.ts";

function fakeClock(steps: number[]) {
  let i = 0;
  return () => steps[Math.min(i++, steps.length - 1)] ?? 0;
}

Deno.test("progress: each step prints one line with its elapsed time", async () => {
  const lines: string[] = [];
  const p = new Progress(
    { write: (l) => lines.push(l), quiet: false },
    fakeClock([0, 0, 1500, 1500, 1600]),
  );
  assertEquals(await p.step("create pod", () => Promise.resolve(42)), 42);
  await assertRejects(() => p.step("start agent", () => Promise.reject(new Error("boom"))), /boom/);
  assertEquals(lines, ["✓ create pod (1.5s)", "✗ start agent (0.1s)"]);
});

Deno.test("progress: --quiet prints nothing but still runs the steps", async () => {
  const lines: string[] = [];
  const p = new Progress({ write: (l) => lines.push(l), quiet: true });
  let ran = false;
  await p.step("x", () => {
    ran = true;
    return Promise.resolve();
  });
  p.note("detail");
  assertEquals([ran, lines], [true, []]);
});
