/**
 * The gator's MCP server: streamable HTTP (the official SDK, stateless, JSON answers) at `/mcp`,
 * behind a per-workspace bearer secret. Every tool call is checked against the scopes first (a
 * denied call never reaches a forge) and logged as one JSON decision line.
 *
 * @example
 * ```ts
 * const gator = startGator({ listen: { hostname: "127.0.0.1", port: 0 }, secret, scopes: () => [], clients: {} });
 * // MCP at http://127.0.0.1:<gator.addr.port>/mcp, with `Authorization: Bearer <secret>`
 * await gator.close();
 * ```
 */
import { McpServer } from "npm:@modelcontextprotocol/sdk@1.32.2/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/server/webStandardStreamableHttp.js";
import { timingSafeEqual } from "node:crypto";
import { ForgeError } from "./forge.ts";
import { decide } from "./scopes.ts";
import type { Decision, Need, Scope } from "./scopes.ts";
import { FORGES, gatorTools } from "./tools.ts";
import type { ForgeService, ToolClients } from "./tools.ts";

/** The path of the MCP endpoint. */
export const MCP_PATH = "/mcp";

/** One decision line of the gator's log. */
export interface GatorLogRecord {
  time: string;
  tool: string;
  service: string;
  target: string;
  permission: string;
  number?: number;
  decision: "allow" | "deny";
  /** The scope that allowed it, or the one that would have. */
  scope: string;
  /** After an allowed call: `ok`, or the forge's error status (0: unreachable). */
  outcome?: "ok" | number;
}

/** What the server needs. */
export interface GatorOptions {
  listen: { hostname: string; port: number };
  /** The bearer secret a request must carry. */
  secret: string;
  /** The scopes now (called on every tool call: the file may have changed). */
  scopes: () => readonly Scope[];
  clients: ToolClients;
  /** Where decision lines go (default: stdout). */
  log?: (record: GatorLogRecord) => void;
}

/** A running gator. */
export interface GatorServer {
  addr: Deno.NetAddr;
  close(): Promise<void>;
}

/** Whether the request carries `Authorization: Bearer <secret>` (compared in constant time). */
export function authorized(request: Request, secret: string): boolean {
  const header = request.headers.get("authorization") ?? "";
  const m = /^Bearer (.+)$/.exec(header);
  if (!m?.[1]) return false;
  const given = new TextEncoder().encode(m[1]);
  const want = new TextEncoder().encode(secret);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** The text an agent gets back: JSON, pretty enough to read. */
function text(value: unknown): { content: { type: "text"; text: string }[] } {
  return {
    content: [{
      type: "text",
      text: typeof value === "string" ? value : JSON.stringify(value, null, 2),
    }],
  };
}

/** An MCP server with the tools of `clients`, each call checked and logged. */
export function gatorMcpServer(options: GatorOptions): McpServer {
  const log = options.log ?? ((r) => console.log(JSON.stringify(r)));
  const forges = FORGES.filter((f): f is ForgeService => options.clients.forges[f] !== undefined);
  const server = new McpServer({ name: "devaipod-gator", version: "1" });
  for (const t of gatorTools(forges, options.clients.jira !== undefined)) {
    const config = { description: t.description, inputSchema: t.input };
    server.registerTool(t.name, config, async (input: Record<string, unknown>) => {
      const scopes = options.scopes();
      const decisions = t.needs(input).map((need) => ({ need, decision: decide(scopes, need) }));
      const line = (need: Need, decision: Decision, outcome?: "ok" | number): GatorLogRecord => ({
        time: new Date().toISOString(),
        tool: t.name,
        service: need.service,
        target: need.target,
        permission: need.permission,
        ...(need.number !== undefined ? { number: need.number } : {}),
        decision: decision.allow ? "allow" : "deny",
        scope: decision.allow ? decision.scope : decision.missing,
        ...(outcome !== undefined ? { outcome } : {}),
      });
      const denied = decisions.find((d) => !d.decision.allow);
      if (denied && !denied.decision.allow) {
        log(line(denied.need, denied.decision));
        const missing = denied.decision.missing;
        return {
          isError: true,
          ...text(
            `denied: ${t.name} needs the scope ${missing}, which this workspace does not have (the human can add it: devaipod gator WORKSPACE add ${missing})`,
          ),
        };
      }
      let outcome: "ok" | number = "ok";
      try {
        return text(await t.run(input, options.clients));
      } catch (err) {
        outcome = err instanceof ForgeError ? err.status : 0;
        return { isError: true, ...text((err as Error).message) };
      } finally {
        for (const d of decisions) log(line(d.need, d.decision, outcome));
      }
    });
  }
  return server;
}

/** Answers one HTTP request: the MCP endpoint behind the secret, `/healthz`, or 404. */
export async function handleGatorRequest(
  request: Request,
  options: GatorOptions,
): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/healthz") return new Response("ok\n");
  if (url.pathname !== MCP_PATH) return new Response("not found\n", { status: 404 });
  if (!authorized(request, options.secret)) {
    return new Response(JSON.stringify({ error: "missing or wrong bearer secret" }), {
      status: 401,
      headers: { "content-type": "application/json", "www-authenticate": "Bearer" },
    });
  }
  // Stateless: a server and a transport per request, as the SDK's stateless mode wants.
  const server = gatorMcpServer(options);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    // The JSON answer is complete once handleRequest returns.
    await server.close();
  }
}

/** Starts the gator on `options.listen`. */
export function startGator(options: GatorOptions): GatorServer {
  const server = Deno.serve({
    hostname: options.listen.hostname,
    port: options.listen.port,
    onListen: () => {},
  }, (request) => handleGatorRequest(request, options));
  return {
    addr: server.addr,
    close: () => server.shutdown(),
  };
}
