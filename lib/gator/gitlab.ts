/**
 * The gator's GitLab client: {@link ForgeClient} over GitLab's REST API v4. GitLab numbers issues
 * and merge requests apart (both by `iid`), calls a pull request a merge request, a draft a
 * `Draft:` title, and a pending review a set of draft notes.
 */
import { z } from "zod";
import { type ForgeClient, ForgeError, type ForgeListItem, type RepoName } from "./forge.ts";
import { entriesUnder, forgeApi, numberSegment, repoSegments, segments } from "./http.ts";

const User = z.object({ username: z.string() }).nullable();

const IssueJson = z.object({
  iid: z.number(),
  title: z.string(),
  description: z.string().nullable(),
  state: z.string(),
  author: User,
  web_url: z.string(),
});

const DiffRefs = z.object({ base_sha: z.string(), head_sha: z.string(), start_sha: z.string() });

const MergeRequestJson = IssueJson.extend({
  draft: z.boolean().optional(),
  work_in_progress: z.boolean().optional(),
  source_branch: z.string(),
  target_branch: z.string(),
  diff_refs: DiffRefs.nullish(),
});

const NoteJson = z.object({
  body: z.string(),
  author: User,
  created_at: z.string(),
  system: z.boolean(),
});

const DiffJson = z.object({
  old_path: z.string(),
  new_path: z.string(),
  new_file: z.boolean(),
  deleted_file: z.boolean(),
  diff: z.string(),
});

const Messages = z.union([
  z.string(),
  z.array(z.string()),
  z.record(z.string(), z.union([z.string(), z.array(z.string())])),
]);

const ErrorJson = z.object({ message: Messages.optional(), error: z.string().optional() });

/**
 * GitLab's own message in a failed answer: `message` (a text, a list, or a text per field) or
 * `error`.
 */
function gitlabMessage(body: unknown): string | undefined {
  const parsed = ErrorJson.safeParse(body);
  if (!parsed.success) return undefined;
  const { message, error } = parsed.data;
  if (typeof message === "string") return message;
  if (Array.isArray(message)) return message.join("; ");
  if (message) {
    return Object.entries(message)
      .map(([field, text]) => `${field} ${Array.isArray(text) ? text.join(", ") : text}`)
      .join("; ");
  }
  return error;
}

/** A unified diff from GitLab's per-file diffs (which carry only the hunks). */
export function unifiedDiff(diffs: readonly z.output<typeof DiffJson>[]): string {
  return diffs.map((d) => {
    const from = d.new_file ? "/dev/null" : `a/${d.old_path}`;
    const to = d.deleted_file ? "/dev/null" : `b/${d.new_path}`;
    const hunks = d.diff === "" || d.diff.endsWith("\n") ? d.diff : `${d.diff}\n`;
    return `diff --git a/${d.old_path} b/${d.new_path}\n--- ${from}\n+++ ${to}\n${hunks}`;
  }).join("");
}

const STATES = { open: "opened", closed: "closed", all: "all" } as const;

/**
 * A {@link ForgeClient} for GitLab at `api` (`https://gitlab.com/api/v4`); its web pages are
 * `api` without `/api/v4`. A repository is the project's full path, `group/subgroup/project`.
 *
 * @example
 * ```ts
 * const gitlab = gitlabClient({ api: "https://gitlab.com/api/v4", token });
 * const mr = await gitlab.pullRequest("gitlab-org/gitlab", 1);
 * ```
 */
