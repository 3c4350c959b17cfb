/**
 * Talking to the agent's server from the host, through the port the pod publishes on
 * 127.0.0.1: readiness (`/global/health` with the password) and the first prompt.
 */
import { FailedError } from "../errors.ts";

/** Where the agent listens, as seen from the host. */
export interface AgentEndpoint {
  url: string;
  password: string;
}

function auth(password: string): string {
  return `Basic ${btoa(`opencode:${password}`)}`;
}

/** One health probe: true when the server answers healthy. */
export async function probeHealth(endpoint: AgentEndpoint, signal?: AbortSignal): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint.url}/global/health`, {
      headers: { authorization: auth(endpoint.password) },
      signal: signal
        ? AbortSignal.any([signal, AbortSignal.timeout(2000)])
        : AbortSignal.timeout(2000),
    });
    const body = await res.text();
    return res.ok && /"healthy"\s*:\s*true/.test(body);
  } catch {
    return false;
  }
}

/** Polls until healthy; false when `timeoutMs` passes first. */
export async function waitHealthy(
  endpoint: AgentEndpoint,
  timeoutMs: number,
  options: { signal?: AbortSignal; intervalMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (options.signal?.aborted) return false;
    if (await probeHealth(endpoint, options.signal)) return true;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
  return false;
}

/** Starts a session titled after the task and sends the task as its first prompt; returns the session id. */
export async function sendFirstPrompt(endpoint: AgentEndpoint, task: string): Promise<string> {
  const headers = { authorization: auth(endpoint.password), "content-type": "application/json" };
  const created = await fetch(`${endpoint.url}/session`, {
    method: "POST",
    headers,
    body: JSON.stringify({ title: task.split("\n")[0]?.slice(0, 80) ?? "task" }),
  });
  const session = await created.json().catch(() => ({})) as { id?: unknown };
  if (!created.ok || typeof session.id !== "string") {
    throw new FailedError(`the agent did not create a session (HTTP ${created.status})`);
  }
  const sent = await fetch(
    `${endpoint.url}/session/${encodeURIComponent(session.id)}/prompt_async`,
    {
      method: "POST",
      headers,
      body: JSON.stringify({ parts: [{ type: "text", text: task }] }),
    },
  );
  await sent.body?.cancel();
  if (!sent.ok) throw new FailedError(`the agent did not take the task (HTTP ${sent.status})`);
  return session.id;
}
