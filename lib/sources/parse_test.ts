import { UsageError } from "../errors.ts";
import { assertEquals, assertMatch, assertThrows } from "../../tests/support/assert.ts";
import { parseSource, sourceLabel } from "./parse.ts";
import type { ForgeKind, Source } from "./parse.ts";

const forges: Record<string, ForgeKind> = {
  "ghe.example.com": "github",
  "git.corp.example:8443": "gitlab",
  "127.0.0.1:3000": "gitea",
  "forge.example.org": "forgejo",
};

const pr = (fields: Omit<Extract<Source, { kind: "pr" }>, "kind">): Source => ({
  kind: "pr",
  ...fields,
});

const rows: [string, Source][] = [
  // GitHub
  [
    "https://github.com/o/r/pull/12",
    pr({
      forge: "github",
      host: "github.com",
      scheme: "https",
      owner: "o",
      repo: "r",
      number: 12,
      webUrl: "https://github.com/o/r/pull/12",
      apiBase: "https://api.github.com",
      repoUrl: "https://github.com/o/r.git",
    }),
  ],
  [
    "https://github.com/o/r/pull/12/files",
    pr({
      forge: "github",
      host: "github.com",
      scheme: "https",
      owner: "o",
      repo: "r",
      number: 12,
      webUrl: "https://github.com/o/r/pull/12",
      apiBase: "https://api.github.com",
      repoUrl: "https://github.com/o/r.git",
    }),
  ],
  [
    "https://GitHub.com/o/r/pull/12/commits/abc?diff=split#discussion_r1",
    pr({
      forge: "github",
      host: "github.com",
      scheme: "https",
      owner: "o",
      repo: "r",
      number: 12,
      webUrl: "https://github.com/o/r/pull/12",
      apiBase: "https://api.github.com",
      repoUrl: "https://github.com/o/r.git",
    }),
  ],
  [
    "https://ghe.example.com/team/svc.api/pull/7#issuecomment-9",
    pr({
      forge: "github",
      host: "ghe.example.com",
      scheme: "https",
      owner: "team",
      repo: "svc.api",
      number: 7,
      webUrl: "https://ghe.example.com/team/svc.api/pull/7",
      apiBase: "https://ghe.example.com/api/v3",
      repoUrl: "https://ghe.example.com/team/svc.api.git",
    }),
  ],
  // GitLab
  [
    "https://gitlab.com/group/sub/proj/-/merge_requests/3",
    pr({
      forge: "gitlab",
      host: "gitlab.com",
      scheme: "https",
      owner: "group/sub",
      repo: "proj",
      number: 3,
      webUrl: "https://gitlab.com/group/sub/proj/-/merge_requests/3",
      apiBase: "https://gitlab.com/api/v4",
      repoUrl: "https://gitlab.com/group/sub/proj.git",
    }),
  ],
  [
    "https://gitlab.com/g/p/-/merge_requests/41/diffs?commit_id=abc",
    pr({
      forge: "gitlab",
      host: "gitlab.com",
      scheme: "https",
      owner: "g",
      repo: "p",
      number: 41,
      webUrl: "https://gitlab.com/g/p/-/merge_requests/41",
      apiBase: "https://gitlab.com/api/v4",
      repoUrl: "https://gitlab.com/g/p.git",
    }),
  ],
  [
    "https://git.corp.example:8443/a/b/c/d/-/merge_requests/99",
    pr({
      forge: "gitlab",
      host: "git.corp.example:8443",
      scheme: "https",
      owner: "a/b/c",
      repo: "d",
      number: 99,
      webUrl: "https://git.corp.example:8443/a/b/c/d/-/merge_requests/99",
      apiBase: "https://git.corp.example:8443/api/v4",
      repoUrl: "https://git.corp.example:8443/a/b/c/d.git",
    }),
  ],
  // Forgejo and Gitea
  [
    "https://codeberg.org/forgejo/forgejo/pulls/42",
    pr({
      forge: "forgejo",
      host: "codeberg.org",
      scheme: "https",
      owner: "forgejo",
      repo: "forgejo",
      number: 42,
      webUrl: "https://codeberg.org/forgejo/forgejo/pulls/42",
      apiBase: "https://codeberg.org/api/v1",
      repoUrl: "https://codeberg.org/forgejo/forgejo.git",
    }),
  ],
  [
    "https://forge.example.org/o/r/pulls/5/files",
    pr({
      forge: "forgejo",
      host: "forge.example.org",
      scheme: "https",
      owner: "o",
      repo: "r",
      number: 5,
      webUrl: "https://forge.example.org/o/r/pulls/5",
      apiBase: "https://forge.example.org/api/v1",
      repoUrl: "https://forge.example.org/o/r.git",
    }),
  ],
  [
    "https://gitea.com/gitea/tea/pulls/700",
    pr({
      forge: "gitea",
      host: "gitea.com",
      scheme: "https",
      owner: "gitea",
      repo: "tea",
      number: 700,
      webUrl: "https://gitea.com/gitea/tea/pulls/700",
      apiBase: "https://gitea.com/api/v1",
      repoUrl: "https://gitea.com/gitea/tea.git",
    }),
  ],
  [
    "http://127.0.0.1:3000/o/r/pulls/1",
    pr({
      forge: "gitea",
      host: "127.0.0.1:3000",
      scheme: "http",
      owner: "o",
      repo: "r",
      number: 1,
      webUrl: "http://127.0.0.1:3000/o/r/pulls/1",
      apiBase: "http://127.0.0.1:3000/api/v1",
      repoUrl: "http://127.0.0.1:3000/o/r.git",
    }),
  ],
  // Plain git URLs
  ["https://example.com/o/r.git", {
    kind: "git",
    url: "https://example.com/o/r.git",
    host: "example.com",
  }],
  ["https://github.com/o/r", { kind: "git", url: "https://github.com/o/r", host: "github.com" }],
  ["https://github.com/o/r.git", {
    kind: "git",
    url: "https://github.com/o/r.git",
    host: "github.com",
  }],
  ["https://gitlab.com/g/sub/p.git", {
    kind: "git",
    url: "https://gitlab.com/g/sub/p.git",
    host: "gitlab.com",
  }],
  ["ssh://git@example.com/o/r.git", {
    kind: "git",
    url: "ssh://git@example.com/o/r.git",
    host: "example.com",
  }],
  ["http://127.0.0.1:3000/o/r.git", {
    kind: "git",
    url: "http://127.0.0.1:3000/o/r.git",
    host: "127.0.0.1:3000",
  }],
  ["ssh://git@example.com:2222/o/r.git", {
    kind: "git",
    url: "ssh://git@example.com:2222/o/r.git",
    host: "example.com:2222",
  }],
  ["git://example.com/o/r.git", {
    kind: "git",
    url: "git://example.com/o/r.git",
    host: "example.com",
  }],
  ["git@github.com:o/r.git", { kind: "git", url: "git@github.com:o/r.git", host: "github.com" }],
  ["me@host.example:path/to/repo", {
    kind: "git",
    url: "me@host.example:path/to/repo",
    host: "host.example",
  }],
  ["file:///tmp/x.git", { kind: "git", url: "file:///tmp/x.git" }],
  // Paths
  [".", { kind: "path", path: "." }],
  ["../x", { kind: "path", path: "../x" }],
  ["/abs/path", { kind: "path", path: "/abs/path" }],
  ["foo", { kind: "path", path: "foo" }],
  ["host:o/r", { kind: "path", path: "host:o/r" }],
  ["dir/with@at:colon", { kind: "path", path: "dir/with@at:colon" }],
  ["github.com/o/r/pull/1", { kind: "path", path: "github.com/o/r/pull/1" }],
];

