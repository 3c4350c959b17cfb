import { assertEquals } from "../../tests/support/assert.ts";
import { execCommand, kubeRunner } from "./session_runner.ts";
import { KubeClient } from "./client.ts";

Deno.test("execCommand() puts a session's variables in front of its command with env, and nothing without them", () => {
  assertEquals(execCommand({ command: ["/bin/sh", "-c", "echo hi"] }), [
    "/bin/sh",
    "-c",
    "echo hi",
  ]);
  assertEquals(
    execCommand({ command: ["/bin/sh", "-c", "echo $A"], env: { A: "1 2", LANG: "C.UTF-8" } }),
    ["env", "A=1 2", "LANG=C.UTF-8", "/bin/sh", "-c", "echo $A"],
  );
});

Deno.test("kubeRunner() chooses no other user: sessions run as the Pod's", async () => {
  const client = new KubeClient(
    { context: "c", server: "https://127.0.0.1:1", namespace: "n" },
    { fetch: () => Promise.reject(new Error("no network here")), close: () => {} },
  );
  const runner = kubeRunner(client);
  const target = { workspace: "w", container: "devaipod-w-workspace", workdir: "/" };
  assertEquals(await runner.hasUser(target, "root"), false);
});
