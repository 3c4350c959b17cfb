import { assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { UsageError } from "../errors.ts";
import { formatScope, parseScope } from "./scopes.ts";
import { parseScopesFile, scopesFileText, watchScopesFile } from "./scopes_file.ts";

Deno.test("parseScopesFile() keeps a pull request's '#N' and skips comment lines", () => {
  const text = "# comment\n\ngithub:octo/demo=read\n  github:octo/demo#2=pending-review  \n";
  assertEquals(parseScopesFile(text, "f").map(formatScope), [
    "github:octo/demo=read",
    "github:octo/demo#2=pending-review",
  ]);
});

Deno.test("parseScopesFile() names the file and line of a bad scope", () => {
  const err = assertThrows(
    () => parseScopesFile("github:octo/demo=read\nnope\n", "/s"),
    UsageError,
  );
  assertEquals(err.message.startsWith("/s:2: invalid scope 'nope'"), true, err.message);
});

Deno.test("scopesFileText() reads back as the same scopes", () => {
  const scopes = ["github:*=read", "jira:DEMO=read,create", "gitlab:g/p#3=pending-review"].map((
    s,
  ) => parseScope(s, "t"));
  assertEquals(parseScopesFile(scopesFileText(scopes), "f"), scopes);
});

Deno.test("watchScopesFile() follows changes, and denies everything while the file is bad", async () => {
  const path = await Deno.makeTempFile();
  const errors: string[] = [];
  const scopes = watchScopesFile(path, (m) => errors.push(m));
  assertEquals(scopes(), []);
  await Deno.writeTextFile(path, "github:octo/demo=read\n");
  assertEquals(scopes().map(formatScope), ["github:octo/demo=read"]);
  await Deno.writeTextFile(path, "github:octo/demo=read\nbroken line here\n");
  assertEquals(scopes(), []);
  assertEquals(errors.length, 1);
  assertEquals(scopes(), [], "still denied, reported once");
  assertEquals(errors.length, 1);
  await Deno.writeTextFile(path, "jira:DEMO=read\n");
  assertEquals(scopes().map(formatScope), ["jira:DEMO=read"]);
  await Deno.remove(path);
  assertEquals(scopes(), []);
});
