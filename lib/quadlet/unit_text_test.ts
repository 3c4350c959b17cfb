import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { QuadletRefusal, rawValue, systemdWord, systemdWords, unitText } from "./unit_text.ts";

Deno.test("systemdWord() leaves plain words bare and quotes the rest as systemd reads them", () => {
  const cases: [string, string][] = [
    ["HOME=/devaipod/home", "HOME=/devaipod/home"],
    ["NO_PROXY=localhost,127.0.0.1", "NO_PROXY=localhost,127.0.0.1"],
    ["", '""'],
    ["a b", '"a b"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash", '"back\\\\slash"'],
    ["line1\nline2", '"line1\\nline2"'],
    ["tab\there", '"tab\\there"'],
    ["bell\x07", '"bell\\x07"'],
    ["it's", `"it's"`],
    ["$HOME", '"$$HOME"'],
    ["${f##*/}", '"$${f##*/}"'],
    ["100%", '"100%%"'],
    ["%n", '"%%n"'],
    ["ünïcode", '"ünïcode"'],
  ];
  for (const [word, expected] of cases) assertEquals(systemdWord(word), expected, word);
  assertEquals(systemdWords(["serve", "--port", "4096", "a b"]), 'serve --port 4096 "a b"');
});

Deno.test("rawValue() doubles % and $ and keeps quotes and backslashes as they are", () => {
  assertEquals(
    rawValue("c", "f", '["/bin/sh","-c","echo \\"$x\\" 5%"]', { spaces: true }),
    '["/bin/sh","-c","echo \\"$$x\\" 5%%"]',
  );
  assertEquals(
    rawValue("c", "f", "/workspaces/my project", { spaces: true }),
    "/workspaces/my project",
  );
});

Deno.test("rawValue() refuses what Quadlet would read differently", () => {
  const refused: [string, { spaces?: boolean }][] = [
    ["", {}],
    ["a\nb", { spaces: true }],
    ["a\tb", { spaces: true }],
    [" lead", { spaces: true }],
    ["trail ", { spaces: true }],
    ["a b", {}],
    ["ends\\", { spaces: true }],
    ['"quoted"', { spaces: true }],
  ];
  for (const [value, options] of refused) {
    const err = assertThrows(() => rawValue("obj", "field", value, options), QuadletRefusal);
    assertEquals([err.object, err.field, err.exitCode], ["obj", "field", 1], JSON.stringify(value));
  }
});

Deno.test("unitText() writes the comments, then each non-empty section", () => {
  assertEquals(
    unitText(["made by a test"], [
      { name: "Unit", entries: [["Description", "x"]] },
      { name: "Empty", entries: [] },
      { name: "Container", entries: [["Image", "i"], ["Exec", "a b"]] },
    ]),
    "# made by a test\n\n[Unit]\nDescription=x\n\n[Container]\nImage=i\nExec=a b\n",
  );
});
