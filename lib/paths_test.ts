import { assertEquals, assertThrows } from "../tests/support/assert.ts";
import { EnvironmentError } from "./errors.ts";
import { devaipodDirs, userConfigPath } from "./paths.ts";

const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });

Deno.test("paths: Linux follows the XDG base directories", () => {
  assertEquals(devaipodDirs(env({ HOME: "/home/u" }), "linux"), {
    cache: "/home/u/.cache/devaipod",
    config: "/home/u/.config/devaipod",
    state: "/home/u/.local/state/devaipod",
  });
  assertEquals(
    devaipodDirs(
      env({ HOME: "/home/u", XDG_CACHE_HOME: "/c", XDG_CONFIG_HOME: "/cfg", XDG_STATE_HOME: "/s" }),
      "linux",
    ),
    { cache: "/c/devaipod", config: "/cfg/devaipod", state: "/s/devaipod" },
  );
});

Deno.test("paths: relative XDG variables are ignored, as the spec requires", () => {
  assertEquals(
    devaipodDirs(env({ HOME: "/h", XDG_CACHE_HOME: "rel" }), "linux").cache,
    "/h/.cache/devaipod",
  );
});

Deno.test("paths: macOS uses Library folders", () => {
  const d = devaipodDirs(env({ HOME: "/Users/u" }), "darwin");
  assertEquals(d.cache, "/Users/u/Library/Caches/devaipod");
  assertEquals(d.config, "/Users/u/.config/devaipod");
});

Deno.test("paths: without HOME the error says what to set", () => {
  const err = assertThrows(() => devaipodDirs(env({}), "linux"), EnvironmentError);
  assertEquals(err.exitCode, 10);
  assertEquals(
    devaipodDirs(
      env({ XDG_CACHE_HOME: "/c", XDG_CONFIG_HOME: "/g", XDG_STATE_HOME: "/s" }),
      "linux",
    ).cache,
    "/c/devaipod",
  );
});

Deno.test("paths: the user config is devaipod.toml beside the config folder, or --config", () => {
  assertEquals(userConfigPath(env({ HOME: "/h" }), undefined, "linux"), "/h/.config/devaipod.toml");
  assertEquals(
    userConfigPath(env({ HOME: "/h", XDG_CONFIG_HOME: "/x" }), undefined, "linux"),
    "/x/devaipod.toml",
  );
  assertEquals(userConfigPath(env({}), "/etc/my.toml", "linux"), "/etc/my.toml");
});
