import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { ConfigError } from "../errors.ts";
import { duplicateKeys, parseJsonc, positionAt } from "./jsonc.ts";

/** Parsed objects have no prototype; compare their JSON. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

Deno.test("jsonc: offsets become 1-based line:column", () => {
  const text = "ab\ncd\r\nef";
  assertEquals(positionAt(text, 0), { line: 1, column: 1 });
  assertEquals(positionAt(text, 4), { line: 2, column: 2 });
  assertEquals(positionAt(text, 7), { line: 3, column: 1 });
});

Deno.test("jsonc: comments and trailing commas are accepted", () => {
  const doc = parseJsonc('// c\n{ /* b */ "a": [1, 2,], "b": { "c": true, }, }\n', "f.json");
  assertEquals(plain(doc.value), { a: [1, 2], b: { c: true } });
});

const syntax: [string, string, string][] = [
  [
    "a missing comma",
    '{\n  "a": 1\n  "b": 2\n}',
    'f.json:3:3: expected \',\' between values, found "\\"b\\""',
  ],
  ["an unterminated string", '{ "a": "x\n}', 'f.json:1:8: unterminated string, found "\\"x"'],
  [
    "an unclosed object",
    '{ "a": 1',
    "f.json:1:9: expected '}' to close the object, found the end of the file",
  ],
  [
    "an unclosed array",
    '{ "a": [1 }',
    "f.json:1:11: expected ',' between values, found \"}\" (and 3 more syntax errors)",
  ],
  [
    "single quotes",
    "{ 'a': 1 }",
    "f.json:1:3: unexpected character, found \"'a'\" (and 2 more syntax errors)",
  ],
  ["an empty file", "", "f.json:1:1: expected a value, found the end of the file"],
  [
    "two top-level values",
    "{} {}",
    'f.json:1:4: expected the end of the file after the top-level value, found "{"',
  ],
  [
    "an unterminated comment",
    '{ "a": 1 /* x',
    'f.json:1:10: unterminated block comment, found "/* x" (and 1 more syntax error)',
  ],
];

for (const [name, text, message] of syntax) {
  Deno.test(`jsonc: ${name} is a ConfigError at its line:column`, () => {
    const err = assertThrows(() => parseJsonc(text, "f.json"), ConfigError);
    assertEquals(err.message, message);
    assertEquals(err.exitCode, 3);
  });
}

Deno.test("jsonc: values and keys are located by path; absent paths fall back to their parent", () => {
  const doc = parseJsonc('{\n  "a": {\n    "b": [10, 20]\n  }\n}', "f.json");
  assertEquals(doc.locate(["a", "b", 1]), { line: 3, column: 15 });
  assertEquals(doc.locate(["a", "b"]), { line: 3, column: 10 });
  assertEquals(doc.locateKey(["a", "b"]), { line: 3, column: 5 });
  assertEquals(doc.locate(["a", "missing"]), { line: 2, column: 8 });
  assertEquals(doc.locate([]), { line: 1, column: 1 });
});

Deno.test("jsonc: repeated keys are found where they repeat", () => {
  const doc = parseJsonc('{\n  "a": 1,\n  "x": { "k": 1, "k": 2 },\n  "a": 3\n}', "f.json");
  assertEquals(duplicateKeys(doc), [
    { path: ["x", "k"], position: { line: 3, column: 18 } },
    { path: ["a"], position: { line: 4, column: 3 } },
  ]);
  assertEquals(plain(doc.value), { a: 3, x: { k: 2 } });
});
