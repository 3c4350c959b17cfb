import { assertEquals } from "../../tests/support/assert.ts";
import {
  egressCounts,
  egressRows,
  foldEgress,
  formatDuration,
  parseProxyLog,
} from "./egress_log.ts";

const at = (s: number) => `2025-01-02T03:04:${String(s).padStart(2, "0")}.000Z`;
const conn = { client: "10.89.0.3:40000", method: "CONNECT", port: 443 };
const open = (id: string, host: string, s: number) =>
  JSON.stringify({
    time: at(s),
    id,
    event: "open",
    ...conn,
    host,
    decision: "allow",
    status: 200,
    reason: `allowed by ${host}`,
  });
const close = (id: string, host: string, s: number, up: number, down: number, ms: number) =>
  JSON.stringify({
    time: at(s),
    id,
    event: "close",
    ...conn,
    host,
    decision: "allow",
    status: 200,
    reason: `allowed by ${host}`,
    bytesUp: up,
    bytesDown: down,
    durationMs: ms,
  });
const deny = (id: string, host: string, s: number) =>
  JSON.stringify({
    time: at(s),
    id,
    event: "deny",
    ...conn,
    host,
    decision: "deny",
    status: 403,
    reason: `${host} is not on the allowlist`,
    bytesUp: 0,
    bytesDown: 0,
    durationMs: 1,
  });
/** A record as proxies wrote them before tunnels were logged when they open. */
const old = (host: string, decision: "allow" | "deny", s: number) =>
  JSON.stringify({
    time: at(s),
    ...conn,
    host,
    decision,
    status: decision === "allow" ? 200 : 403,
    reason: "r",
    bytesUp: decision === "allow" ? 10 : 0,
    bytesDown: decision === "allow" ? 20 : 0,
    durationMs: 5,
  });

/** Folds log lines; each entry as [id, host, state, bytesUp, bytesDown, durationMs]. */
function fold(...lines: string[]) {
  return foldEgress(parseProxyLog(lines.join("\n"))).map((e) => [
    e.id,
    e.host,
    e.state,
    e.bytesUp,
    e.bytesDown,
    e.durationMs,
  ]);
}

Deno.test("egress log: an open tunnel is one open entry; its close fills in the totals, never a second entry", () => {
  const table: [string, string[], unknown[][]][] = [
    ["open only", [open("r-1", "a.com", 1)], [["r-1", "a.com", "open", null, null, null]]],
    [
      "open, then close",
      [open("r-1", "a.com", 1), close("r-1", "a.com", 9, 100, 2000, 8000)],
      [["r-1", "a.com", "closed", 100, 2000, 8000]],
    ],
    [
      "interleaved tunnels and a refusal keep the order they were decided in",
      [
        open("r-1", "a.com", 1),
        open("r-2", "b.com", 2),
        deny("r-3", "evil.com", 3),
        close("r-2", "b.com", 4, 1, 2, 2000),
      ],
      [
        ["r-1", "a.com", "open", null, null, null],
        ["r-2", "b.com", "closed", 1, 2, 2000],
        ["r-3", "evil.com", "denied", 0, 0, 1],
      ],
    ],
    [
      "a close whose open is not in the log stands alone",
      [close("r-7", "a.com", 9, 1, 2, 3)],
      [["r-7", "a.com", "closed", 1, 2, 3]],
    ],
    [
      "the same counter in another proxy run is another connection",
      [open("r-1", "a.com", 1), close("s-1", "b.com", 2, 1, 1, 1)],
      [["r-1", "a.com", "closed", null, null, null], ["s-1", "b.com", "closed", 1, 1, 1]],
    ],
    [
      "a tunnel an earlier proxy run never closed (killed) is closed, totals unknown",
      [
        open("ab12cd34-1", "a.com", 1),
        open("ab12cd34-2", "b.com", 2),
        close("ab12cd34-2", "b.com", 3, 1, 1, 1),
        open("ef56ab78-1", "c.com", 4),
      ],
      [
        ["ab12cd34-1", "a.com", "closed", null, null, null],
        ["ab12cd34-2", "b.com", "closed", 1, 1, 1],
        ["ef56ab78-1", "c.com", "open", null, null, null],
      ],
    ],
    [
      "the latest run is that of the last record with an id, a refusal too",
      [open("ab12cd34-1", "a.com", 1), deny("ef56ab78-1", "evil.com", 2), old("x.com", "deny", 3)],
      [
        ["ab12cd34-1", "a.com", "closed", null, null, null],
        ["ef56ab78-1", "evil.com", "denied", 0, 0, 1],
        [null, "x.com", "denied", 0, 0, 5],
      ],
    ],
    [
      "old-format records (no id, no event) were written at the end: closed or denied",
      [old("a.com", "allow", 1), old("evil.com", "deny", 2)],
      [[null, "a.com", "closed", 10, 20, 5], [null, "evil.com", "denied", 0, 0, 5]],
    ],
  ];
  for (const [what, lines, expected] of table) assertEquals(fold(...lines), expected, what);
});

