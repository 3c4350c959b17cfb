/**
 * `devaipod verify`: probes run inside the agent container, judged here. The probe script
 * prints `key=value` lines; {@link judge} turns them into checks, any of which can show an
 * escape. Pure except for the script's text.
 */
import { PROXY_HOST, PROXY_PORT } from "../plan/pod_plan.ts";

/** One verdict of the table. */
export interface Probe {
  id: string;
  ok: boolean;
  detail: string;
}

/**
 * The probe script (POSIX sh, tools the image may lack are reported as such). `$1` is an IP on
 * the normal network (the proxy's other side), `$2` an allowed host, `$3` a host not allowed.
 */
export const PROBE_SCRIPT = [
  'echo "route_default=$(ip route 2>/dev/null | grep -c "^default")"',
  'echo "route6=$(ip -6 route 2>/dev/null | grep -v "^fe80" | grep -v "^unreachable" | grep -c .)"',
  'if getent hosts "$2" >/dev/null 2>&1; then echo dns=resolved; else echo dns=failed; fi',
  "if command -v curl >/dev/null 2>&1; then",
  '  echo "direct_tcp=$(curl --noproxy "*" -s -m 3 -o /dev/null -w "%{http_code}" "http://$1:' +
  PROXY_PORT + '/" 2>/dev/null; echo " $?")"',
  '  echo "proxy_allowed=$(curl -s -m 10 -p -x "http://' + PROXY_HOST + ":" + PROXY_PORT +
  '" -o /dev/null -w "%{http_connect}" "https://$2/" 2>/dev/null)"',
  '  echo "proxy_denied=$(curl -s -m 10 -p -x "http://' + PROXY_HOST + ":" + PROXY_PORT +
  '" -o /dev/null -w "%{http_connect}" "https://$3/" 2>/dev/null)"',
  "else echo curl=missing; fi",
  'echo "udp=$( (exec 3>/dev/udp/$1/53) 2>&1 >/dev/null && echo open || echo closed)"',
  "s=/proc/self/status",
  "echo \"capeff=$(awk '/^CapEff/ {print $2}' $s)\"",
  "echo \"nonewprivs=$(awk '/^NoNewPrivs/ {print $2}' $s)\"",
  'echo "uid=$(id -u)"',
  'echo "secrets=$(ls /run/secrets/devaipod-env 2>/dev/null | tr "\\n" " ")"',
].join("\n");

/** Parses `key=value` lines. */
export function parseProbeOutput(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return out;
}

/** Judges the probe output. `allowedSecrets` are the variable names the agent may hold. */
export function judge(values: Record<string, string>, allowedSecrets: readonly string[]): Probe[] {
  const probes: Probe[] = [];
  const add = (id: string, ok: boolean, detail: string) => probes.push({ id, ok, detail });
  const direct = values.direct_tcp;
  if (values.curl === "missing") {
    add("direct-tcp", true, "not probed (no curl in the image); no default route either");
  } else {
    const [code = "", exit = ""] = (direct ?? "").split(" ");
    add(
      "direct-tcp",
      code === "000" && exit !== "0",
      code === "000"
        ? `connection by IP failed (curl exit ${exit})`
        : `ESCAPE: reached an address directly (HTTP ${code})`,
    );
  }
  add(
    "dns",
    values.dns === "failed",
    values.dns === "failed" ? "names do not resolve" : "ESCAPE: a name resolved without the proxy",
  );
  add(
    "host-gateway",
    values.route_default === "0",
    values.route_default === "0" ? "no default route" : "ESCAPE: a default route exists",
  );
  add(
    "ipv6",
    values.route6 === "0",
    values.route6 === "0" ? "no IPv6 routes" : `ESCAPE: ${values.route6} IPv6 routes`,
  );
  add(
    "udp",
    values.udp !== "open" || values.route_default === "0",
    values.route_default === "0" ? "no route for UDP (no default route)" : "ESCAPE: UDP path",
  );
  if (values.curl !== "missing") {
    const allowed = values.proxy_allowed ?? "";
    add(
      "proxy-allowed",
      allowed !== "403" && allowed !== "",
      allowed === "200"
        ? "allowed host tunnelled (200)"
        : `the proxy let it through; upstream answered ${allowed || "nothing"}`,
    );
    add(
      "proxy-denied",
      values.proxy_denied === "403",
      values.proxy_denied === "403"
        ? "denied host refused (403)"
        : `ESCAPE: a host off the allowlist got ${values.proxy_denied}`,
    );
  }
  add("capabilities", /^0+$/.test(values.capeff ?? ""), `CapEff ${values.capeff}`);
  add("no-new-privileges", values.nonewprivs === "1", `NoNewPrivs ${values.nonewprivs}`);
  add("uid", values.uid !== "0" && values.uid !== undefined, `uid ${values.uid}`);
  const secrets = (values.secrets ?? "").split(" ").filter(Boolean);
  const extra = secrets.filter((s) => !allowedSecrets.includes(s));
  add(
    "secrets",
    extra.length === 0,
    extra.length
      ? `ESCAPE: unexpected secrets ${extra.join(", ")}`
      : `only ${secrets.join(", ") || "none"}`,
  );
  return probes;
}
