/**
 * The gator's JIRA client: {@link JiraClient} over JIRA's REST API v2 (Server, Data Center and
 * Cloud).
 */
import { z } from "zod";
import { ForgeError, type JiraClient } from "./forge.ts";
import { forgeApi, segments } from "./http.ts";

const Status = z.object({ name: z.string() });

const IssueJson = z.object({
  key: z.string(),
  fields: z.object({
    summary: z.string(),
    description: z.string().nullish(),
    status: Status,
    comment: z.object({
      comments: z.array(z.object({
        author: z.object({ displayName: z.string().optional(), name: z.string().optional() })
          .optional(),
        body: z.string(),
        created: z.string(),
      })),
    }).optional(),
  }),
});

const SearchJson = z.object({
  issues: z.array(z.object({
    key: z.string(),
    fields: z.object({ summary: z.string(), status: Status }),
  })),
});

const ErrorJson = z.object({
  errorMessages: z.array(z.string()).optional(),
  errors: z.record(z.string(), z.string()).optional(),
});

/** JIRA's own message in a failed answer: its `errorMessages`, then its `errors` by field. */
function jiraMessage(body: unknown): string | undefined {
  const parsed = ErrorJson.safeParse(body);
  if (!parsed.success) return undefined;
  const messages = [
    ...parsed.data.errorMessages ?? [],
    ...Object.entries(parsed.data.errors ?? {}).map(([field, text]) => `${field}: ${text}`),
  ];
  return messages.length > 0 ? messages.join("; ") : undefined;
}

/** `text` as UTF-8, in base64. */
function base64(text: string): string {
  return btoa(Array.from(new TextEncoder().encode(text), (b) => String.fromCharCode(b)).join(""));
}

/**
 * A {@link JiraClient} for the JIRA at `url` (`https://example.atlassian.net`): with `username`,
 * basic authentication (Cloud: the account's email and an API token), else the token as a bearer
 * token (a Server or Data Center personal access token). Issue links are `url/browse/KEY`.
 *
 * @example
 * ```ts
 * const jira = jiraClient({ url: "https://example.atlassian.net", username, token });
 * const issue = await jira.issue("DEMO-1");
 * ```
 */
export function jiraClient(
  options: { url: string; token: string; username?: string; fetch?: typeof fetch },
): JiraClient {
  const service = "JIRA";
  const url = options.url.replace(/\/+$/, "");
  const api = forgeApi({
    service,
    base: `${url}/rest/api/2`,
    headers: {
      Authorization: options.username === undefined
        ? `Bearer ${options.token}`
        : `Basic ${base64(`${options.username}:${options.token}`)}`,
      Accept: "application/json",
    },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    message: jiraMessage,
  });
  const keyPath = (key: string) => {
    const parts = segments(service, "an issue key", key);
    if (parts.length !== 1) {
      throw new ForgeError(service, 0, `Cannot use '${key}' as an issue key: it has a '/'`);
    }
    return `/issue/${parts.map(encodeURIComponent).join("")}`;
  };
  const link = (key: string) => `${url}/browse/${encodeURIComponent(key)}`;

  return {
    async issue(key) {
      const json = await api.json(IssueJson, {
        path: keyPath(key),
        query: { fields: "summary,description,status,comment" },
      });
      return {
        key: json.key,
        summary: json.fields.summary,
        description: json.fields.description ?? "",
        status: json.fields.status.name,
        url: link(json.key),
        comments: (json.fields.comment?.comments ?? []).map((c) => ({
          author: c.author?.displayName ?? c.author?.name ?? "unknown",
          body: c.body,
          created: c.created,
        })),
      };
    },
    async search(jql, limit = 50) {
      const json = await api.json(SearchJson, {
        path: "/search",
        query: { jql, maxResults: limit, fields: "summary,status" },
      });
      return json.issues.map((i) => ({
        key: i.key,
        summary: i.fields.summary,
        status: i.fields.status.name,
      }));
    },
    async create(project, input) {
      const json = await api.json(z.object({ key: z.string() }), {
        method: "POST",
        path: "/issue",
        body: {
          fields: {
            project: { key: project },
            summary: input.summary,
            description: input.description,
            issuetype: { name: input.type ?? "Task" },
          },
        },
      });
      return { key: json.key, url: link(json.key) };
    },
    async comment(key, body) {
      const json = await api.json(z.object({ id: z.string() }), {
        method: "POST",
        path: `${keyPath(key)}/comment`,
        body: { body },
      });
      return { id: json.id };
    },
  };
}
