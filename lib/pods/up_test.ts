import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { memoryFs } from "../../tests/support/memory_fs.ts";
import { Progress } from "../util/progress.ts";
import { resolveDevcontainer } from "../devcontainer/resolve.ts";
import { ConfigError } from "../errors.ts";
import { Podman } from "../podman/driver.ts";
import { RecordingRunner } from "../podman/recording_runner.ts";
import { prepareImage } from "./image.ts";

Deno.test("prepareImage: a Compose config is a config error (exit 3) naming its file, before podman runs", async () => {
  const resolved = await resolveDevcontainer({
    folder: "/p",
    env: {},
    platform: "linux",
    fs: memoryFs({
      "/p/.devcontainer/devcontainer.json":
        '{ "dockerComposeFile": "c.yml", "service": "app", "workspaceFolder": "/w" }',
      "/p/.devcontainer/c.yml": "",
    }),
  });
  const runner = new RecordingRunner();
  const deps = {
    podman: new Podman(runner),
    progress: new Progress({ write: () => {}, quiet: true }),
  };
  const err = await assertRejects(() => prepareImage(deps, resolved, undefined, "w"), ConfigError);
  assertEquals(err.exitCode, 3);
  assertEquals(
    err.message,
    "/p/.devcontainer/devcontainer.json: Compose configs are not supported by `up` yet",
  );
  assertEquals(err.hint, "use --image IMAGE");
  assertEquals(runner.calls, []);
});
