/**
 * The helper's tcp and unix modes, run as the bridge runs them: a subprocess whose first stdout
 * byte says whether the connection was made, then a byte stream with half-close in each
 * direction. Servers are local (127.0.0.1:0, a temp unix socket).
 */
import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { HELPER_DENO_FLAGS } from "./helper_flags.ts";

const HELPER = new URL("./in_container.ts", import.meta.url).pathname;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Helper {
  child: Deno.ChildProcess;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  /** Reads exactly n bytes of stdout (fewer only when stdout ends). */
  read(n: number): Promise<Uint8Array>;
  /** Reads stdout to its end. */
  readAll(): Promise<Uint8Array>;
  /** Exit status and stderr. */
  finish(): Promise<{ code: number; stderr: string }>;
}

function startHelper(args: string[]): Helper {
  const child = new Deno.Command("deno", {
    args: [
      "run",
      ...HELPER_DENO_FLAGS,
      HELPER,
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  let pending = new Uint8Array(0);
  let ended = false;
  const fill = async (n: number): Promise<void> => {
    while (!ended && pending.length < n) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      const joined = new Uint8Array(pending.length + value.length);
      joined.set(pending);
      joined.set(value, pending.length);
      pending = joined;
    }
  };
  const take = (n: number): Uint8Array => {
    const out = pending.slice(0, n);
    pending = pending.slice(out.length);
    return out;
  };
  const stderrText = new Response(child.stderr).text();
  const guard = async <T>(promise: Promise<T>, what: string): Promise<T> => {
    try {
      return await within(promise, what);
    } catch (e) {
      try {
        child.kill();
      } catch {
        // already gone
      }
      throw e;
    }
  };
  return {
    child,
    stdin,
    async read(n) {
      await guard(fill(n), `${n} bytes of stdout`);
      return take(n);
    },
    async readAll() {
      await guard(fill(Infinity), "stdout EOF");
      return take(pending.length);
    },
    async finish() {
      await guard(fill(Infinity), "stdout EOF");
      reader.releaseLock();
      try {
        await stdin.close();
      } catch {
        // already closed
      }
      const { code } = await guard(child.status, "the helper's exit");
      return { code, stderr: await stderrText };
    },
  };
}

/** Rejects when `promise` has not settled within `ms` (a hang becomes a failure). */
async function within<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A server that, per connection, echoes what arrives as it arrives, then closes at EOF. */
function echoServer(listener: Deno.Listener): Promise<void> {
  return (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      let at = 0;
      while (at < n) at += await conn.write(buf.subarray(at, n));
    }
    conn.close();
  })();
}

/** A server that reads everything until EOF, then answers and closes. */
function answerAtEofServer(listener: Deno.Listener): Promise<string> {
  return (async () => {
    const conn = await listener.accept();
    const got = decoder.decode(
      await (async () => {
        const chunks: Uint8Array[] = [];
        const buf = new Uint8Array(4096);
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          chunks.push(buf.slice(0, n));
        }
        const all = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          all.set(c, at);
          at += c.length;
        }
        return all;
      })(),
    );
    await conn.write(encoder.encode(`got ${got.length} bytes: ${got}`));
    conn.close();
    return got;
  })();
}

Deno.test("tcp: first byte 0x00, then bytes flow both ways while the connection is open", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = echoServer(listener);
  const h = startHelper(["tcp", "127.0.0.1", String(listener.addr.port)]);
  try {
    assertEquals(Array.from(await h.read(1)), [0x00]);
    await h.stdin.write(encoder.encode("hello"));
    assertEquals(decoder.decode(await h.read(5)), "hello");
    await h.stdin.write(encoder.encode(" again"));
    assertEquals(decoder.decode(await h.read(6)), " again");
    await h.stdin.close();
    assertEquals((await h.readAll()).length, 0);
    const { code, stderr } = await h.finish();
    assertEquals(code, 0, stderr);
    await served;
  } finally {
    listener.close();
  }
});

Deno.test("tcp: stdin EOF half-closes the socket; the server's reply still arrives, exit 0", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = answerAtEofServer(listener);
  const h = startHelper(["tcp", "localhost", String(listener.addr.port)]);
  try {
    assertEquals(Array.from(await h.read(1)), [0x00]);
    await h.stdin.write(encoder.encode("question"));
    await h.stdin.close();
    assertEquals(await within(served, "the server sees EOF"), "question");
    assertEquals(decoder.decode(await h.readAll()), "got 8 bytes: question");
    const { code, stderr } = await h.finish();
    assertEquals(code, 0, stderr);
  } finally {
    listener.close();
  }
});

