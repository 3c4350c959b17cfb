/**
 * `devcontainer-feature.json`: a Feature's id, version, options, dependencies and the
 * container settings it contributes. Parsed as JSONC; every problem names file:line:col.
 */
import { z } from "zod";
import { parseJsonc } from "../devcontainer/jsonc.ts";
import type { JsonPath } from "../devcontainer/jsonc.ts";
import { formatPath } from "../devcontainer/resolve.ts";
import { LifecycleCommandSchema } from "../devcontainer/schema.ts";
import { ConfigError } from "../errors.ts";

/** The file every Feature carries at its root. */
export const FEATURE_FILE = "devcontainer-feature.json";

const str = z.string();

/** One option a Feature takes. */
export const FeatureOptionSchema = z.discriminatedUnion("type", [
  z.looseObject({
    type: z.literal("boolean"),
    default: z.boolean().optional(),
    description: str.optional(),
  }),
  z.looseObject({
    type: z.literal("string"),
    default: str.optional(),
    enum: z.array(str).optional(),
    proposals: z.array(str).optional(),
    description: str.optional(),
  }),
], { error: 'expected an option with "type": "boolean" or "string"' });
/** One option's declaration. */
export type FeatureOption = z.infer<typeof FeatureOptionSchema>;

const optionValues = z.union([str, z.boolean(), z.record(str, z.union([str, z.boolean()]))]);

/** The parts of devcontainer-feature.json that devaipod reads (the rest is kept). */
export const FeatureManifestSchema = z.looseObject({
  id: str.regex(/^[a-zA-Z0-9_-]+$/, "expected letters, digits, '-' and '_'"),
  version: str.optional(),
  name: str.optional(),
  description: str.optional(),
  options: z.record(str, FeatureOptionSchema).optional(),
  dependsOn: z.record(str, optionValues).optional(),
  installsAfter: z.array(str).optional(),
  legacyIds: z.array(str).optional(),
  currentId: str.optional(),
  containerEnv: z.record(str, str).optional(),
  mounts: z.array(z.union([str, z.looseObject({ target: str })])).optional(),
  capAdd: z.array(str).optional(),
  securityOpt: z.array(str).optional(),
  privileged: z.boolean().optional(),
  init: z.boolean().optional(),
  entrypoint: str.optional(),
  customizations: z.record(str, z.unknown()).optional(),
  onCreateCommand: LifecycleCommandSchema.optional(),
  updateContentCommand: LifecycleCommandSchema.optional(),
  postCreateCommand: LifecycleCommandSchema.optional(),
  postStartCommand: LifecycleCommandSchema.optional(),
  postAttachCommand: LifecycleCommandSchema.optional(),
});
/** A validated devcontainer-feature.json. */
export type FeatureManifest = z.infer<typeof FeatureManifestSchema>;

/**
 * Parses a Feature's manifest. `file` names it in errors (for a fetched Feature, say where it
 * came from: `ghcr.io/o/c/node:1 devcontainer-feature.json`).
 */
export function parseFeatureManifest(text: string, file: string): FeatureManifest {
  const doc = parseJsonc(text, file);
  const parsed = FeatureManifestSchema.safeParse(doc.value);
  if (parsed.success) return parsed.data;
  throw ConfigError.of(parsed.error.issues.map((issue) => {
    const path: JsonPath = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    const message = issue.message.replace(/^Invalid (input|option): /, "");
    return {
      message: path.length ? `${formatPath(path)}: ${message}` : message,
      location: { file, ...doc.locate(path) },
    };
  }));
}
