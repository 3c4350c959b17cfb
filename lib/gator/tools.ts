/**
 * The gator's tools: each a name, a description, a zod input, the {@link Need}s a call has (what
 * the scopes must grant before anything reaches a forge) and what it does with the clients.
 * Pure data and small functions; the server registers them with the MCP SDK.
 */
import { z } from "zod";
import type { ForgeClient, JiraClient } from "./forge.ts";
import type { Pusher } from "./push.ts";
import type { GatorService, Need } from "./scopes.ts";

/** The forges a tool may name (the configured ones are offered). */
export const FORGES = ["github", "gitlab", "forgejo"] as const;
/** One of {@link FORGES}. */
export type ForgeService = (typeof FORGES)[number];

/** What the tools act through: the clients of the services that have a token. */
export interface ToolClients {
  forges: Partial<Record<ForgeService, ForgeClient>>;
  jira?: JiraClient;
  /** Pushes the agent's commits (absent: the gator has no agent clone to push from). */
  pusher?: Pusher;
}

/** A tool's definition: its input's zod shape, its needs, and its work. */
export interface GatorTool<S extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  description: string;
  service: "forge" | "jira";
  input: S;
  needs(input: z.infer<z.ZodObject<S>>): Need[];
  run(input: z.infer<z.ZodObject<S>>, clients: ToolClients): Promise<unknown>;
}

const repo = z.string().regex(
  /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/,
  "expected owner/repo (GitLab: group/project)",
).describe("the repository: owner/repo (GitLab: group/…/project)");
const number = z.number().int().positive();
const jiraKey = z.string().regex(
  /^[A-Z][A-Z0-9_]*-[1-9][0-9]*$/,
  "expected an issue key such as DEMO-1",
);
const project = z.string().regex(/^[A-Z][A-Z0-9_]*$/, "expected a project key such as DEMO");

/** The forge part of every forge tool's input. */
function forgeShape(forges: readonly ForgeService[]) {
  const [first, ...rest] = forges;
  return {
    forge: z.enum([first ?? "github", ...rest]).default(first ?? "github").describe(
      "which forge: " + forges.join(", "),
    ),
    repo,
  };
}

function forgeOf(clients: ToolClients, forge: ForgeService): ForgeClient {
  const c = clients.forges[forge];
  if (!c) throw new Error(`no ${forge} token was given to the gator`);
  return c;
}

function jiraOf(clients: ToolClients): JiraClient {
  if (!clients.jira) throw new Error("no JIRA token was given to the gator");
  return clients.jira;
}

/** The project key of a JIRA issue key (`DEMO-1` → `DEMO`). */
export function jiraProject(key: string): string {
  return key.slice(0, key.lastIndexOf("-"));
}

/**
 * Why a JQL filter cannot be ANDed with a project safely, or undefined: it may not name projects
 * itself, and its parentheses must balance outside quoted strings (no closing the project's
 * clause early).
 */
export function jqlProblem(jql: string): string | undefined {
  let depth = 0;
  let quote: string | undefined;
  let outside = "";
  for (let i = 0; i < jql.length; i++) {
    const ch = jql[i] ?? "";
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth < 0) return "unbalanced parentheses in the JQL";
    else outside += ch;
  }
  if (quote || depth !== 0) return "unbalanced quotes or parentheses in the JQL";
  if (/\bproject\b/i.test(outside)) return "the JQL may not name projects: use the project field";
  return undefined;
}

/** Defines a tool with its input's types inferred. */
function tool<S extends z.ZodRawShape>(t: GatorTool<S>): GatorTool<S> {
  return t;
}

/**
 * The tools for `forges` (the forges with a token) and, with `jira`, JIRA's. Tool names are
 * plain (an agent sees them behind its MCP server's name, e.g. opencode's `gator_read_file`).
 */
