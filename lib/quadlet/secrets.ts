/**
 * The shell commands that create the secrets rendered units reference. Pure. A command names
 * where the value comes from (a host variable, or random bytes) and never holds a value.
 */
import { formatArgv } from "../errors.ts";
import type { QuadletSecret } from "./render.ts";
import { QuadletRefusal } from "./unit_text.ts";
import { RANDOM_VALUE, SHELL_VARIABLE } from "../util/secret_command.ts";
import type { SecretCommand } from "../util/secret_command.ts";

export type { SecretCommand };

function create(secret: QuadletSecret): string {
  const labels = Object.entries(secret.labels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([k, v]) => ["--label", `${k}=${v}`]);
  return formatArgv(["podman", "secret", "create", ...labels, secret.name, "-"]);
}

/**
 * The commands that create each secret, sorted by name. A variable's value is read by the
 * shell when the command runs (`${VAR:?}` stops on an unset or empty one).
 *
 * @example
 * ```ts
 * secretCommands([{ name: "devaipod-w-anthropic-api-key", env: "ANTHROPIC_API_KEY" }]);
 * // [{ name: "devaipod-w-anthropic-api-key", source: "env", env: "ANTHROPIC_API_KEY",
 * //    command: 'printf %s "${ANTHROPIC_API_KEY:?}" | podman secret create devaipod-w-anthropic-api-key -' }]
 * ```
 */
export function secretCommands(secrets: readonly QuadletSecret[]): SecretCommand[] {
  return [...secrets]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((secret): SecretCommand => {
      if (secret.env !== undefined) {
        if (!SHELL_VARIABLE.test(secret.env)) {
          throw new QuadletRefusal(
            secret.name,
            "env",
            `'${secret.env}' is not a shell variable name, so no command can read it`,
          );
        }
        return {
          name: secret.name,
          source: "env",
          env: secret.env,
          command: `printf %s "\${${secret.env}:?}" | ${create(secret)}`,
        };
      }
      if (secret.random) {
        return {
          name: secret.name,
          source: "random",
          command: `${RANDOM_VALUE} | ${create(secret)}`,
        };
      }
      return {
        name: secret.name,
        source: "existing",
        command: formatArgv(["podman", "secret", "exists", secret.name]),
      };
    });
}
