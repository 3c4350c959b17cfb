/**
 * Which agent profile a workspace runs: `--agent`, else devcontainer.json's
 * `customizations.devaipod.agent`, else the user config's `[agent] default`, else opencode. A
 * name is a shipped profile or one of the user config's `[agents.NAME]`; another is an error
 * that names where it was written.
 */
import { ConfigError, UsageError } from "../errors.ts";
import {
  BUILTIN_AGENTS,
  builtinProfile,
  type CustomAgentConfig,
  customProfile,
  OPENCODE_PROFILE,
} from "./profiles.ts";
import type { AgentProfile } from "./profiles.ts";

/** Where the choice may come from. */
export interface AgentChoice {
  /** `--agent`. */
  flag?: string;
  /** `customizations.devaipod.agent`, and where it is written (`file:line:col`). */
  project?: { name: string; where: string };
  /** `[agent] default`, and where it is written (`file:line:col`). */
  userDefault?: { name: string; where: string };
  /** The user config's `[agents.NAME]`. */
  custom?: Readonly<Record<string, CustomAgentConfig>>;
}

/** The profile chosen, and whether anything chose it (false: opencode by default). */
export function chooseAgent(choice: AgentChoice): { profile: AgentProfile; chosen: boolean } {
  const custom = choice.custom ?? {};
  for (const name of Object.keys(custom)) {
    if (builtinProfile(name)) {
      throw new ConfigError(
        `${
          choice.userDefault?.where.replace(/:\d+:\d+$/, "") ?? "user config"
        }: [agents.${name}]: ${name} is a profile devaipod ships`,
        { hint: "give your custom agent another name" },
      );
    }
  }
  const known = [...BUILTIN_AGENTS, ...Object.keys(custom)].join(", ");
  const find = (name: string): AgentProfile | undefined => {
    const config = custom[name];
    return builtinProfile(name) ?? (config ? customProfile(name, config) : undefined);
  };
  if (choice.flag !== undefined) {
    const profile = find(choice.flag);
    if (!profile) {
      throw new UsageError(`--agent ${choice.flag}: no such agent profile (known: ${known})`, {
        hint: "define a custom one as [agents.NAME] in the user config",
      });
    }
    return { profile, chosen: true };
  }
  for (
    const [where, from] of [
      ["customizations.devaipod.agent", choice.project],
      ["[agent] default", choice.userDefault],
    ] as const
  ) {
    if (!from) continue;
    const profile = find(from.name);
    if (!profile) {
      throw new ConfigError(
        `${from.where}: ${where}: no such agent profile "${from.name}" (known: ${known})`,
        { hint: "define a custom one as [agents.NAME] in the user config" },
      );
    }
    return { profile, chosen: true };
  }
  return { profile: OPENCODE_PROFILE, chosen: false };
}
