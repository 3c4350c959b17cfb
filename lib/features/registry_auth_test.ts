import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { ConfigError } from "../errors.ts";
import { registryCredentials } from "./registry_auth.ts";

const HOME = "/home/u";
const auth = (user: string, password: string) => ({ auth: btoa(`${user}:${password}`) });
const authFile = (auths: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ auths, ...extra });

/** An environment and a file system of `files`; counts reads per path. */
function setup(files: Record<string, string>, vars: Record<string, string> = {}) {
  const reads: string[] = [];
  const all: Record<string, string> = { HOME, ...vars };
  const env = { get: (name: string) => all[name] };
  const readTextFile = (path: string) => {
    reads.push(path);
    const text = files[path];
    return text === undefined
      ? Promise.reject(new Deno.errors.NotFound(`no such file: ${path}`))
      : Promise.resolve(text);
  };
  return { credentials: registryCredentials(env, readTextFile), reads };
}

Deno.test("registryCredentials() reads $REGISTRY_AUTH_FILE before podman's and docker's files", async () => {
  const { credentials } = setup({
    "/auth.json": authFile({ "ghcr.io": auth("first", "1") }),
    "/run/user/1/containers/auth.json": authFile({ "ghcr.io": auth("second", "2") }),
  }, { REGISTRY_AUTH_FILE: "/auth.json", XDG_RUNTIME_DIR: "/run/user/1" });
  assertEquals(await credentials("ghcr.io"), { username: "first", password: "1" });
});

Deno.test("registryCredentials() looks through the files in podman's order", async () => {
  const files = {
    "/run/user/1/containers/auth.json": authFile({ "a.io": auth("runtime", "1") }),
    [`${HOME}/.config/containers/auth.json`]: authFile({
      "a.io": auth("config", "2"),
      "b.io": auth("config", "2"),
    }),
    [`${HOME}/.docker/config.json`]: authFile({ "c.io": auth("docker", "3") }),
    "/dc/config.json": authFile({
      "c.io": auth("docker-config", "4"),
      "d.io": auth("dc", "pa:ss"),
    }),
  };
  const { credentials, reads } = setup(files, {
    XDG_RUNTIME_DIR: "/run/user/1",
    DOCKER_CONFIG: "/dc",
  });
  assertEquals(await credentials("a.io"), { username: "runtime", password: "1" });
  assertEquals(await credentials("b.io"), { username: "config", password: "2" });
  assertEquals(await credentials("c.io"), { username: "docker", password: "3" });
  assertEquals(await credentials("d.io"), { username: "dc", password: "pa:ss" });
  assertEquals(await credentials("e.io"), undefined);
  assertEquals(reads, Object.keys(files));
});

Deno.test("registryCredentials() uses $XDG_CONFIG_HOME and skips missing files", async () => {
  const { credentials, reads } = setup({
    "/xdg/containers/auth.json": authFile({ "ghcr.io": auth("me", "pw") }),
  }, { REGISTRY_AUTH_FILE: "/missing.json", XDG_CONFIG_HOME: "/xdg" });
  assertEquals(await credentials("ghcr.io"), { username: "me", password: "pw" });
  assertEquals(reads, ["/missing.json", "/xdg/containers/auth.json"]);
});

Deno.test("registryCredentials() matches the URL forms of a registry's key", async () => {
  const { credentials } = setup({
    [`${HOME}/.docker/config.json`]: authFile({
      "https://ghcr.io": auth("a", "1"),
      "http://quay.io/v2/": auth("b", "2"),
      "https://index.docker.io/v1/": auth("c", "3"),
      "registry.example/team": auth("d", "4"),
    }),
  });
  assertEquals(await credentials("ghcr.io"), { username: "a", password: "1" });
  assertEquals(await credentials("quay.io"), { username: "b", password: "2" });
  assertEquals(await credentials("docker.io"), { username: "c", password: "3" });
  assertEquals(await credentials("registry.example"), undefined);
});

Deno.test("registryCredentials() prefers the exact key over URL forms", async () => {
  const { credentials } = setup({
    [`${HOME}/.docker/config.json`]: authFile({
      "https://ghcr.io/v1/": auth("url", "1"),
      "ghcr.io": auth("exact", "2"),
    }),
  });
  assertEquals(await credentials("ghcr.io"), { username: "exact", password: "2" });
});

Deno.test("registryCredentials() returns an identity token", async () => {
  const { credentials } = setup({
    [`${HOME}/.docker/config.json`]: authFile({
      "myregistry.azurecr.io": { auth: btoa("<token>:"), identitytoken: "refresh" },
    }),
  });
  assertEquals(await credentials("myregistry.azurecr.io"), { identityToken: "refresh" });
});

Deno.test("registryCredentials() returns nothing for a registry kept by a credential helper", async () => {
  const { credentials } = setup({
    [`${HOME}/.docker/config.json`]: authFile({ "ghcr.io": {} }, {
      credHelpers: { "ghcr.io": "desktop" },
    }),
    "/dc/config.json": authFile({ "ghcr.io": auth("later", "1") }),
  }, { DOCKER_CONFIG: "/dc" });
  assertEquals(await credentials("ghcr.io"), undefined);
});

Deno.test("registryCredentials() skips an entry without credentials, as podman does", async () => {
  const { credentials } = setup({
    [`${HOME}/.config/containers/auth.json`]: authFile({ "ghcr.io": {} }),
    [`${HOME}/.docker/config.json`]: authFile({ "ghcr.io": auth("me", "pw") }, {
      credsStore: "desktop",
    }),
  });
  assertEquals(await credentials("ghcr.io"), { username: "me", password: "pw" });
});

Deno.test("registryCredentials() reads and parses each file once", async () => {
  const { credentials, reads } = setup({
    [`${HOME}/.docker/config.json`]: authFile({ "ghcr.io": auth("me", "pw") }),
  });
  await Promise.all([credentials("ghcr.io"), credentials("quay.io"), credentials("ghcr.io")]);
  assertEquals(reads, [
    `${HOME}/.config/containers/auth.json`,
    `${HOME}/.docker/config.json`,
  ]);
});

Deno.test("registryCredentials() reports a file that is not JSON as a ConfigError naming it", async () => {
  const { credentials } = setup({ "/auth.json": "{ auths: " }, {
    REGISTRY_AUTH_FILE: "/auth.json",
  });
  const err = await assertRejects(() => credentials("ghcr.io"), ConfigError);
  assertEquals(err.location, { file: "/auth.json" });
  assertEquals(err.message.startsWith("/auth.json: not valid JSON: "), true);
});

Deno.test("registryCredentials() reports an auth value that is not base64 of user:password", async () => {
  const { credentials } = setup({
    "/auth.json": authFile({ "ghcr.io": { auth: btoa("no-colon") } }),
  }, { REGISTRY_AUTH_FILE: "/auth.json" });
  const err = await assertRejects(() => credentials("ghcr.io"), ConfigError);
  assertEquals(err.message, "/auth.json: auths.ghcr.io.auth: not base64 of 'user:password'");
});
