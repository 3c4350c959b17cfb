import { assert, assertEquals, assertNotMatch, assertThrows } from "../../tests/support/assert.ts";
import type { OptionValue } from "./options.ts";
import {
  answersTo,
  compareNodes,
  compareOptions,
  installOrder,
  InstallOrderError,
} from "./install_order.ts";
import type { OrderNode } from "./install_order.ts";

const NS = "ghcr.io/o/c";

/** An OCI node `NS/name:1` keyed and labelled by its reference; `patch` overrides. */
function node(name: string, patch: Partial<OrderNode> = {}): OrderNode {
  const resource = name.includes("/") ? name : `${NS}/${name}`;
  const tag = patch.tag ?? "1";
  return {
    key: `${resource}:${tag}`,
    label: `${resource}:${tag}`,
    kind: "oci",
    resource,
    aliases: [],
    tag,
    digest: "sha256:0",
    options: {},
    dependsOn: [],
    installsAfter: [],
    ...patch,
  };
}

const keys = (nodes: readonly OrderNode[]) => nodes.map((n) => n.key);
const names = (nodes: readonly OrderNode[]) =>
  nodes.map((n) => n.resource.slice(n.resource.lastIndexOf("/") + 1));
const key = (name: string) => `${NS}/${name}:1`;
const res = (name: string) => `${NS}/${name}`;

// --- installOrder ---------------------------------------------------------------------------

Deno.test("installOrder() of nothing is nothing", () => {
  assertEquals(installOrder([]), []);
});

Deno.test("installOrder() sorts Features without edges by resource, whatever the input order", () => {
  const nodes = [node("c"), node("a"), node("b")];
  assertEquals(names(installOrder(nodes)), ["a", "b", "c"]);
  assertEquals(names(installOrder([...nodes].reverse())), ["a", "b", "c"]);
});

Deno.test("installOrder() does not change its input", () => {
  const nodes = [node("c"), node("a")];
  installOrder(nodes, [res("c")]);
  assertEquals(names(nodes), ["c", "a"]);
});

Deno.test("installOrder() installs a dependsOn chain from the bottom up", () => {
  const nodes = [
    node("a", { dependsOn: [key("b")] }),
    node("b", { dependsOn: [key("c")] }),
    node("c"),
  ];
  assertEquals(names(installOrder(nodes)), ["c", "b", "a"]);
});

Deno.test("installOrder() waits for every dependency of a Feature", () => {
  const nodes = [
    node("a", { dependsOn: [key("z"), key("y")] }),
    node("y", { dependsOn: [key("z")] }),
    node("z"),
  ];
  assertEquals(names(installOrder(nodes)), ["z", "y", "a"]);
});

Deno.test("installOrder() installs by rounds: a later round waits even when its name sorts first", () => {
  // Round 1: b and z (no edges); round 2: a (needs b). Not a depth-first a-after-b.
  const nodes = [node("a", { dependsOn: [key("b")] }), node("b"), node("z")];
  assertEquals(names(installOrder(nodes)), ["b", "z", "a"]);
});

Deno.test("installOrder() sorts the Features of one round among themselves", () => {
  const nodes = [
    node("d", { dependsOn: [key("a")] }),
    node("c", { dependsOn: [key("a")] }),
    node("a"),
    node("b", { dependsOn: [key("a")] }),
  ];
  assertEquals(names(installOrder(nodes)), ["a", "b", "c", "d"]);
});

Deno.test("installOrder() installs a Feature after a present Feature it names in installsAfter", () => {
  const nodes = [node("a", { installsAfter: [res("b")] }), node("b")];
  assertEquals(names(installOrder(nodes)), ["b", "a"]);
});

Deno.test("installOrder() ignores an installsAfter that names no present Feature", () => {
  const nodes = [node("z"), node("a", { installsAfter: [res("missing"), "other/reg/x"] })];
  assertEquals(names(installOrder(nodes)), ["a", "z"]);
});

Deno.test("installOrder() ignores an installsAfter that names the Feature itself", () => {
  const nodes = [node("a", { installsAfter: [res("a")] }), node("b")];
  assertEquals(names(installOrder(nodes)), ["a", "b"]);
});

Deno.test("installOrder() matches installsAfter against a Feature's legacy ids", () => {
  const nodes = [
    node("a", { installsAfter: [res("old-b")] }),
    node("b", { aliases: [res("old-b")] }),
  ];
  assertEquals(names(installOrder(nodes)), ["b", "a"]);
});

Deno.test("installOrder() matches installsAfter by resource, whatever the tag", () => {
  const nodes = [node("a", { installsAfter: [res("b")] }), node("b", { tag: "2" })];
  assertEquals(keys(installOrder(nodes)), [`${res("b")}:2`, key("a")]);
});

