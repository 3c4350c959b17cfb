/**
 * The Quadlet input from today's {@link PodPlan}. Pure, and the one place that knows the plan's
 * shape: when the backend-neutral plan arrives, this file is what changes.
 *
 * The podman backend learns some bindings while it runs (addresses once the networks exist, the
 * agent's user once the workspace runs). Units name them before anything runs, so here the
 * addresses come from static subnets ({@link WorkspaceSubnets}) and the agent's user is given.
 */
import { ROLES } from "../labels.ts";
import { fill, UnboundError } from "../plan/bindings.ts";
import type { BindingValues, Named } from "../plan/bindings.ts";
import type { ContainerSpec, PodSpec } from "../plan/spec.ts";
import {
  addressBindings,
  networkAddresses,
  PASSWORD_ENV,
  withAgentBase,
} from "../plan/pod_plan.ts";
import type { PodPlan } from "../plan/pod_plan.ts";
import { FailedError } from "../errors.ts";
import type { QuadletInput, QuadletSecret } from "./render.ts";
import type { WorkspaceSubnets } from "./subnets.ts";

/** The uid and gid the agent runs as in rendered units (non-root). */
export interface AgentUser {
  uid: number;
  gid: number;
}

/** What the plan leaves open for `up` to fill, and units must fix. */
export interface QuadletPlanOptions {
  /** The subnets of the internal and link networks (with network isolation). */
  subnets: WorkspaceSubnets;
  agentUser: AgentUser;
  /**
   * Other bindings a running `up --backend quadlet` learned (the image's PATH, the agent
   * binary's path, the commit); `render` has none.
   */
  values?: BindingValues;
}

/**
 * The workspace of `plan` as {@link QuadletInput}: addresses from `options.subnets`, the agent
 * as `options.agentUser`, the agent's work volume without its base-commit label (units never
 * clone; `up` labelled the volume it made), and every secret by reference (the password random, keys and workspace secrets from
 * the host variable of their name, the user's own `[trusted] secrets` as they exist).
 */
export function quadletInputFromPlan(plan: PodPlan, options: QuadletPlanOptions): QuadletInput {
  const iso = plan.isolation;
  const ips = iso ? networkAddresses(options.subnets.internal, options.subnets.link) : undefined;
  const { uid, gid } = options.agentUser;
  const values: BindingValues = {
    ...options.values,
    ...(ips ? addressBindings(ips) : {}),
    "user.uid": String(uid),
    "user.gid": String(gid),
  };
  // Every binding a unit needs is fixed here; one left open is a bug, said plainly.
  const filled = <T>(spec: Named<T & { name: string }>): T => {
    try {
      return fill<T>(spec as never, values);
    } catch (err) {
      if (!(err instanceof UnboundError)) throw err;
      throw new FailedError(`the rendered workspace still needs ${err.binding}`, {
        hint: "this is a bug in devaipod; rerun with --verbose and report the output",
      });
    }
  };
  const containers = [
    filled<ContainerSpec>(plan.workspaceContainer),
    filled<ContainerSpec>(plan.agentContainer),
    ...(iso ? [filled<ContainerSpec>(iso.proxyContainer)] : []),
  ];
  const planned = new Set(plan.secrets.map((s) => s.name));
  const secrets: QuadletSecret[] = [
    ...plan.secrets.map((s): QuadletSecret => ({
      name: s.name,
      labels: s.labels,
      ...(s.container === "agent" && s.variable === PASSWORD_ENV
        ? { random: true }
        : { env: s.variable }),
    })),
    // `[trusted] secrets`: the user's own, referenced but not made by devaipod.
    ...[...new Set(containers.flatMap((c) => (c.secrets ?? []).map((s) => s.name)))]
      .filter((name) => !planned.has(name))
      .map((name): QuadletSecret => ({ name })),
  ];
  const input: QuadletInput = {
    workspace: plan.workspace,
    pod: filled<PodSpec>(plan.pod),
    containers,
    networks: iso
      ? [
        { ...iso.network, subnet: options.subnets.internal },
        { ...iso.linkNetwork, subnet: options.subnets.link },
      ]
      : [],
    volumes: plan.volumes.map((v) => {
      const volume = v.role === ROLES.agentWork ? withAgentBase(v, undefined) : v;
      return { name: volume.name, labels: fill<Record<string, string>>(volume.labels, values) };
    }),
    secrets,
  };
  return input;
}
