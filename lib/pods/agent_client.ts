/**
 * Talks to an agent from inside the workspace's internal network (run in the proxy sidecar by
 * `podman exec`, since the host cannot reach that network): reads `{url, password, task?}` as
 * JSON on stdin, probes health or sends the task, prints the answer as JSON.
 */
import { probeHealth, sendFirstPrompt, waitForSession } from "./agent_http.ts";

/** One request to the agent. */
export interface AgentClientRequest {
  url: string;
  password: string;
  task?: string;
  /** Wait until the agent finished this session (or the time ran out). */
  wait?: { sessionId: string; timeoutMs: number };
}

/** Runs one request; the answer is `{healthy}`, `{sessionId}` or `{outcome}` (or `{error}`). */
export async function runAgentClient(
  request: AgentClientRequest,
): Promise<Record<string, unknown>> {
  try {
    if (request.wait) {
      return {
        outcome: await waitForSession(
          { url: request.url, password: request.password },
          request.wait.sessionId,
          request.wait.timeoutMs,
        ),
      };
    }
    if (request.task !== undefined) {
      return {
        sessionId: await sendFirstPrompt(
          { url: request.url, password: request.password },
          request.task,
        ),
      };
    }
    return { healthy: await probeHealth({ url: request.url, password: request.password }) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

if (import.meta.main) {
  const input = await new Response(Deno.stdin.readable).text();
  console.log(JSON.stringify(await runAgentClient(JSON.parse(input))));
}
