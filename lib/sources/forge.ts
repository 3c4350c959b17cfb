/**
 * Pull (merge) request metadata from the forge's REST API. Tokens come from the host's
 * environment (see {@link TOKEN_VARIABLES}) and are sent only to the API's own host: a redirect
 * elsewhere is refused. What the forge returns is data; nothing here hands it to a shell.
 */
import { z } from "zod";
import { FailedError, NotFoundError } from "../errors.ts";
import { prNoun, sourceLabel } from "./parse.ts";
import type { ForgeKind, PullRequestSource } from "./parse.ts";

/** What devaipod needs of a pull request to check it out. */
export interface PullRequest {
  number: number;
  /** As the forge has it: never trimmed, never escaped. */
  title: string;
  /** The branch the pull request targets. */
  baseRef: string;
  /** The head commit the forge reports. */
  headSha: string;
  /** The ref to fetch from {@link PullRequest.repoUrl}: `refs/pull/N/head` or `refs/merge-requests/N/head`. */
  headRef: string;
  /** Clone URL of the base repository. */
  repoUrl: string;
  /** `open`, `closed`, `merged` (GitHub says `closed`), GitLab's `opened`, … */
  state: string;
  webUrl: string;
}

/** Environment variables holding each forge's token, first match wins. */
export const TOKEN_VARIABLES: Readonly<Record<ForgeKind, readonly string[]>> = {
  github: ["GITHUB_TOKEN"],
  gitlab: ["GITLAB_TOKEN"],
  forgejo: ["FORGEJO_TOKEN"],
  gitea: ["GITEA_TOKEN", "FORGEJO_TOKEN"],
};

/** How long one API request may take. */
export const FORGE_TIMEOUT_MS = 20_000;

const MAX_REDIRECTS = 5;

