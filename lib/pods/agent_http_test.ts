import { assertEquals } from "../../tests/support/assert.ts";
import { sessionOutcome } from "./agent_http.ts";

Deno.test("sessionOutcome() is running while the session is busy or the agent has not answered, done or failed after", () => {
  const user = { info: { role: "user", time: {} }, parts: [{ type: "text", text: "task" }] };
  const working = { info: { role: "assistant", time: {} }, parts: [] };
  const finished = {
    info: { role: "assistant", time: { completed: 2 } },
    parts: [
      { type: "tool", text: "" },
      { type: "text", text: "Wrote hello.txt." },
      { type: "text", text: "(resumed)", synthetic: true },
    ],
  };
  const failed = {
    info: {
      role: "assistant",
      time: { completed: 2 },
      error: { name: "APIError", data: { message: "scripted failure" } },
    },
    parts: [],
  };
  const table: [Record<string, { type?: string }>, unknown[], unknown][] = [
    [{ s: { type: "busy" } }, [user, finished], { state: "running" }],
    [{ s: { type: "retry" } }, [user, failed], { state: "running" }],
    [{}, [user], { state: "running" }],
    [{}, [user, working], { state: "running" }],
    [{}, [], { state: "running" }],
    [{}, [user, finished], { state: "done", text: "Wrote hello.txt." }],
    [{ s: { type: "idle" } }, [user, finished], { state: "done", text: "Wrote hello.txt." }],
    [{}, [user, failed], { state: "failed", error: "APIError: scripted failure", text: "" }],
  ];
  for (const [status, messages, want] of table) {
    assertEquals(
      sessionOutcome(status, "s", messages as never),
      want,
      JSON.stringify([status, messages]),
    );
  }
});
