/**
 * The typed systemd driver: `systemctl` and `journalctl` as argv arrays, run through a
 * {@link PodmanRunner} (the one interface that starts processes), for the user's manager
 * (rootless, `--user`) or the system's (rootful). Quadlet workspaces are driven only through it.
 */
import {
  DevaipodError,
  EnvironmentError,
  ExitCode,
  formatArgv,
  InterruptedError,
  tailLines,
} from "../errors.ts";

import { ProcessRunner } from "../podman/runner.ts";
import type { PodmanRunner } from "../podman/runner.ts";

/** Which systemd manager: the user's (rootless podman) or the system's (root). */
export type SystemdScope = "user" | "system";

/** systemctl or journalctl ran and failed. Exit 1. */
export class SystemdFailedError extends DevaipodError {
  override readonly name = "SystemdFailedError";
  readonly argv: readonly string[];
  readonly code: number;
  constructor(argv: readonly string[], code: number, stderr: string) {
    const tail = tailLines(stderr);
    super(
      `systemd failed (exit ${code}): ${formatArgv(argv)}` +
        (tail.length ? `\n  ${tail.join("\n  ")}` : ""),
      ExitCode.failure,
    );
    this.argv = argv;
    this.code = code;
  }
}

/** The states `systemctl is-active` prints. */
export type UnitState =
  | "active"
  | "activating"
  | "deactivating"
  | "inactive"
  | "failed"
  | "reloading"
  | "unknown";

const STATES = new Set<UnitState>([
  "active",
  "activating",
  "deactivating",
  "inactive",
  "failed",
  "reloading",
]);

const decoder = new TextDecoder();

/** `systemctl` and the scope's flag: what every systemctl argv starts with. */
export function systemctlProgram(scope: SystemdScope): string[] {
  return scope === "user" ? ["systemctl", "--user"] : ["systemctl"];
}

/** The systemctl calls devaipod makes, as argv after the program (the dry-run prints them). */
export const SYSTEMCTL = {
  daemonReload: (): string[] => ["daemon-reload"],
  start: (unit: string): string[] => ["start", unit],
  stop: (units: string | readonly string[]): string[] => [
    "stop",
    ...(typeof units === "string" ? [units] : units),
  ],
  isActive: (units: readonly string[]): string[] => ["is-active", ...units],
  isSystemRunning: (): string[] => ["is-system-running"],
};

/** The processes a {@link Systemd} starts: systemctl's and journalctl's runners. */
export interface SystemdRunners {
  systemctl: PodmanRunner;
  journalctl: PodmanRunner;
}

/**
 * Runs systemctl and journalctl for one scope. Interruption: once `interrupt` is aborted, only
 * cleanup commands still start (as with the podman driver).
 */
export class Systemd {
  readonly scope: SystemdScope;
  readonly #runners: SystemdRunners;
  readonly #interrupt: AbortSignal | undefined;

  constructor(
    scope: SystemdScope,
    runners: SystemdRunners,
    options: { interrupt?: AbortSignal } = {},
  ) {
    this.scope = scope;
    this.#runners = runners;
    this.#interrupt = options.interrupt;
  }

  /** A driver over real processes. */
  static forScope(scope: SystemdScope, options: { interrupt?: AbortSignal } = {}): Systemd {
    return new Systemd(scope, {
      systemctl: new ProcessRunner(systemctlProgram(scope)),
      journalctl: new ProcessRunner(scope === "user" ? ["journalctl", "--user"] : ["journalctl"]),
    }, options);
  }

  /** `systemctl [--user] daemon-reload`: Quadlet's generator turns the units into services. */
  daemonReload(options: { cleanup?: boolean } = {}): Promise<string> {
    return this.run(SYSTEMCTL.daemonReload(), options);
  }

  /** Starts a unit and waits for its start job. */
  start(unit: string): Promise<string> {
    return this.run(SYSTEMCTL.start(unit));
  }

  /** Stops units (and those `PartOf=` them). */
  stop(units: string | readonly string[], options: { cleanup?: boolean } = {}): Promise<string> {
    return this.run(SYSTEMCTL.stop(units), options);
  }

  /**
   * Whether this manager runs: `is-system-running` prints `offline` (exit 1) when systemd is
   * not PID 1, or fails to reach the user's manager; anything else is a running manager.
   */
  async running(): Promise<{ ok: boolean; state: string }> {
    try {
      const out = await this.run(SYSTEMCTL.isSystemRunning(), {}, () => true);
      const state = out.trim() || "unknown";
      return { ok: state !== "offline" && state !== "unknown", state };
    } catch (err) {
      if (err instanceof EnvironmentError) return { ok: false, state: "no systemctl" };
      throw err;
    }
  }

  /** Each unit's state, in order (`is-active` exits 3 for anything but active). */
  async states(units: readonly string[]): Promise<UnitState[]> {
    if (units.length === 0) return [];
    const out = await this.run(SYSTEMCTL.isActive(units), {}, (code) => code <= 4);
    const lines = out.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    return units.map((_, i) => {
      const s = lines[i] as UnitState | undefined;
      return s && STATES.has(s) ? s : "unknown";
    });
  }

  /** The argv of the journal of `units` (`logs` runs it on the terminal). */
  journalArgs(
    units: readonly string[],
    options: { follow?: boolean; tail?: number } = {},
  ): string[] {
    return [
      ...units.flatMap((u) => ["--unit", u]),
      "--output",
      "cat",
      "--no-pager",
      ...(options.tail !== undefined ? ["--lines", String(options.tail)] : []),
      ...(options.follow ? ["--follow"] : []),
    ];
  }

  /** Shows the journal of `units` on the terminal; returns journalctl's exit code. */
  journal(
    units: readonly string[],
    options: { follow?: boolean; tail?: number } = {},
  ): Promise<number> {
    return this.#runners.journalctl.runInherited(this.journalArgs(units, options));
  }

  /** The full argv of a systemctl call (for messages and the dry-run). */
  systemctlArgv(args: readonly string[]): string[] {
    return [...this.#runners.systemctl.prefix, ...args];
  }

  /** Runs systemctl with `args`; an exit code `accepts` refuses throws {@link SystemdFailedError}. */
  async run(
    args: readonly string[],
    options: { cleanup?: boolean } = {},
    accepts: (code: number) => boolean = (code) => code === 0,
  ): Promise<string> {
    if (this.#interrupt?.aborted && !options.cleanup) throw new InterruptedError();
    let result;
    try {
      result = await this.#runners.systemctl.run(args);
    } catch (err) {
      if ((err as Error).name === "PodmanMissingError") {
        throw new EnvironmentError("cannot run systemctl: not found", {
          hint: "the Quadlet backend needs systemd; without it use the podman backend",
          cause: err,
        });
      }
      throw err;
    }
    if (!accepts(result.code)) {
      throw new SystemdFailedError(
        this.systemctlArgv(args),
        result.code,
        decoder.decode(result.stderr),
      );
    }
    return decoder.decode(result.stdout);
  }
}
