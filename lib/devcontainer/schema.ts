/**
 * The devcontainer.json schema (Dev Container spec, image / Dockerfile / Compose variants, plus
 * the legacy keys the reference implementation still reads) and devaipod's own strict
 * `customizations.devaipod`. Types come from the schemas (`z.infer`), never written twice.
 */
import { z } from "zod";
import { ENV_NAME } from "../util/env_name.ts";

// devaipod validates each file once per process: interpreting is cheaper than compiling parsers.
z.config({ jitless: true });

const str = z.string();
const strings = z.array(z.string());
const stringMap = z.record(z.string(), z.string());

/** A lifecycle command: a shell string, an exec array, or named commands run in parallel. */
export const LifecycleCommandSchema = z.union([
  str,
  strings,
  z.record(
    z.string(),
    z.union([str, strings], { error: "expected a string or an array of strings" }),
  ),
], { error: "expected a string, an array of strings, or an object of named commands" });
/** A lifecycle command as written in devcontainer.json. */
export type LifecycleCommandInput = z.infer<typeof LifecycleCommandSchema>;

/** The lifecycle hooks, in the order they run. */
export const HOOK_NAMES = [
  "initializeCommand",
  "onCreateCommand",
  "updateContentCommand",
  "postCreateCommand",
  "postStartCommand",
  "postAttachCommand",
] as const;
/** One lifecycle hook's name. */
export type HookName = (typeof HOOK_NAMES)[number];

const portNumber = z.number().int().min(0).max(65535);
const port = z.union(
  [portNumber, z.string().regex(/^[^:\s]+:\d+$|^\d+$/, 'expected "host:port"')],
  {
    error: 'expected a port number or "host:port"',
  },
);

const PortAttributesSchema = z.looseObject({
  label: str.optional(),
  onAutoForward: z.enum([
    "notify",
    "openBrowser",
    "openBrowserOnce",
    "openPreview",
    "silent",
    "ignore",
  ]).optional(),
  elevateIfNeeded: z.boolean().optional(),
  requireLocalPort: z.boolean().optional(),
  protocol: z.enum(["http", "https"]).optional(),
});

const byteSize = z.string().regex(
  /^\d+([tgmk]b)?$/,
  'expected a size like "8gb" (units tb, gb, mb, kb)',
);

const HostRequirementsSchema = z.looseObject({
  cpus: z.number().int().min(1).optional(),
  memory: byteSize.optional(),
  storage: byteSize.optional(),
  gpu: z.union([
    z.boolean(),
    z.literal("optional"),
    z.looseObject({ cores: z.number().int().min(1).optional(), memory: byteSize.optional() }),
  ], { error: 'expected true, false, "optional" or { cores, memory }' }).optional(),
});

const MountObjectSchema = z.looseObject({
  type: z.enum(["bind", "volume"]),
  source: str.optional(),
  target: str,
});
const MountSchema = z.union([str, MountObjectSchema], {
  error: "expected a mount string or an object { type, source, target }",
});

const BuildSchema = z.looseObject({
  dockerfile: str.optional(),
  context: str.optional(),
  args: stringMap.optional(),
  target: str.optional(),
  cacheFrom: z.union([str, strings]).optional(),
  options: strings.optional(),
});

/**
 * devaipod's own settings under `customizations.devaipod`: upstream devaipod's keys
 * (`envAllowlist`, `allowedDomains`, `nestedContainers`) and devaipod's own. A known key with a
 * wrong type is an error; an unknown key is dropped here and draws a warning with its location
 * ({@link DEVAIPOD_CUSTOMIZATION_KEYS}), so that another tool's settings never break `up`.
 */
