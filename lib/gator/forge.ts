/**
 * What the gator's tools need from a forge (GitHub, GitLab, Forgejo/Gitea), whichever it is: a
 * small, typed surface over each forge's REST API. Each client is handed its API's base URL, its
 * token and a `fetch`; nothing here checks scopes (the server decides before calling).
 */

/** A repository on a forge: `owner/repo` (GitLab: `group/subgroup/project`). */
export type RepoName = string;

/** One entry of a repository's tree. */
export interface TreeEntry {
  path: string;
  type: "file" | "dir";
}

/** A comment on an issue or a change request. */
export interface ForgeComment {
  author: string;
  body: string;
  created: string;
}

/** An issue, with its comments. */
export interface ForgeIssue {
  number: number;
  title: string;
  body: string;
  state: string;
  author: string;
  url: string;
  comments: ForgeComment[];
}

/** A pull (merge) request, with its comments and its unified diff. */
export interface ForgePullRequest extends ForgeIssue {
  draft: boolean;
  /** The branch it proposes, and the branch it targets. */
  head: string;
  base: string;
  diff: string;
}

/** One row of a search or list. */
export interface ForgeListItem {
  number: number;
  title: string;
  state: string;
  kind: "issue" | "pr";
  url: string;
}

/** A line comment of a pending review: on `line` of `path` in the change's new version. */
export interface ReviewComment {
  path: string;
  line: number;
  body: string;
}

/** A forge's API, as the gator's tools use it. */
export interface ForgeClient {
  /** The file's text at `ref` (default: the default branch). */
  readFile(repo: RepoName, path: string, ref?: string): Promise<string>;
  /** The entries under `path` (default: the root), recursively, at `ref`. */
  tree(repo: RepoName, ref?: string, path?: string): Promise<TreeEntry[]>;
  issue(repo: RepoName, number: number): Promise<ForgeIssue>;
  pullRequest(repo: RepoName, number: number): Promise<ForgePullRequest>;
  /** Issues and change requests of `repo` matching the forge's search text. */
  search(repo: RepoName, query: string): Promise<ForgeListItem[]>;
  /** Open (or `state`) change requests of `repo`. */
  listPullRequests(repo: RepoName, state?: "open" | "closed" | "all"): Promise<ForgeListItem[]>;
  /** A new change request, always a draft. */
  createDraftPullRequest(
    repo: RepoName,
    input: { title: string; body: string; head: string; base: string },
  ): Promise<{ number: number; url: string }>;
  /** A comment on an issue or a change request (GitLab numbers the two apart). */
  comment(
    repo: RepoName,
    number: number,
    body: string,
    on: "issue" | "pr",
  ): Promise<{ url: string }>;
  /** A review left pending (never submitted), with line comments. */
  createPendingReview(
    repo: RepoName,
    number: number,
    input: { body: string; comments: ReviewComment[] },
  ): Promise<{ id: string }>;
  /** The repository's default branch. */
  defaultBranch(repo: RepoName): Promise<string>;
}

/** A JIRA issue, with its comments. */
export interface JiraIssue {
  key: string;
  summary: string;
  description: string;
  status: string;
  url: string;
  comments: ForgeComment[];
}

/** JIRA's API, as the gator's tools use it. */
export interface JiraClient {
  issue(key: string): Promise<JiraIssue>;
  /** Issues matching `jql`, at most `limit`. */
  search(jql: string, limit?: number): Promise<{ key: string; summary: string; status: string }[]>;
  create(
    project: string,
    input: { summary: string; description: string; type?: string },
  ): Promise<{ key: string; url: string }>;
  comment(key: string, body: string): Promise<{ id: string }>;
}

/** A forge call's failure, with the forge's own status and message passed through. */
export class ForgeError extends Error {
  constructor(
    readonly service: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ForgeError";
  }
}
