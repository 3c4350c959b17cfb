import { assertEquals } from "../../tests/support/assert.ts";
import {
  mergeConfiguration,
  metadataEntries,
  mountTarget,
  parseBytes,
  parseMetadataLabel,
} from "./metadata.ts";
import type { MetadataEntry } from "./metadata.ts";

/** The merge drops undefined members when serialised, as the reference's JSON does. */
const json = (v: unknown) => JSON.parse(JSON.stringify(v));

Deno.test("metadata: the label is an array, one object, or ignored with a warning", () => {
  assertEquals(parseMetadataLabel(undefined), { entries: [] });
  assertEquals(parseMetadataLabel('[{"init":true},{"remoteUser":"dev"},3]'), {
    entries: [{ init: true }, { remoteUser: "dev" }],
  });
  assertEquals(parseMetadataLabel('{"id":"feature"}'), { entries: [{ id: "feature" }] });
  assertEquals(
    parseMetadataLabel("42").warning,
    "ignoring image label devcontainer.metadata: not an object or array",
  );
  assertEquals(parseMetadataLabel("{oops").entries, []);
});

Deno.test("metadata: devcontainer.json adds its own entry last, with only the mergeable keys", () => {
  const entries = metadataEntries([{ init: true }], {
    image: "x",
    name: "n",
    remoteUser: "me",
    forwardPorts: [1],
  });
  assertEquals(entries, [{ init: true }, { remoteUser: "me", forwardPorts: [1] }]);
  assertEquals(metadataEntries([], { image: "x" }), []);
});

const image: MetadataEntry[] = [
  {
    id: "ghcr.io/f/one",
    init: true,
    capAdd: ["SYS_PTRACE"],
    securityOpt: ["seccomp=unconfined"],
    mounts: ["source=a,target=/cache,type=volume", {
      type: "volume",
      source: "b",
      target: "/data",
    }],
    onCreateCommand: "feature create",
    postStartCommand: ["feature", "start"],
    containerEnv: { A: "image", B: "image" },
    remoteEnv: { R: "image" },
    remoteUser: "imageuser",
    forwardPorts: [3000, "db:5432"],
    hostRequirements: { cpus: 2, memory: "4gb", gpu: "optional" },
    customizations: { vscode: { extensions: ["a"] } },
    entrypoint: "/feature-entrypoint.sh",
    overrideCommand: false,
  },
  { privileged: false, capAdd: ["NET_ADMIN", "SYS_PTRACE"], updateRemoteUserUID: true },
];
const config = {
  image: "localhost/x",
  name: "n",
  capAdd: ["NET_ADMIN"],
  mounts: ["type=bind,source=/host,target=/cache"],
  onCreateCommand: "own create",
  postStartCommand: "own start",
  containerEnv: { B: "own" },
  remoteUser: "dev",
  forwardPorts: [3000, 8080],
  hostRequirements: { cpus: 1, memory: "8gb", storage: "10gb", gpu: { cores: 4 } },
  customizations: { vscode: { extensions: ["b"] }, devaipod: { agent: "opencode" } },
  overrideCommand: true,
};

Deno.test("metadata: the spec's merge rules, entry by entry", () => {
  const merged = json(mergeConfiguration(config, metadataEntries(image, config)));
  assertEquals(merged.image, "localhost/x");
  assertEquals(merged.name, "n");
  // Booleans OR; lists union (first seen first).
  assertEquals([merged.init, merged.privileged], [true, false]);
  assertEquals(merged.capAdd, ["SYS_PTRACE", "NET_ADMIN"]);
  assertEquals(merged.securityOpt, ["seccomp=unconfined"]);
  // Mounts: the last one per target wins, in the order of the winners.
  assertEquals(merged.mounts, [
    { type: "volume", source: "b", target: "/data" },
    "type=bind,source=/host,target=/cache",
  ]);
  // Every hook kept, in order; the singular keys are gone.
  assertEquals(merged.onCreateCommands, ["feature create", "own create"]);
  assertEquals(merged.postStartCommands, [["feature", "start"], "own start"]);
  assertEquals(merged.postCreateCommands, []);
  assertEquals("onCreateCommand" in merged, false);
  assertEquals(merged.entrypoints, ["/feature-entrypoint.sh"]);
  // Env: last wins per variable.
  assertEquals(merged.containerEnv, { A: "image", B: "own" });
  assertEquals(merged.remoteEnv, { R: "image" });
  // Single values: last wins.
  assertEquals([merged.remoteUser, merged.overrideCommand, merged.updateRemoteUserUID], [
    "dev",
    true,
    true,
  ]);
  assertEquals(merged.forwardPorts, [3000, "db:5432", 8080]);
  // Host requirements: the maximum of each.
  assertEquals(merged.hostRequirements, {
    cpus: 2,
    memory: `${8 * 2 ** 30}`,
    storage: `${10 * 2 ** 30}`,
    gpu: { cores: 4 },
  });
  // Customizations: every entry's, collected per tool.
  assertEquals(merged.customizations, {
    vscode: [{ extensions: ["a"] }, { extensions: ["b"] }],
    devaipod: [{ agent: "opencode" }],
  });
});

Deno.test("metadata: with nothing to merge the merge is near-empty, not missing", () => {
  const merged = json(mergeConfiguration({ image: "x" }, []));
  assertEquals(merged, {
    image: "x",
    init: false,
    privileged: false,
    onCreateCommands: [],
    updateContentCommands: [],
    postCreateCommands: [],
    postStartCommands: [],
    postAttachCommands: [],
    remoteEnv: {},
    containerEnv: {},
    portsAttributes: {},
  });
});

Deno.test("metadata: gpu requirements merge", () => {
  const gpu = (...g: unknown[]) =>
    json(mergeConfiguration({}, g.map((x) => ({ hostRequirements: { gpu: x } })))).hostRequirements
      ?.gpu;
  assertEquals(gpu(undefined, true), true);
  assertEquals(gpu("optional", false), "optional");
  assertEquals(gpu("optional", "optional"), "optional");
  assertEquals(gpu(true, "optional"), {});
  assertEquals(gpu({ cores: 2, memory: "1gb" }, { cores: 1, memory: "2gb" }), {
    cores: 2,
    memory: `${2 * 2 ** 30}`,
  });
});

Deno.test("metadata: sizes and mount targets", () => {
  assertEquals([
    parseBytes("1024"),
    parseBytes("2kb"),
    parseBytes("1tb"),
    parseBytes("lots"),
    parseBytes("2GB"),
  ], [1024, 2048, 2 ** 40, 0, 0]);
  assertEquals(mountTarget("type=bind,src=/a,dst=/b"), "/b");
  assertEquals(mountTarget("source=/a,destination=/c"), "/c");
  assertEquals(mountTarget({ target: "/d" }), "/d");
  assertEquals(mountTarget("source=/a"), undefined);
});
