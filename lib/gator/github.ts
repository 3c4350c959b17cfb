/**
 * The gator's GitHub client: {@link ForgeClient} over GitHub's REST API (version 2022-11-28).
 * Forgejo's API copies GitHub's shapes, so the JSON schemas and their readings here are shared
 * with `forgejo.ts`.
 */
import { z } from "zod";
import {
  type ForgeClient,
  type ForgeComment,
  ForgeError,
  type ForgeIssue,
  type ForgeListItem,
  type RepoName,
} from "./forge.ts";
import {
  type Api,
  type ApiRequest,
  encodedPath,
  entriesUnder,
  forgeApi,
  numberSegment,
  ownerRepo,
  type Query,
} from "./http.ts";

const User = z.object({ login: z.string() }).nullable();

/** An issue (or a pull request) as GitHub and Forgejo send it. */
export const IssueJson = z.object({
  number: z.number(),
  title: z.string(),
  body: z.string().nullable(),
  state: z.string(),
  user: User,
  html_url: z.string(),
});

/** A pull request as GitHub and Forgejo send it. */
export const PullJson = IssueJson.extend({
  draft: z.boolean().optional(),
  head: z.object({ ref: z.string() }),
  base: z.object({ ref: z.string() }),
});

/** A comment on an issue as GitHub and Forgejo send it. */
export const CommentJson = z.object({
  body: z.string().nullable(),
  user: User,
  created_at: z.string(),
});

/** A row of an issue search or a pull request list, as GitHub and Forgejo send it. */
export const ListItemJson = z.object({
  number: z.number(),
  title: z.string(),
  state: z.string(),
  html_url: z.string(),
  pull_request: z.unknown().optional(),
});

/** A row of GitHub's issue search: a list row, and the repository it belongs to. */
const SearchItemJson = ListItemJson.extend({ repository_url: z.string() });

/** A repository as GitHub and Forgejo send it. */
export const RepoJson = z.object({ default_branch: z.string() });

/** A tree as GitHub and Forgejo send it. */
export const TreeJson = z.object({
  tree: z.array(z.object({ path: z.string(), type: z.string() })),
  truncated: z.boolean().optional(),
});

/** A new comment or pull request, as GitHub and Forgejo send it. */
export const CreatedJson = z.object({ number: z.number().optional(), html_url: z.string() });

/** A review, as GitHub and Forgejo send it. */
export const ReviewJson = z.object({ id: z.number() });

const ErrorJson = z.object({
  message: z.string(),
  errors: z.array(
    z.object({ message: z.string().optional(), field: z.string().optional(), code: z.string() })
      .or(z.string()),
  ).nullish(),
});

/**
 * GitHub's (and Forgejo's) own message in a failed answer: `message`, with the details of a
 * validation failure.
 */
export function githubMessage(body: unknown): string | undefined {
  const parsed = ErrorJson.safeParse(body);
  if (!parsed.success) return undefined;
  const details = (parsed.data.errors ?? []).map((e) =>
    typeof e === "string" ? e : e.message ?? [e.field, e.code].filter(Boolean).join(" ")
  );
  return [parsed.data.message, ...details].join(": ");
}

/** A comment from GitHub's (or Forgejo's) JSON. */
export function toComment(json: z.output<typeof CommentJson>): ForgeComment {
  return { author: json.user?.login ?? "ghost", body: json.body ?? "", created: json.created_at };
}

/** An issue from GitHub's (or Forgejo's) JSON. */
export function toIssue(
  json: z.output<typeof IssueJson>,
  comments: readonly z.output<typeof CommentJson>[],
): ForgeIssue {
  return {
    number: json.number,
    title: json.title,
    body: json.body ?? "",
    state: json.state,
    author: json.user?.login ?? "ghost",
    url: json.html_url,
    comments: comments.map(toComment),
  };
}

/** A list row from GitHub's (or Forgejo's) JSON; `kind` by its `pull_request` field. */
export function toListItem(json: z.output<typeof ListItemJson>): ForgeListItem {
  return {
    number: json.number,
    title: json.title,
    state: json.state,
    kind: json.pull_request ? "pr" : "issue",
    url: json.html_url,
  };
}

/** What GitHub and Forgejo do alike (their paths, issues, pull requests and comments). */
export interface GithubLike
  extends
    Pick<ForgeClient, "issue" | "pullRequest" | "comment" | "defaultBranch" | "listPullRequests"> {
  /** `/repos/owner/repo`, encoded. */
  repoPath(repo: RepoName): string;
  /** `/repos/owner/repo/pulls/N`. */
  pullPath(repo: RepoName, n: number): string;
  /** A new pull request from `body`: its number and its page. */
  createPull(repo: RepoName, body: unknown): Promise<{ number: number; url: string }>;
  /** The review `body` posted on pull request `n`: its id. */
  createReview(repo: RepoName, n: number, body: unknown): Promise<{ id: string }>;
}

/**
 * The methods GitHub and Forgejo share, over `api`: `diff` is the request for a pull request's
 * unified diff, `draft` tells a draft where the forge leaves `draft` out, `page` asks for a page
 * of a list.
 */
