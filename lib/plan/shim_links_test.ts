import { join } from "node:path";
import { assertEquals } from "../../tests/support/assert.ts";
import { linkShimsCommand } from "./shim_links.ts";

/** What a folder holds: a link's target as `-> TARGET`, a file's text as it is. */
async function listing(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    out[e.name] = e.isSymlink ? `-> ${await Deno.readLink(path)}` : await Deno.readTextFile(path);
  }
  return out;
}

interface Case {
  /** Files in the shims' folder. */
  shims: string[];
  /** What the link folder holds before (undefined: it does not exist). */
  before?: Record<string, string>;
  /** What it holds after, with `$S` for the shims' folder. */
  after: Record<string, string>;
  /** The names printed as left alone. */
  kept: string[];
}

const CASES: Record<string, Case> = {
  "links each shim into an empty folder": {
    shims: ["opencode-agent", "oc"],
    before: {},
    after: { "opencode-agent": "-> $S/opencode-agent", oc: "-> $S/oc" },
    kept: [],
  },
  "makes the folder when the image has none": {
    shims: ["opencode-agent"],
    after: { "opencode-agent": "-> $S/opencode-agent" },
    kept: [],
  },
  "keeps a file of the image's own and says so": {
    shims: ["opencode-agent", "oc"],
    before: { oc: "own oc\n", other: "x\n" },
    after: { "opencode-agent": "-> $S/opencode-agent", oc: "own oc\n", other: "x\n" },
    kept: ["oc"],
  },
  "keeps a link of the image's own that points elsewhere": {
    shims: ["opencode-agent"],
    before: { "opencode-agent": "-> /usr/bin/true" },
    after: { "opencode-agent": "-> /usr/bin/true" },
    kept: ["opencode-agent"],
  },
  "leaves its own links as they are (start after start)": {
    shims: ["opencode-agent"],
    before: { "opencode-agent": "-> $S/opencode-agent" },
    after: { "opencode-agent": "-> $S/opencode-agent" },
    kept: [],
  },
  "does nothing without shims": { shims: [], before: {}, after: {}, kept: [] },
};

for (const [name, c] of Object.entries(CASES)) {
  Deno.test(`LINK_SHIMS ${name}`, async () => {
    const root = await Deno.makeTempDir({ prefix: "devaipod-shim-links-" });
    try {
      const shims = join(root, "shims");
      const links = join(root, "bin");
      await Deno.mkdir(shims);
      for (const s of c.shims) await Deno.writeTextFile(join(shims, s), "#!/bin/sh\n");
      if (c.before) {
        await Deno.mkdir(links);
        for (const [file, content] of Object.entries(c.before)) {
          const target = content.replace("$S", shims);
          if (target.startsWith("-> ")) await Deno.symlink(target.slice(3), join(links, file));
          else await Deno.writeTextFile(join(links, file), target);
        }
      }
      const [program, ...args] = linkShimsCommand(shims, links);
      const out = await new Deno.Command(program as string, { args }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      const printed = new TextDecoder().decode(out.stdout).split("\n").filter(Boolean);
      assertEquals(printed.sort(), [...c.kept].sort());
      const expected = Object.fromEntries(
        Object.entries(c.after).map(([k, v]) => [k, v.replace("$S", shims)]),
      );
      assertEquals(await listing(links), expected);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

Deno.test("LINK_SHIMS fails when a link cannot be made", async () => {
  const root = await Deno.makeTempDir({ prefix: "devaipod-shim-links-" });
  try {
    await Deno.mkdir(join(root, "shims"));
    await Deno.writeTextFile(join(root, "shims", "opencode-agent"), "#!/bin/sh\n");
    // The link folder's place is taken by a file: nothing can be linked there.
    await Deno.writeTextFile(join(root, "bin"), "not a folder\n");
    const [program, ...args] = linkShimsCommand(join(root, "shims"), join(root, "bin"));
    const out = await new Deno.Command(program as string, { args, stderr: "null" }).output();
    assertEquals(out.code, 1);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("LINK_SHIMS refuses a link folder that is a symbolic link and writes nothing through it", async () => {
  const root = await Deno.makeTempDir({ prefix: "devaipod-shim-links-" });
  try {
    await Deno.mkdir(join(root, "shims"));
    await Deno.writeTextFile(join(root, "shims", "opencode-agent"), "#!/bin/sh\n");
    // The image points /usr/local/bin elsewhere: root must not follow it.
    await Deno.mkdir(join(root, "elsewhere"));
    await Deno.symlink(join(root, "elsewhere"), join(root, "bin"));
    const [program, ...args] = linkShimsCommand(join(root, "shims"), join(root, "bin"));
    const out = await new Deno.Command(program as string, { args }).output();
    assertEquals(out.code, 1);
    assertEquals(
      new TextDecoder().decode(out.stderr).trim(),
      `cannot link into ${join(root, "bin")}: it is a symbolic link`,
    );
    assertEquals(await listing(join(root, "elsewhere")), {});
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
