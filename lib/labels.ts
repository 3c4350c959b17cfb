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
  /** A multi-project workspace's further projects: JSON `[{name, source}]` (the pod's label). */
  projects: "io.devaipod.projects",
  /** Which further project a volume holds (its name under /workspaces). */
  projectName: "io.devaipod.project-name",
  /** Hash of the resolved configuration the object was made from. */
  configHash: "io.devaipod.config-hash",
  /** The devaipod version that made it. */
  version: "io.devaipod.version",
  /** The agent profile a workspace runs (absent: opencode). */
  agent: "io.devaipod.agent",
  /** On a CLI agent's container: the argv of its interface, fresh and resuming, as JSON. */
  agentAttach: "io.devaipod.agent-attach",
  /** The task given to the agent at `up` (its first prompt). */
  task: "io.devaipod.task",
  /** The image the workspace runs. */
  image: "io.devaipod.image",
  /** The devcontainer.json the workspace was made from (`rebuild` reads it again). */
  configFile: "io.devaipod.config-file",
  /** The normal network the pod and the egress proxy use (with network isolation). */
  egressNetwork: "io.devaipod.egress-network",
  /** The forwardPorts published on 127.0.0.1, comma-separated. */
  ports: "io.devaipod.ports",
  /** The devcontainer remoteUser sessions and hooks run as (on the workspace container). */
  remoteUser: "io.devaipod.remote-user",
  /** The devcontainer remoteEnv as JSON (`${containerEnv:…}` still unresolved): sessions get it. */
  remoteEnv: "io.devaipod.remote-env",
  /** A workspace made from a git or pull request URL: the URL (credentials removed). */
  source: "io.devaipod.source",
  /** `up --ref`: the branch, tag or commit the source was checked out at. */
  sourceRef: "io.devaipod.source-ref",
  /** The commit the workspace volume was filled from. */
  commit: "io.devaipod.commit",
  /**
   * On the agent's work volume: the commit its clone started from (set when the volume is
   * created, never changed; the agent cannot reach volume labels).
   */
  agentBase: "io.devaipod.agent-base",
  /** A pull request source: its forge kind (github, gitlab, forgejo, gitea). */
  forge: "io.devaipod.forge",
  /** A pull request source: its title, verbatim as the forge reported it. */
  prTitle: "io.devaipod.pr-title",
  /** A pull request source: the branch it targets. */
  prBase: "io.devaipod.pr-base",
  /** A URL source whose host-reaching settings the user allowed (`up --trust-source`). */
  sourceTrusted: "io.devaipod.source-trusted",
} as const;

/** The roles of the objects of a workspace. */
export const ROLES = {
  pod: "pod",
  workspace: "workspace",
  agent: "agent",
  workspaceVolume: "workspace-volume",
  agentHome: "agent-home",
  /** The agent's own clone of the project (`<pod>-agent-work`). */
  agentWork: "agent-work",
  secret: "secret",
  proxy: "proxy",
  /** The gator sidecar (devaipod's MCP server holding the forge tokens). */
  gator: "gator",
  network: "network",
  /** The per-workspace network of the pod and the proxy only (`<pod>-link`). */
  linkNetwork: "link-network",
} as const;
