/**
 * Podman commands as data: each driver function returns a {@link PodmanCommand} — the argv
 * after `podman`, which exit codes count as success, and how to parse the output. Nothing here
 * runs a process, so every command's argv is unit-testable.
 */
import type { z } from "zod";
import { FailedError, PodmanOutputError } from "../errors.ts";

/** The captured, decoded output of one podman run. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** One podman invocation and the reading of its result. */
export interface PodmanCommand<T> {
  /** Arguments after the podman program, e.g. `["pod", "create", "--name", "x"]`. */
  readonly argv: readonly string[];
  /** Bytes for podman's stdin (secret values); never shown in output or logs. */
  readonly stdin?: Uint8Array;
  /** Which exit codes are an answer rather than a failure (default: only 0). */
  readonly accepts?: (code: number) => boolean;
  /** Turns podman's output into a typed value; throws {@link PodmanOutputError}. */
  parse(output: CommandOutput): T;
}

/** Builds a command whose result is nothing (success is the exit code). */
export function voidCommand(argv: readonly string[], stdin?: Uint8Array): PodmanCommand<void> {
  return { argv, ...(stdin ? { stdin } : {}), parse: () => {} };
}

/** Builds a command whose result is trimmed stdout (an ID, a name). */
export function textCommand(argv: readonly string[], stdin?: Uint8Array): PodmanCommand<string> {
  return { argv, ...(stdin ? { stdin } : {}), parse: (out) => out.stdout.trim() };
}

/** Builds a `… exists` command: exit 0 → true, exit 1 → false, anything else fails. */
export function existsCommand(argv: readonly string[]): PodmanCommand<boolean> {
  return { argv, accepts: (code) => code === 0 || code === 1, parse: (out) => out.code === 0 };
}

/** Builds a command whose stdout is JSON validated by `schema`. */
export function jsonCommand<S extends z.ZodType>(
  argv: readonly string[],
  schema: S,
): PodmanCommand<z.output<S>> {
  return { argv, parse: (out) => parseJson(argv, out.stdout, schema) };
}

/**
 * Parses podman's JSON output with a zod schema. An empty stdout is read as `null`, which
 * list schemas accept as an empty list (podman prints nothing for some empty lists).
 */
export function parseJson<S extends z.ZodType>(
  argv: readonly string[],
  stdout: string,
  schema: S,
): z.output<S> {
  let value: unknown = null;
  const text = stdout.trim();
  if (text !== "") {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new PodmanOutputError(["podman", ...argv], "not JSON", { cause: err });
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first && first.path.length > 0 ? ` at ${first.path.join(".")}` : "";
    throw new PodmanOutputError(
      ["podman", ...argv],
      `${first?.message ?? "does not match the expected shape"}${where}`,
      { cause: result.error },
    );
  }
  return result.data;
}

/** Appends `--label k=v` for each label, in key order (stable argv). */
export function labelArgs(labels: Readonly<Record<string, string>> | undefined): string[] {
  return sortedEntries(labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
}

/** Label filters: `key: "value"` matches that value, `key: true` any object that has the key. */
export type LabelFilter = Readonly<Record<string, string | true>>;

/**
 * Appends `--filter label=k=v` (or `label=k`) for each entry, in key order. An empty value
 * throws: podman reads `label=k=` as "any value", so a filter meant for one object would match
 * them all (and a delete by it would remove them all).
 */
export function labelFilterArgs(filter: LabelFilter | undefined): string[] {
  return sortedEntries(filter).flatMap(([k, v]) => {
    if (v === "") throw new FailedError(`cannot filter by label '${k}': the value is empty`);
    return ["--filter", v === true ? `label=${k}` : `label=${k}=${v}`];
  });
}

/** A record's entries sorted by key. */
export function sortedEntries<V>(record: Readonly<Record<string, V>> | undefined): [string, V][] {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `--time SECONDS` when a timeout is given (stop/rm grace period before SIGKILL). */
export function timeArgs(seconds: number | undefined): string[] {
  return seconds === undefined ? [] : ["--time", String(seconds)];
}
