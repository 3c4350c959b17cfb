/**
 * An SFTP version 3 server (draft-ietf-secsh-filexfer-02) over a pair of byte streams, plus the
 * OpenSSH extensions that its `sftp` client uses (posix-rename, hardlink, fsync, limits,
 * expand-path). The helper `in_container.ts sftp` runs it on stdin/stdout inside the workspace
 * container, where devaipod's sources are a read-only bind mount: this file may use only Deno
 * APIs and relative imports of files that do the same (no npm:, jsr: or bare specifiers).
 *
 * Requests are handled one at a time, in arrival order, with synchronous file system calls;
 * responses are collected in a large buffer that is written out while the next requests are
 * read and handled. READ data is read straight into that buffer and WRITE data is written
 * straight from the input buffer, so a transfer costs no copies beyond the pipes' own.
 */

/** Where request bytes come from (`Deno.stdin`, a socket, a test pipe). */
export interface ByteSource {
  read(p: Uint8Array): Promise<number | null>;
  /**
   * Used instead of `read` when present and no write is in flight: a blocking read of a pipe
   * costs far less in Deno than an async one.
   */
  readSync?(p: Uint8Array): number | null;
}

/** Where response bytes go (`Deno.stdout`, a socket, a test pipe). */
export interface ByteSink {
  write(p: Uint8Array): Promise<number>;
  /** Used for small batches when present and nothing else is being written. */
  writeSync?(p: Uint8Array): number;
}

/** What {@link serveSftp} serves and how. */
export interface SftpServerOptions {
  input: ByteSource;
  output: ByteSink;
  /** Relative paths resolve against this directory. Default: the process's working directory. */
  cwd?: string;
  /** What `~` expands to (expand-path@openssh.com). Default: `$HOME`, else `cwd`. */
  home?: string;
  /** Told about protocol errors that end the session. */
  log?: (message: string) => void;
}

/** The protocol version served. */
export const SFTP_VERSION = 3;
/** Largest packet (without its length field) that a client may send; advertised via limits. */
export const SFTP_MAX_PACKET = 256 * 1024;
/**
 * Most data bytes that one READ returns. A DATA response must stay within the 256 KiB that
 * OpenSSH's client accepts per message, header included.
 */
export const SFTP_MAX_READ = 256 * 1024 - 1024;
/** Largest incoming packet tolerated (clients that ignore the advertised limits). */
const MAX_PACKET_IN = 1024 * 1024 + 64 * 1024;
const INPUT_BUFFER = 4 * 1024 * 1024;
const OUTPUT_BUFFER = 2 * 1024 * 1024;
const FLUSH_AT = 1024 * 1024;
const MIN_READ_ROOM = 64 * 1024;
/** Batches up to this size are written synchronously (they fit in a pipe's buffer). */
const SYNC_WRITE_MAX = 16 * 1024;
const MAX_HANDLES = 4096;
const READDIR_BATCH = 100;
const READDIR_BYTES = 128 * 1024;