Deno.test("egress log: lines that are not records are skipped", () => {
  assertEquals(
    fold(
      "proxy: listening on 0.0.0.0:3128 with 15 allowlist entries",
      "{not json",
      '{"time":"x","decision":"maybe"}',
      open("r-1", "a.com", 1),
      "",
    ),
    [["r-1", "a.com", "open", null, null, null]],
  );
});

Deno.test("egress log: counts take each connection once, open ones too", () => {
  const entries = foldEgress(parseProxyLog([
    open("r-1", "a.com", 1),
    open("r-2", "b.com", 2),
    close("r-2", "b.com", 3, 1, 1, 1),
    deny("r-3", "evil.com", 4),
  ].join("\n")));
  assertEquals(egressCounts(entries), { allowed: 2, denied: 1, open: 1 });
  assertEquals(egressCounts([]), { allowed: 0, denied: 0, open: 0 });
  // A killed proxy's tunnel is not open now; the new proxy's is.
  const restarted = foldEgress(parseProxyLog([
    open("ab12cd34-1", "a.com", 1),
    open("ef56ab78-1", "b.com", 2),
  ].join("\n")));
  assertEquals(egressCounts(restarted), { allowed: 2, denied: 0, open: 1 });
});

Deno.test("egress log: the table shows open tunnels without totals and never raw control characters", () => {
  const entries = foldEgress(parseProxyLog([
    open("r-1", "a.com", 1),
    open("r-2", "b.com", 2),
    close("r-2", "b.com", 3, 512, 4096, 61_500),
    JSON.stringify({
      time: at(4),
      id: "r-3",
      event: "deny",
      client: "c",
      method: "GET",
      host: null,
      port: null,
      decision: "deny",
      status: 400,
      reason: "not a proxy request (GET /\x1b[2J)",
      bytesUp: 0,
      bytesDown: 0,
      durationMs: 0,
    }),
  ].join("\n")));
  assertEquals(egressRows(entries), [
    ["TIME", "DECISION", "TARGET", "STATUS", "STATE", "UP", "DOWN", "DURATION", "REASON"],
    ["03:04:01", "allow", "a.com:443", "200", "open", "-", "-", "-", "allowed by a.com"],
    ["03:04:02", "allow", "b.com:443", "200", "closed", "512", "4096", "1m02s", "allowed by b.com"],
    [
      "03:04:04",
      "deny",
      "?:?",
      "400",
      "denied",
      "0",
      "0",
      "0ms",
      "not a proxy request (GET /\\x1b[2J)",
    ],
  ]);
});

Deno.test("egress log: durations for people", () => {
  const table: [number, string][] = [
    [0, "0ms"],
    [999, "999ms"],
    [1000, "1.0s"],
    [12_345, "12.3s"],
    [60_000, "1m00s"],
    [3_725_000, "62m05s"],
  ];
  for (const [ms, text] of table) assertEquals(formatDuration(ms), text, String(ms));
});
