/** A workspace's remoteEnv, as sessions (ssh, exec) get it: from its container's label. */
import { envListToObject, substituteContainerEnv } from "../devcontainer/substitute.ts";
import { LABELS } from "../labels.ts";

/**
 * The remoteEnv recorded on a workspace container (its label), with `${containerEnv:…}`
 * resolved against the container's environment; empty without one (or with a broken label).
 */
export function remoteEnvOf(
  labels: Readonly<Record<string, string>>,
  containerEnv: readonly string[],
): Record<string, string> {
  const text = labels[LABELS.remoteEnv];
  if (!text) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== "object" || parsed === null) return {};
  const strings = Object.fromEntries(
    Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
  return substituteContainerEnv(strings, envListToObject(containerEnv));
}