const FXP = {
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

/** SSH_FX_* status codes of version 3. */
export const SftpStatus = {
  ok: 0,
  eof: 1,
  noSuchFile: 2,
  permissionDenied: 3,
  failure: 4,
  badMessage: 5,
  noConnection: 6,
  connectionLost: 7,
  opUnsupported: 8,
} as const;

const OPEN_READ = 0x01;
const OPEN_WRITE = 0x02;
const OPEN_APPEND = 0x04;
const OPEN_CREAT = 0x08;
const OPEN_TRUNC = 0x10;
const OPEN_EXCL = 0x20;

const ATTR_SIZE = 0x01;
const ATTR_UIDGID = 0x02;
const ATTR_PERMISSIONS = 0x04;
const ATTR_ACMODTIME = 0x08;
const ATTR_EXTENDED = 0x80000000;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

const EXTENSIONS: [string, string][] = [
  ["posix-rename@openssh.com", "1"],
  ["hardlink@openssh.com", "1"],
  ["fsync@openssh.com", "1"],
  ["limits@openssh.com", "1"],
  ["expand-path@openssh.com", "1"],
];

/** A request failed with a specific status code. */
class SftpError extends Error {
  override readonly name = "SftpError";
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** The request's bytes ended before its fields did. */
class BadMessage extends SftpError {
  constructor(message = "malformed request") {
    super(SftpStatus.badMessage, message);
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Reads the fields of one packet in place. */
class PacketReader {
  buf: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(this.buf.buffer);
  pos = 0;
  end = 0;

  reset(buf: Uint8Array, dv: DataView, start: number, end: number): void {
    this.buf = buf;
    this.dv = dv;
    this.pos = start;
    this.end = end;
  }

  #need(n: number): number {
    const at = this.pos;
    if (at + n > this.end) throw new BadMessage();
    this.pos = at + n;
    return at;
  }

  u8(): number {
    return this.buf[this.#need(1)] ?? 0;
  }

  u32(): number {
    return this.dv.getUint32(this.#need(4));
  }

  u64(): number {
    const at = this.#need(8);
    const hi = this.dv.getUint32(at);
    const lo = this.dv.getUint32(at + 4);
    if (hi >= 0x200000) throw new SftpError(SftpStatus.failure, "offset or size too large");
    return hi * 0x100000000 + lo;
  }

  /** A string's bytes, as a view into the input buffer (valid until the next read). */
  bytes(): Uint8Array {
    const n = this.u32();
    const at = this.#need(n);
    return this.buf.subarray(at, at + n);
  }

  string(): string {
    return decoder.decode(this.bytes());
  }

  get remaining(): number {
    return this.end - this.pos;
  }
}

/** File attributes as sent by a client; absent fields are undefined. */
interface Attrs {
  size?: number;
  uid?: number;
  gid?: number;
  permissions?: number;
  atime?: number;
  mtime?: number;
}

function readAttrs(p: PacketReader): Attrs {
  const flags = p.u32();
  const a: Attrs = {};
  if (flags & ATTR_SIZE) a.size = p.u64();
  if (flags & ATTR_UIDGID) {
    a.uid = p.u32();
    a.gid = p.u32();
  }
  if (flags & ATTR_PERMISSIONS) a.permissions = p.u32();
  if (flags & ATTR_ACMODTIME) {
    a.atime = p.u32();
    a.mtime = p.u32();
  }
  if (flags & ATTR_EXTENDED) {
    const count = p.u32();
    for (let i = 0; i < count; i++) {
      p.bytes();
      p.bytes();
    }
  }
  return a;
}

/** The two output buffers: one fills while the other is being written. */
class Output {
  buf: Uint8Array;
  dv: DataView;
  len = 0;
  #spare: Uint8Array;
  #pending: Promise<void> | null = null;
  #inFlight = false;
  #syncWrites = true;
  #error: unknown = null;
  readonly #sink: ByteSink;

  constructor(sink: ByteSink) {
    this.#sink = sink;
    this.buf = new Uint8Array(OUTPUT_BUFFER);
    this.dv = new DataView(this.buf.buffer);
    this.#spare = new Uint8Array(OUTPUT_BUFFER);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
    this.dv = new DataView(bigger.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.len, v);
    this.len += 4;
  }

  u64(v: number): void {
    this.ensure(8);
    this.dv.setUint32(this.len, Math.floor(v / 0x100000000));
    this.dv.setUint32(this.len + 4, v >>> 0);
    this.len += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(4 + b.length);
    this.dv.setUint32(this.len, b.length);
    this.buf.set(b, this.len + 4);
    this.len += 4 + b.length;
  }

  string(s: string): void {
    this.ensure(4 + s.length * 3);
    const { written } = encoder.encodeInto(s, this.buf.subarray(this.len + 4));
    this.dv.setUint32(this.len, written);
    this.len += 4 + written;
  }

  /** Starts a packet; returns its offset for {@link end}. */
  begin(type: number): number {
    const at = this.len;
    this.ensure(5);
    this.len += 4;
    this.buf[this.len++] = type;
    return at;
  }

  end(at: number): void {
    this.dv.setUint32(at, this.len - at - 4);
  }

  /**
   * Whether a write may be in flight. Blocking calls (a sync read of the input) must wait until
   * it is not: Deno makes progress on async operations only while the event loop runs.
   */
  get busy(): boolean {
    return this.#inFlight;
  }

  /** Hands the filled buffer to the sink and carries on in the other one. */
  async flush(): Promise<void> {
    if (this.#error !== null) throw this.#error;
    if (this.len === 0) return;
    if (this.#pending !== null) {
      await this.#pending;
      this.#pending = null;
      if (this.#error !== null) throw this.#error;
    }
    let data = this.buf.subarray(0, this.len);
    const sink = this.#sink;
    if (this.len <= SYNC_WRITE_MAX && sink.writeSync !== undefined && this.#syncWrites) {
      let at = 0;
      try {
        while (at < data.length) at += sink.writeSync(data.subarray(at));
        this.len = 0;
        return;
      } catch (e) {
        if (!(e instanceof Deno.errors.WouldBlock)) throw e;
        this.#syncWrites = false; // a non-blocking descriptor: write asynchronously from now on
        data = data.subarray(at);
      }
    }
    this.#inFlight = true;
    this.#pending = writeAll(this.#sink, data).then(
      () => {
        this.#inFlight = false;
      },
      (e) => {
        this.#inFlight = false;
        this.#error = e;
      },
    );
    const free = this.#spare;
    this.#spare = this.buf;
    this.buf = free;
    this.dv = new DataView(free.buffer);
    this.len = 0;
  }

  /** Writes everything out and waits for it. */
  async drain(): Promise<void> {
    await this.flush();
    if (this.#pending !== null) await this.#pending;
    this.#pending = null;
    if (this.#error !== null) throw this.#error;
  }
}

async function writeAll(sink: ByteSink, data: Uint8Array): Promise<void> {
  let at = 0;
  while (at < data.length) at += await sink.write(data.subarray(at));
}

interface FileHandle {
  kind: "file";
  file: Deno.FsFile;
  path: string;
  /** Where the file's position is, or -1 when unknown (append mode, after an error). */
  pos: number;
  append: boolean;
}

interface DirHandle {
  kind: "dir";
  path: string;
  names: string[];
  next: number;
}

type Handle = FileHandle | DirHandle;

/** uid/gid → name, from /etc/passwd and /etc/group (read once, when first needed). */
class Names {
  #users: Map<number, string> | null = null;
  #groups: Map<number, string> | null = null;
  #homes: Map<string, string> | null = null;

  #load(file: string, onEntry: (fields: string[]) => void): void {
    let text = "";
    try {
      text = Deno.readTextFileSync(file);
    } catch {
      return;
    }
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      onEntry(line.split(":"));
    }
  }

  #passwd(): void {
    if (this.#users !== null) return;
    const users = new Map<number, string>();
    const homes = new Map<string, string>();
    this.#load("/etc/passwd", (f) => {
      const id = Number(f[2]);
      if (f[0] !== undefined && Number.isInteger(id) && !users.has(id)) users.set(id, f[0]);
      if (f[0] !== undefined && f[5] !== undefined) homes.set(f[0], f[5]);
    });
    this.#users = users;
    this.#homes = homes;
  }

  user(uid: number): string {
    this.#passwd();
    return this.#users?.get(uid) ?? String(uid);
  }

  home(user: string): string | undefined {
    this.#passwd();
    return this.#homes?.get(user);
  }

  group(gid: number): string {
    if (this.#groups === null) {
      const groups = new Map<number, string>();
      this.#load("/etc/group", (f) => {
        const id = Number(f[2]);
        if (f[0] !== undefined && Number.isInteger(id) && !groups.has(id)) groups.set(id, f[0]);
      });
      this.#groups = groups;
    }
    return this.#groups.get(gid) ?? String(gid);
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `drwxr-xr-x` from st_mode bits. */
export function modeString(mode: number): string {
  const type = ({
    0o040000: "d",
    0o120000: "l",
    0o100000: "-",
    0o020000: "c",
    0o060000: "b",
    0o010000: "p",
    0o140000: "s",
  } as Record<number, string>)[mode & S_IFMT] ?? "?";
  const bit = (mask: number, c: string): string => (mode & mask ? c : "-");
  const exec = (x: number, special: number, set: string): string => {
    if (mode & special) return mode & x ? set : set.toUpperCase();
    return mode & x ? "x" : "-";
  };
  return type +
    bit(0o400, "r") + bit(0o200, "w") + exec(0o100, 0o4000, "s") +
    bit(0o040, "r") + bit(0o020, "w") + exec(0o010, 0o2000, "s") +
    bit(0o004, "r") + bit(0o002, "w") + exec(0o001, 0o1000, "t");
}

function listingDate(mtime: Date | null, now: number): string {
  if (mtime === null) return "Jan  1  1970";
  const t = mtime.getTime();
  const month = MONTHS[mtime.getMonth()] ?? "???";
  const day = String(mtime.getDate()).padStart(2);
  const halfYear = 182.5 * 24 * 3600 * 1000;
  if (t <= now && now - t < halfYear) {
    const hh = String(mtime.getHours()).padStart(2, "0");
    const mm = String(mtime.getMinutes()).padStart(2, "0");
    return `${month} ${day} ${hh}:${mm}`;
  }
  return `${month} ${day}  ${mtime.getFullYear()}`;
}

function seconds(d: Date | null): number {
  if (d === null) return 0;
  const s = Math.floor(d.getTime() / 1000);
  return s < 0 ? 0 : s > 0xffffffff ? 0xffffffff : s;
}

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Status code and message for an error thrown by a file system call. */
function statusOf(e: unknown): [number, string] {
  if (e instanceof SftpError) return [e.code, e.message];
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
    return [SftpStatus.noSuchFile, message];
  }
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    return [SftpStatus.permissionDenied, message];
  }
  return [SftpStatus.failure, message];
}

class SftpServer {
  readonly #opts: SftpServerOptions;
  readonly #out: Output;
  readonly #cwd: string;
  readonly #home: string;
  readonly #names = new Names();
  readonly #handles = new Map<number, Handle>();
  readonly #p = new PacketReader();
  #nextHandle = 1;

  constructor(opts: SftpServerOptions) {
    this.#opts = opts;
    this.#out = new Output(opts.output);
    this.#cwd = opts.cwd ?? Deno.cwd();
    this.#home = opts.home ?? Deno.env.get("HOME") ?? this.#cwd;
  }

  async serve(): Promise<number> {
    const buf = new Uint8Array(INPUT_BUFFER);
    const dv = new DataView(buf.buffer);
    let start = 0;
    let end = 0;
    try {
      for (;;) {
        while (end - start >= 4) {
          const len = dv.getUint32(start);
          if (len > MAX_PACKET_IN) {
            this.#opts.log?.(`sftp: a packet of ${len} bytes is too long; closing`);
            await this.#out.drain();
            return 1;
          }
          if (end - start - 4 < len) break;
          this.#packet(buf, dv, start + 4, start + 4 + len);
          start += 4 + len;
          if (this.#out.len >= FLUSH_AT) await this.#out.flush();
        }
        if (start === end) {
          start = 0;
          end = 0;
        } else {
          const want = end - start >= 4 ? 4 + dv.getUint32(start) : 4;
          if (start > 0 && (start + want > buf.length || buf.length - end < MIN_READ_ROOM)) {
            buf.copyWithin(0, start, end);
            end -= start;
            start = 0;
          }
        }
        await this.#out.flush();
        const n = await this.#readInput(buf.subarray(end));
        if (n === null) break;
        end += n;
      }
      if (end > start) this.#opts.log?.("sftp: input ended inside a packet");
      await this.#out.drain();
      return 0;
    } catch (e) {
      // stdin or stdout failed (the client went away): nothing left to answer
      this.#opts.log?.(`sftp: ${e instanceof Error ? e.message : String(e)}`);
      return 1;
    } finally {
      for (const h of this.#handles.values()) if (h.kind === "file") h.file.close();
      this.#handles.clear();
    }
  }

  #syncReads = true;

  /**
   * Reads more input: a blocking read when the source has one and no write is in flight (it is
   * much cheaper in Deno than an async read), else an async read.
   */
  async #readInput(room: Uint8Array): Promise<number | null> {
    const input = this.#opts.input;
    if (input.readSync !== undefined && this.#syncReads && !this.#out.busy) {
      try {
        return input.readSync(room);
      } catch (e) {
        if (!(e instanceof Deno.errors.WouldBlock)) throw e;
        this.#syncReads = false; // a non-blocking descriptor: read asynchronously from now on
      }
    }
    return await input.read(room);
  }

  #packet(buf: Uint8Array, dv: DataView, start: number, end: number): void {
    const p = this.#p;
    p.reset(buf, dv, start, end);
    const out = this.#out;
    const mark = out.len;
    let id = 0;
    try {
      const type = p.u8();
      if (type === FXP.init) return this.#init();
      id = p.u32();
      this.#request(type, id, p);
    } catch (e) {
      out.len = mark;
      const [code, message] = statusOf(e);
      this.#status(id, code, message);
    }
  }

  #request(type: number, id: number, p: PacketReader): void {
    switch (type) {
      case FXP.open:
        return this.#open(id, p);
      case FXP.close:
        return this.#close(id, p);
      case FXP.read:
        return this.#read(id, p);
      case FXP.write:
        return this.#write(id, p);
      case FXP.lstat:
        return this.#attrs(id, Deno.lstatSync(this.#path(p.string())));
      case FXP.stat:
        return this.#attrs(id, Deno.statSync(this.#path(p.string())));
      case FXP.fstat:
        return this.#attrs(id, this.#file(p).file.statSync());
      case FXP.setstat: {
        const path = this.#path(p.string());
        return this.#setstat(id, path, null, readAttrs(p));
      }
      case FXP.fsetstat: {
        const h = this.#file(p);
        return this.#setstat(id, h.path, h.file, readAttrs(p));
      }
      case FXP.opendir:
        return this.#opendir(id, p);
      case FXP.readdir:
        return this.#readdir(id, p);
      case FXP.remove: {
        const path = this.#path(p.string());
        if (Deno.lstatSync(path).isDirectory) {
          throw new SftpError(SftpStatus.failure, `${path} is a directory`);
        }
        Deno.removeSync(path);
        return this.#ok(id);
      }
      case FXP.mkdir: {
        const path = this.#path(p.string());
        const a = readAttrs(p);
        Deno.mkdirSync(path, {
          mode: a.permissions === undefined ? 0o777 : a.permissions & 0o7777,
        });
        return this.#ok(id);
      }
      case FXP.rmdir: {
        const path = this.#path(p.string());
        if (!Deno.lstatSync(path).isDirectory) {
          throw new SftpError(SftpStatus.failure, `${path} is not a directory`);
        }
        Deno.removeSync(path);
        return this.#ok(id);
      }
      case FXP.realpath:
        return this.#name(id, this.#canonical(p.string()));
      case FXP.rename: {
        const from = this.#path(p.string());
        const to = this.#path(p.string());
        this.#renameNoReplace(from, to);
        return this.#ok(id);
      }
      case FXP.readlink:
        return this.#name(id, Deno.readLinkSync(this.#path(p.string())));
      case FXP.symlink: {
        // OpenSSH's client and server swap the spec's order: the link's target comes first.
        const target = p.string();
        const link = this.#path(p.string());
        Deno.symlinkSync(target, link);
        return this.#ok(id);
      }
      case FXP.extended:
        return this.#extended(id, p);
      default:
        throw new SftpError(SftpStatus.opUnsupported, `unsupported request type ${type}`);
    }
  }

  #init(): void {
    const out = this.#out;
    const at = out.begin(FXP.version);
    out.u32(SFTP_VERSION);
    for (const [name, data] of EXTENSIONS) {
      out.string(name);
      out.string(data);
    }
    out.end(at);
  }

  #status(id: number, code: number, message: string): void {
    const out = this.#out;
    const at = out.begin(FXP.status);
    out.u32(id);
    out.u32(code);
    out.string(message);
    out.string("en");
    out.end(at);
  }

  #ok(id: number): void {
    this.#status(id, SftpStatus.ok, "Success");
  }

  /** A NAME response with one entry (REALPATH, READLINK, expand-path). */
  #name(id: number, name: string): void {
    const out = this.#out;
    const at = out.begin(FXP.name);
    out.u32(id);
    out.u32(1);
    out.string(name);
    out.string(name);
    out.u32(0);
    out.end(at);
  }

  #writeAttrs(info: Deno.FileInfo): void {
    const out = this.#out;
    out.u32(ATTR_SIZE | ATTR_UIDGID | ATTR_PERMISSIONS | ATTR_ACMODTIME);
    out.u64(info.size);
    out.u32(info.uid ?? 0);
    out.u32(info.gid ?? 0);
    out.u32(info.mode ?? (info.isDirectory ? S_IFDIR | 0o755 : 0o100644));
    out.u32(seconds(info.atime ?? info.mtime));
    out.u32(seconds(info.mtime));
  }

  #attrs(id: number, info: Deno.FileInfo): void {
    const out = this.#out;
    const at = out.begin(FXP.attrs);
    out.u32(id);
    this.#writeAttrs(info);
    out.end(at);
  }

  #path(path: string): string {
    if (path.startsWith("/")) return path;
    if (path === "" || path === ".") return this.#cwd;
    return join(this.#cwd, path);
  }

  #newHandle(id: number, h: Handle): void {
    if (this.#handles.size >= MAX_HANDLES) {
      if (h.kind === "file") h.file.close();
      throw new SftpError(SftpStatus.failure, "too many open handles");
    }
    const n = this.#nextHandle++;
    this.#handles.set(n, h);
    const out = this.#out;
    const at = out.begin(FXP.handle);
    out.u32(id);
    out.u32(4);
    out.u32(n);
    out.end(at);
  }

  /** The number inside a handle string (-1 when it is not one of ours). */
  #handleNumber(p: PacketReader): number {
    const raw = p.bytes();
    if (raw.length !== 4) return -1;
    return ((raw[0] ?? 0) << 24 | (raw[1] ?? 0) << 16 | (raw[2] ?? 0) << 8 | (raw[3] ?? 0)) >>> 0;
  }

  #handle(p: PacketReader): Handle {
    const h = this.#handles.get(this.#handleNumber(p));
    if (h === undefined) throw new SftpError(SftpStatus.failure, "invalid handle");
    return h;
  }

  #file(p: PacketReader): FileHandle {
    const h = this.#handle(p);
    if (h.kind !== "file") throw new SftpError(SftpStatus.failure, "not a file handle");
    return h;
  }

  #open(id: number, p: PacketReader): void {
    const path = this.#path(p.string());
    const flags = p.u32();
    const a = readAttrs(p);
    const append = (flags & OPEN_APPEND) !== 0;
    const create = (flags & OPEN_CREAT) !== 0;
    const options: Deno.OpenOptions = {
      read: (flags & OPEN_READ) !== 0,
      write: (flags & OPEN_WRITE) !== 0 || append,
      append,
      create,
      truncate: (flags & OPEN_TRUNC) !== 0,
      createNew: create && (flags & OPEN_EXCL) !== 0,
      mode: a.permissions === undefined ? 0o666 : a.permissions & 0o7777,
    };
    if (!options.read && !options.write) {
      throw new SftpError(SftpStatus.failure, "open needs READ or WRITE");
    }
    const file = Deno.openSync(path, options);
    this.#newHandle(id, { kind: "file", file, path, pos: append ? -1 : 0, append });
  }

  #close(id: number, p: PacketReader): void {
    const n = this.#handleNumber(p);
    const h = this.#handles.get(n);
    if (h === undefined) throw new SftpError(SftpStatus.failure, "invalid handle");
    this.#handles.delete(n);
    if (h.kind === "file") h.file.close();
    this.#ok(id);
  }

  #read(id: number, p: PacketReader): void {
    const h = this.#file(p);
    const offset = p.u64();
    const len = Math.min(p.u32(), SFTP_MAX_READ);
    if (h.pos !== offset) {
      h.pos = -1;
      h.file.seekSync(offset, Deno.SeekMode.Start);
      h.pos = offset;
    }
    const out = this.#out;
    out.ensure(13 + len);
    const at = out.len;
    const dataAt = at + 13;
    let n: number | null;
    try {
      n = len === 0 ? 0 : h.file.readSync(out.buf.subarray(dataAt, dataAt + len));
    } catch (e) {
      h.pos = -1;
      throw e;
    }
    if (n === null) return this.#status(id, SftpStatus.eof, "End of file");
    h.pos = offset + n;
    out.dv.setUint32(at, 9 + n);
    out.buf[at + 4] = FXP.data;
    out.dv.setUint32(at + 5, id);
    out.dv.setUint32(at + 9, n);
    out.len = dataAt + n;
  }

  #write(id: number, p: PacketReader): void {
    const h = this.#file(p);
    const offset = p.u64();
    const data = p.bytes();
    if (!h.append && h.pos !== offset) {
      h.pos = -1;
      h.file.seekSync(offset, Deno.SeekMode.Start);
      h.pos = offset;
    }
    let done = 0;
    try {
      while (done < data.length) done += h.file.writeSync(data.subarray(done));
    } catch (e) {
      h.pos = -1;
      throw e;
    }
    if (!h.append) h.pos = offset + done;
    this.#ok(id);
  }

  #setstat(id: number, path: string, file: Deno.FsFile | null, a: Attrs): void {
    if (a.size !== undefined) {
      if (file !== null) file.truncateSync(a.size);
      else Deno.truncateSync(path, a.size);
    }
    if (a.permissions !== undefined) Deno.chmodSync(path, a.permissions & 0o7777);
    if (a.atime !== undefined && a.mtime !== undefined) {
      if (file !== null) file.utimeSync(a.atime, a.mtime);
      else Deno.utimeSync(path, a.atime, a.mtime);
    }
    if (a.uid !== undefined && a.gid !== undefined) {
      const info = file !== null ? file.statSync() : Deno.statSync(path);
      if (info.uid !== a.uid || info.gid !== a.gid) Deno.chownSync(path, a.uid, a.gid);
    }
    this.#ok(id);
  }

  #opendir(id: number, p: PacketReader): void {
    const path = this.#path(p.string());
    const names = [".", ".."];
    for (const entry of Deno.readDirSync(path)) names.push(entry.name);
    this.#newHandle(id, { kind: "dir", path, names, next: 0 });
  }

  #readdir(id: number, p: PacketReader): void {
    const h = this.#handle(p);
    if (h.kind !== "dir") throw new SftpError(SftpStatus.failure, "not a directory handle");
    const out = this.#out;
    const at = out.begin(FXP.name);
    out.u32(id);
    const countAt = out.len;
    out.u32(0);
    let count = 0;
    const now = Date.now();
    while (h.next < h.names.length && count < READDIR_BATCH && out.len - at < READDIR_BYTES) {
      const name = h.names[h.next++] ?? "";
      const full = join(h.path, name);
      let info: Deno.FileInfo;
      try {
        info = Deno.lstatSync(full);
      } catch {
        continue; // gone since OPENDIR
      }
      let target = "";
      if (info.isSymlink) {
        try {
          target = ` -> ${Deno.readLinkSync(full)}`;
        } catch {
          // an unreadable link is listed without its target
        }
      }
      out.string(name);
      out.string(this.#longName(name, info, now) + target);
      this.#writeAttrs(info);
      count++;
    }
    if (count === 0) {
      out.len = at;
      return this.#status(id, SftpStatus.eof, "End of file");
    }
    out.dv.setUint32(countAt, count);
    out.end(at);
  }

  #longName(name: string, info: Deno.FileInfo, now: number): string {
    const user = this.#names.user(info.uid ?? 0);
    const group = this.#names.group(info.gid ?? 0);
    return [
      modeString(info.mode ?? 0),
      String(info.nlink ?? 1).padStart(3),
      user.padEnd(8),
      group.padEnd(8),
      String(info.size).padStart(8),
      listingDate(info.mtime, now),
      name,
    ].join(" ");
  }

  /**
   * The canonical absolute form of a path: symlinks, `.` and `..` resolved. As OpenSSH's
   * server does, a final component that does not exist is allowed (and kept as written).
   */
  #canonical(path: string): string {
    const abs = this.#path(path);
    try {
      return Deno.realPathSync(abs);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const parts = abs.split("/").filter((c) => c !== "" && c !== ".");
    let resolved = "/";
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? "";
      if (part === "..") {
        resolved = dirname(resolved);
        continue;
      }
      const next = join(resolved, part);
      try {
        resolved = Deno.realPathSync(next);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound && i === parts.length - 1) return next;
        throw e;
      }
    }
    return resolved;
  }

  /** v3 RENAME: fails when the new path exists. */
  #renameNoReplace(from: string, to: string): void {
    const info = Deno.lstatSync(from);
    if (info.isFile) {
      // link() refuses an existing target atomically; then drop the old name.
      try {
        Deno.linkSync(from, to);
        Deno.removeSync(from);
        return;
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) {
          throw new SftpError(SftpStatus.failure, `${to} already exists`);
        }
        // hard links unsupported here (or across devices): fall back to check-then-rename
      }
    }
    let exists = true;
    try {
      Deno.lstatSync(to);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      exists = false;
    }
    if (exists) throw new SftpError(SftpStatus.failure, `${to} already exists`);
    Deno.renameSync(from, to);
  }

  #extended(id: number, p: PacketReader): void {
    const name = p.string();
    const out = this.#out;
    switch (name) {
      case "posix-rename@openssh.com": {
        const from = this.#path(p.string());
        Deno.renameSync(from, this.#path(p.string()));
        return this.#ok(id);
      }
      case "hardlink@openssh.com": {
        const from = this.#path(p.string());
        Deno.linkSync(from, this.#path(p.string()));
        return this.#ok(id);
      }
      case "fsync@openssh.com":
        this.#file(p).file.syncSync();
        return this.#ok(id);
      case "limits@openssh.com": {
        const at = out.begin(FXP.extendedReply);
        out.u32(id);
        out.u64(SFTP_MAX_PACKET);
        out.u64(SFTP_MAX_READ);
        out.u64(SFTP_MAX_READ);
        out.u64(MAX_HANDLES);
        out.end(at);
        return;
      }
      case "expand-path@openssh.com":
        return this.#name(id, this.#canonical(this.#expandTilde(p.string())));
      default:
        throw new SftpError(SftpStatus.opUnsupported, `unsupported extension ${name}`);
    }
  }

  #expandTilde(path: string): string {
    if (!path.startsWith("~")) return path;
    const slash = path.indexOf("/");
    const user = path.slice(1, slash < 0 ? undefined : slash);
    const rest = slash < 0 ? "" : path.slice(slash);
    const home = user === "" ? this.#home : this.#names.home(user);
    if (home === undefined) throw new SftpError(SftpStatus.noSuchFile, `no such user: ${user}`);
    return home + rest;
  }
}

/**
 * Serves SFTP until the input ends. Resolves to the exit status: 0 when the input ended, 1 when
 * the session ended otherwise (a packet too long to accept, a failed read or write). Never
 * rejects; failed requests are answered with a STATUS and the session goes on.
 */
export async function serveSftp(options: SftpServerOptions): Promise<number> {
  return await new SftpServer(options).serve();
}