const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "expected a commit id");
const cloneUrl = z.string().regex(/^https?:\/\/[^/@\s]+\//, "expected an http(s) clone URL");

/** GitHub's pulls object, and Forgejo's and Gitea's, which copy its shape: the fields used. */
const GitHubPull = z.object({
  title: z.string(),
  state: z.string(),
  html_url: z.string(),
  base: z.object({ ref: z.string().min(1), repo: z.object({ clone_url: cloneUrl }) }),
  head: z.object({ sha }),
});

/** GitLab's merge request object: the fields used. */
const GitLabMergeRequest = z.object({
  title: z.string(),
  state: z.string(),
  web_url: z.string(),
  target_branch: z.string().min(1),
  sha,
});

/**
 * Reads the pull request `pr` names. Errors: 404 is a {@link NotFoundError}; a refused token
 * (401/403), an unreachable host, a timeout or an unexpected answer is a {@link FailedError}.
 */
export async function fetchPullRequest(
  pr: PullRequestSource,
  env: Readonly<Record<string, string>>,
  fetchImpl: typeof fetch = fetch,
): Promise<PullRequest> {
  const tokenVar = TOKEN_VARIABLES[pr.forge].find((name) => (env[name] ?? "") !== "");
  const token = tokenVar === undefined ? undefined : env[tokenVar];
  const headers: Record<string, string> = { "User-Agent": "devaipod" };
  let url: string;
  if (pr.forge === "gitlab") {
    const id = encodeURIComponent(`${pr.owner}/${pr.repo}`);
    url = `${pr.apiBase}/projects/${id}/merge_requests/${pr.number}`;
    headers["Accept"] = "application/json";
    if (token !== undefined) headers["PRIVATE-TOKEN"] = token;
  } else {
    url = `${pr.apiBase}/repos/${pr.owner}/${pr.repo}/pulls/${pr.number}`;
    if (pr.forge === "github") {
      headers["Accept"] = "application/vnd.github+json";
      if (token !== undefined) headers["Authorization"] = `Bearer ${token}`;
    } else {
      headers["Accept"] = "application/json";
      if (token !== undefined) headers["Authorization"] = `token ${token}`;
    }
  }
  const body = await getJson(url, headers, pr, tokenVar, fetchImpl);
  if (pr.forge === "gitlab") {
    const mr = validate(GitLabMergeRequest, body, url);
    return {
      number: pr.number,
      title: mr.title,
      baseRef: mr.target_branch,
      headSha: mr.sha,
      headRef: `refs/merge-requests/${pr.number}/head`,
      repoUrl: pr.repoUrl,
      state: mr.state,
      webUrl: mr.web_url,
    };
  }
  const pull = validate(GitHubPull, body, url);
  return {
    number: pr.number,
    title: pull.title,
    baseRef: pull.base.ref,
    headSha: pull.head.sha,
    headRef: `refs/pull/${pr.number}/head`,
    repoUrl: pull.base.repo.clone_url,
    state: pull.state,
    webUrl: pull.html_url,
  };
}

/** GETs `url`, following redirects on the same host only, and parses the JSON answer. */
async function getJson(
  url: string,
  headers: Record<string, string>,
  pr: PullRequestSource,
  tokenVar: string | undefined,
  fetchImpl: typeof fetch,
): Promise<unknown> {
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0;; hop++) {
    let res: Response;
    try {
      res = await fetchImpl(current, {
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(FORGE_TIMEOUT_MS),
      });
    } catch (err) {
      if (err instanceof Deno.errors.NotCapable || err instanceof Deno.errors.PermissionDenied) {
        throw err;
      }
      const why = err instanceof DOMException && err.name === "TimeoutError"
        ? `no answer within ${FORGE_TIMEOUT_MS / 1000} s`
        : err instanceof Error
        ? err.message
        : String(err);
      throw new FailedError(`cannot reach ${current}: ${why}`, { cause: err });
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel();
      const next = new URL(location, current);
      // Same scheme, host and port only: the token must not go elsewhere, nor over plain http.
      if (next.origin !== origin || hop >= MAX_REDIRECTS) {
        throw new FailedError(`${current} redirected to ${next.origin}; not following it`, {
          hint: "check the forge's address in the URL and in [forges]",
        });
      }
      current = next.href;
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw httpError(res, current, pr, tokenVar);
    }
    const text = await res.text().catch((err) => {
      throw new FailedError(`cannot read the answer of ${current}: ${err}`, { cause: err });
    });
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new FailedError(`invalid JSON from ${current}`, { cause: err });
    }
  }
}

function httpError(
  res: Response,
  url: string,
  pr: PullRequestSource,
  tokenVar: string | undefined,
): FailedError | NotFoundError {
  const what = `${prNoun(pr.forge)} ${sourceLabel(pr)}`;
  const vars = TOKEN_VARIABLES[pr.forge].map((v) => `$${v}`).join(" or ");
  if (res.status === 404) {
    return new NotFoundError(`${what} not found`, {
      hint: tokenVar === undefined
        ? `if the repository is private, set ${vars} to a token that can read it`
        : `check the URL, and that the token in $${tokenVar} can read the repository`,
    });
  }
  if (res.status === 403 && res.headers.get("x-ratelimit-remaining") === "0") {
    return new FailedError(`${pr.host}: API rate limit exceeded reading ${what}`, {
      hint: tokenVar === undefined ? `set ${vars} to raise the limit` : "try again later",
    });
  }
  if (res.status === 401 || res.status === 403) {
    return new FailedError(
      tokenVar === undefined
        ? `${pr.host} refused to show ${what} (HTTP ${res.status}) without a token`
        : `${pr.host} refused the token in $${tokenVar} (HTTP ${res.status}) for ${what}`,
      {
        hint: tokenVar === undefined
          ? `set ${vars} to a token that can read the repository`
          : `check that $${tokenVar} is valid and can read the repository`,
      },
    );
  }
  return new FailedError(`${url} answered HTTP ${res.status} ${res.statusText}`.trimEnd());
}

function validate<T>(schema: z.ZodType<T>, body: unknown, url: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`);
  throw new FailedError(`unexpected answer from ${url}: ${problems.join("; ")}`);
}