for (const [arg, expected] of rows) {
  Deno.test(`parseSource: ${arg} is ${expected.kind === "pr" ? expected.forge : expected.kind}`, () => {
    assertEquals(parseSource(arg, forges), expected);
  });
}

const errors: [string, RegExp][] = [
  ["https://git.unknown.example/o/r/pull/3", /git\.unknown\.example is not a known forge/],
  ["https://git.unknown.example/g/p/-/merge_requests/3", /git\.unknown\.example/],
  ["https://127.0.0.1:3001/o/r/pulls/3", /127\.0\.0\.1:3001 is not a known forge/],
  [
    "https://github.com/o/r/pulls/12",
    /^github\.com is GitHub: pull requests look like https:\/\/github\.com\/OWNER\/REPO\/pull\/N$/,
  ],
  [
    "https://git.corp.example:8443/o/r/pull/1",
    /is GitLab: merge requests look like https:\/\/git\.corp\.example:8443\/GROUP\/PROJECT\/-\/merge_requests\/N/,
  ],
  [
    "https://codeberg.org/o/r/pull/1",
    /codeberg\.org is Forgejo: pull requests look like .*\/pulls\/N/,
  ],
  ["https://gitea.com/g/p/-/merge_requests/1", /gitea\.com is Gitea/],
  ["https://github.com/o/r/pull/0", /'0' .* not a pull request number/],
  ["https://github.com/o/r/pull/abc", /'abc' .* not a pull request number/],
  ["https://github.com/o/r/pull/-4", /'-4' .* not a pull request number/],
  ["https://github.com/o/r/pull/99999999999999999999", /not a pull request number/],
  ["https://gitlab.com/g/p/-/merge_requests/x", /'x' .* not a merge request number/],
  ["https://user:pass@github.com/o/r/pull/1", /holds credentials/],
  ["https://tok@github.com/o/r/pull/1", /holds credentials/],
  ["https://github.com/o%20x/r/pull/1", /not a valid owner or repository name/],
  ["https://user:secret@example.com/o/r.git", /holds credentials/],
  ["https://ghp_token@github.com/o/r.git", /holds credentials/],
  ["ssh://git:secret@example.com/o/r.git", /holds credentials/],
  ["ftp://example.com/o/r.git", /unsupported URL scheme 'ftp:\/\/'/],
  ["-oProxyCommand=x", /begins with '-'/],
  ["ssh://-oProxyCommand=x/y", /invalid git URL/],
  ["git@-oProxyCommand=x:y", /invalid git address/],
  ["https://", /invalid URL/],
  ["", /empty/],
];

