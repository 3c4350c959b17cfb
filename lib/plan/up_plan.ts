/**
 * The plan of `up`: every step it takes, in order, each naming what it creates, what it
 * produces for later steps ({@link BindingName}) and when it is skipped. Pure: a backend applies
 * it (lib/pods/up.ts runs it on podman and rolls back from the same list), the dry-run prints it
 * (lib/pods/dry_run.ts), and the argv of each podman step comes from one translation
 * (lib/pods/step_commands.ts) that both use.
 */
import type { LifecycleStep } from "../devcontainer/lifecycle.ts";
import type { HookName } from "../devcontainer/schema.ts";
import { hooksFor } from "../devcontainer/lifecycle.ts";
import type { BindingName, Planned } from "./bindings.ts";
import { containerServices, quadletService } from "./quadlet_names.ts";
import { bind, copyBindings, needs, t } from "./bindings.ts";
import type { PlanInput, PlannedSecret, PlannedVolume, PodPlan } from "./pod_plan.ts";
import type { GatorRuntime } from "./gator_plan.ts";
import {
  AGENT_USER,
  CONTAINER_PROGRAMS,
  containerDenoArgv,
  planPod,
  RUNTIME_PATHS,
} from "./pod_plan.ts";
import type { FeatureBuild } from "../features/build_features.ts";
import type { BuildSpec, ContainerSpec, NetworkSpec, PodSpec } from "./spec.ts";

/** What a step creates: rollback removes it, except volumes (user data) and images (caches). */
export interface Created {
  kind: "secret" | "volume" | "network" | "pod" | "container" | "units";
  name: string;
}

/**
 * `up --backend quadlet`: the pod, its containers and networks become Quadlet units that
 * systemd runs, instead of podman commands of devaipod's.
 */
export interface QuadletTarget {
  /** Where the units go: `~/.config/containers/systemd` (user) or `/etc/containers/systemd`. */
  unitDir: string;
  /** Which systemd manager runs them. */
  scope: "user" | "system";
  /** The internal and link networks' subnets (static: the units name them before they exist). */
  subnets: { internal: string; link: string };
}

