/**
 * A stand-in for a paid LLM provider (a test double, never a real service): a Deno program for
 * the simulated internet (tests/support/simulated_internet.ts) that speaks the subset of the
 * Anthropic Messages API an agent uses, JSON or streamed as server-sent events, over TLS on 8443.
 * It answers every conversation with one scripted text reply, and records each call (path, the
 * key it carried, the model) for the test to read from `GET /_calls` on plain HTTP 8080.
 */

/** The reply every conversation gets. */
export const STANDIN_REPLY = "Done: the stand-in provider answered.";

/** One call the stand-in received. */
export interface StandInCall {
  method: string;
  path: string;
  /** The `x-api-key` header as it arrived. */
  key: string | null;
  /** The `authorization` header as it arrived. */
  authorization: string | null;
  model?: string;
  stream?: boolean;
}

/** The stand-in's program (written to the server's folder and run there). */
export const STANDIN_SERVER = `
const REPLY = ${JSON.stringify(STANDIN_REPLY)};
const calls = [];
const enc = new TextEncoder();
const sse = (event, data) => enc.encode("event: " + event + "\\ndata: " + JSON.stringify(data) + "\\n\\n");

async function messages(req) {
  const body = await req.json().catch(() => ({}));
  calls.push({
    method: req.method,
    path: new URL(req.url).pathname,
    key: req.headers.get("x-api-key"),
    authorization: req.headers.get("authorization"),
    model: body.model,
    stream: body.stream === true,
  });
  const id = "msg_standin_" + calls.length;
  const usage = { input_tokens: 10, output_tokens: 8 };
  const message = {
    id, type: "message", role: "assistant", model: body.model ?? "standin",
    content: [], stop_reason: null, stop_sequence: null, usage,
  };
  if (!body.stream) {
    return Response.json({
      ...message, content: [{ type: "text", text: REPLY }], stop_reason: "end_turn",
    });
  }
  const stream = new ReadableStream({
    start(c) {
      c.enqueue(sse("message_start", { type: "message_start", message }));
      c.enqueue(sse("content_block_start", {
        type: "content_block_start", index: 0, content_block: { type: "text", text: "" },
      }));
      c.enqueue(sse("content_block_delta", {
        type: "content_block_delta", index: 0, delta: { type: "text_delta", text: REPLY },
      }));
      c.enqueue(sse("content_block_stop", { type: "content_block_stop", index: 0 }));
      c.enqueue(sse("message_delta", {
        type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 8 },
      }));
      c.enqueue(sse("message_stop", { type: "message_stop" }));
      c.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}

function handle(req) {
  const path = new URL(req.url).pathname;
  if (req.method === "POST" && path === "/v1/messages") return messages(req);
  if (path === "/v1/models") {
    return Response.json({ data: [{ type: "model", id: "claude-standin", display_name: "Stand-in" }] });
  }
  return new Response("not found\\n", { status: 404 });
}

Deno.serve({ hostname: "0.0.0.0", port: 8080 }, (req) =>
  new URL(req.url).pathname === "/_calls" ? Response.json(calls) : handle(req));
Deno.serve({
  hostname: "0.0.0.0",
  port: 8443,
  cert: Deno.readTextFileSync("/srv/server.pem"),
  key: Deno.readTextFileSync("/srv/server.key"),
}, handle);
`;
