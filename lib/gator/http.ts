/**
 * What the gator's forge clients share: the one place they talk HTTP (a request to an API, its
 * failure as a {@link ForgeError} carrying the forge's own message, its JSON read through a zod
 * schema, a list followed across its pages), and the checked, encoded pieces of a request's path.
 *
 * A {@link ForgeError} with status 0 got no answer: the request was refused before it was sent
 * (a path with a `..` segment), the forge could not be reached, or it did not answer in time.
 */
import { z } from "zod";
import { ForgeError, type TreeEntry } from "./forge.ts";

/** Query parameters; `undefined` ones are left out. */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** One request to a forge's API. */
export interface ApiRequest {
  method?: "GET" | "POST";
  /** The path after the API's base URL, starting with `/`, its segments already encoded. */
  path: string;
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** The `Accept` header, where it differs from the client's own. */
  accept?: string;
}

/** How to talk to one forge's API. */
export interface ApiOptions {
  /** The forge's name in messages: `GitHub`. */
  service: string;
  /** The API's base URL: `https://api.github.com`. */
  base: string;
  /** Sent with every request (the token goes here). */
  headers: Readonly<Record<string, string>>;
  fetch?: typeof fetch;
  /** The forge's own message in the JSON of a failed answer, when it has one. */
  message(body: unknown): string | undefined;
  /** How long one request may take (default: 30 s). */
  timeoutMs?: number;
}

/** A forge's API: requests whose failures throw {@link ForgeError}. */
export interface Api {
  /** The answer's text. */
  text(request: ApiRequest): Promise<string>;
  /** The answer's JSON, validated by `schema`. */
  json<S extends z.ZodType>(schema: S, request: ApiRequest): Promise<z.output<S>>;
  /**
   * Every item of a list, page after page: the next page is the answer's `Link: <…>;
   * rel="next"`, else its `X-Next-Page` (GitLab). Each page is a JSON array of `item`.
   */
  pages<S extends z.ZodType>(item: S, request: ApiRequest): Promise<z.output<S>[]>;
}

/** The most pages {@link Api.pages} follows. */
const MAX_PAGES = 100;

/**
 * An API client for `options.base`.
 *
 * @example
 * ```ts
 * const api = forgeApi({ service: "GitHub", base, headers, message: () => undefined });
 * const repo = await api.json(z.object({ default_branch: z.string() }), { path: "/repos/o/r" });
 * ```
 */