/** What a step does, backend-neutral. */
export type Op =
  /** Looks for an earlier, unfinished `up` of this name: removes its leftovers, adopts volumes. */
  | {
    kind: "leftovers";
    workspace: string;
    /** This host's Quadlet folder: units of this name there mean the workspace exists. */
    unitDir?: string;
  }
  /** The user's own podman secrets (`[trusted] secrets`) must exist. */
  | { kind: "user-secrets"; secrets: Readonly<Record<string, string>>; configFile?: string }
  /** Clones the user's dotfiles on the host (before anything is created). */
  | { kind: "dotfiles"; url: string; script?: string }
  /** initializeCommand, on the host, in the project folder. */
  | { kind: "initialize"; steps: readonly LifecycleStep[]; cwd: string }
  /** The image: pulled when missing, or built from the config's Dockerfile when its tag is. */
  | { kind: "image"; image: string; build?: BuildSpec }
  /** The config's Features installed over that image, as an image of their own (when missing). */
  | { kind: "features"; build: FeatureBuild }
  /** Reads the image's PATH and architecture. */
  | { kind: "inspect-image"; image: string }
  /** The agent binary for the image's architecture, from the cache or the registry. */
  | { kind: "agent-binary"; agent: string; version?: string }
  /**
   * The workspace's shims on the host: `opencode-agent`, and, once `imageOc` is known, `oc`
   * unless the image has its own (`imageOc` is `oc`).
   */
  | {
    kind: "shims";
    dir: string;
    agentUrl: string;
    injected: boolean;
    imageOc?: Planned<string>;
  }
  | { kind: "secret"; secret: PlannedSecret }
  /** A volume, adopted when an earlier `up` of this name left it. */
  | { kind: "volume"; volume: PlannedVolume }
  /**
   * The project, copied on the host: a git clone of HEAD (or the files) for the human's volume,
   * and the agent's clone on its branch; or, for a workspace made before agents had their own
   * clone, the agent's clone from the human's volume.
   */
  | {
    kind: "copy";
    root: string;
    git: boolean;
    branch: string;
    workVolume: string;
    agentVolume: string;
    image: string;
    /** A further project of the workspace: its name (its copy's bindings end in `:NAME`). */
    project?: string;
  }
  /** Fills a volume from an archive the copy made. */
  | { kind: "import"; volume: string; archive: Planned<string> }
  /** The proxy's allowlist file. */
  | { kind: "allow-file"; path: string; entries: readonly string[] }
  /** The gator's scopes file. */
  | { kind: "scopes-file"; path: string; scopes: readonly string[] }
  /** The gator's one-file program, built into the cache unless it is there. */
  | { kind: "gator-program"; runtime: GatorRuntime }
  | { kind: "network"; network: NetworkSpec }
  /** Reads the networks' subnets: the static addresses on them. */
  | { kind: "addresses"; internal: string; link: string }
  /** Quadlet: the networks' subnets are fixed, so are the addresses on them. */
  | { kind: "subnets"; internal: string; link: string; subnets: QuadletTarget["subnets"] }
  /** Quadlet: the workspace user's uid and gid from a throwaway container of the image. */
  | { kind: "image-user"; image: string; remoteUser?: string }
  /**
   * Quadlet: the plan's pod, containers, networks and volumes as units in `dir`, then a
   * `daemon-reload` and the pod's service started (which starts every unit of the workspace).
   */
  | {
    kind: "units";
    dir: string;
    scope: QuadletTarget["scope"];
    /** The unit files, by name. */
    files: readonly string[];
    /** The pod's service: starting it starts the workspace. */
    service: string;
    /** The containers' services: each must be active before the next step. */
    containers: readonly string[];
  }
  | { kind: "pod"; pod: Planned<PodSpec> }
  /** `run --detach`: created and started. */
  | { kind: "container"; container: Planned<ContainerSpec> }
  /** The workspace user's uid and gid, and whether the image has its own `oc`. */
  | { kind: "workspace-user"; container: string; remoteUser?: string }
  /** Hands the copied project to the workspace user. */
  | { kind: "chown"; container: string; target: string; owner: Planned<string> }
  /** Links the shims into /usr/local/bin (login shells reset PATH). */
  | { kind: "link-shims"; container: string }
  /** The host port the pod published for the agent (without isolation). */
  | { kind: "agent-port"; container: string; port: number }
  /** Waits until the agent answers its health check. */
  | {
    kind: "wait-agent";
    container: string;
    via: "healthcheck" | "http";
    timeoutSeconds: number;
  }
  /** The lifecycle hooks of a create, in both containers (dotfiles with postCreate). */
  | {
    kind: "hooks";
    workspace: string;
    agent: string;
    remoteUser?: string;
    workdir: string;
    steps: readonly LifecycleStep[];
    waitFor: HookName;
    remoteEnv?: Readonly<Record<string, string | null>>;
    dotfiles: boolean;
  }
  /** Sends the first task to the agent: through the proxy, or to the published port. */
  | {
    kind: "task";
    task: string;
    via: "proxy" | "http" | "exec";
    /**
     * A CLI agent: started in its container with `podman exec --detach` in `workdir`, through
     * its key loader and the task runner (lib/plan/pod_plan.ts's TASK_RUNNER).
     */
    exec?: { container: string; argv: readonly string[]; workdir: string };
    /** Through the proxy: the container, the client's argv there, and the agent's URL. */
    proxy?: { container: string; argv: readonly string[]; url: Planned<string> };
    port: number;
  };

/** One step of the plan. */
export interface Step {
  /** Unique in the plan, stable: the contract between apply and the dry-run. */
  id: string;
  /** What a person reads: the progress line and the dry-run heading. */
  title: string;
  op: Op;
  creates?: Created;
  /** Bindings this step makes. */
  produces: BindingName[];
  /** Bindings it uses (from its op's templates). */
  needs: BindingName[];
  /** Skipped unless an earlier step produced this binding. */
  when?: BindingName;
  /** Steps of one group run at the same time. */
  group?: string;
  /** Counts as a step that changed something (the kill-at-step test hook). */
  counted?: boolean;
}

/** What `up` does, in order. */
export interface UpPlan {
  pod: PodPlan;
  steps: Step[];
}

/** Everything `up` is asked to do: flags and the user config, merged once. */
export interface UpInput extends PlanInput {
  /** The project's root: its git top level, or the folder. */
  projectRoot: string;
  /** The config's Dockerfile build, when the image is built (its tag is `image`, or the Features' base). */
  build?: BuildSpec;
  /** The config's Features: built over `features.base`; `image` is their tag. */
  features?: FeatureBuild;
  /** `[trusted] secrets`: variable → the user's podman secret. */
  userConfigFile?: string;
  dotfiles?: { url: string; script?: string };
  /** opencode's version (`[agent] version`); the pinned one when absent. */
  agentVersion?: string;
  readyTimeoutSeconds: number;
  /** Do not send the task (rebuild --no-prompt). */
  noPrompt?: boolean;
  /** Run the workspace as Quadlet units (`up --backend quadlet`); podman commands without. */
  quadlet?: QuadletTarget;
  /** This host's Quadlet folder, whichever backend runs (a Quadlet workspace may be stopped). */
  unitDir?: string;
}

