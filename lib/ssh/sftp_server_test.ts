/**
 * The SFTP server, two ways: driven by the real OpenSSH `sftp` client (its `-D` option runs a
 * local server program instead of ssh: here the helper's `sftp` mode), and at the protocol level
 * through in-memory pipes, for what the client cannot be made to send (v3 RENAME, pipelined
 * READs split into tiny chunks, malformed and oversized packets).
 */
import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { type ByteSink, type ByteSource, serveSftp } from "./sftp_server.ts";
import { HELPER_DENO_FLAGS } from "./helper_flags.ts";

const HELPER = new URL("./in_container.ts", import.meta.url).pathname;
const SERVER_COMMAND = [
  ["deno", "run", ...HELPER_DENO_FLAGS].join(" "),
  /\s/.test(HELPER) ? `"${HELPER}"` : HELPER,
  "sftp",
].join(" ");

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------
// The real client

interface SftpRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sftp -b - -D <helper sftp>` in `dir` with the batch on stdin. */
async function sftp(dir: string, batch: string[]): Promise<SftpRun> {
  const child = new Deno.Command("sftp", {
    args: ["-b", "-", "-D", SERVER_COMMAND],
    cwd: dir,
    signal: AbortSignal.timeout(30_000),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(encoder.encode(batch.join("\n") + "\n"));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** A temp dir with `local/` and `remote/`; the batch should start with {@link enter}. */
async function withDirs(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "devaipod-sftp-" }));
  try {
    await Deno.mkdir(`${dir}/local`);
    await Deno.mkdir(`${dir}/remote`);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const enter = ["cd remote", "lcd local"];

function randomBytes(n: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(data.subarray(i, Math.min(n, i + 65536)));
  }
  return data;
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A path's mode bits under `mask`. */
async function permissions(path: string, mask: number): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & mask;
}

function assertOk(run: SftpRun): void {
  assertEquals(run.code, 0, `sftp failed:\n${run.stdout}\n${run.stderr}`);
}

Deno.test("sftp client: put then get of a 5 MB random file keeps every byte", async () => {
  await withDirs(async (dir) => {
    const data = randomBytes(5 * 1024 * 1024 + 123);
    await Deno.writeFile(`${dir}/local/up.bin`, data);
    const run = await sftp(dir, [...enter, "put up.bin stored.bin", "get stored.bin down.bin"]);
    assertOk(run);
    const want = await sha256(data);
    assertEquals(await sha256(await Deno.readFile(`${dir}/remote/stored.bin`)), want);
    assertEquals(await sha256(await Deno.readFile(`${dir}/local/down.bin`)), want);
  });
});

Deno.test("sftp client: ls -l shows mode, links, owner, size, date and name like ls -l", async () => {
  await withDirs(async (dir) => {
    await Deno.writeFile(`${dir}/remote/data.txt`, new Uint8Array(1234));
    await Deno.chmod(`${dir}/remote/data.txt`, 0o640);
    await Deno.mkdir(`${dir}/remote/sub`);
    await Deno.chmod(`${dir}/remote/sub`, 0o755);
    const run = await sftp(dir, [...enter, "ls -l"]);
    assertOk(run);
    const date = String.raw`[A-Z][a-z]{2} [ \d]\d (\d\d:\d\d| \d{4})`;
    assertMatch(
      run.stdout,
      new RegExp(String.raw`^-rw-r----- +1 \S+ +\S+ +1234 ${date} data\.txt$`, "m"),
    );
    assertMatch(run.stdout, new RegExp(String.raw`^drwxr-xr-x +2 \S+ +\S+ +\d+ ${date} sub$`, "m"));
  });
});

Deno.test("sftp client: mkdir creates a directory and rmdir removes it", async () => {
  await withDirs(async (dir) => {
    assertOk(await sftp(dir, [...enter, "mkdir made", "mkdir made/inner"]));
    assert((await Deno.stat(`${dir}/remote/made/inner`)).isDirectory);
    assertOk(await sftp(dir, [...enter, "rmdir made/inner"]));
    assert((await Deno.stat(`${dir}/remote/made`)).isDirectory);
    assertEquals(Array.from(Deno.readDirSync(`${dir}/remote/made`)).length, 0);
    const failing = await sftp(dir, [...enter, "rmdir absent"]);
    assert(failing.code !== 0, "rmdir of a missing directory must fail");
  });
});

Deno.test("sftp client: rename moves a file and rm removes one", async () => {
  await withDirs(async (dir) => {
    await Deno.writeTextFile(`${dir}/remote/a.txt`, "alpha");
    await Deno.writeTextFile(`${dir}/remote/b.txt`, "beta");
    assertOk(await sftp(dir, [...enter, "mkdir d", "rename a.txt d/moved.txt", "rm b.txt"]));
    assertEquals(await Deno.readTextFile(`${dir}/remote/d/moved.txt`), "alpha");
    assertEquals(
      Array.from(Deno.readDirSync(`${dir}/remote`), (e) => e.name).sort(),
      ["d"],
    );
  });
});

Deno.test("sftp client: symlink a b makes b point to a, and ls -l shows the target", async () => {
  await withDirs(async (dir) => {
    await Deno.writeTextFile(`${dir}/remote/target.txt`, "pointed at");
    const run = await sftp(dir, [...enter, "symlink target.txt link.txt", "ls -l", "get link.txt"]);
    assertOk(run);
    assertEquals(await Deno.readLink(`${dir}/remote/link.txt`), "target.txt");
    assertMatch(run.stdout, /^lrwxrwxrwx +1 .* link\.txt -> target\.txt$/m);
    assertEquals(await Deno.readTextFile(`${dir}/local/link.txt`), "pointed at");
  });
});

Deno.test("sftp client: ln makes a hard link (hardlink@openssh.com)", async () => {
  await withDirs(async (dir) => {
    await Deno.writeTextFile(`${dir}/remote/one.txt`, "same inode");
    assertOk(await sftp(dir, [...enter, "ln one.txt two.txt"]));
    const [one, two] = [
      await Deno.lstat(`${dir}/remote/one.txt`),
      await Deno.lstat(`${dir}/remote/two.txt`),
    ];
    assertEquals(two.ino, one.ino);
    assertEquals(two.nlink, 2);
  });
});

Deno.test("sftp client: chmod sets the permission bits", async () => {
  await withDirs(async (dir) => {
    await Deno.writeTextFile(`${dir}/remote/f.txt`, "x");
    await Deno.chmod(`${dir}/remote/f.txt`, 0o644);
    assertOk(await sftp(dir, [...enter, "chmod 600 f.txt"]));
    assertEquals(await permissions(`${dir}/remote/f.txt`, 0o7777), 0o600);
    assertOk(await sftp(dir, [...enter, "chmod 4751 f.txt"]));
    assertEquals(await permissions(`${dir}/remote/f.txt`, 0o7777), 0o4751);
  });
});

Deno.test("sftp client: put -p keeps mode and mtime (FSETSTAT)", async () => {
  await withDirs(async (dir) => {
    await Deno.writeTextFile(`${dir}/local/old.txt`, "from 2001");
    await Deno.chmod(`${dir}/local/old.txt`, 0o604);
    await Deno.utime(`${dir}/local/old.txt`, 1_000_000_000, 1_000_000_000);
    assertOk(await sftp(dir, [...enter, "put -p old.txt"]));
    const info = await Deno.stat(`${dir}/remote/old.txt`);
    assertEquals(info.mtime?.getTime(), 1_000_000_000_000);
    assertEquals((info.mode ?? 0) & 0o777, 0o604);
  });
});

Deno.test("sftp client: a missing file is an error line and -b stops with a non-zero exit", async () => {
  await withDirs(async (dir) => {
    const run = await sftp(dir, [...enter, "get no-such-file.txt", "mkdir after"]);
    assert(run.code !== 0, "sftp -b must exit non-zero");
    assertMatch(run.stderr, /no-such-file\.txt.*not found/i);
    await Deno.stat(`${dir}/remote/after`).then(
      () => {
        throw new Error("the batch went on after the error");
      },
      (e) => assert(e instanceof Deno.errors.NotFound),
    );
  });
});

Deno.test("sftp client: reget and reput resume partial transfers", async () => {
  await withDirs(async (dir) => {
    const data = randomBytes(3 * 1024 * 1024);
    const want = await sha256(data);
    await Deno.writeFile(`${dir}/remote/down.bin`, data);
    await Deno.writeFile(`${dir}/local/down.bin`, data.subarray(0, 1024 * 1024 + 7));
    await Deno.writeFile(`${dir}/local/up.bin`, data);
    await Deno.writeFile(`${dir}/remote/up.bin`, data.subarray(0, 2 * 1024 * 1024 - 5));
    assertOk(await sftp(dir, [...enter, "reget down.bin", "reput up.bin"]));
    assertEquals(await sha256(await Deno.readFile(`${dir}/local/down.bin`)), want);
    assertEquals(await sha256(await Deno.readFile(`${dir}/remote/up.bin`)), want);
  });
});

Deno.test("sftp client: cd and pwd resolve relative paths against the working directory", async () => {
  await withDirs(async (dir) => {
    await Deno.mkdir(`${dir}/remote/a/b`, { recursive: true });
    await Deno.symlink(`${dir}/remote/a/b`, `${dir}/remote/shortcut`);
    const run = await sftp(dir, ["pwd", "cd remote/a/./b/..", "pwd", "cd ../shortcut", "pwd"]);
    assertOk(run);
    const pwds = Array.from(run.stdout.matchAll(/^Remote working directory: (.*)$/gm), (m) => m[1]);
    assertEquals(pwds, [dir, `${dir}/remote/a`, `${dir}/remote/a/b`]);
  });
});

// ---------------------------------------------------------------------------------------------
// The protocol, through in-memory pipes

const T = {
  init: 1,
  version: 2,
  open: 3,
  close: 4,
  read: 5,
  write: 6,
  lstat: 7,
  fstat: 8,
  setstat: 9,
  fsetstat: 10,
  opendir: 11,
  readdir: 12,
  remove: 13,
  mkdir: 14,
  rmdir: 15,
  realpath: 16,
  stat: 17,
  rename: 18,
  readlink: 19,
  symlink: 20,
  status: 101,
  handle: 102,
  data: 103,
  name: 104,
  attrs: 105,
  extended: 200,
  extendedReply: 201,
} as const;

const FX = { ok: 0, eof: 1, noSuchFile: 2, failure: 4, badMessage: 5, opUnsupported: 8 } as const;
const O = { read: 1, write: 2, append: 4, creat: 8, trunc: 0x10, excl: 0x20 } as const;

/** A one-way in-memory byte pipe; `chunk` caps how many bytes one read returns. */
class Pipe implements ByteSource, ByteSink {
  #chunks: Uint8Array[] = [];
  #closed = false;
  #wake: (() => void) | null = null;
  constructor(readonly chunk = Infinity) {}

  write(p: Uint8Array): Promise<number> {
    this.#chunks.push(p.slice());
    this.#wake?.();
    return Promise.resolve(p.length);
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#closed) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = null;
    }
    const head = this.#chunks[0] ?? new Uint8Array(0);
    const n = Math.min(p.length, head.length, this.chunk);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(n);
    return n;
  }
}

/** Builds one request packet. */
class Req {
  #parts: number[] = [];
  constructor(type: number, id?: number) {
    this.#parts.push(type);
    if (id !== undefined) this.u32(id);
  }
  u32(v: number): this {
    this.#parts.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    return this;
  }
  u64(v: number): this {
    return this.u32(Math.floor(v / 2 ** 32)).u32(v >>> 0);
  }
  bytes(b: Uint8Array): this {
    this.u32(b.length);
    for (const x of b) this.#parts.push(x);
    return this;
  }
  str(s: string): this {
    return this.bytes(encoder.encode(s));
  }
  packet(): Uint8Array {
    const body = Uint8Array.from(this.#parts);
    const out = new Uint8Array(4 + body.length);
    new DataView(out.buffer).setUint32(0, body.length);
    out.set(body, 4);
    return out;
  }
}

/** Reads the fields of one response. */
class Res {
  readonly type: number;
  #dv: DataView;
  #pos = 1;
  constructor(readonly body: Uint8Array) {
    this.#dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    this.type = body[0] ?? -1;
  }
  u32(): number {
    const v = this.#dv.getUint32(this.#pos);
    this.#pos += 4;
    return v;
  }
  u64(): number {
    return this.u32() * 2 ** 32 + this.u32();
  }
  bytes(): Uint8Array {
    const n = this.u32();
    const b = this.body.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return b;
  }
  str(): string {
    return decoder.decode(this.bytes());
  }
  attrs(): { flags: number; size?: number; perm?: number; mtime?: number } {
    const flags = this.u32();
    const a: { flags: number; size?: number; perm?: number; mtime?: number } = { flags };
    if (flags & 1) a.size = this.u64();
    if (flags & 2) this.u64();
    if (flags & 4) a.perm = this.u32();
    if (flags & 8) {
      this.u32();
      a.mtime = this.u32();
    }
    return a;
  }
  get done(): boolean {
    return this.#pos === this.body.length;
  }
}

/** A protocol-level client of {@link serveSftp} over in-memory pipes. */
class Client {
  readonly toServer: Pipe;
  readonly fromServer = new Pipe();
  readonly exit: Promise<number>;
  #buf = new Uint8Array(0);
  #id = 100;

  constructor(cwd: string, opts: { chunk?: number; home?: string } = {}) {
    this.toServer = new Pipe(opts.chunk);
    this.exit = serveSftp({
      input: this.toServer,
      output: this.fromServer,
      cwd,
      home: opts.home ?? cwd,
      log: () => {},
    });
  }

  nextId(): number {
    return this.#id++;
  }

  async send(...packets: Uint8Array[]): Promise<void> {
    const all = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of packets) {
      all.set(p, at);
      at += p.length;
    }
    await this.toServer.write(all);
  }

  async receive(): Promise<Res> {
    const scratch = new Uint8Array(1 << 20);
    for (;;) {
      if (this.#buf.length >= 4) {
        const len = new DataView(this.#buf.buffer, this.#buf.byteOffset).getUint32(0);
        if (this.#buf.length >= 4 + len) {
          const body = this.#buf.slice(4, 4 + len);
          this.#buf = this.#buf.slice(4 + len);
          return new Res(body);
        }
      }
      const n = await this.fromServer.read(scratch);
      if (n === null) throw new Error("the server closed its output");
      const joined = new Uint8Array(this.#buf.length + n);
      joined.set(this.#buf);
      joined.set(scratch.subarray(0, n), this.#buf.length);
      this.#buf = joined;
    }
  }

  /** Sends one request (built by `build` with a fresh id) and returns its response. */
  async call(type: number, build: (r: Req) => Req = (r) => r): Promise<Res> {
    const id = this.nextId();
    await this.send(build(new Req(type, id)).packet());
    const res = await this.receive();
    assertEquals(res.u32(), id, "the response carries the request's id");
    return res;
  }

  async init(): Promise<Map<string, string>> {
    await this.send(new Req(T.init).u32(3).packet());
    const res = await this.receive();
    assertEquals(res.type, T.version);
    assertEquals(res.u32(), 3);
    const ext = new Map<string, string>();
    while (!res.done) ext.set(res.str(), res.str());
    return ext;
  }

  async open(path: string, flags: number, perm?: number): Promise<Uint8Array> {
    const res = await this.call(
      T.open,
      (r) =>
        perm === undefined
          ? r.str(path).u32(flags).u32(0)
          : r.str(path).u32(flags).u32(4).u32(perm),
    );
    assertEquals(res.type, T.handle, statusText(res));
    return res.bytes().slice();
  }

  async end(): Promise<number> {
    this.toServer.close();
    return await this.exit;
  }
}

function statusText(res: Res): string {
  if (res.type !== T.status) return `type ${res.type}`;
  const copy = new Res(res.body);
  copy.u32();
  return `status ${copy.u32()}: ${copy.str()}`;
}

/** The code of a STATUS response (after its id was read). */
function status(res: Res): number {
  assertEquals(res.type, T.status);
  return res.u32();
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "devaipod-sftp-proto-" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sftp protocol: VERSION 3 lists the extensions; limits allow 256 KiB packets", async () => {
  await withTemp(async (dir) => {
    const c = new Client(dir);
    const ext = await c.init();
    for (const name of ["posix-rename@openssh.com", "hardlink@openssh.com", "fsync@openssh.com"]) {
      assertEquals(ext.get(name), "1", name);
    }
    const res = await c.call(T.extended, (r) => r.str("limits@openssh.com"));
    assertEquals(res.type, T.extendedReply);
    assertEquals(res.u64(), 256 * 1024);
    const readLength = res.u64();
    assert(readLength >= 32 * 1024 && readLength < 256 * 1024, `read length ${readLength}`);
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: 64 pipelined READs fed 1 byte at a time come back in order, then EOF", async () => {
  await withTemp(async (dir) => {
    const data = randomBytes(100_000);
    await Deno.writeFile(`${dir}/f.bin`, data);
    const c = new Client(dir, { chunk: 1 });
    await c.init();
    const handle = await c.open("f.bin", O.read);
    const ids: number[] = [];
    const packets: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) {
      const id = c.nextId();
      ids.push(id);
      packets.push(new Req(T.read, id).bytes(handle).u64(i * 4096).u32(4096).packet());
    }
    await c.send(...packets);
    for (let i = 0; i < 64; i++) {
      const res = await c.receive();
      assertEquals(res.u32(), ids[i]);
      const offset = i * 4096;
      if (offset >= data.length) {
        assertEquals(status(res), FX.eof, `read at ${offset}`);
        continue;
      }
      assertEquals(res.type, T.data, `read at ${offset}`);
      assertEquals(res.bytes(), data.subarray(offset, Math.min(offset + 4096, data.length)));
    }
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: READ returns at most the requested length, capped below 256 KiB", async () => {
  await withTemp(async (dir) => {
    const data = randomBytes(1024 * 1024);
    await Deno.writeFile(`${dir}/f.bin`, data);
    const c = new Client(dir);
    await c.init();
    const handle = await c.open(`${dir}/f.bin`, O.read);
    const small = await c.call(T.read, (r) => r.bytes(handle).u64(10).u32(5));
    assertEquals(small.bytes(), data.subarray(10, 15));
    const big = await c.call(T.read, (r) => r.bytes(handle).u64(0).u32(1024 * 1024));
    const got = big.bytes();
    assert(got.length > 0 && got.length < 256 * 1024, `got ${got.length} bytes`);
    assertEquals(got, data.subarray(0, got.length));
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: WRITEs at any offset build the file; FSTAT and FSETSTAT see it", async () => {
  await withTemp(async (dir) => {
    const c = new Client(dir);
    await c.init();
    const h = await c.open("w.txt", O.write | O.creat | O.trunc, 0o600);
    const w = (offset: number, text: string) =>
      c.call(T.write, (r) => r.bytes(h).u64(offset).str(text));
    assertEquals(status(await w(6, "world")), FX.ok);
    assertEquals(status(await w(0, "hello ")), FX.ok);
    assertEquals(status(await w(11, "!!")), FX.ok);
    const st = await c.call(T.fstat, (r) => r.bytes(h));
    assertEquals(st.type, T.attrs);
    const a = st.attrs();
    assertEquals(a.size, 13);
    assertEquals((a.perm ?? 0) & 0o170000, 0o100000, "the type bits are sent");
    assertEquals(
      status(await c.call(T.fsetstat, (r) => r.bytes(h).u32(1 | 8).u64(5).u32(0).u32(86400))),
      FX.ok,
    );
    const fsync = await c.call(T.extended, (r) => r.str("fsync@openssh.com").bytes(h));
    assertEquals(status(fsync), FX.ok);
    assertEquals(status(await c.call(T.close, (r) => r.bytes(h))), FX.ok);
    assertEquals(await Deno.readTextFile(`${dir}/w.txt`), "hello");
    assertEquals((await Deno.stat(`${dir}/w.txt`)).mtime?.getTime(), 86400_000);
    assertEquals(status(await c.call(T.close, (r) => r.bytes(h))), FX.failure, "closed twice");
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: OPEN honours EXCL, APPEND and TRUNC", async () => {
  await withTemp(async (dir) => {
    await Deno.writeTextFile(`${dir}/e.txt`, "exists");
    const c = new Client(dir);
    await c.init();
    const excl = await c.call(T.open, (r) => r.str("e.txt").u32(O.write | O.creat | O.excl).u32(0));
    assertEquals(status(excl), FX.failure);
    const ap = await c.open("e.txt", O.write | O.append);
    assertEquals(status(await c.call(T.write, (r) => r.bytes(ap).u64(0).str("+more"))), FX.ok);
    await c.call(T.close, (r) => r.bytes(ap));
    assertEquals(await Deno.readTextFile(`${dir}/e.txt`), "exists+more");
    const tr = await c.open("e.txt", O.write | O.trunc);
    await c.call(T.close, (r) => r.bytes(tr));
    assertEquals(await Deno.readTextFile(`${dir}/e.txt`), "");
    const missing = await c.call(T.open, (r) => r.str("nope.txt").u32(O.read).u32(0));
    assertEquals(status(missing), FX.noSuchFile);
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: RENAME refuses an existing target; posix-rename replaces it", async () => {
  await withTemp(async (dir) => {
    await Deno.writeTextFile(`${dir}/a`, "A");
    await Deno.writeTextFile(`${dir}/b`, "B");
    const c = new Client(dir);
    await c.init();
    assertEquals(status(await c.call(T.rename, (r) => r.str("a").str("b"))), FX.failure);
    assertEquals(await Deno.readTextFile(`${dir}/a`), "A");
    assertEquals(await Deno.readTextFile(`${dir}/b`), "B");
    assertEquals(status(await c.call(T.rename, (r) => r.str("a").str("c"))), FX.ok);
    assertEquals(await Deno.readTextFile(`${dir}/c`), "A");
    const posix = await c.call(
      T.extended,
      (r) => r.str("posix-rename@openssh.com").str("c").str("b"),
    );
    assertEquals(status(posix), FX.ok);
    assertEquals(await Deno.readTextFile(`${dir}/b`), "A");
    assertEquals(Array.from(Deno.readDirSync(dir), (e) => e.name), ["b"]);
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: REALPATH is canonical, allowing only a missing last component", async () => {
  await withTemp(async (dir) => {
    await Deno.mkdir(`${dir}/x/y`, { recursive: true });
    await Deno.symlink(`${dir}/x/y`, `${dir}/ly`);
    const c = new Client(dir);
    await c.init();
    const real = async (path: string): Promise<string | number> => {
      const res = await c.call(T.realpath, (r) => r.str(path));
      if (res.type === T.status) return res.u32();
      assertEquals(res.u32(), 1);
      return res.str();
    };
    assertEquals(await real("."), dir);
    assertEquals(await real(""), dir);
    assertEquals(await real("x/./y/.."), `${dir}/x`);
    assertEquals(await real("ly/../y"), `${dir}/x/y`, "`..` applies after the symlink");
    assertEquals(await real("ly/new.txt"), `${dir}/x/y/new.txt`);
    assertEquals(await real("/"), "/");
    assertEquals(await real("missing/deeper"), FX.noSuchFile);
    const home = await c.call(T.extended, (r) => r.str("expand-path@openssh.com").str("~/x"));
    assertEquals(home.u32(), 1);
    assertEquals(home.str(), `${dir}/x`);
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: READDIR pages through many entries with longnames, then EOF", async () => {
  await withTemp(async (dir) => {
    const names = Array.from({ length: 250 }, (_, i) => `file-${String(i).padStart(3, "0")}`);
    for (const n of names) await Deno.writeTextFile(`${dir}/${n}`, n);
    const c = new Client(dir);
    await c.init();
    const opened = await c.call(T.opendir, (r) => r.str("."));
    assertEquals(opened.type, T.handle);
    const h = opened.bytes().slice();
    const seen: string[] = [];
    let batches = 0;
    for (;;) {
      const res = await c.call(T.readdir, (r) => r.bytes(h));
      if (res.type === T.status) {
        assertEquals(res.u32(), FX.eof);
        break;
      }
      batches++;
      const count = res.u32();
      for (let i = 0; i < count; i++) {
        const name = res.str();
        const long = res.str();
        const a = res.attrs();
        seen.push(name);
        if (name.startsWith("file-")) {
          assertMatch(long, new RegExp(String.raw`^-[rwx-]{9} +1 .* 8 .* ${name}$`));
          assertEquals(a.size, 8);
        }
      }
    }
    assert(batches >= 3, `${batches} batches`);
    assertEquals(seen.sort(), [".", "..", ...names]);
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: SYMLINK takes the target first (as OpenSSH sends it); READLINK, LSTAT, STAT", async () => {
  await withTemp(async (dir) => {
    await Deno.writeTextFile(`${dir}/t.txt`, "12345");
    const c = new Client(dir);
    await c.init();
    assertEquals(status(await c.call(T.symlink, (r) => r.str("t.txt").str("l.txt"))), FX.ok);
    assertEquals(await Deno.readLink(`${dir}/l.txt`), "t.txt");
    const link = await c.call(T.readlink, (r) => r.str("l.txt"));
    assertEquals(link.u32(), 1);
    assertEquals(link.str(), "t.txt");
    const l = (await c.call(T.lstat, (r) => r.str("l.txt"))).attrs();
    assertEquals((l.perm ?? 0) & 0o170000, 0o120000);
    const s = (await c.call(T.stat, (r) => r.str("l.txt"))).attrs();
    assertEquals((s.perm ?? 0) & 0o170000, 0o100000);
    assertEquals(s.size, 5);
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: REMOVE refuses a directory, RMDIR a file; SETSTAT truncates and chmods", async () => {
  await withTemp(async (dir) => {
    await Deno.mkdir(`${dir}/d`);
    await Deno.writeTextFile(`${dir}/f`, "0123456789");
    const c = new Client(dir);
    await c.init();
    assertEquals(status(await c.call(T.remove, (r) => r.str("d"))), FX.failure);
    assertEquals(status(await c.call(T.rmdir, (r) => r.str("f"))), FX.failure);
    assertEquals(status(await c.call(T.remove, (r) => r.str("gone"))), FX.noSuchFile);
    assertEquals(
      status(await c.call(T.setstat, (r) => r.str("f").u32(1 | 4).u64(4).u32(0o600))),
      FX.ok,
    );
    assertEquals(await Deno.readTextFile(`${dir}/f`), "0123");
    assertEquals(await permissions(`${dir}/f`, 0o777), 0o600);
    assertEquals(status(await c.call(T.mkdir, (r) => r.str("d/e").u32(4).u32(0o700))), FX.ok);
    assertEquals(await permissions(`${dir}/d/e`, 0o777), 0o700);
    assertEquals(status(await c.call(T.rmdir, (r) => r.str("d/e"))), FX.ok);
    assertEquals(status(await c.call(T.remove, (r) => r.str("f"))), FX.ok);
    assertEquals(Array.from(Deno.readDirSync(dir), (e) => e.name), ["d"]);
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: unknown, truncated and bad-handle requests fail alone; the session goes on", async () => {
  await withTemp(async (dir) => {
    const c = new Client(dir);
    await c.init();
    assertEquals(status(await c.call(99)), FX.opUnsupported);
    assertEquals(
      status(await c.call(T.extended, (r) => r.str("nope@example.com"))),
      FX.opUnsupported,
    );
    assertEquals(
      status(await c.call(T.read, (r) => r.bytes(Uint8Array.of(9, 9, 9, 9)).u64(0).u32(1))),
      FX.failure,
    );
    assertEquals(status(await c.call(T.open, (r) => r.u32(1000))), FX.badMessage);
    const res = await c.call(T.realpath, (r) => r.str("."));
    assertEquals(res.type, T.name, "still serving");
    assertEquals(await c.end(), 0);
  });
});

Deno.test("sftp protocol: a failing output ends the session with 1 instead of throwing", async () => {
  await withTemp(async (dir) => {
    const input = new Pipe();
    const exit = serveSftp({
      input,
      output: { write: () => Promise.reject(new Deno.errors.BrokenPipe("gone")) },
      cwd: dir,
      log: () => {},
    });
    await input.write(new Req(T.init).u32(3).packet());
    input.close();
    assertEquals(await exit, 1);
  });
});

Deno.test("sftp protocol: a packet over 1 MiB ends the session with 1; EOF ends it with 0", async () => {
  await withTemp(async (dir) => {
    const c = new Client(dir);
    await c.init();
    await c.send(Uint8Array.of(0, 0x20, 0, 0, T.write));
    assertEquals(await c.exit, 1);
    const d = new Client(dir);
    await d.init();
    await d.open("kept-open.txt", O.write | O.creat);
    assertEquals(await d.end(), 0);
  });
});
