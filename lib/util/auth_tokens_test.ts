import { assertEquals } from "../../tests/support/assert.ts";
import { authorizationFor } from "./auth_tokens.ts";

Deno.test("authorizationFor() sends DENO_AUTH_TOKENS' entry for the URL's host, as Deno does", () => {
  const tokens = "abc@example.com;user:p%w:d@git.internal:8443;tok@127.0.0.1;bad;@x;y@";
  const basic = `Basic ${btoa("user:p%w:d")}`;
  const cases: [string, string | undefined, string | undefined][] = [
    ["https://example.com/v1/main.ts", tokens, "Bearer abc"],
    ["https://code.EXAMPLE.com/main.ts", tokens, "Bearer abc"],
    ["https://notexample.com/main.ts", tokens, undefined],
    ["https://example.com:8443/main.ts", tokens, undefined],
    ["https://git.internal:8443/main.ts", tokens, basic],
    ["https://git.internal/main.ts", tokens, undefined],
    ["http://127.0.0.1/main.ts", tokens, "Bearer tok"],
    ["http://127.0.0.1:4507/main.ts", tokens, undefined],
    ["http://127.0.0.1/main.ts", "t@0.0.1", undefined],
    ["http://127.0.0.1:4507/main.ts", "t@127.0.0.1:4507", "Bearer t"],
    ["http://127.0.0.1/main.ts", "t@127.0.0.1:80", "Bearer t"],
    ["https://example.com/main.ts", "first@example.com;second@example.com", "Bearer first"],
    ["https://example.com/main.ts", undefined, undefined],
    ["https://example.com/main.ts", "", undefined],
  ];
  for (const [url, value, header] of cases) {
    assertEquals(authorizationFor(new URL(url), value), header, `${url} with ${value}`);
  }
});
