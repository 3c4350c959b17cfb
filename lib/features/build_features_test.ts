import { assertEquals } from "../../tests/support/assert.ts";
import { buildUsers } from "./build_features.ts";

Deno.test("buildUsers(): devcontainer.json wins, then the base image's last metadata, then its USER, then root", () => {
  const entries = [{ containerUser: "old", remoteUser: "first" }, { remoteUser: "" }, {
    remoteUser: "vscode",
  }];
  assertEquals(buildUsers({ containerUser: "app" }, { user: "img", entries }), {
    containerUser: "app",
    remoteUser: "vscode",
  });
  assertEquals(buildUsers({}, { user: "img", entries: [{ remoteUser: "" }] }), {
    containerUser: "img",
    remoteUser: "img",
  });
  assertEquals(buildUsers({}, { user: "", entries: [] }), {
    containerUser: "root",
    remoteUser: "root",
  });
  assertEquals(buildUsers({ remoteUser: "dev" }, { user: "", entries }), {
    containerUser: "old",
    remoteUser: "dev",
  });
});