export function gatorTools(
  forges: readonly ForgeService[],
  jira: boolean,
  // deno-lint-ignore no-explicit-any
): GatorTool<any>[] {
  const f = forgeShape(forges);
  const need = (
    service: GatorService,
    target: string,
    permission: Need["permission"],
    n?: number,
  ) => ({ service, target, permission, ...(n !== undefined ? { number: n } : {}) }) as Need;
  const forgeTools = forges.length
    ? [
      tool({
        name: "read_file",
        description:
          "Read a file of a repository (at a branch, tag or commit; default: the default branch)",
        service: "forge",
        input: { ...f, path: z.string().min(1), ref: z.string().min(1).optional() },
        needs: (i) => [need(i.forge, i.repo, "read")],
        run: (i, c) => forgeOf(c, i.forge).readFile(i.repo, i.path, i.ref),
      }),
      tool({
        name: "list_tree",
        description: "List the files and folders of a repository, recursively (under path, at ref)",
        service: "forge",
        input: { ...f, path: z.string().optional(), ref: z.string().min(1).optional() },
        needs: (i) => [need(i.forge, i.repo, "read")],
        run: (i, c) => forgeOf(c, i.forge).tree(i.repo, i.ref, i.path),
      }),
      tool({
        name: "read_issue",
        description: "Read an issue with its comments",
        service: "forge",
        input: { ...f, number },
        needs: (i) => [need(i.forge, i.repo, "read", i.number)],
        run: (i, c) => forgeOf(c, i.forge).issue(i.repo, i.number),
      }),
      tool({
        name: "read_pull_request",
        description: "Read a pull (merge) request with its comments and its diff",
        service: "forge",
        input: { ...f, number },
        needs: (i) => [need(i.forge, i.repo, "read", i.number)],
        run: (i, c) => forgeOf(c, i.forge).pullRequest(i.repo, i.number),
      }),
      tool({
        name: "search",
        description: "Search the issues and pull requests of a repository",
        service: "forge",
        input: { ...f, query: z.string().min(1) },
        needs: (i) => [need(i.forge, i.repo, "read")],
        run: (i, c) => forgeOf(c, i.forge).search(i.repo, i.query),
      }),
      tool({
        name: "list_pull_requests",
        description: "List the pull (merge) requests of a repository (default: open ones)",
        service: "forge",
        input: { ...f, state: z.enum(["open", "closed", "all"]).default("open") },
        needs: (i) => [need(i.forge, i.repo, "read")],
        run: (i, c) => forgeOf(c, i.forge).listPullRequests(i.repo, i.state),
      }),
      tool({
        name: "create_draft_pull_request",
        description:
          "Open a DRAFT pull request from head (a branch already pushed) into base (default: the default branch)",
        service: "forge",
        input: {
          ...f,
          title: z.string().min(1),
          body: z.string().default(""),
          head: z.string().min(1),
          base: z.string().min(1).optional(),
        },
        needs: (i) => [need(i.forge, i.repo, "create-draft")],
        run: async (i, c) => {
          const client = forgeOf(c, i.forge);
          const base = i.base ?? await client.defaultBranch(i.repo);
          return client.createDraftPullRequest(i.repo, {
            title: i.title,
            body: i.body,
            head: i.head,
            base,
          });
        },
      }),
      tool({
        name: "comment",
        description: "Comment on an issue or a pull request",
        service: "forge",
        input: {
          ...f,
          number,
          on: z.enum(["issue", "pr"]).default("issue"),
          body: z.string().min(1),
        },
        needs: (i) => [need(i.forge, i.repo, "write", i.number)],
        run: (i, c) => forgeOf(c, i.forge).comment(i.repo, i.number, i.body, i.on),
      }),
      tool({
        name: "create_pending_review",
        description:
          "Leave a PENDING review (never submitted: a human submits it) on a pull request, with line comments",
        service: "forge",
        input: {
          ...f,
          number,
          body: z.string().default(""),
          comments: z.array(z.object({
            path: z.string().min(1),
            line: z.number().int().positive(),
            body: z.string().min(1),
          })).default([]),
        },
        needs: (i) => [need(i.forge, i.repo, "pending-review", i.number)],
        run: (i, c) =>
          forgeOf(c, i.forge).createPendingReview(i.repo, i.number, {
            body: i.body,
            comments: i.comments,
          }),
      }),
      tool({
        name: "push_branch",
        description:
          "Push the agent's committed work (its branch, as committed) to a NEW branch agent/NAME of the repository; never forced, never an existing branch",
        service: "forge",
        input: {
          ...f,
          branch: z.string().regex(
            /^agent\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/,
            "expected agent/NAME",
          ).refine((b) => !b.includes("..") && !b.endsWith(".lock"), "expected agent/NAME"),
        },
        needs: (i) => [need(i.forge, i.repo, "push-new-branch")],
        run: async (i, c) => {
          if (!c.pusher) throw new Error("this gator has no agent clone to push from");
          const client = forgeOf(c, i.forge);
          if (await client.defaultBranch(i.repo) === i.branch) {
            throw new Error(`${i.branch} is the default branch of ${i.repo}`);
          }
          return c.pusher.push(i.forge, i.repo, i.branch);
        },
      }),
    ]
    : [];
  const jiraTools = jira
    ? [
      tool({
        name: "jira_read_issue",
        description: "Read a JIRA issue with its comments",
        service: "jira",
        input: { key: jiraKey },
        needs: (i) => [need("jira", jiraProject(i.key), "read")],
        run: (i, c) => jiraOf(c).issue(i.key),
      }),
      tool({
        name: "jira_search",
        description: "Search the issues of a JIRA project with JQL (it is ANDed with the project)",
        service: "jira",
        input: {
          project,
          jql: z.string().default("").superRefine((q, ctx) => {
            const problem = jqlProblem(q);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
          }),
          limit: z.number().int().min(1).max(100).default(20),
        },
        needs: (i) => [need("jira", i.project, "read")],
        run: async (i, c) =>
          // Only the project's issues, whatever the query found.
          (await jiraOf(c).search(
            `project = ${i.project}${i.jql.trim() ? ` AND (${i.jql})` : ""}`,
            i.limit,
          )).filter((r) => jiraProject(r.key) === i.project),
      }),
      tool({
        name: "jira_create_issue",
        description: "Create a JIRA issue in a project",
        service: "jira",
        input: {
          project,
          summary: z.string().min(1),
          description: z.string().default(""),
          type: z.string().min(1).default("Task"),
        },
        needs: (i) => [need("jira", i.project, "create")],
        run: (i, c) =>
          jiraOf(c).create(i.project, {
            summary: i.summary,
            description: i.description,
            type: i.type,
          }),
      }),
      tool({
        name: "jira_comment",
        description: "Comment on a JIRA issue",
        service: "jira",
        input: { key: jiraKey, body: z.string().min(1) },
        needs: (i) => [need("jira", jiraProject(i.key), "write")],
        run: (i, c) => jiraOf(c).comment(i.key, i.body),
      }),
    ]
    : [];
  return [...forgeTools, ...jiraTools];
}
