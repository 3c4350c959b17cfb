/**
 * The `io.devaipod.*` labels: devaipod's state lives on the podman objects it creates, and lists
 * and cleanup select by these labels, never by name prefixes alone.
 */
export const LABELS = {
  /** The workspace an object belongs to. */
  workspace: "io.devaipod.workspace",
  /** What the object is in its workspace: workspace, agent, proxy, doctor, … */
  role: "io.devaipod.role",
  /** The host path of the project. */
  project: "io.devaipod.project",
  /** Hash of the resolved configuration the object was made from. */
  configHash: "io.devaipod.config-hash",
  /** The devaipod version that made it. */
  version: "io.devaipod.version",
} as const;
