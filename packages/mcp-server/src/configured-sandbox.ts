import type { UnifiedSandbox } from '@memory-mcp/sandbox-core';

export interface ConfiguredSandbox {
  /** Every language some configured backend declares, in backend order. */
  languages: string[];
  /** The configured backends' names (the keys of `sandbox.backends`). */
  backends: string[];
  /** `javascript` when configured, else the first configured language. */
  defaultLanguage: string;
}

/** What the sandbox actually offers, from its backends' own capabilities: nothing hard-coded. */
export function describeSandbox(sandbox: UnifiedSandbox): ConfiguredSandbox {
  const entries = Object.entries(
    sandbox.backends as Record<string, { capabilities(): { languages: readonly string[] } } | undefined>,
  ).filter(
    (entry): entry is [string, { capabilities(): { languages: readonly string[] } }] =>
      entry[1] !== undefined,
  );
  const languages = [...new Set(entries.flatMap(([, backend]) => backend.capabilities().languages))];
  return {
    languages,
    backends: entries.map(([name]) => name),
    defaultLanguage: languages.includes('javascript') ? 'javascript' : (languages[0] ?? 'javascript'),
  };
}