Deno.test("installOrder() combines dependsOn and installsAfter", () => {
  // a needs c; c installs after b (present); b has no edges.
  const nodes = [
    node("a", { dependsOn: [key("c")] }),
    node("c", { installsAfter: [res("b")] }),
    node("b"),
  ];
  assertEquals(names(installOrder(nodes)), ["b", "c", "a"]);
});

Deno.test("installOrder() installs two instances of one Feature with different options", () => {
  const nodes = [
    node("a", { key: "a-2", options: { v: "2" } }),
    node("a", { key: "a-1", options: { v: "1" } }),
  ];
  assertEquals(keys(installOrder(nodes)), ["a-1", "a-2"]);
});

// --- overrideFeatureInstallOrder -------------------------------------------------------------

const overrides: { name: string; override: string[]; order: string[] }[] = [
  { name: "no override keeps the sorted order", override: [], order: ["a", "b", "c", "d"] },
  { name: "one entry goes first", override: [res("c")], order: ["c", "a", "b", "d"] },
  {
    name: "the first entry goes earliest",
    override: [res("d"), res("b")],
    order: ["d", "b", "a", "c"],
  },
  {
    name: "every entry, in the order given",
    override: [res("c"), res("d"), res("a"), res("b")],
    order: ["c", "d", "a", "b"],
  },
  {
    name: "an entry that names no Feature is ignored",
    override: [res("nothing"), res("b")],
    order: ["b", "a", "c", "d"],
  },
  { name: "an entry matches a legacy id", override: [res("old-d")], order: ["d", "a", "b", "c"] },
];

for (const { name, override, order } of overrides) {
  Deno.test(`installOrder() with overrideFeatureInstallOrder: ${name}`, () => {
    const nodes = [node("a"), node("b"), node("c"), node("d", { aliases: [res("old-d")] })];
    assertEquals(names(installOrder(nodes, override)), order);
  });
}

Deno.test("installOrder() lets an override move a Feature only as early as its dependencies allow", () => {
  // c needs d: c cannot go before d, even when it comes first in the override.
  const nodes = [node("a"), node("b"), node("c", { dependsOn: [key("d")] }), node("d")];
  assertEquals(names(installOrder(nodes, [res("c")])), ["a", "b", "d", "c"]);
  assertEquals(names(installOrder(nodes, [res("c"), res("d")])), ["d", "c", "a", "b"]);
});

Deno.test("installOrder() does not let an override break an installsAfter between present Features", () => {
  // a installs after b: overriding a alone cannot put it first.
  const nodes = [node("a", { installsAfter: [res("b")] }), node("b"), node("c")];
  assertEquals(names(installOrder(nodes, [res("a")])), ["b", "c", "a"]);
  assertEquals(names(installOrder(nodes, [res("a"), res("b")])), ["b", "a", "c"]);
});

Deno.test("installOrder() gives a Feature named twice in the override its earliest place", () => {
  const nodes = [node("a"), node("b"), node("c")];
  assertEquals(names(installOrder(nodes, [res("c"), res("b"), res("c")])), ["c", "b", "a"]);
});

Deno.test("installOrder() gives every instance of an overridden resource the priority", () => {
  const nodes = [
    node("a"),
    node("b", { key: "b-x", options: { x: "1" } }),
    node("b", { key: "b-plain" }),
  ];
  assertEquals(keys(installOrder(nodes, [res("b")])), ["b-plain", "b-x", key("a")]);
});

// --- errors --------------------------------------------------------------------------------

Deno.test("installOrder() names the Features of a dependsOn cycle, and only those", () => {
  const nodes = [
    node("a", { dependsOn: [key("b")] }),
    node("b", { dependsOn: [key("a")] }),
    node("free"),
  ];
  const err = assertThrows(() => installOrder(nodes), InstallOrderError);
  assertEquals(err.name, "InstallOrderError");
  assertEquals(
    err.message,
    `Features depend on each other in a cycle: '${key("a")}', '${key("b")}'`,
  );
  assertNotMatch(err.message, /free/);
});

Deno.test("installOrder() names Features stuck behind a cycle too", () => {
  const nodes = [
    node("a", { dependsOn: [key("b")] }),
    node("b", { dependsOn: [key("a")] }),
    node("c", { dependsOn: [key("a")] }),
  ];
  assertThrows(() => installOrder(nodes), /cycle: .*'ghcr\.io\/o\/c\/c:1'/);
});

Deno.test("installOrder() reports a Feature that depends on itself as a cycle", () => {
  assertThrows(
    () => installOrder([node("a", { dependsOn: [key("a")] })]),
    /cycle: 'ghcr\.io\/o\/c\/a:1'$/,
  );
});

Deno.test("installOrder() reports an installsAfter cycle between present Features", () => {
  const nodes = [
    node("a", { installsAfter: [res("b")] }),
    node("b", { installsAfter: [res("a")] }),
  ];
  assertThrows(() => installOrder(nodes), InstallOrderError);
});

