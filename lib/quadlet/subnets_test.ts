import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { UsageError } from "../errors.ts";
import { subnetsFrom, workspaceSubnets } from "./subnets.ts";

Deno.test("workspaceSubnets() picks two adjacent /29s of 10.87.0.0/16, the same for the same name", () => {
  const a = workspaceSubnets("myproj-ab12");
  assertEquals(workspaceSubnets("myproj-ab12"), a);
  const m = /^10\.87\.(\d+)\.(\d+)\/29$/.exec(a.internal);
  assert(m, a.internal);
  assertEquals(Number(m[2]) % 16, 0, "the internal /29 starts a /28");
  assertEquals(a.link, `10.87.${m[1]}.${Number(m[2]) + 8}/29`);
});

Deno.test("workspaceSubnets() spreads names over the pool", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) seen.add(workspaceSubnets(`proj-${i}`).internal);
  // 200 names in 4,096 slots: about 5 collide by chance.
  assert(seen.size > 190, `only ${seen.size} distinct subnets for 200 names`);
});

Deno.test("subnetsFrom() splits a private /28 and refuses anything else", () => {
  assertEquals(subnetsFrom("10.87.3.16/28"), { internal: "10.87.3.16/29", link: "10.87.3.24/29" });
  assertEquals(subnetsFrom("192.168.7.240/28"), {
    internal: "192.168.7.240/29",
    link: "192.168.7.248/29",
  });
  for (const bad of ["10.87.3.16/24", "10.87.3.17/28", "8.8.8.0/28", "10.87.300.0/28", "x"]) {
    assertThrows(() => subnetsFrom(bad), UsageError);
  }
});
