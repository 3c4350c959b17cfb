/**
 * What `render --target kube` prints besides the objects: the YAML itself (deterministic), the
 * commands that create the referenced secrets (never a value), and the namespace a kubeconfig's
 * context names. Pure.
 */
import { parse as parseYaml, stringify } from "yaml";
import { ConfigError, formatArgv } from "../errors.ts";
import type { KubeObject, KubeSecret } from "./render.ts";
import { KubeRefusal } from "./render.ts";
import { RANDOM_VALUE, SHELL_VARIABLE } from "../util/secret_command.ts";
import type { SecretCommand } from "../util/secret_command.ts";

/** The objects as one YAML stream, each document after `---`, keys in the order written. */
export function kubeYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`)
    .join("");
}

/** How to make one Kubernetes Secret: {@link SecretCommand}. */
export type KubeSecretCommand = SecretCommand;

/**
 * The commands that create each secret (key `value`), sorted by name. The value goes on kubectl's
 * stdin, never into its argv; the shell reads a variable when the command runs (`${VAR:?}`).
 *
 * @example
 * ```ts
 * kubeSecretCommands("dev", [{ name: "devaipod-w-anthropic-api-key", env: "ANTHROPIC_API_KEY" }]);
 * // [{ …, command: 'printf %s "${ANTHROPIC_API_KEY:?}" | kubectl --namespace dev create secret generic devaipod-w-anthropic-api-key --from-file=value=/dev/stdin' }]
 * ```
 */
export function kubeSecretCommands(
  namespace: string,
  secrets: readonly KubeSecret[],
): KubeSecretCommand[] {
  const create = (name: string) =>
    formatArgv([
      "kubectl",
      "--namespace",
      namespace,
      "create",
      "secret",
      "generic",
      name,
      "--from-file=value=/dev/stdin",
    ]);
  return [...secrets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(
    (s): KubeSecretCommand => {
      if (s.env !== undefined) {
        if (!SHELL_VARIABLE.test(s.env)) {
          throw new KubeRefusal(`secret ${s.name}`, "env", `'${s.env}' is not a variable name`);
        }
        return {
          name: s.name,
          source: "env",
          env: s.env,
          command: `printf %s "\${${s.env}:?}" | ${create(s.name)}`,
        };
      }
      if (s.random) {
        return { name: s.name, source: "random", command: `${RANDOM_VALUE} | ${create(s.name)}` };
      }
      return {
        name: s.name,
        source: "existing",
        command: formatArgv(["kubectl", "--namespace", namespace, "get", "secret", s.name]),
      };
    },
  );
}

/**
 * The namespace of a kubeconfig's context (`context`, else its current context); undefined when
 * it names none. A kubeconfig that is not YAML is a {@link ConfigError} naming `file`.
 */
export function contextNamespace(
  text: string,
  file: string,
  context?: string,
): string | undefined {
  let config: unknown;
  try {
    config = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not a kubeconfig: ${(err as Error).message.split("\n")[0]}`);
  }
  const c = (config ?? {}) as {
    "current-context"?: unknown;
    contexts?: { name?: unknown; context?: { namespace?: unknown } }[];
  };
  const name = context ?? c["current-context"];
  if (context !== undefined && !(c.contexts ?? []).some((x) => x.name === context)) {
    throw new ConfigError(`${file}: no context named '${context}'`);
  }
  const found = (Array.isArray(c.contexts) ? c.contexts : []).find((x) => x?.name === name);
  const ns = found?.context?.namespace;
  return typeof ns === "string" && ns !== "" ? ns : undefined;
}
