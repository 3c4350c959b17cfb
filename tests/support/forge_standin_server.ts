/**
 * The program of the forge stand-in (see `forge_standin.ts`): a recording test double for the
 * REST APIs of GitHub, GitLab, Forgejo and JIRA, never a real forge. It imports nothing, so it
 * runs alone: on the simulated internet it is `/srv/server.ts`, run as the main module.
 *
 * As the main module, without arguments, it serves HTTPS on 8443 (`/srv/server.pem`,
 * `/srv/server.key`) and plain HTTP on 8080; with `HOSTNAME PORT` it serves plain HTTP there only
 * and prints `listening http://HOST:PORT` once it listens.
 * Imported, it serves nothing: {@link createForgeStandIn} gives its handler.
 *
 * Which forge a request is for: its `Host` (see {@link STANDIN_HOSTS}), else the first segment of
 * its path (`/github`, `/gitlab`, `/forgejo`, `/jira`), stripped. After that each forge has its
 * own paths: GitHub `/repos/…` and `/search/…`, GitLab `/api/v4/…`, Forgejo `/api/v1/…`, JIRA
 * `/rest/api/2/…`. `GET /_calls` gives the calls recorded, `POST /_reset` forgets them (on plain
 * HTTP only, for any host).
 */

/** The forges the stand-in plays. */
export type StandInService = "github" | "gitlab" | "forgejo" | "jira";

/** One call the stand-in received (the token it carried is never kept). */
export interface StandInCall {
  service: StandInService;
  method: string;
  /** The path as the forge sees it (without the prefix naming the forge), still encoded. */
  path: string;
  query: Record<string, string>;
  /** Whether it carried the expected token. */
  authorized: boolean;
  /** Its `Accept` header. */
  accept: string | null;
  /** Its JSON body (its text, where it is not JSON); absent when it has none. */
  body?: unknown;
}

/** The token the GitHub stand-in expects (`Authorization: Bearer …`). */
export const GITHUB_TOKEN = "gh-test-token";
/** The token the GitLab stand-in expects (`PRIVATE-TOKEN: …`). */
export const GITLAB_TOKEN = "gl-test-token";
/** The token the Forgejo stand-in expects (`Authorization: token …`). */
export const FORGEJO_TOKEN = "fj-test-token";
/** The user the JIRA stand-in expects (basic authentication). */
export const JIRA_USER = "jira-user";
/** The JIRA user's token. */
export const JIRA_TOKEN = "jira-test-token";

/** The host names that name a forge on the simulated internet. */
export const STANDIN_HOSTS: Readonly<Record<string, StandInService>> = {
  "api.github.test": "github",
  "gitlab.test": "gitlab",
  "forgejo.test": "forgejo",
  "jira.test": "jira",
};

/** A page size small enough that clients must follow the pages of a repository tree. */
const TREE_PAGE = 2;

const CREATED = "2024-01-02T03:04:05Z";

interface Comment {
  id: number;
  author: string;
  body: string;
  created: string;
  /** A GitLab system note. */
  system?: boolean;
}

interface Issue {
  number: number;
  title: string;
  body: string;
  author: string;
  state: "open" | "closed";
  comments: Comment[];
  pull?: { head: string; base: string; draft: boolean; files: FileDiff[] };
}

interface FileDiff {
  path: string;
  hunks: string;
}

interface Repo {
  id: number;
  name: string;
  defaultBranch: string;
  /** The files of each branch. */
  branches: Record<string, Record<string, string>>;
  issues: Issue[];
}

interface JiraIssue {
  key: string;
  summary: string;
  description: string;
  status: string;
  comments: Comment[];
}

/** The seeded repositories (each forge gets its own copy). */
function seedRepos(service: StandInService): Repo[] {
  const main = { "README.md": "# demo\n", "src/main.ts": 'console.log("demo");\n' };
  const feature = { ...main, "src/main.ts": 'console.log("demo");\nconsole.log("feature");\n' };
  return [{
    id: 1,
    name: "octo/demo",
    defaultBranch: "main",
    branches: { main, feature },
    issues: [{
      number: 1,
      title: "Demo is too quiet",
      body: "It should say more.",
      author: "alice",
      state: "open",
      comments: [{ id: 11, author: "bob", body: "Agreed.", created: CREATED }],
    }, {
      number: 2,
      title: "Say more",
      body: "Adds a line.",
      author: "carol",
      state: "open",
      comments: [
        ...(service === "gitlab"
          ? [{ id: 20, author: "carol", body: "added 1 commit", created: CREATED, system: true }]
          : []),
        { id: 21, author: "alice", body: "Looks good.", created: CREATED },
      ],
      pull: {
        head: "feature",
        base: "main",
        draft: false,
        files: [{
          path: "src/main.ts",
          hunks: '@@ -1 +1,2 @@\n console.log("demo");\n+console.log("feature");\n',
        }],
      },
    }],
  }, {
    id: 2,
    name: "octo/secret",
    defaultBranch: "main",
    branches: { main: { "SECRET.md": "# secret\n" } },
    issues: [],
  }];
}

