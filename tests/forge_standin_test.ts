import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import {
  FORGE_STANDIN_NAMES,
  FORGE_STANDIN_SERVER,
  GITHUB_TOKEN,
  GITLAB_TOKEN,
  type StandInCall,
  startForgeStandIn,
} from "./support/forge_standin.ts";
import { createForgeStandIn } from "./support/forge_standin_server.ts";

Deno.test("forge stand-in: the host name picks the forge, without a prefix", async () => {
  const standIn = createForgeStandIn();
  const github = await standIn.handle(
    new Request("https://api.github.test:8443/repos/octo/demo", {
      headers: { authorization: `Bearer ${GITHUB_TOKEN}` },
    }),
    false,
  );
  assertEquals((await github.json()).default_branch, "main");
  const gitlab = await standIn.handle(
    new Request("https://gitlab.test:8443/api/v4/projects/octo%2Fsecret", {
      headers: { "private-token": GITLAB_TOKEN },
    }),
    false,
  );
  assertEquals((await gitlab.json()).path_with_namespace, "octo/secret");
  assertEquals(standIn.calls().map((c) => [c.service, c.path]), [
    ["github", "/repos/octo/demo"],
    ["gitlab", "/api/v4/projects/octo%2Fsecret"],
  ]);
  const control = await standIn.handle(new Request("https://gitlab.test:8443/_calls"), false);
  assertEquals(control.status, 401, "the control paths are only on plain HTTP");
  await control.body?.cancel();
  assertEquals(FORGE_STANDIN_NAMES, [
    "api.github.test",
    "gitlab.test",
    "forgejo.test",
    "jira.test",
  ]);
});

Deno.test("forge stand-in: records calls without their tokens, and forgets them on reset", async () => {
  await using standIn = await startForgeStandIn();
  const answer = await fetch(`${standIn.apis.github}/repos/octo/demo/issues/1/comments?x=1`, {
    method: "POST",
    headers: { authorization: `Bearer ${GITHUB_TOKEN}` },
    body: JSON.stringify({ body: "Hi." }),
  });
  assertEquals(answer.status, 201);
  await answer.body?.cancel();
  const missing = await fetch(`${standIn.apis.github}/repos/octo/nope`);
  assertEquals([missing.status, (await missing.json()).message], [401, "Bad credentials"]);
  const unknown = await fetch(`${standIn.apis.gitlab}/nowhere`, {
    headers: { "private-token": GITLAB_TOKEN },
  });
  assertEquals([unknown.status, await unknown.json()], [404, { message: "404 Not found" }]);
  const over: StandInCall[] = await (await fetch(`${standIn.url}/_calls`)).json();
  assertEquals(over, await standIn.calls());
  assertEquals(over, [
    {
      service: "github",
      method: "POST",
      path: "/repos/octo/demo/issues/1/comments",
      query: { x: "1" },
      authorized: true,
      accept: "*/*",
      body: { body: "Hi." },
    },
    {
      service: "github",
      method: "GET",
      path: "/repos/octo/nope",
      query: {},
      authorized: false,
      accept: "*/*",
    },
    {
      service: "gitlab",
      method: "GET",
      path: "/api/v4/nowhere",
      query: {},
      authorized: true,
      accept: "*/*",
    },
  ]);
  assert(!JSON.stringify(over).includes(GITHUB_TOKEN));
  const reset = await fetch(`${standIn.url}/_reset`, { method: "POST" });
  await reset.body?.cancel();
  assertEquals(await standIn.calls(), []);
});

Deno.test("forge stand-in: its program runs alone, importing nothing", async () => {
  assert(!/^\s*(import|export .* from)\b/m.test(FORGE_STANDIN_SERVER));
  const dir = await Deno.makeTempDir({ prefix: "devaipod-forge-standin-" });
  try {
    await Deno.writeTextFile(join(dir, "server.ts"), FORGE_STANDIN_SERVER);
    const child = new Deno.Command("deno", {
      args: ["run", "--quiet", "--allow-net", join(dir, "server.ts"), "127.0.0.1", "0"],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      const { value } = await reader.read();
      const url = /listening (\S+)/.exec(value ?? "")?.[1];
      assert(url, value);
      const readme = await fetch(`${url}/forgejo/api/v1/repos/octo/demo/raw/README.md`, {
        headers: { authorization: "token fj-test-token" },
      });
      assertEquals(await readme.text(), "# demo\n");
      assertMatch(await (await fetch(`${url}/_calls`)).text(), /"service":"forgejo"/);
      await reader.cancel();
    } finally {
      child.kill();
      await child.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
