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

/** How a task ended: the agent finished (its last words), failed (why), or is still at work. */
export type TaskOutcome =
  | { state: "done"; text: string }
  | { state: "failed"; error: string; text: string }
  | { state: "running" };

interface MessageInfo {
  role?: string;
  time?: { completed?: number };
  error?: { name?: string; data?: { message?: string } };
}
interface Message {
  info?: MessageInfo;
  parts?: { type?: string; text?: string; synthetic?: boolean }[];
}

/**
 * Where a session stands, from opencode's `/session/status` (busy or retrying sessions are at
 * work; idle ones are absent) and its messages: done when the last message is the agent's and
 * complete, failed when that message carries an error.
 */
export function sessionOutcome(
  status: Readonly<Record<string, { type?: string }>>,
  sessionId: string,
  messages: readonly Message[],
): TaskOutcome {
  const busy = status[sessionId]?.type;
  if (busy && busy !== "idle") return { state: "running" };
  const last = messages.at(-1);
  if (last?.info?.role !== "assistant" || !last.info.time?.completed) return { state: "running" };
  const text = (last.parts ?? []).filter((p) => p.type === "text" && !p.synthetic)
    .map((p) => p.text ?? "").join("\n").trim();
  const error = last.info.error;
  if (error) {
    const why = [error.name, error.data?.message].filter(Boolean).join(": ") || "the agent failed";
    return { state: "failed", error: why, text };
  }
  return { state: "done", text };
}

/**
 * Polls the session until the agent is done or failed, or `timeoutMs` passes (then `running`).
 */
export async function waitForSession(
  endpoint: AgentEndpoint,
  sessionId: string,
  timeoutMs: number,
  options: { intervalMs?: number; signal?: AbortSignal } = {},
): Promise<TaskOutcome> {
  const headers = { authorization: auth(endpoint.password) };
  const get = async (path: string): Promise<unknown> => {
    const r = await fetch(`${endpoint.url}${path}`, {
      headers,
      signal: AbortSignal.timeout(10_000),
    });
    if (!r.ok) {
      await r.body?.cancel();
      throw new FailedError(`the agent answered HTTP ${r.status} for ${path}`);
    }
    return await r.json();
  };
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const status = await get("/session/status") as Record<string, { type?: string }>;
    const messages = await get(`/session/${encodeURIComponent(sessionId)}/message`) as Message[];
    const outcome = sessionOutcome(status ?? {}, sessionId, messages ?? []);
    if (outcome.state !== "running" || Date.now() >= deadline || options.signal?.aborted) {
      return outcome;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
  }
}