export function githubLike(
  api: Api,
  service: string,
  options: {
    comments?: Query;
    /** The paging of a list: `{ per_page: 100 }`. */
    page: Query;
    diff(pullPath: string): ApiRequest;
    draft(json: z.output<typeof PullJson>): boolean;
  },
): GithubLike {
  const repoPath = (repo: RepoName) => `/repos/${ownerRepo(service, repo)}`;
  const issuePath = (repo: RepoName, n: number) =>
    `${repoPath(repo)}/issues/${numberSegment(service, n)}`;
  const pullPath = (repo: RepoName, n: number) =>
    `${repoPath(repo)}/pulls/${numberSegment(service, n)}`;
  const comments = (repo: RepoName, n: number) =>
    api.pages(CommentJson, {
      path: `${issuePath(repo, n)}/comments`,
      ...(options.comments ? { query: options.comments } : {}),
    });
  return {
    repoPath,
    pullPath,
    async defaultBranch(repo) {
      return (await api.json(RepoJson, { path: repoPath(repo) })).default_branch;
    },
    async issue(repo, n) {
      const json = await api.json(IssueJson, { path: issuePath(repo, n) });
      return toIssue(json, await comments(repo, n));
    },
    async pullRequest(repo, n) {
      const json = await api.json(PullJson, { path: pullPath(repo, n) });
      const [notes, diff] = await Promise.all([
        comments(repo, n),
        api.text(options.diff(pullPath(repo, n))),
      ]);
      return {
        ...toIssue(json, notes),
        draft: json.draft ?? options.draft(json),
        head: json.head.ref,
        base: json.base.ref,
        diff,
      };
    },
    async listPullRequests(repo, state = "open") {
      const json = await api.json(z.array(ListItemJson), {
        path: `${repoPath(repo)}/pulls`,
        query: { state, ...options.page },
      });
      return json.map((item) => ({ ...toListItem(item), kind: "pr" as const }));
    },
    async comment(repo, n, body) {
      const json = await api.json(CreatedJson, {
        method: "POST",
        path: `${issuePath(repo, n)}/comments`,
        body: { body },
      });
      return { url: json.html_url };
    },
    async createPull(repo, body) {
      const json = await api.json(CreatedJson.extend({ number: z.number() }), {
        method: "POST",
        path: `${repoPath(repo)}/pulls`,
        body,
      });
      return { number: json.number, url: json.html_url };
    },
    async createReview(repo, n, body) {
      const json = await api.json(ReviewJson, {
        method: "POST",
        path: `${pullPath(repo, n)}/reviews`,
        body,
      });
      return { id: String(json.id) };
    },
  };
}

/**
 * A {@link ForgeClient} for GitHub at `api` (`https://api.github.com`, or GitHub Enterprise's
 * `https://HOST/api/v3`). Pending reviews are created without an `event`, which GitHub leaves
 * pending.
 *
 * @example
 * ```ts
 * const github = githubClient({ api: "https://api.github.com", token });
 * const readme = await github.readFile("denoland/deno", "README.md");
 * ```
 */
export function githubClient(
  options: { api: string; token: string; fetch?: typeof fetch },
): ForgeClient {
  const service = "GitHub";
  const api = forgeApi({
    service,
    base: options.api,
    headers: {
      Authorization: `Bearer ${options.token}`,
      Accept: "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28",
      "User-Agent": "devaipod-gator",
    },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    message: githubMessage,
  });
  const shared = githubLike(api, service, {
    comments: { per_page: 100 },
    page: { per_page: 100 },
    diff: (path) => ({ path, accept: "application/vnd.github.diff" }),
    draft: () => false,
  });
  const { repoPath } = shared;

  return {
    issue: shared.issue,
    pullRequest: shared.pullRequest,
    comment: shared.comment,
    defaultBranch: shared.defaultBranch,
    listPullRequests: shared.listPullRequests,
    readFile(repo, path, ref) {
      return api.text({
        path: `${repoPath(repo)}/contents/${encodedPath(service, "a file path", path)}`,
        query: { ref },
        accept: "application/vnd.github.raw+json",
      });
    },
    async tree(repo, ref, path) {
      const at = ref ?? await shared.defaultBranch(repo);
      const json = await api.json(TreeJson, {
        path: `${repoPath(repo)}/git/trees/${encodedPath(service, "a ref", at)}`,
        query: { recursive: 1 },
      });
      return entriesUnder(json.tree, path);
    },
    async search(repo, query) {
      const name = ownerRepo(service, repo);
      const widening = /(?:^|[\s(])-?(repo|org|user):/i.exec(query);
      if (widening) {
        throw new ForgeError(
          service,
          0,
          `Cannot search with '${widening[1]}:': the search is kept to '${repo}'`,
        );
      }
      const json = await api.json(z.object({ items: z.array(SearchItemJson) }), {
        path: "/search/issues",
        query: { q: `repo:${name} ${query}`.trim(), per_page: 50 },
      });
      const own = `/repos/${name}`.toLowerCase();
      return json.items
        .filter((item) => new URL(item.repository_url).pathname.toLowerCase().endsWith(own))
        .map(toListItem);
    },
    createDraftPullRequest(repo, input) {
      const { title, body, head, base } = input;
      return shared.createPull(repo, { title, body, head, base, draft: true });
    },
    createPendingReview(repo, n, input) {
      return shared.createReview(repo, n, {
        body: input.body,
        comments: input.comments.map((c) => ({
          path: c.path,
          line: c.line,
          side: "RIGHT",
          body: c.body,
        })),
      });
    },
  };
}
