/**
 * `DENO_AUTH_TOKENS`, read as Deno reads it: `;`-separated entries, each `TOKEN@HOST` (sent as
 * `Bearer TOKEN`) or `USER:PASSWORD@HOST` (sent as HTTP Basic). HOST matches the URL's host
 * (with its port when the URL names one) exactly or as a parent domain (`example.com` matches
 * `a.example.com`, never `notexample.com`); an IP address matches only itself (and its
 * scheme's default port). Deno sends these
 * when it loads modules, so a devaipod run from a private URL sends them too when it fetches the
 * rest of its own code from there.
 */

/** One entry of `DENO_AUTH_TOKENS`. */
interface AuthToken {
  host: string;
  header: string;
}

/** The entries of a `DENO_AUTH_TOKENS` value; malformed ones (no `@`) are left out, as Deno does. */
function parseAuthTokens(value: string): AuthToken[] {
  return value.split(";").flatMap((entry) => {
    const at = entry.lastIndexOf("@");
    if (at <= 0 || at === entry.length - 1) return [];
    const token = entry.slice(0, at);
    const host = entry.slice(at + 1).toLowerCase();
    // USER:PASSWORD is sent as is, base64 of its UTF-8 bytes.
    const header = token.includes(":")
      ? `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(token)))}`
      : `Bearer ${token}`;
    return [{ host, header }];
  });
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])(:\d+)?$/;

/** Whether an entry's HOST covers `url`. */
function covers(host: string, url: URL): boolean {
  const target = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  if (host === target) return true;
  if (IP.test(host) || IP.test(url.hostname)) {
    // An IP with the scheme's default port matches a URL that leaves the port out.
    const defaultPort = url.protocol === "https:" ? "443" : url.protocol === "http:" ? "80" : "";
    return !url.port && defaultPort !== "" && host === `${url.hostname}:${defaultPort}`;
  }
  return target.endsWith(`.${host}`);
}

/**
 * The `Authorization` header Deno would send for `url` under `DENO_AUTH_TOKENS=value`, or
 * undefined when no entry covers it. The first entry that covers it wins.
 *
 * @example
 * ```ts
 * authorizationFor(new URL("https://code.example.com/main.ts"), "abc@example.com");
 * // "Bearer abc"
 * ```
 */
export function authorizationFor(url: URL, value: string | undefined): string | undefined {
  if (!value) return undefined;
  return parseAuthTokens(value).find((t) => covers(t.host, url))?.header;
}
