import {
  decodeResultValue,
  type ExecutionResult,
  emptyResult,
  type Limits,
  limitExceeded,
  MIB,
} from '@memory-mcp/sandbox-core';
import type { RunReport } from './jailed-runner.js';

/** The largest return value, as JSON text, the host decodes. */
const MAX_VALUE_BYTES = 2 * MIB;

/** Turns what happened to one jailed runner into the execution's result. */
export function mapRunReport(backend: string, report: RunReport, limits: Limits): ExecutionResult {
  const base = {
    stdout: report.stdout,
    stderr: report.stderr,
    truncated: report.truncated,
    ...(report.memory ? { memoryPeakBytes: report.memory.peakRssBytes } : {}),
  };
  const limit = (exceeded: Parameters<typeof limitExceeded>[0]): ExecutionResult => {
    const { status, error } = limitExceeded(exceeded);
    return { ...emptyResult(backend, status, error), ...base };
  };
  const failed = (kind: string, message: string, extra: Partial<ExecutionResult> = {}): ExecutionResult => ({
    ...emptyResult(backend, 'error', { kind, message }),
    ...base,
    ...extra,
  });
  const { outcome } = report;
  switch (outcome.kind) {
    case 'timeout':
      return limit({
        name: 'timeoutMs',
        allowed: limits.timeoutMs,
        used: Math.round(report.runMs),
        message: `execution passed its ${limits.timeoutMs} ms deadline (pending timers and promises included); its jail was killed`,
      });
    case 'output_limit':
      return limit({
        name: 'maxOutputBytes',
        allowed: limits.maxOutputBytes,
        used: report.outputChargedBytes,
        message: `output passed maxOutputBytes (${limits.maxOutputBytes} bytes); the jail was killed`,
      });
    case 'cancelled':
      return {
        ...emptyResult(backend, 'cancelled', {
          kind: 'cancelled',
          message: 'the caller cancelled the execution',
        }),
        ...base,
      };
    case 'bad_result':
      return failed('result_channel', outcome.message);
    case 'exited': {
      if (outcome.reason === 'memory_limit') {
        return limit({
          name: 'memoryBytes',
          allowed: limits.memoryBytes,
          message: `the code ran out of its ${Math.floor(limits.memoryBytes / MIB)} MiB memory cap (heap, buffers and WebAssembly memory)`,
        });
      }
      if (outcome.reason === 'file_size_limit') {
        return limit({
          name: 'maxOutputBytes',
          allowed: limits.maxOutputBytes,
          message: 'a file write passed the jail file size limit (RLIMIT_FSIZE); the jail was killed',
        });
      }
      if (outcome.reason === 'setup_failed') {
        return failed('jail_setup_failed', `the jail could not be set up: ${report.stderr.slice(0, 200)}`);
      }
      const how = outcome.signal ? `signal ${outcome.signal}` : `exit code ${outcome.code}`;
      return failed('exit', `the process ended (${how}) before returning a result`, {
        ...(outcome.code !== null ? { exitCode: outcome.code } : {}),
      });
    }
    case 'result': {
      const { result } = outcome;
      if (result.error) return { ...emptyResult(backend, 'error', result.error), ...base };
      const decoded = decodeResultValue(
        {
          ...(result.valueJson !== undefined ? { json: result.valueJson } : {}),
          ...(result.valueDescription !== undefined ? { description: result.valueDescription } : {}),
        },
        MAX_VALUE_BYTES,
      );
      if (!decoded.ok) return failed('result_channel', decoded.message);
      const ok: ExecutionResult = { ...emptyResult(backend, 'ok'), ...base, exitCode: 0 };
      if ('value' in decoded) ok.value = decoded.value;
      return ok;
    }
  }
}