/** The unit files of a workspace's plan: its pod, containers, networks and volumes. */
export function quadletFiles(pod: PodPlan): string[] {
  const iso = pod.isolation;
  return [
    `${pod.pod.name}.pod`,
    `${pod.workspaceContainer.name}.container`,
    `${pod.agentContainer.name}.container`,
    ...(iso
      ? [
        `${iso.proxyContainer.name}.container`,
        `${iso.network.name}.network`,
        `${iso.linkNetwork.name}.network`,
      ]
      : []),
    ...pod.volumes.map((v) => `${v.name}.volume`),
  ].sort();
}

/** The steps of `up` for `input`. */
export function planUp(input: UpInput): UpPlan {
  const pod = planPod(input);
  const steps: Step[] = [];
  const add = (
    s: Omit<Step, "needs" | "produces"> & { produces?: BindingName[] },
  ): void => {
    steps.push({ ...s, produces: s.produces ?? [], needs: needs(s.op) });
  };
  const resolved = input.resolved;
  const injected = input.agentBinary !== undefined;
  const ws = pod.workspaceContainer.name;
  const agent = pod.agentContainer.name;

  add({
    id: "leftovers",
    title: "leftovers of an earlier up",
    op: {
      kind: "leftovers",
      workspace: input.workspace,
      ...(input.unitDir ? { unitDir: input.unitDir } : {}),
    },
  });
  if (Object.keys(input.userSecrets ?? {}).length) {
    add({
      id: "user-secrets",
      title: "your [trusted] secrets exist",
      op: {
        kind: "user-secrets",
        secrets: input.userSecrets ?? {},
        ...(input.userConfigFile ? { configFile: input.userConfigFile } : {}),
      },
    });
  }
  if (input.dotfiles) {
    add({
      id: "dotfiles",
      title: "dotfiles: clone",
      op: { kind: "dotfiles", ...input.dotfiles },
    });
  }
  const init = resolved?.lifecycle.steps.filter((s) => hooksFor("up").includes(s.hook)) ?? [];
  if (init.length) {
    add({
      id: "initialize",
      title: "initializeCommand (on the host)",
      op: { kind: "initialize", steps: init, cwd: input.projectPath },
    });
  }
  const baseImage = input.features?.base ?? pod.image;
  add({
    id: "image",
    title: input.build ? `build ${baseImage}` : `image ${baseImage}`,
    op: { kind: "image", image: baseImage, ...(input.build ? { build: input.build } : {}) },
    counted: true,
  });
  if (input.features) {
    add({
      id: "features",
      title: `Features ${input.features.features.map((f) => f.userId).join(", ")} → ${pod.image}`,
      op: { kind: "features", build: input.features },
      counted: true,
    });
  }
  add({
    id: "inspect-image",
    title: "the image's PATH and architecture",
    op: { kind: "inspect-image", image: pod.image },
    produces: ["image.path", "image.arch"],
  });
  const cli = pod.agent.mode === "cli";
  if (injected) {
    add({
      id: "agent-binary",
      title: `agent binary ${pod.agent.name}`,
      op: {
        kind: "agent-binary",
        agent: pod.agent.name,
        ...(input.agentVersion && !cli ? { version: input.agentVersion } : {}),
      },
      produces: ["agent.binary"],
    });
  }
  add({
    id: "shims",
    title: "shims",
    op: { kind: "shims", dir: input.shimsDir, agentUrl: pod.agentUrl, injected: injected && !cli },
  });
  for (const secret of pod.secrets) {
    add({
      id: `secret ${secret.name}`,
      title: `secret ${secret.name}`,
      op: { kind: "secret", secret },
      creates: { kind: "secret", name: secret.name },
      counted: true,
    });
  }
  // The agents' clones are made once their base commit is known (after the copies).
  const agentClones = new Set([
    pod.agentWorkVolume,
    ...pod.projects.map((project) => project.agentVolume),
  ]);
  for (const volume of pod.volumes.filter((v) => !agentClones.has(v.name))) {
    add({
      id: `volume ${volume.name}`,
      title: `volume ${volume.name}`,
      op: { kind: "volume", volume },
      creates: { kind: "volume", name: volume.name },
      counted: true,
    });
  }
  // Each project (the first, then any further one) is copied on the host; the agent's clone's
  // volume is made once its base commit is known; both volumes are filled together.
  const copies = [
    {
      project: undefined,
      root: input.projectRoot,
      git: input.git !== false,
      workVolume: pod.workspaceVolume,
      agentVolume: pod.agentWorkVolume,
    },
    ...pod.projects.map((p) => ({ ...p, project: p.name })),
  ];
  for (const copy of copies) {
    const names = copyBindings(copy.project);
    const of = copy.project === undefined ? "" : ` ${copy.project}`;
    add({
      id: `copy${of}`,
      title: `copy the project${of} (${copy.git ? "git clone of HEAD" : "files"})`,
      op: {
        kind: "copy",
        root: copy.root,
        git: copy.git,
        branch: pod.agentBranch,
        workVolume: copy.workVolume,
        agentVolume: copy.agentVolume,
        image: pod.image,
        ...(copy.project === undefined ? {} : { project: copy.project }),
      },
      produces: [names.commit, names.work, names.agent],
    });
    const clone = pod.volumes.find((v) => v.name === copy.agentVolume);
    if (clone) {
      add({
        id: `volume ${clone.name}`,
        title: `volume ${clone.name} (the agent's clone${of})`,
        op: { kind: "volume", volume: clone },
        creates: { kind: "volume", name: clone.name },
        when: names.agent,
        counted: true,
      });
    }
    for (
      const [volume, archive] of [[copy.workVolume, names.work], [
        copy.agentVolume,
        names.agent,
      ]] as const
    ) {
      add({
        id: `import ${volume}`,
        title: `fill ${volume}`,
        op: { kind: "import", volume, archive: bind(archive) },
        when: archive,
        group: "imports",
        counted: true,
      });
    }
  }
  const iso = pod.isolation;
  const quadlet = input.quadlet;
  if (iso) {
    add({
      id: "allow-file",
      title: `allowlist (${iso.allow.length} hosts)`,
      op: { kind: "allow-file", path: iso.allowFile, entries: iso.allow },
    });
  }
  const gator = iso?.gator;
  if (gator) {
    add({
      id: "scopes-file",
      title: `the gator's scopes (${gator.scopes.length ? gator.scopes.join(" ") : "none"})`,
      op: { kind: "scopes-file", path: gator.scopesFile, scopes: gator.scopes },
    });
    if (gator.runtime.kind === "bundle") {
      add({
        id: "gator-program",
        title: "the gator's program (built once into the cache)",
        op: { kind: "gator-program", runtime: gator.runtime },
      });
    }
  }
  const addresses: BindingName[] = [
    "net.internalSubnet",
    "net.linkSubnet",
    "net.proxy",
    "net.agent",
    "net.gator",
    "net.linkProxy",
    "net.pod",
  ];
  const chown = (): void => {
    add({
      id: "chown",
      title: "hand the project to the workspace user",
      op: { kind: "chown", container: ws, target: pod.workspaceMountTarget, owner: AGENT_USER },
      when: "copy.work",
    });
    for (const project of pod.projects) {
      add({
        id: `chown ${project.name}`,
        title: `hand project ${project.name} to the workspace user`,
        op: { kind: "chown", container: ws, target: project.target, owner: AGENT_USER },
        when: copyBindings(project.name).work,
      });
    }
  };
  const ocShim = (): void =>
    add({
      id: "shims oc",
      title: "the oc shim, unless the image has its own",
      op: {
        kind: "shims",
        dir: input.shimsDir,
        agentUrl: pod.agentUrl,
        injected,
        imageOc: bind("user.oc"),
      },
    });
  const linkShims = (): void =>
    add({
      id: "link-shims",
      title: "shims into /usr/local/bin",
      op: { kind: "link-shims", container: ws },
    });
  if (quadlet) {
    if (iso) {
      add({
        id: "subnets",
        title: `the networks' subnets (${quadlet.subnets.internal}, ${quadlet.subnets.link})`,
        op: {
          kind: "subnets",
          internal: iso.network.name,
          link: iso.linkNetwork.name,
          subnets: quadlet.subnets,
        },
        produces: addresses,
      });
    }
    add({
      id: "image-user",
      title: "the workspace user's uid",
      op: {
        kind: "image-user",
        image: pod.image,
        ...(pod.remoteUser ? { remoteUser: pod.remoteUser } : {}),
      },
      produces: ["user.uid", "user.gid", "user.oc"],
    });
    ocShim();
    const files = quadletFiles(pod);
    const service = quadletService(`${pod.pod.name}.pod`);
    add({
      id: "units",
      title: `Quadlet units (${files.length}), started by ${service}`,
      op: {
        kind: "units",
        dir: quadlet.unitDir,
        scope: quadlet.scope,
        files,
        service,
        containers: containerServices(files),
      },
      creates: { kind: "units", name: service },
      counted: true,
    });
    chown();
    linkShims();
  } else {
    if (iso) {
      for (const network of [iso.network, iso.linkNetwork]) {
        add({
          id: `network ${network.name}`,
          title: `network ${network.name} (internal, no DNS)`,
          op: { kind: "network", network },
          creates: { kind: "network", name: network.name },
          group: "networks",
          counted: true,
        });
      }
      add({
        id: "addresses",
        title: "the networks' addresses",
        op: { kind: "addresses", internal: iso.network.name, link: iso.linkNetwork.name },
        produces: addresses,
      });
      const proxy = iso.proxyContainer.name;
      add({
        id: `container ${proxy}`,
        title: `egress proxy ${proxy} (${iso.allow.length} allowed hosts)`,
        op: { kind: "container", container: iso.proxyContainer },
        creates: { kind: "container", name: proxy },
        counted: true,
      });
      if (gator) {
        add({
          id: `container ${gator.container.name}`,
          title: `gator ${gator.container.name} (${gator.services.join(", ") || "no token"})`,
          op: { kind: "container", container: gator.container },
          creates: { kind: "container", name: gator.container.name },
          counted: true,
        });
      }
    }
    add({
      id: `pod ${pod.pod.name}`,
      title: `pod ${pod.pod.name}`,
      op: { kind: "pod", pod: pod.pod },
      creates: { kind: "pod", name: pod.pod.name },
      counted: true,
    });
    add({
      id: `container ${ws}`,
      title: "workspace container",
      op: { kind: "container", container: pod.workspaceContainer },
      creates: { kind: "container", name: ws },
      counted: true,
    });
    add({
      id: "workspace-user",
      title: "the workspace user's uid",
      op: {
        kind: "workspace-user",
        container: ws,
        ...(pod.remoteUser ? { remoteUser: pod.remoteUser } : {}),
      },
      produces: ["user.uid", "user.gid", "user.oc"],
    });
    chown();
    ocShim();
    linkShims();
    add({
      id: `container ${agent}`,
      title: `agent container (no capabilities, no-new-privileges${
        iso ? ", behind the proxy" : ""
      })`,
      op: { kind: "container", container: pod.agentContainer },
      creates: { kind: "container", name: agent },
      counted: true,
    });
  }
  const port = Number(new URL(pod.agentUrl).port);
  if (!iso) {
    add({
      id: "agent-port",
      title: "the agent's port on the host",
      op: { kind: "agent-port", container: ws, port },
    });
  }
  add({
    id: "wait-agent",
    title: cli ? `agent ready (${pod.agent.title} is there)` : "agent healthy (/global/health)",
    op: {
      kind: "wait-agent",
      container: agent,
      via: iso || cli ? "healthcheck" : "http",
      // A CLI agent's probe only looks for its program: missing after a few seconds is missing.
      timeoutSeconds: cli ? Math.min(input.readyTimeoutSeconds, 15) : input.readyTimeoutSeconds,
    },
  });
  add({
    id: "hooks",
    title: "lifecycle hooks",
    op: {
      kind: "hooks",
      workspace: ws,
      agent,
      ...(pod.remoteUser ? { remoteUser: pod.remoteUser } : {}),
      workdir: pod.workdir,
      steps: resolved?.lifecycle.steps ?? [],
      waitFor: resolved?.lifecycle.waitFor ?? "updateContentCommand",
      ...(resolved?.config.remoteEnv ? { remoteEnv: resolved.config.remoteEnv } : {}),
      dotfiles: input.dotfiles !== undefined,
    },
  });
  if (input.task !== undefined && !input.noPrompt && cli) {
    const task = input.task;
    add({
      id: "task",
      title: `start the task (${pod.agent.title}, in the agent container)`,
      op: {
        kind: "task",
        task,
        via: "exec",
        exec: {
          container: agent,
          argv: (pod.agent.task ?? []).map((a) => a.replaceAll("{task}", task)),
          workdir: pod.workdir,
        },
        port,
      },
    });
  } else if (input.task !== undefined && !input.noPrompt) {
    add({
      id: "task",
      title: "send the task to the agent",
      op: {
        kind: "task",
        task: input.task,
        via: iso ? "proxy" : "http",
        ...(iso
          ? {
            proxy: {
              container: iso.proxyContainer.name,
              argv: iso.runtime.kind === "deno"
                ? containerDenoArgv(CONTAINER_PROGRAMS.agentClient, ["--allow-net"])
                : [RUNTIME_PATHS.binary, "agent-client"],
              url: t`http://${bind("net.agent")}:${port}`,
            },
          }
          : {}),
        port,
      },
    });
  }
  return { pod, steps };
}
