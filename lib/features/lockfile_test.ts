import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/support/assert.ts";
import { ConfigError, ExitCode } from "../errors.ts";
import { lockfilePath, lockfileText, readLockfile, writeLockfile } from "./lockfile.ts";
import type { LockEntry } from "./lockfile.ts";

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;

const node: LockEntry = {
  version: "1.6.2",
  resolved: `ghcr.io/devcontainers/features/node@${A}`,
  integrity: A,
};
const go: LockEntry = {
  version: "1.3.1",
  resolved: `ghcr.io/devcontainers/features/go@${B}`,
  integrity: B,
  dependsOn: ["ghcr.io/devcontainers/features/common-utils"],
};

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-lockfile-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// --- lockfilePath -------------------------------------------------------------------------

const paths: [string, string][] = [
  ["/p/.devcontainer/devcontainer.json", "/p/.devcontainer/devcontainer-lock.json"],
  ["/p/.devcontainer.json", "/p/.devcontainer-lock.json"],
  ["/p/.devcontainer/python/devcontainer.json", "/p/.devcontainer/python/devcontainer-lock.json"],
  ["/p/.devcontainer/.hidden.json", "/p/.devcontainer/.devcontainer-lock.json"],
  ["rel/devcontainer.json", "rel/devcontainer-lock.json"],
];

for (const [config, lock] of paths) {
  Deno.test(`lockfilePath() puts the lockfile of ${config} at ${lock}`, () => {
    assertEquals(lockfilePath(config), lock);
  });
}

// --- lockfileText -------------------------------------------------------------------------

Deno.test("lockfileText() sorts entries by reference and ends with a newline", () => {
  const text = lockfileText({
    "ghcr.io/devcontainers/features/node:1": node,
    "ghcr.io/devcontainers/features/go:1": go,
  });
  assertEquals(
    text,
    `{
  "features": {
    "ghcr.io/devcontainers/features/go:1": {
      "version": "1.3.1",
      "resolved": "ghcr.io/devcontainers/features/go@${B}",
      "integrity": "${B}",
      "dependsOn": [
        "ghcr.io/devcontainers/features/common-utils"
      ]
    },
    "ghcr.io/devcontainers/features/node:1": {
      "version": "1.6.2",
      "resolved": "ghcr.io/devcontainers/features/node@${A}",
      "integrity": "${A}"
    }
  }
}
`,
  );
});

Deno.test("lockfileText() writes the keys of an entry in the reference's order", () => {
  const scrambled = { dependsOn: ["x"], integrity: A, resolved: "r", version: "1" } as LockEntry;
  const parsed = JSON.parse(lockfileText({ k: scrambled }));
  assertEquals(Object.keys(parsed.features.k), ["version", "resolved", "integrity", "dependsOn"]);
});

Deno.test("lockfileText() omits an empty dependsOn and an absent version", () => {
  const text = lockfileText({ "./local": { resolved: "r", integrity: A, dependsOn: [] } });
  assertEquals(JSON.parse(text), { features: { "./local": { resolved: "r", integrity: A } } });
});

Deno.test("lockfileText() drops keys an entry carries beyond the reference's", () => {
  const extra = { ...node, note: "kept by readLockfile, not written" } as LockEntry;
  assertEquals(Object.keys(JSON.parse(lockfileText({ k: extra })).features.k), [
    "version",
    "resolved",
    "integrity",
  ]);
});

Deno.test("lockfileText() of no entries is an empty features object", () => {
  assertEquals(lockfileText({}), '{\n  "features": {}\n}\n');
});

// --- readLockfile -------------------------------------------------------------------------

Deno.test("readLockfile() of a missing file is undefined", async () => {
  await inTempDir(async (dir) => {
    assertEquals(await readLockfile(`${dir}/devcontainer-lock.json`), undefined);
  });
});

Deno.test("readLockfile() of an empty or blank file is undefined", async () => {
  await inTempDir(async (dir) => {
    for (const text of ["", "  \n\t\n"]) {
      await Deno.writeTextFile(`${dir}/l.json`, text);
      assertEquals(await readLockfile(`${dir}/l.json`), undefined, JSON.stringify(text));
    }
  });
});

