/**
 * ChannelOutput against a real ssh2 server and client (in one process, over a socket pair):
 * large stdout and stderr, interleaved, with the client's window shut for a while, arrive
 * complete and once — what ssh2 1.17 gets wrong when both streams are written at once.
 */
import net from "node:net";
import ssh2 from "ssh2";
import { assertEquals } from "../../tests/support/assert.ts";
import { ChannelOutput } from "./bridge.ts";
import { generateEd25519 } from "./host_key.ts";

// deno-lint-ignore no-explicit-any
type Any = any;

/** Runs `serve(channel)` for one exec session and returns what the client received. */
async function session(
  serve: (out: ChannelOutput, channel: Any) => Promise<void>,
  pauseMs: number,
): Promise<{ stdout: number; stderr: number; stdoutText: string }> {
  const hostKey = generateEd25519();
  const clientKey = generateEd25519();
  const server = new (ssh2 as Any).Server({ hostKeys: [hostKey] }, (client: Any) => {
    client.on("authentication", (a: Any) => a.accept());
    client.on("ready", () => {
      client.on("session", (accept: Any) => {
        accept().on("exec", (acceptExec: Any) => {
          const channel = acceptExec();
          serve(new ChannelOutput(channel), channel).then(() => {
            channel.exit(0);
            channel.end();
          });
        });
      });
    });
  });
  const listener = net.createServer((s) => server.injectSocket(s));
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  const port = (listener.address() as net.AddressInfo).port;
  try {
    return await new Promise((resolve, reject) => {
      const c = new (ssh2 as Any).Client();
      c.on("ready", () => {
        c.exec("x", (err: Error, stream: Any) => {
          if (err) return reject(err);
          let stdout = 0;
          let stderr = 0;
          let stdoutText = "";
          stream.on("data", (d: Uint8Array) => {
            stdout += d.length;
            if (stdoutText.length < 64) stdoutText += new TextDecoder().decode(d).slice(0, 64);
          });
          stream.stderr.on("data", (d: Uint8Array) => stderr += d.length);
          // The client stops reading for a while: the server's window shuts.
          stream.pause();
          setTimeout(() => stream.resume(), pauseMs);
          stream.on("close", () => {
            c.end();
            resolve({ stdout, stderr, stdoutText });
          });
        });
      });
      c.on("error", reject);
      c.connect({ host: "127.0.0.1", port, username: "u", privateKey: clientKey });
    });
  } finally {
    listener.close();
  }
}

const chunk = (n: number, byte: number) => new Uint8Array(n).fill(byte);

Deno.test("channel output: stdout then stderr, past a shut window, arrive whole", async () => {
  const got = await session(async (out) => {
    for (let i = 0; i < 50; i++) await out.write("out", chunk(60_000, 48));
    await out.write("err", new TextEncoder().encode("x\n"));
  }, 300);
  assertEquals([got.stdout, got.stderr], [3_000_000, 2]);
});

Deno.test("channel output: interleaved stdout and stderr arrive exactly once", async () => {
  const got = await session(async (out) => {
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      writes.push(out.write("out", chunk(65_536, 49)));
      writes.push(out.write("err", chunk(75_000, 50)));
    }
    await Promise.all(writes);
  }, 300);
  assertEquals([got.stdout, got.stderr], [40 * 65_536, 40 * 75_000]);
  assertEquals(got.stdoutText.startsWith("1111"), true);
});
