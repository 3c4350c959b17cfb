import { assertEquals } from "../../tests/support/assert.ts";
import { pushHeader, webRoot } from "./push.ts";

Deno.test("webRoot() finds a forge's git host from its API root", () => {
  const table: [string, string][] = [
    ["https://api.github.com", "https://github.com"],
    ["https://api.github.test:8443", "https://github.test:8443"],
    ["https://ghe.example.com/api/v3", "https://ghe.example.com"],
    ["https://gitlab.com/api/v4", "https://gitlab.com"],
    ["https://git.example.com/gitlab/api/v4/", "https://git.example.com/gitlab"],
    ["https://codeberg.org/api/v1", "https://codeberg.org"],
  ];
  for (const [api, web] of table) assertEquals(webRoot(api), web, api);
});

Deno.test("pushHeader() sends the token as each forge's git takes it, in Basic auth", () => {
  const decode = (h: string) => atob(h.replace(/^Authorization: Basic /, ""));
  assertEquals(decode(pushHeader("github", "t1")), "x-access-token:t1");
  assertEquals(decode(pushHeader("gitlab", "t2")), "oauth2:t2");
  assertEquals(decode(pushHeader("forgejo", "t3")), "devaipod:t3");
});
