/**
 * A minimal streaming reader of (ustar/pax/GNU) tar archives: streams the members a caller picks
 * out, without holding the archive in memory.
 */

const BLOCK = 512;
const decoder = new TextDecoder();

/** Reads exact byte counts from a stream of chunks. */
class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Returns up to `max` buffered or freshly read bytes; empty at end of stream. */
  async #take(max: number): Promise<Uint8Array> {
    if (this.#buf.length === 0) {
      const { value, done } = await this.#reader.read();
      if (done) return new Uint8Array(0);
      this.#buf = value;
    }
    const out = this.#buf.subarray(0, Math.min(max, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    return out;
  }

  /** Exactly `n` bytes; null at a clean end of stream; TarError when it ends part-way. */
  async readExact(n: number): Promise<Uint8Array | null> {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const part = await this.#take(n - filled);
      if (part.length === 0) {
        if (filled === 0) return null;
        throw new TarError(`archive ends ${filled} bytes into a ${n}-byte block`);
      }
      out.set(part, filled);
      filled += part.length;
    }
    return out;
  }

  /** Passes `n` bytes to `sink` (or drops them without one); false when the stream ends first. */
  async forward(n: number, sink?: (chunk: Uint8Array) => Promise<void>): Promise<boolean> {
    let left = n;
    while (left > 0) {
      const part = await this.#take(left);
      if (part.length === 0) return false;
      if (sink) await sink(part.slice());
      left -= part.length;
    }
    return true;
  }

  /** Reads and drops everything up to the end of the stream. */
  async drain(): Promise<void> {
    this.#buf = new Uint8Array(0);
    while (!(await this.#reader.read()).done) { /* discard */ }
  }
}

function field(header: Uint8Array, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return decoder.decode(end === -1 ? raw : raw.subarray(0, end));
}

function octal(header: Uint8Array, offset: number, length: number): number {
  const text = field(header, offset, length).trim();
  const value = text === "" ? 0 : Number.parseInt(text, 8);
  if (Number.isNaN(value)) throw new TarError(`bad number field '${text}' in tar header`);
  return value;
}

/** Reads `path=` from pax extended-header records (`LEN key=value\n`…). */
function paxPath(data: Uint8Array): string | undefined {
  let text = decoder.decode(data);
  let path: string | undefined;
  while (text.length > 0) {
    const space = text.indexOf(" ");
    const len = Number.parseInt(text.slice(0, space), 10);
    if (space <= 0 || !Number.isFinite(len) || len <= 0) break;
    const record = text.slice(space + 1, len - 1);
    if (record.startsWith("path=")) path = record.slice(5);
    text = text.slice(len);
  }
  return path;
}

/** The archive is malformed or truncated. */
export class TarError extends Error {
  override readonly name = "TarError";
}

/** Where {@link extractFiles} writes one member's bytes. */
export interface FileSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Streams each regular file that `pick` wants (it gets the member's path and mode, and returns a
 * sink or undefined) and returns the paths and sizes written. Reads the archive to its end, so a
 * digest taken over the stream covers every byte.
 */
export async function extractFiles(
  archive: ReadableStream<Uint8Array>,
  pick: (path: string, mode: number) => Promise<FileSink | undefined>,
): Promise<{ path: string; size: number; mode: number }[]> {
  const reader = new ByteReader(archive);
  const written: { path: string; size: number; mode: number }[] = [];
  let longName: string | undefined;
  while (true) {
    const header = await reader.readExact(BLOCK);
    if (header === null || header.every((b) => b === 0)) break; // end of archive
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (type === "x" || type === "L") {
      const data = await reader.readExact(padded);
      if (data === null) throw new TarError("archive ends inside an extended header");
      longName = type === "x" ? paxPath(data.subarray(0, size)) : field(data, 0, size);
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = (longName ??
      (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100))).replace(/^\.\//, "");
    longName = undefined;
    const mode = octal(header, 100, 8);
    const sink = type === "0" || type === "\0" ? await pick(name, mode) : undefined;
    if (sink) {
      const ok = await reader.forward(size, (c) => sink.write(c));
      await sink.close();
      if (!ok || !(await reader.forward(padded - size))) {
        throw new TarError(`archive ends inside ${name}`);
      }
      written.push({ path: name, size, mode });
      continue;
    }
    if (!(await reader.forward(padded))) throw new TarError("archive ends inside a member");
  }
  await reader.drain();
  return written;
}
