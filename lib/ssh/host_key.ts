/**
 * The SSH bridge's host key: one ed25519 key per installation, in devaipod's state folder
 * (`<state>/ssh/host_ed25519`, OpenSSH format, mode 0600, and `host_ed25519.pub`). Every
 * workspace's bridge presents this key, so one known_hosts line (under one `HostKeyAlias`)
 * covers them all.
 */
import { join } from "node:path";
import ssh2 from "ssh2";
import { FailedError } from "../errors.ts";
import { devaipodDirs } from "../paths.ts";
import type { EnvReader } from "../podman/runner.ts";
import { ensureKnownHost, HOST_KEY_ALIAS } from "./ssh_config.ts";
import { readTextIfExists } from "../util/read_if_exists.ts";

/** The comment of the public key line. */
export const HOST_KEY_COMMENT = "devaipod";
/** The private key's file name in {@link sshDir} (the public key adds `.pub`). */
export const HOST_KEY_FILE = "host_ed25519";

/** The host key: the private key (OpenSSH format) and its public line `ssh-ed25519 AAAA… devaipod`. */
export interface HostKey {
  privateKey: string;
  publicKey: string;
}

/** The part of ssh2's (untyped) key utilities used here. */
interface ParsedKey {
  type: string;
  getPublicSSH(): Uint8Array;
}
interface KeyUtils {
  generateKeyPairSync(type: "ed25519", options?: { comment?: string }): {
    private: string;
    public: string;
  };
  parseKey(data: string): ParsedKey | ParsedKey[] | Error;
}
const keyUtils: KeyUtils = ssh2.utils;

/**
 * A new ed25519 private key (OpenSSH format) that ssh2 and OpenSSH can read. Under Deno, ssh2's
 * generator writes about one key in 170 with a 31-byte public key (a leading zero byte lost),
 * which no one can load afterwards; such keys are drawn again.
 */
export function generateEd25519(): string {
  for (let i = 0; i < 20; i++) {
    const { private: privateKey } = keyUtils.generateKeyPairSync("ed25519", {
      comment: HOST_KEY_COMMENT,
    });
    const parsed = keyUtils.parseKey(privateKey);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    // The public blob: string "ssh-ed25519" (4 + 11 bytes) and a 32-byte key (4 + 32).
    if (key && !(key instanceof Error) && key.getPublicSSH().length === 51) return privateKey;
  }
  throw new FailedError("cannot make an ed25519 key: every one drawn was malformed");
}

/** `<devaipod state dir>/ssh`: the host key and the bridge's known_hosts. */
export function sshDir(env: EnvReader): string {
  return join(devaipodDirs(env).state, "ssh");
}

/** `<sshDir>/known_hosts`: the file ssh checks the bridge's host key against. */
export function knownHostsPath(env: EnvReader): string {
  return join(sshDir(env), "known_hosts");
}

/** The public line (`TYPE BASE64 devaipod`) of an OpenSSH private key, or throws. */
export function publicLineOf(privateKey: string, file: string): string {
  const parsed = keyUtils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error) {
    throw new FailedError(`${file} is not a readable SSH private key`, {
      hint:
        `remove ${file}; devaipod makes a new one (then run \`devaipod ssh-config NAME\` again)`,
      ...(key instanceof Error ? { cause: key } : {}),
    });
  }
  const blob = btoa(String.fromCharCode(...key.getPublicSSH()));
  return `${key.type} ${blob} ${HOST_KEY_COMMENT}`;
}

/** Refuses a private key that others can read (as OpenSSH does). */
async function checkPrivate(file: string): Promise<void> {
  const { mode } = await Deno.stat(file);
  if (mode !== null && (mode & 0o077) !== 0) {
    throw new FailedError(
      `${file} is readable by others (mode ${(mode & 0o777).toString(8)}): refusing to use it`,
      { hint: `chmod 600 ${file}` },
    );
  }
}

/** Writes `text` to `file` through a temporary file and a rename. */
async function replaceFile(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(tmp, text, { mode, createNew: true });
    await Deno.chmod(tmp, mode).catch(() => {}); // umask may have narrowed it; never widened
    await Deno.rename(tmp, file);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Puts a new private key at `file` unless one is there already, atomically: written to a
 * temporary file (mode 0600), then hard-linked to its name, which fails if another devaipod
 * made one meanwhile — that key wins. Returns the key now at `file`.
 */
async function createPrivate(file: string): Promise<string> {
  const privateKey = generateEd25519();
  const tmp = `${file}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(tmp, privateKey, { mode: 0o600, createNew: true });
  try {
    await Deno.chmod(tmp, 0o600).catch(() => {});
    await Deno.link(tmp, file);
    return privateKey;
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      const theirs = await readTextIfExists(file);
      if (theirs !== undefined) return theirs;
    }
    throw err;
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/**
 * The installation's host key in `dir`, made on first use. The public line is always derived
 * from the private key (and `host_ed25519.pub` rewritten when it differs). A private key that
 * others can read is refused.
 */
export function loadOrCreateHostKey(dir: string): Promise<HostKey> {
  return loadOrCreateKey(dir, HOST_KEY_FILE);
}

/** The file name of devaipod's client key (for users whose ssh has no key of its own). */
export const CLIENT_KEY_FILE = "client_ed25519";

/**
 * devaipod's client key in `dir`, made on first use like the host key: the generated ssh
 * settings name it as an `IdentityFile`, so `ssh` authenticates even when the user has no key.
 * (The bridge accepts any key: the pipe is already the user's own process.)
 */
export async function loadOrCreateClientKey(dir: string): Promise<{ file: string }> {
  await loadOrCreateKey(dir, CLIENT_KEY_FILE);
  return { file: join(dir, CLIENT_KEY_FILE) };
}

async function loadOrCreateKey(dir: string, name: string): Promise<HostKey> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, name);
  let privateKey = await readTextIfExists(file);
  if (privateKey === undefined) privateKey = await createPrivate(file);
  await checkPrivate(file);
  const publicKey = publicLineOf(privateKey, file);
  const pubFile = `${file}.pub`;
  if ((await readTextIfExists(pubFile))?.trim() !== publicKey) {
    await replaceFile(pubFile, `${publicKey}\n`, 0o644);
  }
  return { privateKey, publicKey };
}

/**
 * Makes the host key if needed and devaipod's known_hosts hold it under {@link HOST_KEY_ALIAS};
 * returns the known_hosts file for the client's `UserKnownHostsFile`.
 */
export async function trustBridge(
  env: EnvReader,
): Promise<{ knownHostsFile: string; identityFile: string }> {
  const { publicKey } = await loadOrCreateHostKey(sshDir(env));
  const knownHostsFile = knownHostsPath(env);
  await ensureKnownHost(knownHostsFile, HOST_KEY_ALIAS, publicKey);
  const { file: identityFile } = await loadOrCreateClientKey(sshDir(env));
  return { knownHostsFile, identityFile };
}
