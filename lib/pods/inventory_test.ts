import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { UsageError } from "../errors.ts";
import { bareName, checkName, generateName } from "./inventory.ts";

Deno.test("names: the devaipod- prefix is optional", () => {
  assertEquals([bareName("devaipod-x"), bareName("x")], ["x", "x"]);
});

Deno.test("names: generated from the project folder with a short suffix, always valid", () => {
  assertEquals(generateName("/home/u/My Project!", () => "ab12"), "my-project-ab12");
  assertEquals(generateName("/", () => "ab12"), "workspace-ab12");
  assertEquals(checkName(generateName("/x/___", () => "0000")), "workspace-0000");
});

Deno.test("names: invalid names are usage errors", () => {
  for (const bad of ["", "-x", "UPPER", "a_b", "a".repeat(64)]) {
    assertThrows(() => checkName(bad), UsageError);
  }
  assertEquals(checkName("ok-1"), "ok-1");
});
