/** Per-tool call counts, shared by every session of one server process. */
export class ToolMetrics {
  readonly #calls = new Map<string, { calls: number; ok: number; errors: number; invalid: number }>();

  record(tool: string, outcome: 'ok' | 'error' | 'invalid'): void {
    const entry = this.#calls.get(tool) ?? { calls: 0, ok: 0, errors: 0, invalid: 0 };
    entry.calls++;
    if (outcome === 'ok') entry.ok++;
    else if (outcome === 'error') entry.errors++;
    else entry.invalid++;
    this.#calls.set(tool, entry);
  }

  snapshot(): Record<string, { calls: number; ok: number; errors: number; invalid: number }> {
    return Object.fromEntries([...this.#calls].map(([k, v]) => [k, { ...v }]));
  }
}
