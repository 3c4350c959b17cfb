/**
 * The variables that hold the gator's tokens, per service, and where each service's API is by
 * default. The tokens come from the user config's `[trusted.env]` or `[trusted] secrets` and
 * reach the gator alone, as files named by their variable.
 */
import type { GatorService } from "./scopes.ts";

/** Each service's token variables, first match wins (also the file names in the gator). */
export const TOKEN_VARIABLES: Readonly<Record<GatorService, readonly string[]>> = {
  github: ["GH_TOKEN", "GITHUB_TOKEN"],
  gitlab: ["GITLAB_TOKEN"],
  forgejo: ["FORGEJO_TOKEN", "GITEA_TOKEN"],
  jira: ["JIRA_API_TOKEN"],
};

/** Every variable the gator takes: the tokens and JIRA's user name. */
export const GATOR_VARIABLES: readonly string[] = [
  ...Object.values(TOKEN_VARIABLES).flat(),
  "JIRA_USERNAME",
];

/** The default API URL of each forge (JIRA has none: it needs `[gator.endpoints] jira`). */
export const DEFAULT_ENDPOINTS: Readonly<Partial<Record<GatorService, string>>> = {
  github: "https://api.github.com",
  gitlab: "https://gitlab.com/api/v4",
  forgejo: "https://codeberg.org/api/v1",
};
