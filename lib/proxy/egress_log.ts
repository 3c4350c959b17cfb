/**
 * Reading the proxy's log (`podman logs` of the sidecar): its JSON records, folded into one
 * entry per connection. An allowed tunnel is logged when it opens and again, with its totals,
 * when it closes; folded, it is one entry: open until its `close` arrives, then closed with
 * the totals, counted once. A tunnel of an earlier proxy run (the sidecar restarted, perhaps
 * killed before it could log the close) is closed, its totals unknown. Pure; `devaipod egress` and `status` print what this returns.
 *
 * @example
 * ```ts
 * const entries = foldEgress(parseProxyLog(logs.stdout));
 * const open = entries.filter((e) => e.state === "open").length;
 * ```
 */
import { z } from "zod";
import { printable } from "../util/printable.ts";
import type { ProxyLogRecord } from "./server.ts";

const count = z.number().int().nonnegative();

/** One log line; records from before ids and events existed have neither. */
const LineSchema = z.object({
  time: z.string(),
  id: z.string().optional(),
  event: z.enum(["open", "close", "deny"]).optional(),
  client: z.string(),
  method: z.string(),
  host: z.string().nullable(),
  port: z.number().int().nullable(),
  decision: z.enum(["allow", "deny"]),
  status: z.number().int(),
  reason: z.string(),
  bytesUp: count.optional(),
  bytesDown: count.optional(),
  durationMs: count.optional(),
});

/** Each variant of `T` with a nullable id. */
type NullableId<T> = T extends unknown ? Omit<T, "id"> & { id: string | null } : never;
/** A log record as read back: an old-format record has no id (null). */
export type LoggedRecord = NullableId<ProxyLogRecord>;

/**
 * The proxy's records in `text`, in order. Lines that are not records (its notes on stderr,
 * which `podman logs` interleaves) are skipped. An old-format record (no event) was written
 * when its connection ended: it reads as a `close` (allowed) or a `deny`.
 */
export function parseProxyLog(text: string): LoggedRecord[] {
  return text.split("\n").flatMap((line): LoggedRecord[] => {
    if (!line.startsWith("{")) return [];
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return [];
    }
    const parsed = LineSchema.safeParse(json);
    if (!parsed.success) return [];
    const { id, event, bytesUp, bytesDown, durationMs, ...rest } = parsed.data;
    const kind = event ?? (rest.decision === "allow" ? "close" : "deny");
    if (kind === "open") return [{ ...rest, id: id ?? null, event: kind }];
    return [{
      ...rest,
      id: id ?? null,
      event: kind,
      bytesUp: bytesUp ?? 0,
      bytesDown: bytesDown ?? 0,
      durationMs: durationMs ?? 0,
    }];
  });
}

/** One connection through the proxy, as `devaipod egress --json` prints it. */
export interface EgressEntry {
  /** The connection's id in the proxy's log (null for records from before ids existed). */
  id: string | null;
  /** When the proxy decided (an old-format allowed record: when its tunnel closed). */
  time: string;
  client: string;
  method: string;
  host: string | null;
  port: number | null;
  decision: "allow" | "deny";
  status: number;
  reason: string;
  /**
   * `open`: the tunnel stands now; `closed`: it ended (totals known, unless the proxy that held
   * it stopped before logging them); `denied`: refused.
   */
  state: "open" | "closed" | "denied";
  /** Totals, known once the tunnel closed (null while it is open, or when never logged). */
  bytesUp: number | null;
  bytesDown: number | null;
  durationMs: number | null;
}

/** The proxy run an id belongs to: ids are `RUN-N` (lib/proxy/server.ts). */
function runOf(id: string): string {
  return id.slice(0, id.lastIndexOf("-"));
}

/**
 * One entry per connection, in the order they were decided: an `open` and its `close` make one
 * entry (a `close` whose `open` is not in the log, too). Never counts a tunnel twice. Only the
 * latest proxy run (that of the last record with an id) can have tunnels open now: an earlier
 * run's unclosed tunnel ended with its process, and is closed with unknown totals.
 */
export function foldEgress(records: readonly LoggedRecord[]): EgressEntry[] {
  const out: EgressEntry[] = [];
  const openAt = new Map<string, number>();
  const entry = (
    r: LoggedRecord,
    state: EgressEntry["state"],
    totals: Pick<EgressEntry, "bytesUp" | "bytesDown" | "durationMs">,
  ): EgressEntry => ({
    id: r.id,
    time: r.time,
    client: r.client,
    method: r.method,
    host: r.host,
    port: r.port,
    decision: r.decision,
    status: r.status,
    reason: r.reason,
    state,
    ...totals,
  });
  for (const r of records) {
    if (r.event === "open") {
      if (r.id !== null) openAt.set(r.id, out.length);
      out.push(entry(r, "open", { bytesUp: null, bytesDown: null, durationMs: null }));
      continue;
    }
    const totals = { bytesUp: r.bytesUp, bytesDown: r.bytesDown, durationMs: r.durationMs };
    const at = r.event === "close" && r.id !== null ? openAt.get(r.id) : undefined;
    const opened = at === undefined ? undefined : out[at];
    if (at !== undefined && opened) {
      // The entry keeps the time it was decided; the close brings the totals.
      out[at] = { ...opened, state: "closed", ...totals };
      openAt.delete(r.id as string);
      continue;
    }
    out.push(entry(r, r.event === "close" ? "closed" : "denied", totals));
  }
  const last = records.findLast((r) => r.id !== null)?.id;
  const latest = last === undefined || last === null ? undefined : runOf(last);
  return out.map((e) =>
    e.state === "open" && e.id !== null && runOf(e.id) !== latest ? { ...e, state: "closed" } : e
  );
}

/** Counts for `status`: connections allowed (open or closed), denied, and open now. */
export function egressCounts(
  entries: readonly EgressEntry[],
): { allowed: number; denied: number; open: number } {
  return {
    allowed: entries.filter((e) => e.decision === "allow").length,
    denied: entries.filter((e) => e.decision === "deny").length,
    open: entries.filter((e) => e.state === "open").length,
  };
}

/** A duration for people: `850ms`, `12.3s`, `4m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/**
 * The rows of `devaipod egress`'s table, header first. An open tunnel shows `open` and no
 * totals yet. What the agent sent (host, reason) is shown without its control characters.
 */
export function egressRows(entries: readonly EgressEntry[]): string[][] {
  return [
    ["TIME", "DECISION", "TARGET", "STATUS", "STATE", "UP", "DOWN", "DURATION", "REASON"],
    ...entries.map((e) => [
      e.time.slice(11, 19),
      e.decision,
      printable(`${e.host ?? "?"}:${e.port ?? "?"}`),
      String(e.status),
      e.state,
      e.bytesUp === null ? "-" : String(e.bytesUp),
      e.bytesDown === null ? "-" : String(e.bytesDown),
      e.durationMs === null ? "-" : formatDuration(e.durationMs),
      printable(e.reason),
    ]),
  ];
}
