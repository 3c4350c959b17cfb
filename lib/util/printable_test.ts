import { assertEquals } from "../../tests/support/assert.ts";
import { printable } from "./printable.ts";

Deno.test("printable: control characters are shown escaped, everything else as it is", () => {
  assertEquals(printable("fix: $(id) `x` \"q\" 'q' ü"), "fix: $(id) `x` \"q\" 'q' ü");
  assertEquals(printable("a\nb\tc\x1b[31mred\x07\x7f"), "a\\nb\\tc\\x1b[31mred\\x07\\x7f");
});
