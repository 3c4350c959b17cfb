import { assertEquals } from "../../tests/support/assert.ts";
import { judgeWrite } from "./verify_write.ts";

Deno.test("verify write: a file in the human's tree or its volume among the agent's mounts is an escape", () => {
  const v = "devaipod-p-work";
  const table: [Record<string, string>, boolean, RegExp][] = [
    [
      { write_agent: "wrote", write_mounts: "0", write_seen: "no" },
      true,
      /not mounted in the agent; its write stayed in its own clone/,
    ],
    [
      { write_agent: "refused", write_mounts: "0", write_seen: "no" },
      true,
      /could not write at the workspace path/,
    ],
    [
      { write_agent: "wrote", write_mounts: "1", write_seen: "yes" },
      false,
      /^ESCAPE: a file the agent wrote .* human's tree; devaipod-p-work is mounted in the agent \(1×\)$/,
    ],
    [{ write_agent: "refused", write_mounts: "1", write_seen: "no" }, false, /^ESCAPE: .*mounted/],
    [{ write_agent: "wrote", write_mounts: "0", write_seen: "yes" }, false, /^ESCAPE: a file/],
    [{ write_agent: "wrote", write_mounts: "0" }, false, /did not report/],
    [{ write_seen: "no" }, false, /did not report/],
  ];
  for (const [values, ok, detail] of table) {
    const probe = judgeWrite(values, v);
    assertEquals([probe.id, probe.ok], ["write", ok], JSON.stringify(values));
    assertEquals(detail.test(probe.detail), true, `${JSON.stringify(values)}: ${probe.detail}`);
  }
});
