import { assertEquals } from "../../tests/support/assert.ts";
import { judgeProviderKeys } from "./verify_keys.ts";

Deno.test("judgeProviderKeys() fails on a real key anywhere in the dump, names it, and never prints it", () => {
  const keys = { ANTHROPIC_API_KEY: "sk-ant-real-0123456789", OPENAI_API_KEY: "sk-openai-real-99" };
  const clean = "PATH=/bin\0ANTHROPIC_API_KEY=devaipod-key-held-by-the-proxy\0{}";
  assertEquals(judgeProviderKeys(clean, keys).ok, true);
  const leak = judgeProviderKeys(`${clean}\nconfig: {"key":"sk-openai-real-99"}`, keys);
  assertEquals([leak.ok, leak.detail], [
    false,
    "LEAK: the real OPENAI_API_KEY is readable in the agent",
  ]);
  assertEquals(leak.detail.includes("sk-openai-real-99"), false);
});

Deno.test("judgeProviderKeys() says when there is nothing to look for, and fails an unreadable agent", () => {
  assertEquals(judgeProviderKeys("", {}), {
    id: "provider-keys",
    ok: true,
    detail: "not probed: no provider key is set in this environment",
  });
  assertEquals(
    judgeProviderKeys(undefined, { ANTHROPIC_API_KEY: "sk-ant-real-0123456789" }).ok,
    false,
  );
});
