import { join } from "node:path";
import ssh2 from "ssh2";
import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/support/assert.ts";
import { FailedError } from "../errors.ts";
import {
  generateEd25519,
  knownHostsPath,
  loadOrCreateHostKey,
  sshDir,
  trustBridge,
} from "./host_key.ts";
import { HOST_KEY_ALIAS } from "./ssh_config.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-hostkey-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("host_key: lives in devaipod's state folder", () => {
  const env = { get: (k: string) => ({ HOME: "/h", XDG_STATE_HOME: "/st" })[k] };
  assertEquals(sshDir(env), "/st/devaipod/ssh");
  assertEquals(knownHostsPath(env), "/st/devaipod/ssh/known_hosts");
});

Deno.test("host_key: made once, mode 0600, with an `ssh-ed25519 AAAA… devaipod` public line", async () => {
  await withDir(async (dir) => {
    const ssh = join(dir, "ssh");
    const key = await loadOrCreateHostKey(ssh);
    assertMatch(key.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    assertMatch(key.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]+ devaipod$/);
    assertEquals((await Deno.stat(join(ssh, "host_ed25519"))).mode, 0o100600);
    assertEquals(((await Deno.stat(ssh)).mode ?? 0) & 0o777, 0o700);
    assertEquals(await Deno.readTextFile(join(ssh, "host_ed25519")), key.privateKey);
    assertEquals(await Deno.readTextFile(join(ssh, "host_ed25519.pub")), `${key.publicKey}\n`);
    assertEquals([...Deno.readDirSync(ssh)].map((e) => e.name).sort(), [
      "host_ed25519",
      "host_ed25519.pub",
    ]);
  });
});

Deno.test("host_key: a second call returns the same key", async () => {
  await withDir(async (dir) => {
    const first = await loadOrCreateHostKey(dir);
    const second = await loadOrCreateHostKey(dir);
    assertEquals(second, first);
  });
});

Deno.test("host_key: concurrent first uses agree on one key", async () => {
  await withDir(async (dir) => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateHostKey(dir)));
    assertEquals(new Set(keys.map((k) => k.publicKey)).size, 1);
    assertEquals(keys[0]?.privateKey, await Deno.readTextFile(join(dir, "host_ed25519")));
  });
});

Deno.test("host_key: a missing or stale .pub is rewritten from the private key", async () => {
  await withDir(async (dir) => {
    const key = await loadOrCreateHostKey(dir);
    await Deno.writeTextFile(join(dir, "host_ed25519.pub"), "ssh-ed25519 AAAAstale x\n");
    assertEquals((await loadOrCreateHostKey(dir)).publicKey, key.publicKey);
    assertEquals(await Deno.readTextFile(join(dir, "host_ed25519.pub")), `${key.publicKey}\n`);
  });
});

Deno.test("host_key: a key others can read is refused", async () => {
  await withDir(async (dir) => {
    await loadOrCreateHostKey(dir);
    await Deno.chmod(join(dir, "host_ed25519"), 0o640);
    const err = await assertRejects(() => loadOrCreateHostKey(dir), FailedError);
    assertMatch(err.hint ?? "", /chmod 600/);
  });
});

Deno.test("host_key: a corrupt key file is reported with what to do", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "host_ed25519"), "garbage\n", { mode: 0o600 });
    const err = await assertRejects(() => loadOrCreateHostKey(dir), FailedError);
    assertMatch(err.hint ?? "", /remove/);
  });
});

Deno.test("host_key: ssh2 loads the private key, and it matches the public line", async () => {
  await withDir(async (dir) => {
    const key = await loadOrCreateHostKey(dir);
    const parsed = ssh2.utils.parseKey(key.privateKey);
    assert(!(parsed instanceof Error), String(parsed));
    const one = Array.isArray(parsed) ? parsed[0] : parsed;
    assertEquals(one.type, "ssh-ed25519");
    assertEquals(
      `ssh-ed25519 ${one.getPublicSSH().toString("base64")} devaipod`,
      key.publicKey,
    );
  });
});

Deno.test("host_key: ssh-keygen accepts both files and derives the same public key", async () => {
  await withDir(async (dir) => {
    const key = await loadOrCreateHostKey(dir);
    const run = async (...args: string[]) => {
      const out = await new Deno.Command("ssh-keygen", { args, stdout: "piped", stderr: "piped" })
        .output();
      const text = new TextDecoder().decode(out.stdout);
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      return text;
    };
    assertMatch(
      await run("-l", "-f", join(dir, "host_ed25519.pub")),
      /^256 SHA256:\S+ devaipod \(ED25519\)$/m,
    );
    const derived = await run("-y", "-f", join(dir, "host_ed25519"));
    assertEquals(derived.trim().split(" ").slice(0, 2), key.publicKey.split(" ").slice(0, 2));
  });
});

Deno.test("host_key: trusting the bridge writes its known_hosts line under the shared alias", async () => {
  await withDir(async (dir) => {
    const env = { get: (k: string) => ({ HOME: dir, XDG_STATE_HOME: dir })[k] };
    const { knownHostsFile } = await trustBridge(env);
    assertEquals(knownHostsFile, join(dir, "devaipod", "ssh", "known_hosts"));
    const { publicKey } = await loadOrCreateHostKey(sshDir(env));
    const [type, blob] = publicKey.split(" ");
    assertEquals(await Deno.readTextFile(knownHostsFile), `${HOST_KEY_ALIAS} ${type} ${blob}\n`);
    await trustBridge(env);
    assertEquals((await Deno.readTextFile(knownHostsFile)).split("\n").length, 2);
  });
});

Deno.test("host_key: every generated key loads (ssh2's generator sometimes drops a byte)", () => {
  for (let i = 0; i < 1000; i++) {
    // deno-lint-ignore no-explicit-any
    const parsed = (ssh2 as any).utils.parseKey(generateEd25519());
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || key instanceof Error) throw new Error(`key ${i} did not load: ${key}`);
    assertEquals(key.getPublicSSH().length, 51);
  }
});
