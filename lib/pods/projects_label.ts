/**
 * A multi-project workspace's further projects as its pod records them (the `projects` label:
 * `[{name, source}]`, the source prefixed by where it was named), read back for `rebuild`.
 */

/** A further project as named: where it was named, and the path or URL. */
export interface ProjectSource {
  source: string;
  /** `cli`: an argument of `up` (kept for `rebuild`); `config`: customizations.devaipod.projects. */
  from: "cli" | "config";
}

/** The recorded projects; a label that is not this shape yields none. */
export function recordedProjects(label: string | undefined): ProjectSource[] {
  if (!label) return [];
  let list: unknown;
  try {
    list = JSON.parse(label);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.flatMap((p: unknown) => {
    const text = p && typeof p === "object" && "source" in p && typeof p.source === "string"
      ? p.source
      : "";
    const at = text.indexOf(":");
    const from = text.slice(0, at);
    return from === "cli" || from === "config" ? [{ from, source: text.slice(at + 1) }] : [];
  });
}
