/**
 * The gator's Forgejo (and Gitea) client: {@link ForgeClient} over the API v1. Its JSON copies
 * GitHub's, so the schemas and the shared methods are `github.ts`'s.
 */
import { z } from "zod";
import type { ForgeClient, RepoName } from "./forge.ts";
import { githubLike, githubMessage, ListItemJson, toListItem, TreeJson } from "./github.ts";
import { encodedPath, entriesUnder, forgeApi } from "./http.ts";

/** The most tree pages read (of up to 1000 entries each). */
const MAX_TREE_PAGES = 100;

/** A title that Forgejo reads as a draft (work in progress). */
const DRAFT_TITLE = /^\s*(WIP:|\[WIP\])/i;

/**
 * A {@link ForgeClient} for Forgejo or Gitea at `api` (`https://codeberg.org/api/v1`). Drafts
 * are pull requests whose title starts with `WIP:`; pending reviews are reviews with the event
 * `PENDING`.
 *
 * @example
 * ```ts
 * const forgejo = forgejoClient({ api: "https://codeberg.org/api/v1", token });
 * const branch = await forgejo.defaultBranch("forgejo/forgejo");
 * ```
 */
export function forgejoClient(
  options: { api: string; token: string; fetch?: typeof fetch },
): ForgeClient {
  const service = "Forgejo";
  const api = forgeApi({
    service,
    base: options.api,
    headers: { Authorization: `token ${options.token}`, Accept: "application/json" },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    message: githubMessage,
  });
  const shared = githubLike(api, service, {
    page: { limit: 50 },
    diff: (path) => ({ path: `${path}.diff` }),
    draft: (json) => DRAFT_TITLE.test(json.title),
  });
  const { repoPath } = shared;
  const issues = (repo: RepoName, query: Record<string, string | number>) =>
    api.json(z.array(ListItemJson), { path: `${repoPath(repo)}/issues`, query });

  return {
    issue: shared.issue,
    pullRequest: shared.pullRequest,
    comment: shared.comment,
    defaultBranch: shared.defaultBranch,
    listPullRequests: shared.listPullRequests,
    readFile(repo, path, ref) {
      return api.text({
        path: `${repoPath(repo)}/raw/${encodedPath(service, "a file path", path)}`,
        query: { ref },
      });
    },
    async tree(repo, ref, path) {
      const at = ref ?? await shared.defaultBranch(repo);
      const entries = [];
      for (let page = 1; page <= MAX_TREE_PAGES; page++) {
        const json = await api.json(TreeJson, {
          path: `${repoPath(repo)}/git/trees/${encodedPath(service, "a ref", at)}`,
          query: { recursive: true, per_page: 1000, page },
        });
        entries.push(...json.tree);
        if (!json.truncated) break;
      }
      return entriesUnder(entries, path);
    },
    async search(repo, query) {
      const [found, pulls] = await Promise.all([
        issues(repo, { q: query, type: "issues", state: "all", limit: 50 }),
        issues(repo, { q: query, type: "pulls", state: "all", limit: 50 }),
      ]);
      return [
        ...found.map((i) => ({ ...toListItem(i), kind: "issue" as const })),
        ...pulls.map((i) => ({ ...toListItem(i), kind: "pr" as const })),
      ];
    },
    createDraftPullRequest(repo, input) {
      const { title, body, head, base } = input;
      return shared.createPull(repo, { title: `WIP: ${title}`, body, head, base });
    },
    createPendingReview(repo, n, input) {
      return shared.createReview(repo, n, {
        body: input.body,
        event: "PENDING",
        comments: input.comments.map((c) => ({ path: c.path, new_position: c.line, body: c.body })),
      });
    },
  };
}