for (const [arg, message] of errors) {
  Deno.test(`parseSource: ${JSON.stringify(arg)} is a usage error`, () => {
    const err = assertThrows(() => parseSource(arg, forges), UsageError);
    assertMatch(err.message, message);
  });
}

Deno.test("parseSource: an undeclared forge host's hint shows the [forges] entry to add", () => {
  const err = assertThrows(
    () => parseSource("https://git.unknown.example:8080/o/r/pull/3"),
    UsageError,
  );
  assertMatch(err.hint ?? "", /\[forges\] "git\.unknown\.example:8080" = "github"/);
  assertMatch(err.hint ?? "", /devaipod\.toml/);
});

Deno.test("parseSource: credentials never appear in the error message", () => {
  for (const arg of ["https://user:hunter2@github.com/o/r/pull/1", "ftp://u:hunter2@h/x"]) {
    const err = assertThrows(() => parseSource(arg), UsageError);
    assertEquals(err.message.includes("hunter2"), false, err.message);
  }
});

Deno.test("parseSource: a [forges] entry overrides the built-in kind and matches any case", () => {
  const source = parseSource("https://GitHub.com/o/r/pulls/4", { "GITHUB.COM": "gitea" });
  assertEquals(source.kind === "pr" ? [source.forge, source.apiBase] : source.kind, [
    "gitea",
    "https://github.com/api/v1",
  ]);
});

Deno.test("sourceLabel: short descriptions without credentials", () => {
  const labels = [
    "https://github.com/o/r/pull/12",
    "https://gitlab.com/group/sub/proj/-/merge_requests/3",
    "https://example.com/o/r.git",
    "git@github.com:o/r.git",
    "../x",
  ].map((arg) => sourceLabel(parseSource(arg)));
  assertEquals(labels, [
    "github.com/o/r#12",
    "gitlab.com/group/sub/proj!3",
    "https://example.com/o/r.git",
    "git@github.com:o/r.git",
    "../x",
  ]);
});
