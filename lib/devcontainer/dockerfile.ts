/**
 * Just enough Dockerfile reading to find the image a build starts from (for its
 * `devcontainer.metadata` label): stages, `FROM … AS name`, and `ARG` defaults before the first
 * `FROM`, overridden by build args. Not a Dockerfile parser beyond that.
 */

/** One `FROM` line. */
export interface Stage {
  image: string;
  name?: string;
}

/** The global `ARG` defaults and the stages of a Dockerfile. */
export interface DockerfileOutline {
  args: Record<string, string>;
  stages: Stage[];
}

/** Joins continued lines and drops comments and blank lines. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let current = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (current === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push((current + line).trim());
    current = "";
  }
  if (current.trim()) lines.push(current.trim());
  return lines;
}

function unquote(s: string): string {
  return s.replace(/^(["'])(.*)\1$/, "$2");
}

/** Reads the global ARGs and the stages. */
export function outlineDockerfile(text: string): DockerfileOutline {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const [instruction = "", ...rest] = line.split(/\s+/);
    const keyword = instruction.toUpperCase();
    if (keyword === "ARG" && stages.length === 0) {
      for (const decl of rest) {
        const eq = decl.indexOf("=");
        if (eq > 0) args[decl.slice(0, eq)] = unquote(decl.slice(eq + 1));
      }
    } else if (keyword === "FROM") {
      const words = rest.filter((w) => !w.startsWith("--"));
      const image = unquote(words[0] ?? "");
      const as = words[1]?.toUpperCase() === "AS" ? words[2] : undefined;
      stages.push({ image, ...(as ? { name: as } : {}) });
    }
  }
  return { args, stages };
}

/** Expands `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alt}` with `vars`. */
export function expandArgs(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$\{([A-Za-z0-9_]+)(?::([-+])([^}]*))?\}|\$([A-Za-z0-9_]+)/g,
    (_m, braced, op, word, bare) => {
      const name = braced ?? bare;
      const value = vars[name];
      if (op === "-") return value ? value : word;
      if (op === "+") return value ? word : "";
      return value ?? "";
    },
  );
}

/**
 * The external image the build (or its `target` stage) starts from, following stage references;
 * undefined when the target stage does not exist or the stages refer to each other in a loop.
 */
export function findBaseImage(
  text: string,
  buildArgs: Readonly<Record<string, string>>,
  target?: string,
): string | undefined {
  const { args, stages } = outlineDockerfile(text);
  const vars = { ...args, ...buildArgs };
  const byName = new Map(
    stages.flatMap((s) => (s.name ? [[s.name.toLowerCase(), s] as const] : [])),
  );
  let stage = target ? byName.get(target.toLowerCase()) : stages.at(-1);
  const seen = new Set<Stage>();
  while (stage && !seen.has(stage)) {
    seen.add(stage);
    const image = expandArgs(stage.image, vars);
    const next = byName.get(image.toLowerCase());
    if (!next) return image;
    stage = next;
  }
  return undefined;
}