Deno.test("readLockfile() reads back what lockfileText() wrote", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/devcontainer-lock.json`;
    await Deno.writeTextFile(path, lockfileText({ "n:1": node, "g:1": go }));
    assertEquals(await readLockfile(path), { features: { "g:1": go, "n:1": node } });
  });
});

Deno.test("readLockfile() keeps keys it does not know", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/l.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({ top: 1, features: { k: { resolved: "r", integrity: A, extra: true } } }),
    );
    assertEquals(await readLockfile(path), {
      top: 1,
      features: { k: { resolved: "r", integrity: A, extra: true } },
    });
  });
});

const malformed: { name: string; text: string; message: RegExp }[] = [
  { name: "bad JSON", text: "{ features: ", message: /cannot read the lockfile: / },
  { name: "a trailing comma", text: '{"features": {},}', message: /cannot read the lockfile: / },
  {
    name: "a bad integrity",
    text: JSON.stringify({ features: { k: { resolved: "r", integrity: "sha256:abc" } } }),
    message: /features\.k\.integrity: expected sha256:<64 hex digits>/,
  },
  {
    name: "an upper-case integrity",
    text: JSON.stringify({ features: { k: { resolved: "r", integrity: A.toUpperCase() } } }),
    message: /features\.k\.integrity: expected sha256:<64 hex digits>/,
  },
  {
    name: "an entry without resolved",
    text: JSON.stringify({ features: { k: { integrity: A } } }),
    message: /features\.k\.resolved: /,
  },
  {
    name: "no features",
    text: JSON.stringify({ other: {} }),
    message: /: features: expected record, received undefined$/,
  },
  {
    name: "a dependsOn that is not a list",
    text: JSON.stringify({ features: { k: { resolved: "r", integrity: A, dependsOn: "x" } } }),
    message: /features\.k\.dependsOn: /,
  },
  {
    name: "an array at the top",
    text: "[]",
    message: /devcontainer-lock\.json: expected object, received array$/,
  },
];

for (const { name, text, message } of malformed) {
  Deno.test(`readLockfile() reports ${name} as a ConfigError naming the file`, async () => {
    await inTempDir(async (dir) => {
      const path = `${dir}/devcontainer-lock.json`;
      await Deno.writeTextFile(path, text);
      const err = await readLockfile(path).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      assertEquals(err.exitCode, ExitCode.config);
      assertEquals(err.location?.file, path);
      assert(err.message.startsWith(`${path}: `), err.message);
      assertMatch(err.message, message);
    });
  });
}

Deno.test("readLockfile() hints that a lockfile with bad entries can be deleted", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/l.json`;
    await Deno.writeTextFile(path, JSON.stringify({ features: { k: { resolved: "r" } } }));
    const err = await assertRejects(() => readLockfile(path), ConfigError);
    assertEquals(err.hint, "delete it to lock the Features again");
  });
});

Deno.test("readLockfile() passes on an error other than a missing file", async () => {
  await inTempDir(async (dir) => {
    // A folder where the file should be: reading it fails, and not with NotFound.
    await Deno.mkdir(`${dir}/devcontainer-lock.json`);
    const err = await assertRejects(() => readLockfile(`${dir}/devcontainer-lock.json`));
    assert(!(err instanceof ConfigError));
  });
});

// --- writeLockfile ------------------------------------------------------------------------

Deno.test("writeLockfile() writes a new lockfile and says so", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/devcontainer-lock.json`;
    const text = lockfileText({ "n:1": node });
    assertEquals(await writeLockfile(path, text), true);
    assertEquals(await Deno.readTextFile(path), text);
  });
});

Deno.test("writeLockfile() leaves an identical lockfile alone", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/devcontainer-lock.json`;
    const text = lockfileText({ "n:1": node });
    assertEquals(await writeLockfile(path, text), true);
    const before = (await Deno.stat(path)).mtime;
    assertEquals(await writeLockfile(path, text), false);
    assertEquals((await Deno.stat(path)).mtime, before);
  });
});

Deno.test("writeLockfile() leaves a lockfile alone when only its formatting differs", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/devcontainer-lock.json`;
    const text = lockfileText({ "n:1": node, "g:1": go });
    const compact = JSON.stringify(JSON.parse(text));
    for (const old of [compact, `${compact}\n\n`, text.replaceAll("  ", "\t"), text.trimEnd()]) {
      await Deno.writeTextFile(path, old);
      assertEquals(await writeLockfile(path, text), false, JSON.stringify(old));
      assertEquals(await Deno.readTextFile(path), old);
    }
  });
});

Deno.test("writeLockfile() rewrites a lockfile whose content changed", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/devcontainer-lock.json`;
    await writeLockfile(path, lockfileText({ "n:1": node }));
    const next = lockfileText({ "n:1": { ...node, version: "1.6.3" } });
    assertEquals(await writeLockfile(path, next), true);
    assertEquals(await Deno.readTextFile(path), next);
  });
});

Deno.test("writeLockfile() rewrites a malformed or empty lockfile", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/devcontainer-lock.json`;
    const text = lockfileText({ "n:1": node });
    for (const old of ["{ not json", ""]) {
      await Deno.writeTextFile(path, old);
      assertEquals(await writeLockfile(path, text), true, JSON.stringify(old));
      assertEquals(await Deno.readTextFile(path), text);
    }
  });
});
