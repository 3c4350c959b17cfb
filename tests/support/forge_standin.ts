/**
 * A recording stand-in for the forges the gator calls (a test double: devaipod's tests never
 * call a real forge): GitHub, GitLab, Forgejo and JIRA, with seeded data, token checks and a
 * record of every call. Its program is `forge_standin_server.ts`, which imports nothing.
 *
 * - In process, {@link startForgeStandIn} serves plain HTTP on 127.0.0.1; one URL serves all four
 *   forges by the first segment of the path: the clients' bases are {@link standInApis}`(url)`,
 *   i.e. `URL/github`, `URL/gitlab/api/v4`, `URL/forgejo/api/v1` and `URL/jira`.
 * - On the simulated internet (`startSimulatedInternet(run, FORGE_STANDIN_SERVER,
 *   FORGE_STANDIN_NAMES)`) the forge is the host name: `https://api.github.test:8443`,
 *   `https://gitlab.test:8443/api/v4`, `https://forgejo.test:8443/api/v1` and
 *   `https://jira.test:8443` (the same prefixes work too). `GET http://HOST:8080/_calls` gives
 *   the calls recorded and `POST http://HOST:8080/_reset` forgets them.
 *
 * Seeded, on each forge: `octo/demo` (GitLab project id 1), default branch `main` with
 * `README.md` (`# demo\n`) and `src/main.ts`, a branch `feature` that adds a line to
 * `src/main.ts`, issue 1 (one comment by bob) and pull request 2 from `feature` to `main` (one
 * comment by alice; on GitLab also a system note) with that diff; `octo/secret` (id 2) with
 * `SECRET.md`; JIRA issue `DEMO-1` with one comment. Writes answer like the forge (new numbers
 * and ids) and are recorded. A request without the token of {@link GITHUB_TOKEN} and its
 * siblings gets 401, an unknown route 404, each with the forge's own kind of JSON message.
 * Repository trees on GitLab and Forgejo come two entries a page, so clients must follow pages.
 */
import { createForgeStandIn, STANDIN_HOSTS, type StandInCall } from "./forge_standin_server.ts";

export {
  FORGEJO_TOKEN,
  GITHUB_TOKEN,
  GITLAB_TOKEN,
  JIRA_TOKEN,
  JIRA_USER,
  STANDIN_HOSTS,
  type StandInCall,
  type StandInService,
} from "./forge_standin_server.ts";

/** The stand-in's program, for the simulated internet (run alone as `/srv/server.ts`). */
export const FORGE_STANDIN_SERVER: string = Deno.readTextFileSync(
  new URL("./forge_standin_server.ts", import.meta.url),
);

/** The names the stand-in answers to on the simulated internet. */
export const FORGE_STANDIN_NAMES: readonly string[] = Object.keys(STANDIN_HOSTS);

/** The API base URL of each forge, for a stand-in served in process at `url`. */
export function standInApis(
  url: string,
): { github: string; gitlab: string; forgejo: string; jira: string } {
  return {
    github: `${url}/github`,
    gitlab: `${url}/gitlab/api/v4`,
    forgejo: `${url}/forgejo/api/v1`,
    jira: `${url}/jira`,
  };
}

/** The API base URL of each forge on the simulated internet (HTTPS, port 8443). */
export const STANDIN_INTERNET_APIS: Readonly<
  { github: string; gitlab: string; forgejo: string; jira: string }
> = {
  github: "https://api.github.test:8443",
  gitlab: "https://gitlab.test:8443/api/v4",
  forgejo: "https://forgejo.test:8443/api/v1",
  jira: "https://jira.test:8443",
};

/** A stand-in served in process. */
export interface RunningForgeStandIn {
  /** Its base URL: `http://127.0.0.1:PORT`. */
  url: string;
  /** Each forge's API base URL ({@link standInApis}). */
  apis: { github: string; gitlab: string; forgejo: string; jira: string };
  /** The calls recorded so far, in order. */
  calls(): Promise<StandInCall[]>;
  /** Forgets the calls recorded. */
  reset(): Promise<void>;
  close(): Promise<void>;
  /** {@link RunningForgeStandIn.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Each call in one line, for comparing: `GET /repos/o/r/pulls?state=open`, the query in the
 * order sent, and `(unauthorized)` before a call without the expected token.
 */
export function callLines(calls: readonly StandInCall[]): string[] {
  return calls.map((c) => {
    const query = new URLSearchParams(c.query).toString();
    return `${c.authorized ? "" : "(unauthorized) "}${c.method} ${c.path}${
      query ? `?${query}` : ""
    }`;
  });
}

/**
 * A fresh stand-in (seeded data, no calls) on plain HTTP at 127.0.0.1 and a free port.
 *
 * @example
 * ```ts
 * const standIn = await startForgeStandIn();
 * const github = githubClient({ api: standIn.apis.github, token: GITHUB_TOKEN });
 * await github.readFile("octo/demo", "README.md");
 * await standIn.close();
 * ```
 */
export async function startForgeStandIn(): Promise<RunningForgeStandIn> {
  const standIn = createForgeStandIn();
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: (addr) => listening.resolve(addr) },
    (req) => standIn.handle(req, true),
  );
  const addr = await listening.promise;
  const url = `http://127.0.0.1:${addr.port}`;
  const close = async () => {
    await server.shutdown();
  };
  return {
    url,
    apis: standInApis(url),
    calls: () => Promise.resolve(standIn.calls()),
    reset: () => Promise.resolve(standIn.reset()),
    close,
    [Symbol.asyncDispose]: close,
  };
}
