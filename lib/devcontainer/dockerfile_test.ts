import { assertEquals } from "../../tests/support/assert.ts";
import { expandArgs, findBaseImage, outlineDockerfile } from "./dockerfile.ts";

const multi = `# syntax=docker/dockerfile:1
ARG VARIANT=bookworm
ARG REGISTRY="docker.io"
FROM \${REGISTRY}/library/debian:$VARIANT AS base
RUN apt-get update

FROM base AS dev
ARG LATE=x
FROM --platform=linux/amd64 node:20 as tools
FROM dev
`;

Deno.test("dockerfile: stages, names and global ARG defaults", () => {
  assertEquals(outlineDockerfile(multi), {
    args: { VARIANT: "bookworm", REGISTRY: "docker.io" },
    stages: [
      { image: "${REGISTRY}/library/debian:$VARIANT", name: "base" },
      { image: "base", name: "dev" },
      { image: "node:20", name: "tools" },
      { image: "dev" },
    ],
  });
});

Deno.test("dockerfile: the base image follows stages and build args", () => {
  const table: [string, Record<string, string>, string | undefined, string | undefined][] = [
    [
      "last stage, through two stage references",
      {},
      undefined,
      "docker.io/library/debian:bookworm",
    ],
    [
      "a build arg overrides the ARG default",
      { VARIANT: "trixie" },
      undefined,
      "docker.io/library/debian:trixie",
    ],
    ["a target stage", {}, "tools", "node:20"],
    ["target names are case-insensitive", {}, "TOOLS", "node:20"],
    ["an unknown target", {}, "nope", undefined],
  ];
  for (const [name, args, target, expected] of table) {
    assertEquals(findBaseImage(multi, args, target), expected, name);
  }
});

Deno.test("dockerfile: line continuations, comments and loops", () => {
  assertEquals(findBaseImage("FROM \\\n  alpine:3 \\\n  AS a\n# FROM nope\n", {}), "alpine:3");
  assertEquals(findBaseImage("FROM b AS a\nFROM a AS b\n", {}), undefined);
  assertEquals(findBaseImage("", {}), undefined);
});

Deno.test("dockerfile: variable forms", () => {
  const vars = { A: "1", EMPTY: "" };
  assertEquals(
    expandArgs("$A ${A} ${NOPE:-d} ${EMPTY:-d} ${A:+yes} ${NOPE:+yes} $NOPE.", vars),
    "1 1 d d yes  .",
  );
});