/** The diff-refs of the seeded pull request (GitLab). */
const DIFF_REFS = { base_sha: "b".repeat(40), head_sha: "f".repeat(40), start_sha: "b".repeat(40) };

/** What a route is handed. */
interface Ctx {
  service: StandInService;
  req: Request;
  url: URL;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** The web pages' base URL: the origin and the forge's prefix. */
  web: string;
  state: ServiceState;
}

interface ServiceState {
  repos: Repo[];
  jira: JiraIssue[];
  nextId: number;
}

type Route = [method: string, pattern: string, handle: (ctx: Ctx) => Response];

const json = (data: unknown, status = 200, headers: Record<string, string> = {}) =>
  Response.json(data, { status, headers });

/** A field of an unknown JSON value. */
function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? Reflect.get(value, key) : undefined;
}

function text(value: unknown, key: string): string | undefined {
  const v = field(value, key);
  return typeof v === "string" ? v : undefined;
}

/** Matches `segments` against `pattern` (`repos/:owner/:repo/contents/*path`). */
function match(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split("/");
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    if (part.startsWith("*")) {
      if (i >= segments.length) return undefined;
      params[part.slice(1)] = segments.slice(i).join("/");
      return params;
    }
    const seg = segments[i];
    if (seg === undefined) return undefined;
    if (part.startsWith(":")) params[part.slice(1)] = seg;
    else if (part !== seg) return undefined;
  }
  return parts.length === segments.length ? params : undefined;
}

/** `items` cut to the page the query asks for, with GitHub's and GitLab's paging headers. */
function paged(ctx: Ctx, items: unknown[], max: number, fallback = 30): Response {
  const asked = Number(ctx.query.get("per_page") ?? ctx.query.get("limit") ?? fallback);
  const per = Math.min(Math.max(1, asked || fallback), max);
  const page = Math.max(1, Number(ctx.query.get("page") ?? 1) || 1);
  const headers: Record<string, string> = {
    "x-page": String(page),
    "x-per-page": String(per),
    "x-total": String(items.length),
    "x-next-page": "",
  };
  if (page * per < items.length) {
    const next = new URL(ctx.url);
    next.searchParams.set("page", String(page + 1));
    headers["link"] = `<${next.href}>; rel="next"`;
    headers["x-next-page"] = String(page + 1);
  }
  return json(items.slice((page - 1) * per, page * per), 200, headers);
}

