/**
 * The environment variables an agent may receive from the host: LLM provider keys only. Trusted
 * credentials (GH_TOKEN, cloud tokens, SSH agents) never reach the agent.
 */

/** LLM provider keys passed to the agent when set on the host. */
export const DEFAULT_LLM_KEYS: readonly string[] = [
  "ANTHROPIC_API_KEY",
  "OPENAI_API_KEY",
  "OPENROUTER_API_KEY",
  "GEMINI_API_KEY",
  "GOOGLE_GENERATIVE_AI_API_KEY",
  "GROQ_API_KEY",
  "MISTRAL_API_KEY",
  "XAI_API_KEY",
  "DEEPSEEK_API_KEY",
  "TOGETHER_API_KEY",
  "FIREWORKS_API_KEY",
  "CEREBRAS_API_KEY",
  "AZURE_OPENAI_API_KEY",
  "OPENCODE_API_KEY",
];

/**
 * The host variables the agent gets: its profile's keys (opencode's: {@link DEFAULT_LLM_KEYS})
 * plus an allowlist, those that are set.
 */
export function agentKeys(
  hostEnv: Readonly<Record<string, string>>,
  allowlist: readonly string[] = [],
  profileKeys: readonly string[] = DEFAULT_LLM_KEYS,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...profileKeys, ...allowlist]) {
    const value = hostEnv[name];
    if (value !== undefined && value !== "") out[name] = value;
  }
  return out;
}
