/**
 * A stand-in for a paid LLM provider (a test double, never a real service): a Deno program for
 * the simulated internet (tests/support/simulated_internet.ts) that speaks the subset of the
 * Anthropic Messages API an agent uses, JSON or streamed as server-sent events, over TLS on 8443.
 * It is scripted, and keeps no state: a call that offers the agent's tools gets, in turn, a `write`
 * of `hello.txt` in the working folder the system prompt names, a `bash` command that writes
 * `ran.txt`, then the text {@link STANDIN_REPLY}; a call without tools gets that text too; a
 * conversation that says `SCRIPTED-FAILURE` gets a 400 error. Each call is recorded (path, the key
 * it carried, the model, the step) for the test to read from `GET /_calls` on plain HTTP 8080.
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
  /** The tools the call offered. */
  tools?: string[];
  /** What the stand-in answered: `write`, `bash`, `text` or `fail`. */
  step?: string;
}

/** The stand-in's program (written to the server's folder and run there). */
export const STANDIN_SERVER = `
const REPLY = ${JSON.stringify(STANDIN_REPLY)};
const calls = [];
const enc = new TextEncoder();
const sse = (event, data) => enc.encode("event: " + event + "\\ndata: " + JSON.stringify(data) + "\\n\\n");

/** What the agent is scripted to do next, from the conversation so far (no state kept). */
function next(body) {
  const tools = body.tools ?? [];
  const messages = body.messages ?? [];
  const userText = messages.filter((m) => m.role === "user").map((m) =>
    typeof m.content === "string" ? m.content : (m.content ?? []).map((c) => c.text ?? "").join(" ")
  ).join(" ");
  if (userText.includes("SCRIPTED-FAILURE")) return { fail: true };
  // Calls without tools (an SDK's plain call, a title) get the reply.
  if (!tools.length) return { text: REPLY };
  const results = messages.flatMap((m) => Array.isArray(m.content) ? m.content : [])
    .filter((c) => c.type === "tool_result").length;
  const system = JSON.stringify(body.system ?? "");
  const cwd = /Working directory: ([^\\s"\\\\]+)/.exec(system)?.[1] ?? ".";
  // opencode names its tools write and bash; Claude Code, Write and Bash.
  const tool = (name) => tools.find((t) => t.name.toLowerCase() === name);
  const props = (t) => Object.keys(t?.input_schema?.properties ?? {});
  const write = tool("write");
  if (results === 0 && write) {
    const pathKey = props(write).find((k) => /path/i.test(k)) ?? "filePath";
    return {
      tool: write.name,
      input: { [pathKey]: cwd + "/hello.txt", content: "written by the agent\\n" },
    };
  }
  const bash = tool("bash");
  if (results === 1 && bash) {
    return {
      tool: bash.name,
      input: { command: "printf 'ran by the agent\\n' > ran.txt", description: "Write ran.txt" },
    };
  }
  return { text: REPLY };
}

async function messages(req) {
  const body = await req.json().catch(() => ({}));
  const step = next(body);
  calls.push({
    method: req.method,
    path: new URL(req.url).pathname,
    key: req.headers.get("x-api-key"),
    authorization: req.headers.get("authorization"),
    model: body.model,
    stream: body.stream === true,
    tools: (body.tools ?? []).map((t) => t.name),
    step: step.fail ? "fail" : step.tool?.toLowerCase() ?? "text",
  });
  if (step.fail) {
    return Response.json({
      type: "error", error: { type: "invalid_request_error", message: "scripted failure" },
    }, { status: 400 });
  }
  const id = "msg_standin_" + calls.length;
  const usage = { input_tokens: 10, output_tokens: 8 };
  const message = {
    id, type: "message", role: "assistant", model: body.model ?? "standin",
    content: [], stop_reason: null, stop_sequence: null, usage,
  };
  const block = step.tool
    ? { type: "tool_use", id: "toolu_" + calls.length, name: step.tool, input: step.input }
    : { type: "text", text: step.text };
  const stop = step.tool ? "tool_use" : "end_turn";
  if (!body.stream) {
    return Response.json({ ...message, content: [block], stop_reason: stop });
  }
  const stream = new ReadableStream({
    start(c) {
      c.enqueue(sse("message_start", { type: "message_start", message }));
      c.enqueue(sse("content_block_start", {
        type: "content_block_start", index: 0,
        content_block: step.tool ? { ...block, input: {} } : { type: "text", text: "" },
      }));
      c.enqueue(sse("content_block_delta", {
        type: "content_block_delta", index: 0,
        delta: step.tool
          ? { type: "input_json_delta", partial_json: JSON.stringify(step.input) }
          : { type: "text_delta", text: step.text },
      }));
      c.enqueue(sse("content_block_stop", { type: "content_block_stop", index: 0 }));
      c.enqueue(sse("message_delta", {
        type: "message_delta", delta: { stop_reason: stop, stop_sequence: null },
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

/** The name the stand-in answers to on the simulated internet. */
export const STANDIN_HOST = "api.anthropic.test";

/**
 * The stand-in on a simulated internet of its own, and a user config that sends Anthropic calls
 * there (`[providers.upstreams]`) and trusts the test CA (`[providers] ca-file`).
 */
export async function startStandIn(
  run: string,
): Promise<{ network: string; dir: string; config: string }> {
  const { startSimulatedInternet } = await import("./simulated_internet.ts");
  const inet = await startSimulatedInternet(run, STANDIN_SERVER, [STANDIN_HOST]);
  const config = `${inet.dir}/devaipod.toml`;
  await Deno.writeTextFile(
    config,
    [
      "[providers]",
      `ca-file = "${inet.dir}/ca.pem"`,
      "[providers.upstreams]",
      `anthropic = "https://${STANDIN_HOST}:8443"`,
      "",
    ].join("\n"),
  );
  return { network: inet.network, dir: inet.dir, config };
}

/**
 * A project whose agent uses the stand-in's model (opencode's `model`), for `image`, in a fresh
 * folder; with `git`, committed in a repository of its own.
 */
export async function standInProject(
  image: string,
  options: { git?: boolean; prefix?: string } = {},
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: options.prefix ?? "devaipod-standin-project-" });
  await Deno.writeTextFile(
    `${dir}/.devcontainer.json`,
    JSON.stringify({ image, remoteUser: "dev" }),
  );
  await Deno.writeTextFile(
    `${dir}/opencode.json`,
    JSON.stringify({ model: "anthropic/claude-sonnet-4-5" }),
  );
  if (options.git) {
    await Deno.writeTextFile(`${dir}/README.md`, "# a project\n");
    const git = (...args: string[]) =>
      new Deno.Command("git", { args, cwd: dir, stdout: "null", stderr: "null" }).output();
    await git("init", "-q");
    await git("add", "-A");
    await git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start");
  }
  return dir;
}

/**
 * The calls the stand-in recorded, read through `exec` (the workspace container of a workspace
 * has the normal network): `exec(argv)` runs argv there and gives its output.
 */
export async function standInCalls(
  exec: (argv: string[]) => Promise<{ code: number; stdout: string; stderr: string }>,
): Promise<StandInCall[]> {
  const r = await exec(["curl", "-sS", "-m", "10", `http://${STANDIN_HOST}:8080/_calls`]);
  if (r.code !== 0) throw new Error(`the stand-in's calls could not be read: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
