/**
 * The SSH bridge's sessions in a kube workspace's Pod, through the API's exec: each process is an
 * exec stream, returned at once and connected when the server answers. A cluster's exec cannot
 * choose the user (sessions run as the Pod's) nor pass variables aside from the command, so a
 * session's variables are set by `env` in front of it.
 */
import type { BridgeTarget, SessionProcess, SessionRunner, SessionSpec } from "../ssh/bridge.ts";
import type { KubeClient } from "./client.ts";
import { kubeExec } from "./exec.ts";

/** The argv that runs `spec` in the Pod: `env K=V … COMMAND` when it has variables (a session's
 * command starts with `/bin/sh`, never with a name holding `=`). */
export function execCommand(spec: SessionSpec): string[] {
  const vars = Object.entries(spec.env ?? {});
  return vars.length
    ? ["env", ...vars.map(([k, v]) => `${k}=${v}`), ...spec.command]
    : [...spec.command];
}

/** A session process whose exec stream opens later (its streams exist at once). */
function laterProcess(
  client: KubeClient,
  target: BridgeTarget,
  spec: SessionSpec,
): SessionProcess {
  const input = new TransformStream<Uint8Array, Uint8Array>();
  const output = new TransformStream<Uint8Array, Uint8Array>();
  const errors = new TransformStream<Uint8Array, Uint8Array>();
  const started = kubeExec(client, {
    pod: target.container,
    container: "workspace",
    command: execCommand(spec),
    stdin: true,
    ...(spec.tty ? { tty: true } : {}),
  });
  started.then(
    (p) => {
      input.readable.pipeTo(p.stdin).catch(() => {});
      p.stdout.pipeTo(output.writable).catch(() => {});
      p.stderr.pipeTo(errors.writable).catch(() => {});
    },
    (err) => {
      output.writable.abort(err).catch(() => {});
      errors.writable.abort(err).catch(() => {});
      input.readable.cancel(err).catch(() => {});
    },
  );
  return {
    stdin: input.writable,
    stdout: output.readable,
    stderr: errors.readable,
    // A stream that fails without an exit code (the server's error) ends the session as ssh's
    // own errors do: 255.
    status: started.then((p) => p.status).then((code) => ({ code }), () => ({ code: 255 })),
    kill: () => void started.then((p) => p.close(), () => {}),
  };
}

/** Sessions in a kube workspace's Pod through `client`. */
export function kubeRunner(client: KubeClient): SessionRunner {
  return {
    spawn: (target, spec) => laterProcess(client, target, spec),
    // Sessions run as the Pod's user: no other can be chosen.
    hasUser: () => Promise.resolve(false),
  };
}
