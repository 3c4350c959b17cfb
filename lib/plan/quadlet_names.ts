/** The names systemd gives Quadlet units' services. Pure. */

/**
 * The service systemd makes of a Quadlet file: `w.container` → `w.service`, any other kind
 * `w.pod` → `w-pod.service` (also `-network`, `-volume`).
 */
export function quadletService(file: string): string {
  const dot = file.lastIndexOf(".");
  const base = file.slice(0, dot);
  return file.endsWith(".container") ? `${base}.service` : `${base}-${file.slice(dot + 1)}.service`;
}

/** The services of the `.container` files among `files` (names or paths), sorted. */
export function containerServices(files: readonly string[]): string[] {
  return files.filter((f) => f.endsWith(".container")).map((f) =>
    quadletService(f.slice(f.lastIndexOf("/") + 1))
  ).sort();
}
