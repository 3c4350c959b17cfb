/**
 * The hosts an agent needs to reach by default, per agent profile: its LLM providers and what
 * the agent itself fetches at start (opencode loads its model catalogue and provider packages).
 */

/** opencode's default egress allowlist. */
export const OPENCODE_EGRESS: readonly string[] = [
  "api.anthropic.com",
  "api.openai.com",
  "openrouter.ai",
  "generativelanguage.googleapis.com",
  "api.groq.com",
  "api.mistral.ai",
  "api.x.ai",
  "api.deepseek.com",
  "api.together.xyz",
  "api.fireworks.ai",
  "api.cerebras.ai",
  "opencode.ai",
  "*.opencode.ai",
  "models.dev",
  "registry.npmjs.org",
];
