/**
 * What a render prints to make one secret, shared by its targets (podman secrets for Quadlet,
 * Kubernetes Secrets): the shell command, and where the value comes from. Pure.
 */

/** How to make one secret: the shell command, and where its value comes from. */
export interface SecretCommand {
  name: string;
  /** `env`: from the host variable {@link SecretCommand.env}; `random`: generated; `existing`: the user's own. */
  source: "env" | "random" | "existing";
  env?: string;
  /** A POSIX shell command line: creates the secret (for `existing`, checks that it exists). */
  command: string;
}

/** A name the shell can read as `${NAME:?}`. */
export const SHELL_VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** 32 random bytes as hex, without a newline (as `up` makes the agent's password). */
export const RANDOM_VALUE = "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'";
