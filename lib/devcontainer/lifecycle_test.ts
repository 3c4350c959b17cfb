import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import {
  displayCommand,
  HookFailedError,
  hooksFor,
  lifecycleSteps,
  normalizeCommand,
  runSteps,
  splitAtWaitFor,
} from "./lifecycle.ts";
import type { CommandExecutor, LifecycleStep } from "./lifecycle.ts";

Deno.test("lifecycle: a string runs through /bin/sh -c, an array without a shell", () => {
  assertEquals(normalizeCommand("npm i && npm test"), {
    kind: "single",
    form: "shell",
    argv: ["/bin/sh", "-c", "npm i && npm test"],
  });
  assertEquals(normalizeCommand(["npm", "i", "a b"]), {
    kind: "single",
    form: "exec",
    argv: ["npm", "i", "a b"],
  });
});

Deno.test("lifecycle: an object becomes named commands run in parallel", () => {
  assertEquals(normalizeCommand({ server: "npm start", db: ["mysql", "-u", "root"], skip: "" }), {
    kind: "parallel",
    commands: [
      { name: "server", form: "shell", argv: ["/bin/sh", "-c", "npm start"] },
      { name: "db", form: "exec", argv: ["mysql", "-u", "root"] },
    ],
  });
});

Deno.test("lifecycle: empty commands are no command", () => {
  const empties: Parameters<typeof normalizeCommand>[0][] = [undefined, "", "   ", [], {}, {
    a: "",
  }];
  for (const empty of empties) assertEquals(normalizeCommand(empty), undefined);
});

Deno.test("lifecycle: steps follow hook order, then source order (image metadata before devcontainer.json)", () => {
  const steps = lifecycleSteps([
    {
      origin: "image",
      hooks: { postCreateCommand: "image post-create", onCreateCommand: "image create" },
    },
    {
      origin: "devcontainer.json",
      hooks: { postCreateCommand: "own post-create", initializeCommand: "init" },
    },
  ]);
  assertEquals(steps.map((s) => `${s.hook}:${s.origin}`), [
    "initializeCommand:devcontainer.json",
    "onCreateCommand:image",
    "postCreateCommand:image",
    "postCreateCommand:devcontainer.json",
  ]);
});

Deno.test("lifecycle: which hooks run at up, create, start and attach", () => {
  assertEquals(hooksFor("up"), ["initializeCommand"]);
  assertEquals(hooksFor("create"), [
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
  ]);
  assertEquals(hooksFor("start"), ["postStartCommand", "postAttachCommand"]);
  assertEquals(hooksFor("attach"), ["postAttachCommand"]);
});

const steps = lifecycleSteps([{
  origin: "devcontainer.json",
  hooks: {
    onCreateCommand: "a",
    updateContentCommand: "b",
    postCreateCommand: "c",
    postStartCommand: "d",
  },
}]);

Deno.test("lifecycle: waitFor splits the hooks at readiness (default updateContentCommand)", () => {
  const names = (s: LifecycleStep[]) => s.map((x) => x.hook);
  const def = splitAtWaitFor(steps);
  assertEquals([names(def.beforeReady), names(def.afterReady)], [[
    "onCreateCommand",
    "updateContentCommand",
  ], ["postCreateCommand", "postStartCommand"]]);
  const early = splitAtWaitFor(steps, "onCreateCommand");
  assertEquals(names(early.afterReady), [
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
  ]);
  assertEquals(splitAtWaitFor(steps, "postStartCommand").afterReady, []);
});

function recorder(codes: Record<string, number> = {}): { exec: CommandExecutor; ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    exec: (argv) => {
      const key = argv.at(-1) ?? "";
      ran.push(key);
      return Promise.resolve({ code: codes[key] ?? 0, stdout: `out:${key}\n`, stderr: "" });
    },
  };
}

Deno.test("lifecycle: steps run in order and report their output", async () => {
  const { exec, ran } = recorder();
  const out: string[] = [];
  await runSteps(steps, exec, (t) => out.push(t));
  assertEquals(ran, ["a", "b", "c", "d"]);
  assertEquals(out, ["out:a\n", "out:b\n", "out:c\n", "out:d\n"]);
});

Deno.test("lifecycle: the first failure stops the later hooks and names hook, command and exit code", async () => {
  const { exec, ran } = recorder({ b: 3 });
  const err = await assertRejects(() => runSteps(steps, exec), HookFailedError);
  assertEquals(ran, ["a", "b"]);
  assertEquals([err.hook, err.command, err.code], ["updateContentCommand", "b", 3]);
  assertEquals(err.message, "updateContentCommand failed with exit code 3: b");
});

Deno.test("lifecycle: parallel commands all start before any finishes, and all are awaited", async () => {
  const parallel = lifecycleSteps([{
    origin: "x",
    hooks: { postCreateCommand: { one: "1", two: "2" } },
  }]);
  let started = 0;
  let release!: () => void;
  const allStarted = new Promise<void>((r) => (release = r));
  const exec: CommandExecutor = async (argv) => {
    if (++started === 2) release();
    await allStarted; // deadlocks if the commands ran one after the other
    return { code: argv.at(-1) === "2" ? 5 : 0, stdout: `hello ${argv.at(-1)}\nbye\n`, stderr: "" };
  };
  const out: string[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("parallel commands ran sequentially")), 2000);
  });
  try {
    const err = await Promise.race([
      assertRejects(() => runSteps(parallel, exec, (t) => out.push(t)), HookFailedError),
      timeout,
    ]);
    assertEquals(started, 2);
    assertEquals(out, ["[one] hello 1\n[one] bye\n", "[two] hello 2\n[two] bye\n"]);
    assertEquals([err.hook, err.command, err.code], ["postCreateCommand", "two: 2", 5]);
  } finally {
    clearTimeout(timer);
  }
});

Deno.test("lifecycle: commands are shown as written", () => {
  assertEquals(displayCommand({ form: "shell", argv: ["/bin/sh", "-c", "a && b"] }), "a && b");
  assertEquals(displayCommand({ form: "exec", argv: ["a", "b c"] }), '["a","b c"]');
  assert(true);
});
