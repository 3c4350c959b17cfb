/** Moved to lib/util/progress.ts (lib/pods uses it too); re-exported for the files not yet switched. */
export * from "../util/progress.ts";
