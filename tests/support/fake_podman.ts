/**
 * A podman for unit tests that holds a fixed set of objects: its `ps`/`ls` commands answer with
 * the rows whose labels pass the command's `--filter label=…` (as podman filters them), and
 * every call is recorded. Pair it with the rows of `pod_rows.ts`.
 */
import { Podman } from "../../lib/podman/driver.ts";
import { RecordingRunner } from "../../lib/podman/recording_runner.ts";
import type { Responder } from "../../lib/podman/recording_runner.ts";
import type {
  ContainerListEntry,
  NetworkInspect,
  PodListEntry,
  SecretInspect,
  VolumeInspect,
} from "../../lib/podman/schemas.ts";

/** The objects the fake podman lists. */
export interface FakeObjects {
  pods?: PodListEntry[];
  containers?: ContainerListEntry[];
  volumes?: VolumeInspect[];
  secrets?: SecretInspect[];
  networks?: NetworkInspect[];
}

/**
 * Whether a row's labels pass `--filter label=K=V` filters as podman reads them: `label=K` and
 * `label=K=` (an empty value) match any value of K.
 */
export function passesLabelFilters(
  labels: Readonly<Record<string, string>>,
  args: readonly string[],
): boolean {
  const filters = args.flatMap((a, i) =>
    args[i - 1] === "--filter" && a.startsWith("label=") ? [a.slice("label=".length)] : []
  );
  return filters.every((f) => {
    const [k = "", v] = f.split(/=(.*)/s);
    return v === undefined || v === "" ? k in labels : labels[k] === v;
  });
}

/**
 * A responder that lists a copy of `objects` (filtered by label) and forgets what is removed
 * (`pod rm` with its members, `container|secret|network|volume rm`); `more` answers first, for the
 * commands a test scripts itself. Anything else exits 0 with no output.
 */
export function objectsResponder(
  objects: FakeObjects,
  more: Responder = () => undefined,
): Responder {
  const state = structuredClone(objects);
  const json = (rows: unknown[]) => ({ stdout: JSON.stringify(rows) });
  return (args) => {
    const answer = more(args);
    if (answer) return answer;
    const [noun, verb] = args;
    const named = (name: string) => args.slice(2).includes(name);
    const pass = (labels: Readonly<Record<string, string>>) => passesLabelFilters(labels, args);
    if (verb === "rm") {
      const gone = (state.pods ?? []).filter((p) => noun === "pod" && named(p.Name)).map((p) =>
        p.Id
      );
      state.pods = (state.pods ?? []).filter((p) => !gone.includes(p.Id));
      state.containers = (state.containers ?? []).filter((c) =>
        !gone.includes(c.Pod ?? "") && !(noun === "container" && named(c.Id))
      );
      state.secrets = (state.secrets ?? []).filter((x) =>
        !(noun === "secret" && named(x.Spec.Name))
      );
      state.networks = (state.networks ?? []).filter((x) => !(noun === "network" && named(x.name)));
      state.volumes = (state.volumes ?? []).filter((x) => !(noun === "volume" && named(x.Name)));
      return undefined;
    }
    if (noun === "pod" && verb === "ps") {
      return json((state.pods ?? []).filter((r) => pass(r.Labels)));
    }
    if (noun === "container" && verb === "ps") {
      return json((state.containers ?? []).filter((r) => pass(r.Labels)));
    }
    if (noun === "volume" && verb === "ls") {
      return json((state.volumes ?? []).filter((r) => pass(r.Labels)));
    }
    if (noun === "network" && verb === "ls") {
      return json((state.networks ?? []).filter((r) => pass(r.labels)));
    }
    if (noun === "secret" && verb === "ls") {
      return { stdout: (state.secrets ?? []).map((s) => `${s.Spec.Name}\n`).join("") };
    }
    if (noun === "secret" && verb === "inspect") {
      return json((state.secrets ?? []).filter((s) => named(s.Spec.Name)));
    }
    return undefined;
  };
}

/** A podman over {@link objectsResponder}, and the runner that records its calls. */
export function fakePodman(
  objects: FakeObjects,
  more?: Responder,
): { podman: Podman; runner: RecordingRunner } {
  const runner = new RecordingRunner(objectsResponder(objects, more));
  return { podman: new Podman(runner), runner };
}

/** The recorded argv that change something: everything but listing, inspecting and asking. */
export function changes(runner: RecordingRunner): string[][] {
  const looks = new Set(["ps", "ls", "inspect", "exists", "port"]);
  return runner.calls.map((c) => c.args).filter((a) => !looks.has(a[1] ?? ""));
}