export const DevaipodCustomizationsSchema = z.object({
  /** The agent profile to run: opencode, claude, codex, gemini, or one of the user config's. */
  agent: z.string().regex(/^[a-z][a-z0-9-]*$/, "expected an agent profile's name").optional(),
  /** `injected`: devaipod's pinned binary (default); `image`: the image's own. */
  agentBinary: z.enum(["injected", "image"]).optional(),
  /** Extra host environment variables the agent may receive (beyond the LLM keys). */
  envAllowlist: z.array(
    z.string().regex(ENV_NAME, "expected an environment variable name"),
  )
    .optional(),
  /** Extra hosts the agent may reach through the egress proxy (`host`, `host:port`, `*.domain`). */
  allowedDomains: strings.optional(),
  /**
   * The workspace runs containers itself: it gets the smallest set of capabilities, devices and
   * security options nested podman needs, instead of the config's `privileged`, `capAdd`,
   * `securityOpt` and security runArgs. Never the agent.
   */
  nestedContainers: z.boolean().optional(),
  /**
   * More projects in the same workspace: folders (relative to this project's) or git URLs, each
   * at /workspaces/NAME with a volume and an agent clone of its own.
   */
  projects: z.array(z.string().min(1, "expected a folder or a git URL")).optional(),
  /**
   * GPUs: `true`, `false`, `"auto"` (when the host has one), or `{enabled, target}` with target
   * `agent` (default), `workspace` or `all`; over the user config's `[gpu]`.
   */
  gpu: z.union([
    z.boolean(),
    z.literal("auto"),
    z.object({
      enabled: z.union([z.boolean(), z.literal("auto")]).optional(),
      target: z.enum(["agent", "workspace", "all"]).optional(),
    }),
  ]).optional(),
});
/** `customizations.devaipod`. */
export type DevaipodCustomizations = z.infer<typeof DevaipodCustomizationsSchema>;
/** The keys of `customizations.devaipod` that devaipod knows; others draw a warning. */
export const DEVAIPOD_CUSTOMIZATION_KEYS: ReadonlySet<string> = new Set(
  Object.keys(DevaipodCustomizationsSchema.shape),
);

/** Every top-level property of devcontainer.json that devaipod knows. */
export const DevcontainerSchema = z.looseObject({
  name: str.optional(),
  // Image, Dockerfile and Compose variants.
  image: str.optional(),
  build: BuildSchema.optional(),
  dockerComposeFile: z.union([str, strings]).optional(),
  service: str.optional(),
  runServices: strings.optional(),
  // Legacy forms of build.dockerfile / build.context.
  dockerFile: str.optional(),
  context: str.optional(),
  features: z.record(z.string(), z.union([str, z.boolean(), z.record(z.string(), z.unknown())]))
    .optional(),
  overrideFeatureInstallOrder: strings.optional(),
  forwardPorts: z.array(port).optional(),
  portsAttributes: z.record(z.string(), PortAttributesSchema).optional(),
  otherPortsAttributes: PortAttributesSchema.optional(),
  // Published as given (`8000`, `"127.0.0.1:9000:9000"`), like `--publish`.
  appPort: z.union([portNumber, str, z.array(z.union([portNumber, str]))], {
    error: "expected a port, a publish spec, or an array of them",
  }).optional(),
  containerEnv: stringMap.optional(),
  remoteEnv: z.record(z.string(), z.string().nullable()).optional(),
  containerUser: str.optional(),
  remoteUser: str.optional(),
  updateRemoteUserUID: z.boolean().optional(),
  userEnvProbe: z.enum(["none", "interactiveShell", "loginShell", "loginInteractiveShell"])
    .optional(),
  mounts: z.array(MountSchema).optional(),
  workspaceMount: str.optional(),
  workspaceFolder: str.optional(),
  runArgs: strings.optional(),
  init: z.boolean().optional(),
  privileged: z.boolean().optional(),
  capAdd: strings.optional(),
  securityOpt: strings.optional(),
  overrideCommand: z.boolean().optional(),
  shutdownAction: z.enum(["none", "stopContainer", "stopCompose"]).optional(),
  initializeCommand: LifecycleCommandSchema.optional(),
  onCreateCommand: LifecycleCommandSchema.optional(),
  updateContentCommand: LifecycleCommandSchema.optional(),
  postCreateCommand: LifecycleCommandSchema.optional(),
  postStartCommand: LifecycleCommandSchema.optional(),
  postAttachCommand: LifecycleCommandSchema.optional(),
  waitFor: z.enum([
    "initializeCommand",
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
  ])
    .optional(),
  hostRequirements: HostRequirementsSchema.optional(),
  secrets: z.record(
    z.string().regex(ENV_NAME, "expected an environment variable name"),
    z.looseObject({ description: str.optional(), documentationUrl: str.optional() }),
  ).optional(),
  customizations: z.looseObject({ devaipod: DevaipodCustomizationsSchema.optional() }).optional(),
  // Legacy VS Code keys, moved under customizations.vscode when read.
  extensions: strings.optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  devPort: z.number().optional(),
});
/** A validated devcontainer.json. */
export type DevcontainerConfig = z.infer<typeof DevcontainerSchema>;

/** The top-level keys the schema knows; others draw a warning. */
export const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(DevcontainerSchema.shape));