export function forgeApi(options: ApiOptions): Api {
  const call = options.fetch ?? fetch;
  const base = new URL(options.base.replace(/\/+$/, ""));
  const basePath = base.pathname.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 30_000;
  const fail = (status: number, message: string) =>
    new ForgeError(options.service, status, message);

  function urlOf(request: ApiRequest): URL {
    const url = new URL(base.href);
    url.pathname = basePath + request.path;
    for (const [k, v] of Object.entries(request.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    return url;
  }

  /** `GET /repos/o/r`: the method and the path after the base, for messages. */
  const labelOf = (method: string, url: URL) =>
    `${method} ${
      url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname
    }`;

  async function send(
    request: ApiRequest,
    url: URL,
  ): Promise<{ response: Response; label: string }> {
    const method = request.method ?? "GET";
    const label = labelOf(method, url);
    const headers = new Headers(options.headers);
    if (request.accept) headers.set("Accept", request.accept);
    if (request.body !== undefined) headers.set("Content-Type", "application/json");
    let response: Response;
    try {
      // Redirects are followed by hand, on the API's own origin only: the token never leaves it.
      for (let hops = 0;; hops++) {
        response = await call(url, {
          method,
          headers,
          ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "manual",
        });
        const location = response.headers.get("location");
        if (response.status < 300 || response.status > 399 || !location) break;
        await response.body?.cancel();
        const next = new URL(location, url);
        if (next.origin !== base.origin || hops >= 5) {
          throw fail(
            response.status,
            `${options.service} redirected ${label} to ${next.origin}: not followed (the token stays with ${base.origin})`,
          );
        }
        url = next;
      }
    } catch (err) {
      if (err instanceof ForgeError) throw err;
      if (err instanceof DOMException && err.name === "TimeoutError") {
        throw fail(0, `${options.service} did not answer ${label} within ${timeoutMs / 1000} s`);
      }
      const why = err instanceof Error ? err.message : String(err);
      throw fail(0, `Cannot reach ${options.service} for ${label}: ${why}`);
    }
    if (!response.ok) {
      const text = await response.text();
      const own = options.message(parseOrUndefined(text));
      const message = own ?? (text.trim().slice(0, 200) || response.statusText || "no message");
      throw fail(
        response.status,
        `${options.service} answered ${response.status} for ${label}: ${message}`,
      );
    }
    return { response, label };
  }

  async function readJson<S extends z.ZodType>(
    schema: S,
    response: Response,
    label: string,
  ): Promise<z.output<S>> {
    const text = await response.text();
    const value = parseOrUndefined(text);
    if (value === undefined) {
      throw fail(
        response.status,
        `${options.service} answered ${label} with a body that is not JSON`,
      );
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      const first = result.error.issues[0];
      const where = first && first.path.length > 0 ? ` at ${first.path.join(".")}` : "";
      throw fail(
        response.status,
        `${options.service} answered ${label} with unexpected JSON: ${
          first?.message ?? "it does not match"
        }${where}`,
      );
    }
    return result.data;
  }

  /** The next page's URL, on the API's own origin; `undefined` after the last page. */
  function nextPage(response: Response, url: URL): URL | undefined {
    const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get("link") ?? "")?.[1];
    if (link) {
      const next = new URL(link, url);
      if (next.origin !== base.origin) {
        throw fail(0, `${options.service} sent a next page on another origin: '${next.origin}'`);
      }
      return next;
    }
    const page = response.headers.get("x-next-page");
    if (page) {
      const next = new URL(url.href);
      next.searchParams.set("page", page);
      return next;
    }
    return undefined;
  }

  return {
    async text(request) {
      const { response } = await send(request, urlOf(request));
      return await response.text();
    },
    async json(schema, request) {
      const { response, label } = await send(request, urlOf(request));
      return await readJson(schema, response, label);
    },
    async pages(item, request) {
      const items = [];
      let url: URL | undefined = urlOf(request);
      for (let n = 0; url && n < MAX_PAGES; n++) {
        const { response, label } = await send(request, url);
        const next = nextPage(response, url);
        items.push(...await readJson(z.array(item), response, label));
        url = next;
      }
      return items;
    },
  };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The segments of `value` (a file path, a repository name), without leading and trailing
 * slashes; an empty, `.` or `..` segment throws, since a URL would resolve it away.
 */
export function segments(service: string, what: string, value: string): string[] {
  const parts = value.replace(/^\/+|\/+$/g, "").split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new ForgeError(
      service,
      0,
      `Cannot use '${value}' as ${what}: it has an empty, '.' or '..' segment`,
    );
  }
  return parts;
}

/** `value`'s segments, each percent-encoded, joined by `/`. */
export function encodedPath(service: string, what: string, value: string): string {
  return segments(service, what, value).map(encodeURIComponent).join("/");
}

/**
 * The segments of a repository's name: `owner/repo` (`exact`), or at least `group/project`
 * (GitLab's subgroups); each only letters, digits, `_`, `.` and `-`, as every forge allows.
 * Anything else throws, so that a name can neither leave its path nor widen a search.
 */
export function repoSegments(service: string, repo: string, exact: boolean): string[] {
  const parts = segments(service, "a repository", repo);
  const shape = exact ? parts.length === 2 : parts.length >= 2;
  if (!shape || parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p))) {
    throw new ForgeError(
      service,
      0,
      `Cannot use '${repo}' as a repository: it is not ${exact ? "owner/repo" : "group/project"}`,
    );
  }
  return parts;
}

/** `owner/repo`, checked by {@link repoSegments}. */
export function ownerRepo(service: string, repo: string): string {
  return repoSegments(service, repo, true).join("/");
}

/** `n` as a path segment; anything but a positive integer throws. */
export function numberSegment(service: string, n: number): string {
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new ForgeError(service, 0, `Cannot use '${n}' as a number: it is not a positive integer`);
  }
  return String(n);
}

/**
 * A forge's tree entries (`blob`, `tree`; submodules left out) under `path` (default: all), as
 * {@link TreeEntry}s.
 */
export function entriesUnder(
  entries: readonly { path: string; type: string }[],
  path?: string,
): TreeEntry[] {
  const prefix = path?.replace(/^\/+|\/+$/g, "") ?? "";
  return entries.flatMap((e): TreeEntry[] => {
    if (prefix !== "" && !e.path.startsWith(`${prefix}/`)) return [];
    if (e.type === "blob") return [{ path: e.path, type: "file" }];
    if (e.type === "tree") return [{ path: e.path, type: "dir" }];
    return [];
  });
}
