import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { secretCommands } from "./secrets.ts";
import { QuadletRefusal } from "./unit_text.ts";

Deno.test("secretCommands() creates each secret from where its value lives, sorted by name", () => {
  const labels = { "io.devaipod.workspace": "w", "io.devaipod.role": "secret" };
  assertEquals(
    secretCommands([
      { name: "devaipod-w-pw", random: true, labels },
      { name: "devaipod-w-anthropic-api-key", env: "ANTHROPIC_API_KEY", labels },
      { name: "my-npm" },
    ]),
    [
      {
        name: "devaipod-w-anthropic-api-key",
        source: "env",
        env: "ANTHROPIC_API_KEY",
        command: 'printf %s "${ANTHROPIC_API_KEY:?}" | podman secret create ' +
          "--label io.devaipod.role=secret --label io.devaipod.workspace=w " +
          "devaipod-w-anthropic-api-key -",
      },
      {
        name: "devaipod-w-pw",
        source: "random",
        command: "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' | podman secret create " +
          "--label io.devaipod.role=secret --label io.devaipod.workspace=w devaipod-w-pw -",
      },
      { name: "my-npm", source: "existing", command: "podman secret exists my-npm" },
    ],
  );
});

Deno.test("secretCommands() refuses a variable no shell could read", () => {
  assertThrows(() => secretCommands([{ name: "s", env: "NOT-A-NAME" }]), QuadletRefusal);
  assertThrows(() => secretCommands([{ name: "s", env: "$(rm -rf ~)" }]), QuadletRefusal);
});