Deno.test("installOrder() names a Feature whose dependency was not resolved", () => {
  const nodes = [node("a", { label: "a-as-written", dependsOn: ["ghcr.io/x/y/gone:1"] })];
  const err = assertThrows(() => installOrder(nodes), InstallOrderError);
  assertEquals(
    err.message,
    "Feature 'a-as-written' depends on 'ghcr.io/x/y/gone:1', which is not resolved",
  );
});

Deno.test("installOrder() takes dependsOn as keys, not resources", () => {
  assertThrows(
    () => installOrder([node("a", { dependsOn: [res("b")] }), node("b")]),
    /not resolved/,
  );
});

// --- answersTo ---------------------------------------------------------------------------

Deno.test("answersTo() matches a resource or a legacy id, nothing else", () => {
  const n = node("a", { aliases: [res("old-a")] });
  assert(answersTo(n, res("a")));
  assert(answersTo(n, res("old-a")));
  assert(!answersTo(n, key("a")));
  assert(!answersTo(n, res("b")));
});

// --- compareNodes / compareOptions ----------------------------------------------------------

const sign = (n: number) => Math.sign(n);
const untagged = (n: OrderNode): OrderNode => {
  delete n.tag;
  return n;
};

const nodePairs: { name: string; first: OrderNode; second: OrderNode }[] = [
  {
    name: "the namespace before the id",
    first: node("reg.io/x/zzz"),
    second: node("reg.io/x-y/aaa"),
  },
  {
    name: "the id within one namespace",
    first: node("a"),
    second: node("b"),
  },
  {
    name: "the tag within one resource",
    first: node("a", { tag: "1" }),
    second: node("a", { tag: "2" }),
  },
  {
    name: "the options within one tag",
    first: node("a", { options: { v: "1" } }),
    second: node("a", { options: { v: "2" } }),
  },
  {
    name: "the digest last",
    first: node("a", { digest: "sha256:1" }),
    second: node("a", { digest: "sha256:2" }),
  },
  {
    name: "the options before the digest",
    first: node("a", { options: {}, digest: "sha256:9" }),
    second: node("a", { options: { v: "x" }, digest: "sha256:0" }),
  },
  {
    name: "the tag before the options",
    first: node("a", { tag: "1", options: { z: "z" } }),
    second: node("a", { tag: "2", options: {} }),
  },
  {
    name: "the label across kinds",
    first: node("x", { kind: "local", label: "./aaa", resource: "/p/.devcontainer/aaa" }),
    second: node("a", { label: "ghcr.io/o/c/a:1" }),
  },
  {
    name: "the resource (not the namespace) of tarballs",
    // By namespace, https://b.io/x would sort before https://b.io/x-y.
    first: node("x", { kind: "tarball", resource: "https://b.io/x-y/devcontainer-feature-a.tgz" }),
    second: node("y", { kind: "tarball", resource: "https://b.io/x/devcontainer-feature-b.tgz" }),
  },
  {
    name: "the options when one side has no tag",
    first: node("a", { tag: "9", options: {} }),
    second: untagged(node("a", { options: { v: "1" } })),
  },
];

for (const { name, first, second } of nodePairs) {
  Deno.test(`compareNodes() orders by ${name}`, () => {
    assertEquals(sign(compareNodes(first, second)), -1);
    assertEquals(sign(compareNodes(second, first)), 1);
  });
}

Deno.test("compareNodes() finds two equal nodes equal", () => {
  assertEquals(
    compareNodes(node("a", { options: { v: true } }), node("a", { options: { v: true } })),
    0,
  );
});

const optionPairs: {
  name: string;
  first: Record<string, OptionValue>;
  second: Record<string, OptionValue>;
}[] = [
  { name: "fewer keys first", first: { z: "z" }, second: { a: "a", b: "b" } },
  { name: "no options before some", first: {}, second: { a: "" } },
  { name: "by key name", first: { a: "z" }, second: { b: "a" } },
  {
    name: "by key name, whatever the written order",
    first: { b: "1", a: "1" },
    second: { a: "1", c: "1" },
  },
  { name: "by string value", first: { v: "1.2" }, second: { v: "1.3" } },
  { name: "false before true", first: { v: false }, second: { v: true } },
  { name: "a boolean before a string", first: { v: true }, second: { v: "false" } },
  { name: "by the first differing value", first: { a: "1", b: "9" }, second: { a: "2", b: "0" } },
];

for (const { name, first, second } of optionPairs) {
  Deno.test(`compareOptions() orders ${name}`, () => {
    assertEquals(sign(compareOptions(first, second)), -1);
    assertEquals(sign(compareOptions(second, first)), 1);
  });
}

Deno.test("compareOptions() finds the same options equal, whatever the written order", () => {
  assertEquals(compareOptions({ a: "1", b: true }, { b: true, a: "1" }), 0);
  assertEquals(compareOptions({}, {}), 0);
});
