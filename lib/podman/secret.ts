/**
 * Secret commands: create (value on stdin, never in argv), inspect, ls, rm, exists.
 * podman 4.3 has no `secret exists`, no JSON and no labels in `secret ls`; those are derived.
 */
import { PodmanFailedError } from "../errors.ts";
import { jsonCommand, labelArgs, textCommand, voidCommand } from "./command.ts";
import type { LabelFilter, PodmanCommand } from "./command.ts";
import type { Podman } from "./driver.ts";
import { SecretListSchema } from "./schemas.ts";
import type { SecretInspect } from "./schemas.ts";

/** `podman secret create --label … NAME -` with the value on stdin. */
export function secretCreate(
  name: string,
  value: string | Uint8Array,
  options: { labels?: Readonly<Record<string, string>> } = {},
): PodmanCommand<string> {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  return textCommand(["secret", "create", ...labelArgs(options.labels), name, "-"], bytes);
}

/** `podman secret inspect NAME…` (metadata only, never the value; podman 4.3 prints JSON by default). */
export function secretInspect(...names: string[]): PodmanCommand<SecretInspect[]> {
  return jsonCommand(["secret", "inspect", ...names], SecretListSchema);
}

/**
 * `podman secret ls --noheading --format '{{.Name}}'`: the names of all secrets. podman 4.3's
 * `secret ls` prints neither JSON nor labels; {@link listSecrets} adds both.
 */
export function secretNames(): PodmanCommand<string[]> {
  return {
    argv: ["secret", "ls", "--noheading", "--format", "{{.Name}}"],
    parse: (out) => out.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== ""),
  };
}

/** Whether a secret named `name` exists (podman 4.3 has no `secret exists`). */
export function secretExists(name: string): PodmanCommand<boolean> {
  const names = secretNames();
  return { argv: names.argv, parse: (out) => names.parse(out).includes(name) };
}

/**
 * Secrets whose labels match `filter`: `secret ls` for the names, then one `secret inspect`. A
 * secret removed in between (another workspace's delete) fails the inspect; the names are then
 * listed again, up to three times.
 */
export async function listSecrets(podman: Podman, filter?: LabelFilter): Promise<SecretInspect[]> {
  for (let attempt = 1;; attempt++) {
    const names = await podman.run(secretNames());
    if (names.length === 0) return [];
    try {
      const secrets = await podman.run(secretInspect(...names));
      return secrets.filter((s) => matchesLabels(s.Spec.Labels, filter));
    } catch (err) {
      if (!(err instanceof PodmanFailedError) || attempt >= 3) throw err;
    }
  }
}

/** `podman secret rm NAME…` */
export function secretRm(names: readonly string[]): PodmanCommand<void> {
  return voidCommand(["secret", "rm", ...names]);
}

/** Whether `labels` satisfy a label filter. */
export function matchesLabels(
  labels: Readonly<Record<string, string>>,
  filter?: LabelFilter,
): boolean {
  return Object.entries(filter ?? {}).every((
    [k, v],
  ) => (v === true ? k in labels : labels[k] === v));
}
