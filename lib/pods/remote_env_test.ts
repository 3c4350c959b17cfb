import { assertEquals } from "../../tests/support/assert.ts";
import { remoteEnvOf } from "./remote_env.ts";

Deno.test("remoteEnv: read from the label, ${containerEnv:…} resolved against the container", () => {
  const labels = {
    "io.devaipod.remote-env": JSON.stringify({
      GREETING: "hi",
      P: "${containerEnv:PATH}:/extra",
      MISSING: "${containerEnv:NOPE:fallback}",
    }),
  };
  assertEquals(remoteEnvOf(labels, ["PATH=/usr/bin", "HOME=/home/dev"]), {
    GREETING: "hi",
    P: "/usr/bin:/extra",
    MISSING: "fallback",
  });
  assertEquals(remoteEnvOf({}, []), {});
  assertEquals(remoteEnvOf({ "io.devaipod.remote-env": "{broken" }, []), {});
});