export function gitlabClient(
  options: { api: string; token: string; fetch?: typeof fetch },
): ForgeClient {
  const service = "GitLab";
  const api = forgeApi({
    service,
    base: options.api,
    headers: { "PRIVATE-TOKEN": options.token, Accept: "application/json" },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    message: gitlabMessage,
  });
  const web = options.api.replace(/\/+$/, "").replace(/\/api\/v4$/, "");

  const projectSegments = (repo: RepoName) => repoSegments(service, repo, false);
  const projectPath = (repo: RepoName) =>
    `/projects/${encodeURIComponent(projectSegments(repo).join("/"))}`;
  const kindPath = (on: "issue" | "pr") => on === "pr" ? "merge_requests" : "issues";
  const itemPath = (repo: RepoName, n: number, on: "issue" | "pr") =>
    `${projectPath(repo)}/${kindPath(on)}/${numberSegment(service, n)}`;
  const notes = async (repo: RepoName, n: number, on: "issue" | "pr") =>
    (await api.pages(NoteJson, {
      path: `${itemPath(repo, n, on)}/notes`,
      query: { sort: "asc", order_by: "created_at", per_page: 100 },
    })).filter((note) => !note.system).map((note) => ({
      author: note.author?.username ?? "ghost",
      body: note.body,
      created: note.created_at,
    }));
  const issueOf = (json: z.output<typeof IssueJson>) => ({
    number: json.iid,
    title: json.title,
    body: json.description ?? "",
    state: json.state,
    author: json.author?.username ?? "ghost",
    url: json.web_url,
  });
  const listItem = (kind: "issue" | "pr") => (json: z.output<typeof IssueJson>): ForgeListItem => ({
    number: json.iid,
    title: json.title,
    state: json.state,
    kind,
    url: json.web_url,
  });
  const mergeRequest = (repo: RepoName, n: number) =>
    api.json(MergeRequestJson, { path: itemPath(repo, n, "pr") });

  return {
    readFile(repo, path, ref) {
      const file = encodeURIComponent(segments(service, "a file path", path).join("/"));
      return api.text({
        path: `${projectPath(repo)}/repository/files/${file}/raw`,
        query: { ref },
      });
    },
    async tree(repo, ref, path) {
      const under = path?.replace(/^\/+|\/+$/g, "") ?? "";
      const entries = await api.pages(z.object({ path: z.string(), type: z.string() }), {
        path: `${projectPath(repo)}/repository/tree`,
        query: {
          recursive: true,
          per_page: 100,
          path: under === "" ? undefined : segments(service, "a path", under).join("/"),
          ref,
        },
      });
      return entriesUnder(entries, under);
    },
    async issue(repo, n) {
      const json = await api.json(IssueJson, { path: itemPath(repo, n, "issue") });
      return { ...issueOf(json), comments: await notes(repo, n, "issue") };
    },
    async pullRequest(repo, n) {
      const json = await mergeRequest(repo, n);
      const [comments, diffs] = await Promise.all([
        notes(repo, n, "pr"),
        api.pages(DiffJson, { path: `${itemPath(repo, n, "pr")}/diffs`, query: { per_page: 100 } }),
      ]);
      return {
        ...issueOf(json),
        comments,
        draft: json.draft ?? json.work_in_progress ?? false,
        head: json.source_branch,
        base: json.target_branch,
        diff: unifiedDiff(diffs),
      };
    },
    async search(repo, query) {
      const found = (on: "issue" | "pr") =>
        api.json(z.array(IssueJson), {
          path: `${projectPath(repo)}/${kindPath(on)}`,
          query: { search: query, per_page: 50 },
        });
      const [issues, mrs] = await Promise.all([found("issue"), found("pr")]);
      return [...issues.map(listItem("issue")), ...mrs.map(listItem("pr"))];
    },
    async listPullRequests(repo, state = "open") {
      const json = await api.json(z.array(IssueJson), {
        path: `${projectPath(repo)}/merge_requests`,
        query: { state: STATES[state], per_page: 100 },
      });
      return json.map(listItem("pr"));
    },
    async createDraftPullRequest(repo, input) {
      const json = await api.json(IssueJson, {
        method: "POST",
        path: `${projectPath(repo)}/merge_requests`,
        body: {
          source_branch: input.head,
          target_branch: input.base,
          title: `Draft: ${input.title}`,
          description: input.body,
        },
      });
      return { number: json.iid, url: json.web_url };
    },
    async comment(repo, n, body, on) {
      const json = await api.json(z.object({ id: z.number() }), {
        method: "POST",
        path: `${itemPath(repo, n, on)}/notes`,
        body: { body },
      });
      const page = projectSegments(repo).map(encodeURIComponent).join("/");
      return { url: `${web}/${page}/-/${kindPath(on)}/${n}#note_${json.id}` };
    },
    async createPendingReview(repo, n, input) {
      if (input.comments.length === 0 && input.body === "") {
        throw new ForgeError(
          service,
          0,
          "Cannot leave an empty review: it has no body and no comments",
        );
      }
      const refs = (await mergeRequest(repo, n)).diff_refs;
      if (!refs) {
        throw new ForgeError(
          service,
          0,
          `Cannot review merge request ${n} of '${repo}': GitLab gave it no diff yet`,
        );
      }
      const draft = async (body: unknown) =>
        String(
          (await api.json(z.object({ id: z.number() }), {
            method: "POST",
            path: `${itemPath(repo, n, "pr")}/draft_notes`,
            body,
          })).id,
        );
      const ids = [];
      for (const c of input.comments) {
        ids.push(
          await draft({
            note: c.body,
            position: {
              position_type: "text",
              base_sha: refs.base_sha,
              head_sha: refs.head_sha,
              start_sha: refs.start_sha,
              new_path: c.path,
              old_path: c.path,
              new_line: c.line,
            },
          }),
        );
      }
      if (input.body !== "") ids.push(await draft({ note: input.body }));
      return { id: ids[0] ?? "" };
    },
    async defaultBranch(repo) {
      const json = await api.json(z.object({ default_branch: z.string().nullable() }), {
        path: projectPath(repo),
      });
      if (json.default_branch === null) {
        throw new ForgeError(
          service,
          0,
          `Cannot find the default branch of '${repo}': it is empty`,
        );
      }
      return json.default_branch;
    },
  };
}
