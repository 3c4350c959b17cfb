import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import {
  bind,
  type BindingName,
  BINDINGS,
  type BindingValues,
  bindNumber,
  fill,
  needs,
  placeholders,
  type Planned,
  t,
  Template,
  UnboundError,
} from "./bindings.ts";

const VALUES: BindingValues = {
  "net.proxy": "10.89.0.2",
  "net.agent": "10.89.0.3",
  "user.uid": "1000",
  "user.gid": "1001",
};

Deno.test("t`` keeps literal text and bindings in order, and flattens nested templates", () => {
  const table: [string, Template, (string | { bind: BindingName })[]][] = [
    ["text only", t`plain`, ["plain"]],
    ["a binding only", t`${bind("net.proxy")}`, [{ bind: "net.proxy" }]],
    ["text around a binding", t`http://${bind("net.proxy")}:3128`, [
      "http://",
      { bind: "net.proxy" },
      ":3128",
    ]],
    ["two bindings side by side", t`${bind("user.uid")}${bind("user.gid")}`, [
      { bind: "user.uid" },
      { bind: "user.gid" },
    ]],
    ["numbers and strings become text", t`${"a"}-${4096}`, ["a", "-", "4096"]],
    ["a nested template is flattened", t`x=${t`${bind("net.agent")}:1`}`, [
      "x=",
      { bind: "net.agent" },
      ":1",
    ]],
  ];
  for (const [name, template, parts] of table) {
    assertEquals([...template.parts], parts, name);
    assertEquals(template.number, false, name);
  }
});

Deno.test("Template.needs lists its bindings in order, repeats included; bindNumber marks a number", () => {
  assertEquals(t`${bind("net.proxy")}:${bind("net.agent")}`.needs, ["net.proxy", "net.agent"]);
  assertEquals(t`${bind("user.uid")}/${bind("user.uid")}`.needs, ["user.uid", "user.uid"]);
  assertEquals(t`none`.needs, []);
  assertEquals([bind("user.uid").number, bindNumber("user.uid").number], [false, true]);
  assertEquals(bindNumber("user.uid").needs, ["user.uid"]);
});

Deno.test("fill() replaces every template, numbers as numbers, and leaves the rest as it was", () => {
  const table: [string, unknown, unknown][] = [
    ["a string", "plain", "plain"],
    ["a number", 3, 3],
    ["a boolean and null", [true, null], [true, null]],
    ["a binding", bind("net.proxy"), "10.89.0.2"],
    [
      "text around bindings",
      t`${bind("net.proxy")}:3128=${bind("net.agent")}`,
      "10.89.0.2:3128=10.89.0.3",
    ],
    ["a numeric binding", bindNumber("user.gid"), 1001],
    ["a binding that holds a number, as text", bind("user.uid"), "1000"],
    ["inside arrays and objects", {
      user: t`${bind("user.uid")}:${bind("user.gid")}`,
      secrets: [{ name: "s", uid: bindNumber("user.uid"), gid: bindNumber("user.gid") }],
      hosts: [{ host: "proxy.devaipod", ip: bind("net.proxy") }],
      absent: undefined,
    }, {
      user: "1000:1001",
      secrets: [{ name: "s", uid: 1000, gid: 1001 }],
      hosts: [{ host: "proxy.devaipod", ip: "10.89.0.2" }],
      absent: undefined,
    }],
  ];
  for (const [name, value, want] of table) {
    assertEquals(fill(value as Planned<unknown>, VALUES), want, name);
  }
});

Deno.test("fill() throws UnboundError naming the first binding without a value", () => {
  const table: [string, unknown, BindingName][] = [
    ["a lone binding", bind("net.pod"), "net.pod"],
    [
      "one of two in a template",
      t`${bind("net.proxy")}:${bind("net.linkSubnet")}`,
      "net.linkSubnet",
    ],
    ["deep in an object", { a: [{ b: bindNumber("copy.commit") }] }, "copy.commit"],
  ];
  for (const [name, value, missing] of table) {
    const err = assertThrows(() => fill(value as Planned<unknown>, VALUES), UnboundError);
    assertEquals(err.binding, missing, name);
    assert(err.message.includes(missing), err.message);
  }
});

Deno.test("fill() refuses a numeric binding whose value is no integer", () => {
  const err = assertThrows(() => fill(bindNumber("user.uid"), { "user.uid": "root" }));
  assert(err.message.includes("user.uid") && err.message.includes("'root'"), err.message);
  assertEquals(err instanceof UnboundError, false);
});

Deno.test("placeholders() shows every binding as <name>, numbers included, and needs no value", () => {
  const table: [string, unknown, unknown][] = [
    ["a binding", bind("net.linkProxy"), "<net.linkProxy>"],
    ["the agent's user", t`${bind("user.uid")}:${bind("user.gid")}`, "<user.uid>:<user.gid>"],
    ["a numeric binding stays text", bindNumber("user.uid"), "<user.uid>"],
    [
      "a template without bindings",
      t`/opt/devaipod/shims:${"/usr/bin"}`,
      "/opt/devaipod/shims:/usr/bin",
    ],
    ["nested", { networks: [t`n:ip=${bind("net.pod")}`, "podman"] }, {
      networks: ["n:ip=<net.pod>", "podman"],
    }],
    ["no template", { a: 1, b: ["x"] }, { a: 1, b: ["x"] }],
  ];
  for (const [name, value, want] of table) {
    assertEquals(placeholders(value as Planned<unknown>), want, name);
  }
});

Deno.test("needs() lists each binding once, in order of appearance", () => {
  const table: [string, unknown, BindingName[]][] = [
    ["nothing", { a: "x", b: [1, 2] }, []],
    ["one", bind("net.pod"), ["net.pod"]],
    ["repeated", [bind("user.uid"), t`${bind("user.uid")}:${bind("user.gid")}`], [
      "user.uid",
      "user.gid",
    ]],
    ["deep", { a: { b: [{ c: bindNumber("copy.commit") }] }, d: bind("image.path") }, [
      "copy.commit",
      "image.path",
    ]],
  ];
  for (const [name, value, want] of table) assertEquals(needs(value), want, name);
});

Deno.test("every binding has a description for the dry-run's legend", () => {
  for (const [name, what] of Object.entries(BINDINGS)) {
    assert(/^[a-z]+\.[a-zA-Z]+$/.test(name), name);
    assert(what.length > 0, name);
  }
});
