/**
 * A stand-in for a paid LLM provider (a test double, never a real service): a Deno program for
 * the simulated internet (tests/support/simulated_internet.ts) that speaks the subset of the
 * Anthropic Messages API and the OpenAI Responses API the agents use, JSON or streamed as
 * server-sent events, over TLS on 8443. It is scripted, and keeps no state: a call that offers
 * the agent's tools gets, in turn, a write of `hello.txt` in the working folder the conversation
 * names (its `write` tool, or its shell, or for Codex's code mode an `exec` of JavaScript calling
 * `apply_patch`), a shell command that writes `ran.txt`, then the text {@link STANDIN_REPLY}; a
 * call without tools gets that text too; a
 * conversation that says `SCRIPTED-FAILURE` gets a 400 error. Each call is recorded (path, the key
 * it carried, the model, the step) for the test to read from `GET /_calls` on plain HTTP 8080.
 */

import { assertEquals, assertMatch } from "./assert.ts";

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

/**
 * What the agent is scripted to do next, from the conversation so far (no state kept): \`chat\`
 * is the call in a common shape, whichever API it came by.
 */
function next(chat) {
  if (chat.userText.includes("SCRIPTED-FAILURE")) return { fail: true };
  // A task that says GATOR-READ reads README.md of octo/demo through the gator's MCP tool
  // (opencode names it gator_read_file), then answers with what came back.
  if (chat.userText.includes("GATOR-READ")) {
    if (chat.results > 0) return { text: "gator said: " + JSON.stringify(chat.lastResult) };
    // opencode names it gator_read_file, Claude Code mcp__gator__read_file.
    const gator = chat.tools.find((t) => /gator_+read_file$/.test(t.name));
    const args = { repo: "octo/demo", path: "README.md" };
    if (gator) return { tool: gator.name, step: "gator", input: args };
    // Codex in code mode defers MCP tools: they are on \`tools\` in its exec, by full name.
    const code = chat.tools.find((t) => t.name === "exec" && t.type === "custom");
    if (code && chat.deferred.includes("mcp__gator")) {
      const js = "const r = await tools.mcp__gator__read_file(" + JSON.stringify(args) + ");\\n" +
        "text(typeof r === 'string' ? r : (r.content ?? []).map((c) => c.text ?? '').join(''));";
      return { tool: "exec", custom: true, step: "gator", input: js };
    }
    return { text: "no gator tool was offered" };
  }
  // Calls without tools (an SDK's plain call, a title) get the reply.
  if (!chat.tools.length) return { text: REPLY };
  // Codex in code mode: one \`exec\` tool that runs JavaScript calling its real tools.
  const code = chat.tools.find((t) => t.name === "exec" && t.type === "custom");
  if (code) {
    const patch = "*** Begin Patch\\n*** Add File: hello.txt\\n+written by the agent\\n*** End Patch\\n";
    const cmd = "printf 'ran by the agent\\\\n' > ran.txt";
    if (chat.results === 0) {
      return { tool: "exec", custom: true, step: "write", input: "await tools.apply_patch(" + JSON.stringify(patch) + ");" };
    }
    if (chat.results === 1) {
      return { tool: "exec", custom: true, step: "bash", input: "await tools.exec_command({ cmd: " + JSON.stringify(cmd) + " });" };
    }
    return { text: REPLY };
  }
  // opencode names its tools write and bash; Claude Code, Write and Bash; Codex has exec_command.
  const tool = (...names) => chat.tools.find((t) => names.includes(t.name.toLowerCase()));
  const write = tool("write");
  const shell = tool("bash", "exec_command", "shell");
  const run = (command) =>
    shell.name === "exec_command"
      ? { tool: shell.name, input: { cmd: command, workdir: chat.cwd } }
      : shell.name === "shell"
      ? { tool: shell.name, input: { command: ["sh", "-c", command], workdir: chat.cwd } }
      : { tool: shell.name, input: { command, description: "Run a command" } };
  if (chat.results === 0 && write) {
    const pathKey = write.props.find((k) => /path/i.test(k)) ?? "filePath";
    return {
      tool: write.name,
      step: "write",
      input: { [pathKey]: chat.cwd + "/hello.txt", content: "written by the agent\\n" },
    };
  }
  // An agent without a write tool writes the file with its shell.
  if (chat.results === 0 && shell) {
    return { ...run("printf 'written by the agent\\n' > hello.txt"), step: "write" };
  }
  if (chat.results === 1 && shell) {
    return { ...run("printf 'ran by the agent\\n' > ran.txt"), step: "bash" };
  }
  return { text: REPLY };
}

