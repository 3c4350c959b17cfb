/**
 * Values a plan cannot know until it is applied (the network's addresses, the workspace user's
 * uid, the commit the project was cloned at), as typed, named bindings. A step produces a
 * binding; later steps hold a {@link Template} that names it. A backend fills the templates when
 * it runs a step ({@link fill}); the dry-run prints each as `<name>` ({@link placeholders}).
 */

/** Every binding, with what it holds (the dry-run's legend). */
export const BINDINGS = {
  "image.path": "PATH in the image's environment",
  "image.arch": "the image's architecture",
  "agent.binary": "the host path of the injected agent binary, for the image's architecture",
  "copy.commit": "the commit the project was cloned at (the agent's base)",
  "copy.work": "the archive of the human's copy of the project",
  "copy.agent": "the archive of the agent's clone",
  "net.internalSubnet": "the internal network's subnet",
  "net.linkSubnet": "the link network's subnet",
  "net.proxy": "the proxy's address on the internal network",
  "net.agent": "the agent's address on the internal network",
  "net.gator": "the gator's address on the internal network",
  "net.linkProxy": "the proxy's address on the link network",
  "net.pod": "the pod's address on the link network",
  "user.uid": "the workspace user's uid (1000 for root)",
  "user.gid": "the workspace user's gid (1000 for root)",
  "user.oc": "whether the image has its own oc ('oc' or 'none')",
} as const;

/** The copy bindings of a workspace's further project NAME: `copy.work:NAME` and the like. */
export type ProjectBindingName = `${"copy.commit" | "copy.work" | "copy.agent"}:${string}`;

/** The name of a binding. */
export type BindingName = keyof typeof BINDINGS | ProjectBindingName;

/** What a binding holds, for the dry-run's legend. */
export function bindingLegend(name: BindingName): string {
  if (name in BINDINGS) return BINDINGS[name as keyof typeof BINDINGS];
  const [base = "", project] = name.split(":");
  const legend = BINDINGS[base as keyof typeof BINDINGS] ?? name;
  return `${legend} (project ${project})`;
}

/** The copy bindings of a project: the first one's plain names, a further one's with `:NAME`. */
export function copyBindings(project?: string): {
  commit: BindingName;
  work: BindingName;
  agent: BindingName;
} {
  const suffix = project === undefined ? "" : `:${project}`;
  return {
    commit: `copy.commit${suffix}` as BindingName,
    work: `copy.work${suffix}` as BindingName,
    agent: `copy.agent${suffix}` as BindingName,
  };
}

/** Every binding's value, once produced. */
export type BindingValues = Partial<Record<BindingName, string>>;

/** A reference to a binding inside a {@link Template}. */
export interface Bound {
  readonly bind: BindingName;
}

/** A string (or, with `number`, a number) made of literal parts and bindings. */
export class Template {
  constructor(
    readonly parts: readonly (string | Bound)[],
    /** The value is a number once filled (a uid, say). */
    readonly number = false,
  ) {}

  /** The bindings this template needs. */
  get needs(): BindingName[] {
    return this.parts.flatMap((p) => typeof p === "string" ? [] : [p.bind]);
  }
}

/** A template of one binding: `bind("net.proxy")`. */
export function bind(name: BindingName): Template {
  return new Template([{ bind: name }]);
}

/** A numeric template of one binding: `bindNumber("user.uid")`. */
export function bindNumber(name: BindingName): Template {
  return new Template([{ bind: name }], true);
}

/** A template from a template literal: ``t`${bind("net.proxy")}:3128` ``. */
export function t(
  strings: TemplateStringsArray,
  ...values: (string | number | Template)[]
): Template {
  const parts: (string | Bound)[] = [];
  strings.forEach((s, i) => {
    if (s) parts.push(s);
    if (i >= values.length) return;
    const v = values[i];
    if (v instanceof Template) parts.push(...v.parts);
    else parts.push(String(v));
  });
  return new Template(parts);
}

/**
 * `T` where any string (or number) may be a {@link Template}: the shape of a spec in a plan,
 * before its bindings are filled.
 */
export type Planned<T> = T extends string ? (string extends T ? string | Template : T)
  : T extends number ? number | Template
  : T extends boolean | undefined | null ? T
  : T extends readonly (infer U)[] ? readonly Planned<U>[]
  : T extends object ? { [K in keyof T]: Planned<T[K]> }
  : T;

/** A planned spec whose name is known when planning (names never wait for a binding). */
export type Named<T extends { name: string }> = Planned<T> & { name: string };

/** Raised when a step needs a binding that no earlier step produced. */
export class UnboundError extends Error {
  constructor(readonly binding: BindingName) {
    super(`the plan uses ${binding} before a step produced it`);
    this.name = "UnboundError";
  }
}

/** Fills every template in `value` from `values`; throws {@link UnboundError} for a missing one. */
export function fill<T>(value: Planned<T>, values: BindingValues): T {
  return walk(value, (name) => {
    const v = values[name];
    if (v === undefined) throw new UnboundError(name);
    return v;
  }) as T;
}

/** Fills every template in `value` with `<name>`: the dry-run's form. */
export function placeholders<T>(value: Planned<T>): T {
  return walk(value, (name) => `<${name}>`, true) as T;
}

/** The bindings `value` needs, each once, in order of appearance. */
export function needs(value: unknown): BindingName[] {
  const found = new Set<BindingName>();
  const visit = (v: unknown): void => {
    if (v instanceof Template) v.needs.forEach((n) => found.add(n));
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") Object.values(v).forEach(visit);
  };
  visit(value);
  return [...found];
}

function walk(value: unknown, get: (name: BindingName) => string, keepText = false): unknown {
  if (value instanceof Template) {
    const text = value.parts.map((p) => typeof p === "string" ? p : get(p.bind)).join("");
    if (!value.number || keepText) return text;
    const n = Number(text);
    if (!Number.isInteger(n)) throw new Error(`${value.needs.join(", ")}: '${text}' is no number`);
    return n;
  }
  if (Array.isArray(value)) return value.map((v) => walk(v, get, keepText));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, walk(v, get, keepText)]),
    );
  }
  return value;
}
