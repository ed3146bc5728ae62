import type { ExecutionResult } from '@memory-mcp/sandbox-core';

const firstLines = (text: string, lines = 10) => {
  const all = text.replace(/\n$/, '').split('\n');
  const head = all.slice(0, lines).map((l) => `  ${l.length > 200 ? `${l.slice(0, 200)}…` : l}`);
  if (all.length > lines) head.push(`  … ${all.length - lines} more line(s)`);
  return head.join('\n');
};

/** The short text an agent reads: status, where it ran and why, cost, value, first lines of output. */
export function summarizeResult(result: ExecutionResult, executionId: string): string {
  const parts = [
    `status: ${result.status}`,
    `backend: ${result.backend}${result.route ? ` (${result.route.reason})` : ''}`,
    `time: ${result.timing.totalMs.toFixed(1)} ms`,
  ];
  if (result.fuelUsed !== undefined) parts.push(`fuel: ${result.fuelUsed}`);
  const lines = [parts.join(' · '), `execution_id: ${executionId}`];
  if (result.value !== undefined) {
    const value = JSON.stringify(result.value);
    lines.push(`value: ${value.length > 500 ? `${value.slice(0, 500)}…` : value}`);
  }
  if (result.exitCode !== undefined && result.exitCode !== 0) lines.push(`exit code: ${result.exitCode}`);
  const session = (result as { session?: { id: string; version: number; saved: boolean } }).session;
  if (session) {
    lines.push(
      session.saved
        ? `session: ${session.id} (version ${session.version}: this call's state is saved)`
        : `session: ${session.id} (state not saved: the session is as it was, version ${session.version})`,
    );
  }
  if (result.error) lines.push(`error (${result.error.kind}): ${result.error.message}`);
  if (result.stdout) lines.push(`stdout:\n${firstLines(result.stdout)}`);
  if (result.stderr) lines.push(`stderr:\n${firstLines(result.stderr)}`);
  if (result.truncated) lines.push('output was truncated at the output limit');
  return lines.join('\n');
}
