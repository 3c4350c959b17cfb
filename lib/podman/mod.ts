/**
 * The typed podman driver: `Podman` runs commands that the builder functions return as data.
 *
 * ```ts
 * const podman = Podman.fromEnv();
 * const pods = await podman.run(podPs({ "io.devaipod.workspace": true }));
 * ```
 */
export * from "./command.ts";
export * from "./container.ts";
export * from "./driver.ts";
export * from "./image.ts";
export * from "./network.ts";
export * from "./pod.ts";
export * from "./runner.ts";
export * from "./schemas.ts";
export * from "./secret.ts";
export * from "./system.ts";
export * from "./volume.ts";
export * from "./recording_runner.ts";
