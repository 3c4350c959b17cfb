import { assertEquals } from "../../tests/support/assert.ts";
import {
  isObjectFile,
  parseHead,
  parseLooseRef,
  parsePackedRefs,
  parseShallow,
  resolveHead,
} from "./git_refs.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(64);

Deno.test("git refs: parseHead takes a branch or a commit and nothing else", () => {
  const table: [string, ReturnType<typeof parseHead>][] = [
    ["ref: refs/heads/main\n", { ref: "refs/heads/main" }],
    ["ref: refs/heads/feature/x", { ref: "refs/heads/feature/x" }],
    [`${A}\n`, { commit: A }],
    [C, { commit: C }],
    ["ref: refs/heads/../../../etc/passwd\n", undefined],
    ["ref: refs/heads/.hidden\n", undefined],
    ["ref: refs/heads/a..b\n", undefined],
    ["ref: refs/heads/x.lock\n", undefined],
    ["ref: refs/heads//x\n", undefined],
    ["ref: refs/heads/a b\n", undefined],
    ["ref: refs/heads/a\tb\n", undefined],
    ["ref: /etc/passwd\n", undefined],
    ["ref: HEAD\n", undefined],
    [`${A.toUpperCase()}\n`, undefined],
    [`${A}\n${B}\n`, undefined],
    ["ref: refs/heads/main\nmore\n", undefined],
    ["", undefined],
  ];
  for (const [text, want] of table) assertEquals(parseHead(text), want, JSON.stringify(text));
});

Deno.test("git refs: loose refs, packed-refs and shallow hold object ids only", () => {
  assertEquals(parseLooseRef(`${A}\n`), A);
  assertEquals(parseLooseRef("ref: refs/heads/main\n"), undefined);
  assertEquals(parseLooseRef(`${A} trailing\n`), undefined);
  assertEquals(
    parsePackedRefs(
      [
        "# pack-refs with: peeled fully-peeled sorted ",
        `${A} refs/heads/main`,
        `${B} refs/tags/v1`,
        `^${A}`,
        `${B} refs/heads/../../evil`,
        `zz refs/heads/bad`,
        `${A} refs/heads/two words`,
        "",
      ].join("\n"),
    ),
    new Map([["refs/heads/main", A], ["refs/tags/v1", B]]),
  );
  assertEquals(parseShallow(`${A}\n${B}\n`), [A, B]);
  assertEquals(parseShallow(""), []);
  assertEquals(parseShallow(`${A}\nnot-an-id\n`), undefined);
});

Deno.test("git refs: HEAD resolves through a loose ref before a packed one", () => {
  const loose = new Map([["refs/heads/main", A]]);
  const packed = new Map([["refs/heads/main", B], ["refs/heads/old", B]]);
  assertEquals(resolveHead({ ref: "refs/heads/main" }, loose, packed), A);
  assertEquals(resolveHead({ ref: "refs/heads/old" }, loose, packed), B);
  assertEquals(resolveHead({ ref: "refs/heads/none" }, loose, packed), undefined);
  assertEquals(resolveHead({ commit: C }, loose, packed), C);
  assertEquals(resolveHead(undefined, loose, packed), undefined);
});

Deno.test("git refs: only loose objects, packs and their indexes are object files", () => {
  const table: [string, boolean][] = [
    [`ab/${"c".repeat(38)}`, true],
    [`ab/${"c".repeat(62)}`, true],
    [`pack/pack-${A}.pack`, true],
    [`pack/pack-${A}.idx`, true],
    [`pack/pack-${C}.idx`, true],
    ["info/alternates", false],
    ["info/http-alternates", false],
    ["info/commit-graph", false],
    ["info/packs", false],
    [`pack/pack-${A}.bitmap`, false],
    [`pack/pack-${A}.keep`, false],
    ["pack/multi-pack-index", false],
    [`ab/${"c".repeat(37)}`, false],
    [`AB/${"c".repeat(38)}`, false],
    [`ab/cd/${"c".repeat(38)}`, false],
    [`../ab/${"c".repeat(38)}`, false],
  ];
  for (const [path, want] of table) assertEquals(isObjectFile(path), want, path);
});