Deno.test("tcp: the server's EOF ends stdout and the helper (exit 0) while stdin is still open", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    await conn.write(encoder.encode("bye"));
    conn.close();
  })();
  const h = startHelper(["tcp", "127.0.0.1", String(listener.addr.port)]);
  try {
    assertEquals(Array.from(await h.read(1)), [0x00]);
    assertEquals(decoder.decode(await h.readAll()), "bye");
    const { code } = await within(h.child.status, "the helper's exit");
    assertEquals(code, 0);
    await served;
    await h.finish();
  } finally {
    listener.close();
  }
});

Deno.test("tcp: 8 MB each way arrive intact", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = echoServer(listener);
  const h = startHelper(["tcp", "127.0.0.1", String(listener.addr.port)]);
  try {
    assertEquals(Array.from(await h.read(1)), [0x00]);
    const data = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < data.length; i += 65536) {
      crypto.getRandomValues(data.subarray(i, Math.min(i + 65536, data.length)));
    }
    const sending = (async () => {
      await h.stdin.write(data);
      await h.stdin.close();
    })();
    const back = await h.readAll();
    await sending;
    assertEquals(back.length, data.length);
    assert(back.every((b, i) => b === data[i]), "echoed bytes differ");
    const { code, stderr } = await h.finish();
    assertEquals(code, 0, stderr);
    await served;
  } finally {
    listener.close();
  }
});

Deno.test("tcp: a refused connection is 0x01, a reason line, exit 1", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const h = startHelper(["tcp", "127.0.0.1", String(port)]);
  const out = await h.readAll();
  const { code } = await h.finish();
  assertEquals(out[0], 0x01);
  const reason = decoder.decode(out.subarray(1));
  assertMatch(reason, /^connecting to 127\.0\.0\.1:\d+ failed: .*refused.*\n$/i);
  assertEquals(reason.indexOf("\n"), reason.length - 1, "the reason is one line");
  assertEquals(code, 1);
});

Deno.test("tcp: bad arguments are 0x01 and exit 2", async () => {
  for (const args of [["tcp", "127.0.0.1", "0"], ["tcp", "127.0.0.1", "http"], ["tcp"]]) {
    const h = startHelper(args);
    const out = await h.readAll();
    const { code } = await h.finish();
    assertEquals(out[0], 0x01, args.join(" "));
    assertEquals(code, 2, args.join(" "));
  }
});

/**
 * The answer-at-EOF server on a unix socket, in its own process: `deno task test` grants net
 * access to loopback names only, and listening on a unix socket is net access in Deno.
 * Resolves when it listens; `got` is what it read before EOF.
 */
async function unixAnswerServer(path: string): Promise<{ got: Promise<string> }> {
  const code = `
    const enc = new TextEncoder();
    const listener = Deno.listen({ transport: "unix", path: Deno.env.get("SOCKET_PATH") });
    await Deno.stdout.write(enc.encode("ready\\n"));
    const conn = await listener.accept();
    const chunks = [];
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const got = new TextDecoder().decode(await new Blob(chunks).arrayBuffer());
    await conn.write(enc.encode("got " + got.length + " bytes: " + got));
    conn.close();
    listener.close();
    await Deno.stdout.write(enc.encode(got));
  `;
  const child = new Deno.Command("deno", {
    args: ["eval", "--quiet", code],
    env: { SOCKET_PATH: path },
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await within(reader.read(), "the unix server listening");
    if (done) throw new Error("the unix server ended before listening");
    text += decoder.decode(value);
  }
  const got = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    await child.status;
    return text.slice(text.indexOf("ready\n") + 6);
  })();
  return { got };
}

Deno.test("unix: first byte 0x00; stdin EOF half-closes; the server's reply arrives; exit 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-helper-" });
  const path = `${dir}/agent.sock`;
  try {
    const served = await unixAnswerServer(path);
    const h = startHelper(["unix", path]);
    assertEquals(Array.from(await h.read(1)), [0x00]);
    await h.stdin.write(encoder.encode("over unix"));
    await h.stdin.close();
    assertEquals(await within(served.got, "the server sees EOF"), "over unix");
    assertEquals(decoder.decode(await h.readAll()), "got 9 bytes: over unix");
    const { code, stderr } = await h.finish();
    assertEquals(code, 0, stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unix: a missing socket is 0x01, a reason line naming the path, exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-helper-" });
  try {
    const h = startHelper(["unix", `${dir}/absent.sock`]);
    const out = await h.readAll();
    const { code } = await h.finish();
    assertEquals(out[0], 0x01);
    assertMatch(decoder.decode(out.subarray(1)), /absent\.sock failed: .+\n$/);
    assertEquals(code, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("helper: an unknown mode exits 2 with usage on stderr", async () => {
  const h = startHelper(["ftp"]);
  const out = await h.readAll();
  const { code, stderr } = await h.finish();
  assertEquals(out.length, 0);
  assertEquals(code, 2);
  assertMatch(stderr, /usage: in_container\.ts sftp \| tcp HOST PORT \| unix PATH/);
});