const textOf = (content) =>
  typeof content === "string"
    ? content
    : (content ?? []).map((c) => c.text ?? "").join(" ");
const cwdIn = (text) =>
  /Working directory: ([^\\s"\\\\]+)/.exec(text)?.[1] ??
    /<cwd>([^<]+)<\\/cwd>/.exec(text)?.[1] ?? ".";

/** An Anthropic Messages call in the common shape. */
function messagesChat(body) {
  const messages = body.messages ?? [];
  return {
    userText: messages.filter((m) => m.role === "user").map((m) => textOf(m.content)).join(" "),
    tools: (body.tools ?? []).map((t) => ({
      name: t.name,
      props: Object.keys(t.input_schema?.properties ?? {}),
    })),
    results: messages.flatMap((m) => Array.isArray(m.content) ? m.content : [])
      .filter((c) => c.type === "tool_result").length,
    lastResult: textOf(
      messages.flatMap((m) => Array.isArray(m.content) ? m.content : [])
        .filter((c) => c.type === "tool_result").at(-1)?.content,
    ),
    deferred: [],
    cwd: cwdIn(JSON.stringify(body.system ?? "")),
  };
}

/**
 * An OpenAI Responses call in the common shape: its tools, and those an \`additional_tools\` input
 * item offers (Codex), namespaces flattened.
 */
function responsesChat(body) {
  const input = typeof body.input === "string"
    ? [{ type: "message", role: "user", content: body.input }]
    : body.input ?? [];
  const user = input.filter((i) => i.role === "user").map((i) => textOf(i.content)).join(" ");
  const flat = (tools) => tools.flatMap((t) => t.type === "namespace" ? flat(t.tools ?? []) : [t]);
  const offered = [
    ...(body.tools ?? []),
    ...input.filter((i) => i.type === "additional_tools").flatMap((i) => i.tools ?? []),
  ];
  return {
    userText: user,
    tools: flat(offered).filter((t) => t.name).map((t) => ({
      name: t.name,
      type: t.type,
      props: Object.keys(t.parameters?.properties ?? {}),
    })),
    results: input.filter((i) => /_call_output$/.test(i.type ?? "")).length,
    lastResult: (() => {
      const out = input.filter((i) => /_call_output$/.test(i.type ?? "")).at(-1)?.output;
      return typeof out === "string" ? out : (out ?? []).map((c) => c.text ?? "").join("");
    })(),
    // Tool namespaces Codex lists as deferred ("Deferred tool namespaces: - mcp__gator").
    deferred: [...JSON.stringify(input).matchAll(/- (mcp__[A-Za-z0-9_]+)/g)].map((m) => m[1]),
    cwd: cwdIn(user + JSON.stringify(body.instructions ?? "")),
  };
}

function record(req, body, chat, step) {
  calls.push({
    method: req.method,
    path: new URL(req.url).pathname,
    key: req.headers.get("x-api-key"),
    authorization: req.headers.get("authorization"),
    model: body.model,
    stream: body.stream === true,
    tools: chat.tools.map((t) => t.name),
    step: step.fail ? "fail" : step.step ?? (step.tool ? step.tool.toLowerCase() : "text"),
  });
}

const failure = (type) =>
  Response.json({ type: "error", error: { type, message: "scripted failure" } }, { status: 400 });

async function messages(req) {
  const body = await req.json().catch(() => ({}));
  const chat = messagesChat(body);
  const step = next(chat);
  record(req, body, chat, step);
  if (step.fail) return failure("invalid_request_error");
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
  return events([
    ["message_start", { type: "message_start", message }],
    ["content_block_start", {
      type: "content_block_start", index: 0,
      content_block: step.tool ? { ...block, input: {} } : { type: "text", text: "" },
    }],
    ["content_block_delta", {
      type: "content_block_delta", index: 0,
      delta: step.tool
        ? { type: "input_json_delta", partial_json: JSON.stringify(step.input) }
        : { type: "text_delta", text: step.text },
    }],
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["message_delta", {
      type: "message_delta", delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: 8 },
    }],
    ["message_stop", { type: "message_stop" }],
  ]);
}

async function responses(req) {
  const body = await req.json().catch(() => ({}));
  const chat = responsesChat(body);
  const step = next(chat);
  record(req, body, chat, step);
  if (step.fail) return failure("invalid_request_error");
  const n = calls.length;
  const item = step.custom
    ? {
      type: "custom_tool_call", id: "ctc_" + n, call_id: "call_" + n, name: step.tool,
      input: step.input, status: "completed",
    }
    : step.tool
    ? {
      type: "function_call", id: "fc_" + n, call_id: "call_" + n, name: step.tool,
      arguments: JSON.stringify(step.input), status: "completed",
    }
    : {
      type: "message", id: "msg_" + n, role: "assistant", status: "completed",
      content: [{ type: "output_text", text: step.text, annotations: [] }],
    };
  const response = {
    id: "resp_" + n, object: "response", created_at: Math.floor(Date.now() / 1000),
    model: body.model ?? "standin", status: "in_progress", output: [],
  };
  const usage = {
    input_tokens: 10, input_tokens_details: { cached_tokens: 0 },
    output_tokens: 8, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 18,
  };
  const done = { ...response, status: "completed", output: [item], usage };
  if (!body.stream) return Response.json(done);
  return events([
    ["response.created", { type: "response.created", response }],
    ["response.output_item.added", {
      type: "response.output_item.added", output_index: 0,
      item: step.custom
        ? { ...item, input: "", status: "in_progress" }
        : step.tool
        ? { ...item, arguments: "", status: "in_progress" }
        : { ...item, content: [] },
    }],
    ...(step.tool ? [] : [["response.output_text.delta", {
      type: "response.output_text.delta", item_id: item.id, output_index: 0, content_index: 0,
      delta: step.text,
    }]]),
    ["response.output_item.done", { type: "response.output_item.done", output_index: 0, item }],
    ["response.completed", { type: "response.completed", response: done }],
  ]);
}

/** A server-sent event stream of \`[event, data]\` pairs. */
function events(list) {
  const stream = new ReadableStream({
    start(c) {
      for (const [event, data] of list) c.enqueue(sse(event, data));
      c.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}

function handle(req) {
  const path = new URL(req.url).pathname;
  if (req.method === "POST" && path === "/v1/messages") return messages(req);
  if (req.method === "POST" && path === "/v1/responses") return responses(req);
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

/** The name the stand-in answers to on the simulated internet, as Anthropic. */
export const STANDIN_HOST = "api.anthropic.test";
/** The name it answers to as OpenAI. */
export const STANDIN_OPENAI_HOST = "api.openai.test";

/**
 * The stand-in on a simulated internet of its own, and a user config that sends Anthropic calls
 * there (`[providers.upstreams]`) and trusts the test CA (`[providers] ca-file`). With `forges`,
 * the forge stand-in (tests/support/forge_standin.ts) joins it, and the config gives the gator
 * its GitHub and JIRA tokens (`[trusted.env]`), their endpoints there and the test CA.
 */
export async function startStandIn(
  run: string,
  options: { forges?: boolean } = {},
): Promise<{ network: string; dir: string; config: string }> {
  const { startSimulatedInternet } = await import("./simulated_internet.ts");
  const forges = options.forges ? await import("./forge_standin.ts") : undefined;
  const inet = await startSimulatedInternet(
    run,
    STANDIN_SERVER,
    [STANDIN_HOST, STANDIN_OPENAI_HOST],
    forges
      ? [
        { server: forges.FORGE_STANDIN_SERVER, names: forges.FORGE_STANDIN_NAMES },
        // The forge's git host: git's own http-backend, for the gator's pushes.
        {
          server: await Deno.readTextFile(new URL("./git_server_program.ts", import.meta.url)),
          names: ["github.test"],
          permissions: ["--allow-run=git"],
        },
      ]
      : [],
  );
  const config = `${inet.dir}/devaipod.toml`;
  await Deno.writeTextFile(
    config,
    [
      "[providers]",
      `ca-file = "${inet.dir}/ca.pem"`,
      "[providers.upstreams]",
      `anthropic = "https://${STANDIN_HOST}:8443"`,
      `openai = "https://${STANDIN_OPENAI_HOST}:8443"`,
      // With the forges: the gator's tokens, endpoints and the test CA.
      ...(forges
        ? [
          "[trusted.env]",
          `GH_TOKEN = "${forges.GITHUB_TOKEN}"`,
          `JIRA_API_TOKEN = "${forges.JIRA_TOKEN}"`,
          `JIRA_USERNAME = "${forges.JIRA_USER}"`,
          "[gator]",
          `ca-file = "${inet.dir}/ca.pem"`,
          "[gator.endpoints]",
          `github = "${forges.STANDIN_INTERNET_APIS.github}"`,
          `jira = "${forges.STANDIN_INTERNET_APIS.jira}"`,
        ]
        : []),
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

/** What runs devaipod for a test: its exit code and output. */
type Devaipod = (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/**
 * The work the script has an agent do, where it must be: `hello.txt` (its write) and `ran.txt`
 * (its shell command) in the agent's clone of workspace `ws`, and `devaipod diff` showing both.
 */
export async function assertScriptedWork(devaipod: Devaipod, ws: string): Promise<void> {
  const files = await devaipod("exec", ws, "-c", "agent", "--", "cat", "hello.txt", "ran.txt");
  assertEquals(files.stdout, "written by the agent\nran by the agent\n", files.stderr);
  const diff = await devaipod("diff", ws);
  assertEquals(diff.code, 0, diff.stderr);
  assertMatch(diff.stdout, /hello\.txt/);
  assertMatch(diff.stdout, /ran\.txt/);
  assertMatch(diff.stdout, /written by the agent/);
}

/**
 * Asks workspace `ws`'s opencode `text` through its server, as `up TASK` would (from inside the
 * agent container, with its password): a new session, one message. Returns the answer's JSON text.
 */
export async function askOpencode(ws: string, text: string): Promise<string> {
  const { runDevaipod } = await import("./cli.ts");
  const inAgent = (script: string) =>
    runDevaipod(["exec", ws, "-c", "agent", "--", "sh", "-c", script]);
  const pw = await inAgent("cat /run/secrets/devaipod-env/OPENCODE_SERVER_PASSWORD");
  const auth = `opencode:${pw.stdout.trim()}`;
  const session = await inAgent(
    `curl -sS -m 20 -u '${auth}' -H 'content-type: application/json' -d '{}' http://127.0.0.1:4096/session`,
  );
  assertEquals(session.code, 0, session.stderr);
  const id = JSON.parse(session.stdout).id;
  const body = JSON.stringify({ parts: [{ type: "text", text }] });
  const asked = await inAgent(
    `curl -sS -m 90 -u '${auth}' -H 'content-type: application/json' -d '${body}' ` +
      `http://127.0.0.1:4096/session/${id}/message`,
  );
  assertEquals(asked.code, 0, asked.stderr);
  return asked.stdout;
}