/** The items whose title or body holds every word of `query`. */
function matching(issues: Issue[], query: string): Issue[] {
  const words = query.toLowerCase().split(/\s+/).filter((w) => w !== "");
  return issues.filter((i) => {
    const hay = `${i.title}\n${i.body}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** The tree entries of `files`: each file and each folder above one. */
function treeOf(files: Record<string, string>): { path: string; type: "blob" | "tree" }[] {
  const entries = new Map<string, "blob" | "tree">();
  for (const path of Object.keys(files)) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) entries.set(parts.slice(0, i).join("/"), "tree");
    entries.set(path, "blob");
  }
  return [...entries].sort(([a], [b]) => a < b ? -1 : 1).map(([path, type]) => ({ path, type }));
}

function unified(files: FileDiff[]): string {
  return files.map((f) =>
    `diff --git a/${f.path} b/${f.path}\nindex 1111111..2222222 100644\n` +
    `--- a/${f.path}\n+++ b/${f.path}\n${f.hunks}`
  ).join("");
}

// GitHub and Forgejo --------------------------------------------------------------------------

const GITHUB_NOT_FOUND = {
  message: "Not Found",
  documentation_url: "https://docs.github.com/rest",
  status: "404",
};
const FORGEJO_NOT_FOUND = {
  errors: [],
  message: "The target couldn't be found.",
  url: "https://forgejo.test/api/swagger",
};
const notFound = (ctx: Ctx) =>
  json(
    ctx.service === "github"
      ? GITHUB_NOT_FOUND
      : ctx.service === "gitlab"
      ? { message: "404 Not found" }
      : ctx.service === "forgejo"
      ? FORGEJO_NOT_FOUND
      : {
        errorMessages: ["Issue does not exist or you do not have permission to see it."],
        errors: {},
      },
    404,
  );

function repoOf(ctx: Ctx): Repo | undefined {
  const name = ctx.params.id ?? `${ctx.params.owner}/${ctx.params.repo}`;
  return ctx.state.repos.find((r) => r.name === name || String(r.id) === name);
}

function issueOf(ctx: Ctx, kind?: "issue" | "pr"): Issue | undefined {
  const n = Number(ctx.params.n);
  return repoOf(ctx)?.issues.find((i) =>
    i.number === n && (kind === undefined || (kind === "pr") === (i.pull !== undefined))
  );
}

/** Runs `f` with the repository (and issue) the route names, or answers 404. */
function withRepo(f: (ctx: Ctx, repo: Repo) => Response): (ctx: Ctx) => Response {
  return (ctx) => {
    const repo = repoOf(ctx);
    return repo ? f(ctx, repo) : notFound(ctx);
  };
}

function withIssue(
  kind: "issue" | "pr" | undefined,
  f: (ctx: Ctx, issue: Issue, repo: Repo) => Response,
): (ctx: Ctx) => Response {
  return withRepo((ctx, repo) => {
    const issue = issueOf(ctx, kind);
    return issue ? f(ctx, issue, repo) : notFound(ctx);
  });
}

const ghUser = (login: string) => ({ login, id: login.length, type: "User" });

function ghIssue(ctx: Ctx, repo: Repo, i: Issue) {
  const kind = i.pull ? "pull" : "issues";
  return {
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    user: ghUser(i.author),
    html_url: `${ctx.web}/${repo.name}/${kind}/${i.number}`,
    repository_url: `${ctx.web}/repos/${repo.name}`,
    comments: i.comments.length,
    created_at: CREATED,
    ...(i.pull ? { pull_request: { url: `${ctx.web}/${repo.name}/pulls/${i.number}` } } : {}),
  };
}

function ghPull(ctx: Ctx, repo: Repo, i: Issue) {
  const { pull_request: _, ...issue } = ghIssue(ctx, repo, i);
  return {
    ...issue,
    draft: i.pull?.draft ?? false,
    merged: false,
    head: { ref: i.pull?.head, label: `octo:${i.pull?.head}` },
    base: { ref: i.pull?.base, label: `octo:${i.pull?.base}` },
  };
}

function ghComment(ctx: Ctx, repo: Repo, i: Issue, c: Comment) {
  return {
    id: c.id,
    body: c.body,
    user: ghUser(c.author),
    created_at: c.created,
    html_url: `${ctx.web}/${repo.name}/issues/${i.number}#issuecomment-${c.id}`,
  };
}

function ghTree(ctx: Ctx, repo: Repo): Response {
  const files = repo.branches[ctx.params.ref ?? ""];
  if (!files) return notFound(ctx);
  const all = treeOf(files).map((e) => ({ ...e, mode: e.type === "blob" ? "100644" : "040000" }));
  const entries = ctx.query.get("recursive") ? all : all.filter((e) => !e.path.includes("/"));
  if (ctx.service === "github") {
    return json({ sha: ctx.params.ref, tree: entries, truncated: false });
  }
  const per = Math.min(Number(ctx.query.get("per_page") ?? 1000) || 1000, TREE_PAGE);
  const page = Math.max(1, Number(ctx.query.get("page") ?? 1) || 1);
  return json({
    sha: ctx.params.ref,
    tree: entries.slice((page - 1) * per, page * per),
    truncated: page * per < entries.length,
    page,
    total_count: entries.length,
  });
}

function ghFile(ctx: Ctx, repo: Repo, raw: boolean): Response {
  const files = repo.branches[ctx.query.get("ref") ?? repo.defaultBranch];
  const path = ctx.params.path ?? "";
  const content = files?.[path];
  if (content === undefined) return notFound(ctx);
  if (raw) return new Response(content, { headers: { "content-type": "text/plain" } });
  return json({ type: "file", path, encoding: "base64", content: btoa(content) });
}

function ghState(ctx: Ctx, i: Issue): boolean {
  const state = ctx.query.get("state") ?? "open";
  return state === "all" || state === i.state;
}

function ghCreatePull(ctx: Ctx, repo: Repo): Response {
  const title = text(ctx.body, "title");
  const head = text(ctx.body, "head");
  const base = text(ctx.body, "base");
  if (!title || !head || !base) {
    return json({
      message: "Validation Failed",
      errors: [{ resource: "PullRequest", field: title ? "head" : "title", code: "missing_field" }],
    }, 422);
  }
  const issue: Issue = {
    number: Math.max(0, ...repo.issues.map((i) => i.number)) + 1,
    title,
    body: text(ctx.body, "body") ?? "",
    author: "gator",
    state: "open",
    comments: [],
    pull: {
      head,
      base,
      draft: field(ctx.body, "draft") === true || /^WIP:/.test(title),
      files: [],
    },
  };
  repo.issues.push(issue);
  return json(ghPull(ctx, repo, issue), 201);
}

function ghAddComment(ctx: Ctx, i: Issue, repo: Repo): Response {
  const body = text(ctx.body, "body");
  if (!body) {
    return json(
      { message: "Validation Failed", errors: [{ field: "body", code: "missing" }] },
      422,
    );
  }
  const c = { id: ctx.state.nextId++, author: "gator", body, created: CREATED };
  i.comments.push(c);
  return json(ghComment(ctx, repo, i, c), 201);
}

function ghReview(ctx: Ctx, i: Issue, repo: Repo): Response {
  const event = text(ctx.body, "event");
  const comments = field(ctx.body, "comments");
  const id = ctx.state.nextId++;
  return json({
    id,
    user: ghUser("gator"),
    body: text(ctx.body, "body") ?? "",
    state: event === undefined || event === "PENDING" ? "PENDING" : event,
    comments_count: Array.isArray(comments) ? comments.length : 0,
    html_url: `${ctx.web}/${repo.name}/pulls/${i.number}#pullrequestreview-${id}`,
  }, 200);
}

const ghRepo = withRepo((ctx, repo) =>
  json({
    id: repo.id,
    full_name: repo.name,
    name: repo.name.split("/")[1],
    private: true,
    default_branch: repo.defaultBranch,
    html_url: `${ctx.web}/${repo.name}`,
  })
);

const ghPulls = withRepo((ctx, repo) =>
  paged(
    ctx,
    repo.issues.filter((i) => i.pull && ghState(ctx, i)).map((i) => ghPull(ctx, repo, i)),
    100,
  )
);

const diffText = (i: Issue) =>
  new Response(unified(i.pull?.files ?? []), { headers: { "content-type": "text/x-diff" } });

const GITHUB: Route[] = [
  ["GET", "search/issues", (ctx) => {
    const q = ctx.query.get("q") ?? "";
    const repoName = /(?:^|\s)repo:(\S+)/.exec(q)?.[1];
    const kind = /(?:^|\s)is:(pr|issue)\b/.exec(q)?.[1];
    const words = q.split(/\s+/).filter((w) => !/^(repo|is):/.test(w)).join(" ");
    const items = ctx.state.repos
      .filter((r) => repoName === undefined || r.name === repoName)
      .flatMap((r) =>
        matching(r.issues, words)
          .filter((i) => kind === undefined || (kind === "pr") === (i.pull !== undefined))
          .map((i) => ghIssue(ctx, r, i))
      );
    return json({ total_count: items.length, incomplete_results: false, items });
  }],
  ["GET", "repos/:owner/:repo", ghRepo],
  [
    "GET",
    "repos/:owner/:repo/contents/*path",
    withRepo((ctx, repo) =>
      ghFile(ctx, repo, /application\/vnd\.github\.raw/.test(ctx.req.headers.get("accept") ?? ""))
    ),
  ],
  ["GET", "repos/:owner/:repo/git/trees/*ref", withRepo(ghTree)],
  [
    "GET",
    "repos/:owner/:repo/issues/:n",
    withIssue(undefined, (ctx, i, repo) => json(ghIssue(ctx, repo, i))),
  ],
  [
    "GET",
    "repos/:owner/:repo/issues/:n/comments",
    withIssue(
      undefined,
      (ctx, i, repo) => paged(ctx, i.comments.map((c) => ghComment(ctx, repo, i, c)), 100),
    ),
  ],
  ["POST", "repos/:owner/:repo/issues/:n/comments", withIssue(undefined, ghAddComment)],
  ["GET", "repos/:owner/:repo/pulls", ghPulls],
  ["POST", "repos/:owner/:repo/pulls", withRepo(ghCreatePull)],
  [
    "GET",
    "repos/:owner/:repo/pulls/:n",
    withIssue(
      "pr",
      (ctx, i, repo) =>
        /application\/vnd\.github\.diff/.test(ctx.req.headers.get("accept") ?? "")
          ? diffText(i)
          : json(ghPull(ctx, repo, i)),
    ),
  ],
  ["POST", "repos/:owner/:repo/pulls/:n/reviews", withIssue("pr", ghReview)],
];

const FORGEJO: Route[] = [
  ["GET", "repos/:owner/:repo", ghRepo],
  ["GET", "repos/:owner/:repo/raw/*path", withRepo((ctx, repo) => ghFile(ctx, repo, true))],
  ["GET", "repos/:owner/:repo/git/trees/*ref", withRepo(ghTree)],
  [
    "GET",
    "repos/:owner/:repo/issues",
    withRepo((ctx, repo) => {
      const type = ctx.query.get("type");
      const items = matching(repo.issues, ctx.query.get("q") ?? "")
        .filter((i) => ghState(ctx, i))
        .filter((i) => !type || (type === "pulls") === (i.pull !== undefined))
        .map((i) => ghIssue(ctx, repo, i));
      return paged(ctx, items, 50);
    }),
  ],
  [
    "GET",
    "repos/:owner/:repo/issues/:n",
    withIssue(undefined, (ctx, i, repo) => json(ghIssue(ctx, repo, i))),
  ],
  [
    "GET",
    "repos/:owner/:repo/issues/:n/comments",
    withIssue(undefined, (ctx, i, repo) => json(i.comments.map((c) => ghComment(ctx, repo, i, c)))),
  ],
  ["POST", "repos/:owner/:repo/issues/:n/comments", withIssue(undefined, ghAddComment)],
  ["GET", "repos/:owner/:repo/pulls", ghPulls],
  ["POST", "repos/:owner/:repo/pulls", withRepo(ghCreatePull)],
  ["GET", "repos/:owner/:repo/pulls/:n", (ctx) => {
    const diff = /^(\d+)\.diff$/.exec(ctx.params.n ?? "")?.[1];
    const pull = withIssue("pr", (ctx, i, repo) => diff ? diffText(i) : json(ghPull(ctx, repo, i)));
    return pull(diff ? { ...ctx, params: { ...ctx.params, n: diff } } : ctx);
  }],
  ["POST", "repos/:owner/:repo/pulls/:n/reviews", withIssue("pr", ghReview)],
];

// GitLab ----------------------------------------------------------------------------------------

const glUser = (username: string) => ({ id: username.length, username, name: username });

function glIssue(ctx: Ctx, repo: Repo, i: Issue) {
  const kind = i.pull ? "merge_requests" : "issues";
  return {
    id: 100 + i.number,
    iid: i.number,
    project_id: repo.id,
    title: i.title,
    description: i.body,
    state: i.state === "open" ? "opened" : "closed",
    author: glUser(i.author),
    web_url: `${ctx.web}/${repo.name}/-/${kind}/${i.number}`,
    created_at: CREATED,
    ...(i.pull
      ? {
        draft: i.pull.draft,
        work_in_progress: i.pull.draft,
        source_branch: i.pull.head,
        target_branch: i.pull.base,
        diff_refs: DIFF_REFS,
      }
      : {}),
  };
}

function glNote(c: Comment) {
  return {
    id: c.id,
    body: c.body,
    author: glUser(c.author),
    created_at: c.created,
    system: c.system ?? false,
  };
}

function glList(kind: "issue" | "pr"): (ctx: Ctx) => Response {
  return withRepo((ctx, repo) => {
    const state = ctx.query.get("state") ?? "all";
    const items = matching(repo.issues, ctx.query.get("search") ?? "")
      .filter((i) => (kind === "pr") === (i.pull !== undefined))
      .filter((i) => state === "all" || (state === "opened") === (i.state === "open"))
      .map((i) => glIssue(ctx, repo, i));
    return paged(ctx, items, 100, 20);
  });
}

function glAddNote(kind: "issue" | "pr"): (ctx: Ctx) => Response {
  return withIssue(kind, (ctx, i) => {
    const body = text(ctx.body, "body");
    if (!body) return json({ error: "body is missing" }, 400);
    const c = { id: ctx.state.nextId++, author: "gator", body, created: CREATED };
    i.comments.push(c);
    return json(glNote(c), 201);
  });
}

function glCreateMr(ctx: Ctx, repo: Repo): Response {
  const title = text(ctx.body, "title");
  const head = text(ctx.body, "source_branch");
  const base = text(ctx.body, "target_branch");
  if (!title || !head || !base) {
    const missing = !title ? "title" : !head ? "source_branch" : "target_branch";
    return json({ error: `${missing} is missing` }, 400);
  }
  const issue: Issue = {
    number: Math.max(0, ...repo.issues.filter((i) => i.pull).map((i) => i.number)) + 1,
    title,
    body: text(ctx.body, "description") ?? "",
    author: "gator",
    state: "open",
    comments: [],
    pull: { head, base, draft: /^(Draft:|\[Draft\]|\(Draft\))/i.test(title), files: [] },
  };
  repo.issues.push(issue);
  return json(glIssue(ctx, repo, issue), 201);
}

function glDraftNote(ctx: Ctx, i: Issue): Response {
  const note = text(ctx.body, "note");
  if (!note) return json({ error: "note is missing" }, 400);
  const position = field(ctx.body, "position");
  if (position !== undefined) {
    const refs = Object.entries(DIFF_REFS).every(([k, v]) => text(position, k) === v);
    if (!refs || text(position, "position_type") !== "text" || !text(position, "new_path")) {
      return json({ message: { base: ["Note position is invalid"] } }, 400);
    }
  }
  return json({
    id: ctx.state.nextId++,
    author_id: 7,
    merge_request_id: 100 + i.number,
    note,
    position: position ?? null,
    resolve_discussion: false,
  }, 201);
}

const GITLAB: Route[] = [
  [
    "GET",
    "projects/:id",
    withRepo((ctx, repo) =>
      json({
        id: repo.id,
        path_with_namespace: repo.name,
        default_branch: repo.defaultBranch,
        web_url: `${ctx.web}/${repo.name}`,
      })
    ),
  ],
  [
    "GET",
    "projects/:id/repository/files/:path/raw",
    withRepo((ctx, repo) => {
      const content = repo.branches[ctx.query.get("ref") ?? repo.defaultBranch]
        ?.[ctx.params.path ?? ""];
      return content === undefined
        ? json({ message: "404 File Not Found" }, 404)
        : new Response(content, { headers: { "content-type": "text/plain" } });
    }),
  ],
  [
    "GET",
    "projects/:id/repository/tree",
    withRepo((ctx, repo) => {
      const files = repo.branches[ctx.query.get("ref") ?? repo.defaultBranch];
      if (!files) return json({ message: "404 Tree Not Found" }, 404);
      const under = ctx.query.get("path") ?? "";
      const recursive = ctx.query.get("recursive") === "true";
      const entries = treeOf(files).filter((e) => {
        const rest = under === ""
          ? e.path
          : e.path.startsWith(`${under}/`)
          ? e.path.slice(under.length + 1)
          : undefined;
        return rest !== undefined && (recursive || !rest.includes("/"));
      }).map((e) => ({ id: "0".repeat(40), name: e.path.split("/").pop(), ...e, mode: "100644" }));
      return paged(ctx, entries, TREE_PAGE);
    }),
  ],
  ["GET", "projects/:id/issues", glList("issue")],
  [
    "GET",
    "projects/:id/issues/:n",
    withIssue("issue", (ctx, i, repo) => json(glIssue(ctx, repo, i))),
  ],
  [
    "GET",
    "projects/:id/issues/:n/notes",
    withIssue("issue", (ctx, i) => paged(ctx, i.comments.map(glNote), 100, 20)),
  ],
  ["POST", "projects/:id/issues/:n/notes", glAddNote("issue")],
  ["GET", "projects/:id/merge_requests", glList("pr")],
  ["POST", "projects/:id/merge_requests", withRepo(glCreateMr)],
  [
    "GET",
    "projects/:id/merge_requests/:n",
    withIssue("pr", (ctx, i, repo) => json(glIssue(ctx, repo, i))),
  ],
  [
    "GET",
    "projects/:id/merge_requests/:n/notes",
    withIssue("pr", (ctx, i) => paged(ctx, i.comments.map(glNote), 100, 20)),
  ],
  ["POST", "projects/:id/merge_requests/:n/notes", glAddNote("pr")],
  [
    "GET",
    "projects/:id/merge_requests/:n/diffs",
    withIssue("pr", (ctx, i) =>
      paged(
        ctx,
        (i.pull?.files ?? []).map((f) => ({
          old_path: f.path,
          new_path: f.path,
          a_mode: "100644",
          b_mode: "100644",
          new_file: false,
          renamed_file: false,
          deleted_file: false,
          diff: f.hunks,
        })),
        100,
        20,
      )),
  ],
  ["POST", "projects/:id/merge_requests/:n/draft_notes", withIssue("pr", glDraftNote)],
];

// JIRA ------------------------------------------------------------------------------------------

function jiraIssue(ctx: Ctx, i: JiraIssue) {
  return {
    id: String(10000 + ctx.state.jira.indexOf(i)),
    key: i.key,
    self: `${ctx.web}/rest/api/2/issue/${i.key}`,
    fields: {
      summary: i.summary,
      description: i.description,
      status: { name: i.status },
      comment: {
        startAt: 0,
        maxResults: i.comments.length,
        total: i.comments.length,
        comments: i.comments.map((c) => ({
          id: String(c.id),
          author: { name: c.author, displayName: c.author },
          body: c.body,
          created: c.created,
        })),
      },
    },
  };
}

const JIRA: Route[] = [
  ["GET", "issue/:key", (ctx) => {
    const i = ctx.state.jira.find((j) => j.key === ctx.params.key);
    return i ? json(jiraIssue(ctx, i)) : notFound(ctx);
  }],
  ["GET", "search", (ctx) => {
    const project = /project\s*=\s*"?([A-Z][A-Z0-9_]*)"?/i.exec(ctx.query.get("jql") ?? "")?.[1];
    const max = Number(ctx.query.get("maxResults") ?? 50) || 50;
    const found = ctx.state.jira.filter((i) =>
      project === undefined || i.key.startsWith(`${project.toUpperCase()}-`)
    );
    return json({
      startAt: 0,
      maxResults: max,
      total: found.length,
      issues: found.slice(0, max).map((i) => {
        const { fields, ...rest } = jiraIssue(ctx, i);
        return { ...rest, fields: { summary: fields.summary, status: fields.status } };
      }),
    });
  }],
  ["POST", "issue", (ctx) => {
    const fields = field(ctx.body, "fields");
    const project = text(field(fields, "project"), "key");
    const summary = text(fields, "summary");
    if (project !== "DEMO") {
      return json({ errorMessages: [], errors: { project: "valid project is required" } }, 400);
    }
    if (!summary) {
      return json({
        errorMessages: [],
        errors: { summary: "You must specify a summary of the issue." },
      }, 400);
    }
    const key = `DEMO-${ctx.state.jira.length + 1}`;
    ctx.state.jira.push({
      key,
      summary,
      description: text(fields, "description") ?? "",
      status: "To Do",
      comments: [],
    });
    const id = String(10000 + ctx.state.jira.length - 1);
    return json({ id, key, self: `${ctx.web}/rest/api/2/issue/${id}` }, 201);
  }],
  ["POST", "issue/:key/comment", (ctx) => {
    const i = ctx.state.jira.find((j) => j.key === ctx.params.key);
    if (!i) return notFound(ctx);
    const body = text(ctx.body, "body");
    if (!body) {
      return json(
        { errorMessages: [], errors: { comment: "Comment body can not be empty!" } },
        400,
      );
    }
    const c = { id: ctx.state.nextId++, author: JIRA_USER, body, created: CREATED };
    i.comments.push(c);
    return json({ id: String(c.id), body, author: { name: JIRA_USER }, created: c.created }, 201);
  }],
];

// The server ------------------------------------------------------------------------------------

/** Each forge: its routes, the path its API lives under, and its answer to a missing token. */
const SERVICES: Record<
  StandInService,
  { routes: Route[]; api: string; authorized(h: Headers): boolean; unauthorized: unknown }
> = {
  github: {
    routes: GITHUB,
    api: "",
    authorized: (h) => h.get("authorization") === `Bearer ${GITHUB_TOKEN}`,
    unauthorized: {
      message: "Bad credentials",
      documentation_url: "https://docs.github.com/rest",
      status: "401",
    },
  },
  gitlab: {
    routes: GITLAB,
    api: "/api/v4",
    authorized: (h) => h.get("private-token") === GITLAB_TOKEN,
    unauthorized: { message: "401 Unauthorized" },
  },
  forgejo: {
    routes: FORGEJO,
    api: "/api/v1",
    authorized: (h) => h.get("authorization") === `token ${FORGEJO_TOKEN}`,
    unauthorized: {
      message: "user does not exist [uid: 0, name: ]",
      url: "https://forgejo.test/api/swagger",
    },
  },
  jira: {
    routes: JIRA,
    api: "/rest/api/2",
    authorized: (h) => h.get("authorization") === `Basic ${btoa(`${JIRA_USER}:${JIRA_TOKEN}`)}`,
    unauthorized: {
      errorMessages: [
        "You are not authenticated. Authentication required to perform this operation.",
      ],
      errors: {},
    },
  },
};

/** A stand-in with its own seeded data and its own record of calls. */
export interface ForgeStandIn {
  /** Answers one request; with `control`, also `GET /_calls` and `POST /_reset`. */
  handle(req: Request, control: boolean): Promise<Response>;
  calls(): StandInCall[];
  reset(): void;
}

/** A fresh stand-in: the seeded forges, no calls recorded. */
export function createForgeStandIn(): ForgeStandIn {
  const recorded: StandInCall[] = [];
  const states = new Map<StandInService, ServiceState>();
  const stateOf = (service: StandInService) => {
    let state = states.get(service);
    if (!state) {
      state = {
        repos: seedRepos(service),
        jira: [{
          key: "DEMO-1",
          summary: "Demo needs a voice",
          description: "The demo should print more.",
          status: "To Do",
          comments: [{
            id: 10100,
            author: "Alice",
            body: "On it.",
            created: "2024-01-02T03:04:05.000+0000",
          }],
        }],
        nextId: 1000,
      };
      states.set(service, state);
    }
    return state;
  };

  async function handle(req: Request, control: boolean): Promise<Response> {
    const url = new URL(req.url);
    if (control && url.pathname === "/_calls") return json(recorded);
    if (control && url.pathname === "/_reset" && req.method === "POST") {
      recorded.length = 0;
      return json({ reset: true });
    }
    let service = STANDIN_HOSTS[url.hostname];
    let path = url.pathname;
    let prefix = "";
    if (!service) {
      const m = /^\/(github|gitlab|forgejo|jira)(\/.*)?$/.exec(path);
      if (!m) return json({ message: "Not Found: no forge answers here" }, 404);
      service = m[1] === "github" || m[1] === "gitlab" || m[1] === "forgejo" ? m[1] : "jira";
      prefix = `/${m[1]}`;
      path = m[2] ?? "/";
    }
    const raw = await req.text();
    let body: unknown = raw === "" ? undefined : raw;
    try {
      body = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      // Not JSON: recorded as text.
    }
    const spec = SERVICES[service];
    const authorized = spec.authorized(req.headers);
    recorded.push({
      service,
      method: req.method,
      path,
      query: Object.fromEntries(url.searchParams),
      authorized,
      accept: req.headers.get("accept"),
      ...(body === undefined ? {} : { body }),
    });
    const ctx: Ctx = {
      service,
      req,
      url,
      params: {},
      query: url.searchParams,
      body,
      web: `${url.origin}${prefix}`,
      state: stateOf(service),
    };
    if (!authorized) return json(spec.unauthorized, 401);
    if (!path.startsWith(`${spec.api}/`)) return notFound(ctx);
    const segments = path.slice(spec.api.length + 1).split("/").map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    for (const [method, pattern, route] of spec.routes) {
      const params = method === req.method ? match(pattern, segments) : undefined;
      if (params) return route({ ...ctx, params });
    }
    return notFound(ctx);
  }

  return {
    handle,
    calls: () => structuredClone(recorded),
    reset: () => {
      recorded.length = 0;
    },
  };
}

if (import.meta.main) {
  const standIn = createForgeStandIn();
  const [hostname, port] = Deno.args;
  if (hostname && port) {
    const onListen = (addr: Deno.NetAddr) =>
      console.log(`listening http://${addr.hostname}:${addr.port}`);
    Deno.serve({ hostname, port: Number(port), onListen }, (req) => standIn.handle(req, true));
  } else {
    Deno.serve({ hostname: "0.0.0.0", port: 8080 }, (req) => standIn.handle(req, true));
    Deno.serve({
      hostname: "0.0.0.0",
      port: 8443,
      cert: Deno.readTextFileSync("/srv/server.pem"),
      key: Deno.readTextFileSync("/srv/server.key"),
    }, (req) => standIn.handle(req, false));
  }
}
