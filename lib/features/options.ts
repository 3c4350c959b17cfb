/**
 * A Feature's options: what devcontainer.json gives (an object, a version string, or `true`),
 * checked against the Feature's declarations and completed with their defaults, then written as
 * the environment its install script reads. Pure.
 */
import type { FeatureManifest } from "./feature_json.ts";

/** An option's value as devcontainer.json may write it. */
export type OptionValue = string | boolean;
/** What a `features` entry or a `dependsOn` entry gives a Feature. */
export type UserOptions = OptionValue | Record<string, OptionValue>;

/** Checked options, and what deserves a warning. */
export interface OptionsResult {
  /** Every declared option (default or given), then undeclared ones as given; in that order. */
  values: Record<string, OptionValue>;
  /** Problems that stop the build (a value outside an enum, a non-boolean for a boolean). */
  errors: string[];
  /** Undeclared options: passed through, as the reference does. */
  warnings: string[];
}

/** The user's value as an object: a string is the `version` option, `true` takes the defaults. */
export function userOptionsObject(value: UserOptions | undefined): Record<string, OptionValue> {
  if (typeof value === "string") return { version: value };
  if (typeof value === "object" && value !== null) return value;
  return {};
}

/** Checks `given` against `manifest.options` and fills in defaults. */
export function checkOptions(
  manifest: FeatureManifest,
  given: UserOptions | undefined,
): OptionsResult {
  const declared = manifest.options ?? {};
  const user = userOptionsObject(given);
  const values: Record<string, OptionValue> = {};
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const [name, spec] of Object.entries(declared)) {
    const value = user[name];
    if (value === undefined) {
      if (spec.default !== undefined) values[name] = spec.default;
      continue;
    }
    if (spec.type === "boolean") {
      const bool = typeof value === "boolean"
        ? value
        : value === "true"
        ? true
        : value === "false"
        ? false
        : undefined;
      if (bool === undefined) {
        errors.push(
          `option '${name}' of Feature '${manifest.id}' is a boolean, not ${JSON.stringify(value)}`,
        );
      } else values[name] = bool;
      continue;
    }
    const text = String(value);
    if (spec.enum && !spec.enum.includes(text)) {
      errors.push(
        `option '${name}' of Feature '${manifest.id}' is ${
          JSON.stringify(text)
        }; it must be one of ${spec.enum.map((e) => JSON.stringify(e)).join(", ")}`,
      );
    } else values[name] = text;
  }
  for (const [name, value] of Object.entries(user)) {
    if (name in declared) continue;
    values[name] = value;
    warnings.push(
      `Feature '${manifest.id}' has no option '${name}'${
        Object.keys(declared).length ? ` (it has ${Object.keys(declared).join(", ")})` : ""
      }; it is passed on as given`,
    );
  }
  return { values, errors, warnings };
}

/** The environment variable an option becomes (the spec's rule: `node-version` → `NODE_VERSION`). */
export function optionVariable(name: string): string {
  return name.replace(/[^\w_]/g, "_").replace(/^[\d_]+/g, "_").toUpperCase();
}

/** Quotes a value for a POSIX shell, single quotes throughout. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The `devcontainer-features.env` an install script sources: one `NAME='value'` per option. */
export function optionsEnvFile(values: Readonly<Record<string, OptionValue>>): string {
  return Object.entries(values)
    .map(([name, value]) => `${optionVariable(name)}=${shellQuote(String(value))}\n`)
    .join("");
}
