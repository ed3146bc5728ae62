import type { ExecutionError, ExecutionResult, Limits } from '@memory-mcp/sandbox-core';
import { decodeResultValue, limitExceeded, utf8Length } from '@memory-mcp/sandbox-core';

/** Longest error name, message and stack kept from a record, in characters. */
const MAX_NAME = 256;
const MAX_MESSAGE = 64 * 1024;
const MAX_STACK = 64 * 1024;

/** What the run looked like when the record was read. */
export interface RecordContext {
  /** The run ended normally (`ok`) or by `proc_exit` (`exit`). Traps never get here. */
  outcome: 'ok' | 'exit';
  exitCode: number;
  /** Bytes of linear memory at the end of the run. */
  memoryBytes: number | undefined;
  /** True when the engine's memory ended at its cap: an out-of-memory error is then the cap's doing. */
  memoryAtCap: boolean;
  limits: Limits;
}

/**
 * Applies a result record (see `ResultRecord` in sandbox-core) to `result`. The record comes from
 * inside the sandbox, so it is parsed as hostile: anything that is not a well-formed record makes
 * the run an `error` of kind `result_channel`; nothing here throws.
 */
export function applyResultRecord(result: ExecutionResult, text: string, context: RecordContext): void {
  const record = parseRecord(text);
  if (!record) {
    malformed(result, 'the result record is not a valid record');
    return;
  }
  if (record.ok) {
    if (context.outcome !== 'ok' || context.exitCode !== 0) {
      malformed(result, `the result record says ok, but the module exited with code ${context.exitCode}`);
      return;
    }
    const allowed = context.limits.maxOutputBytes;
    const used = utf8Length(record.json ?? '');
    if (used > allowed) {
      const { status, error } = limitExceeded({
        name: 'maxOutputBytes',
        allowed,
        used,
        message: `the return value passed maxOutputBytes (${allowed} bytes)`,
      });
      result.status = status;
      result.error = error;
      return;
    }
    const decoded = decodeResultValue(record, allowed);
    if (!decoded.ok) {
      malformed(result, decoded.message);
      return;
    }
    result.status = 'ok';
    result.exitCode = 0;
    delete result.error;
    if ('value' in decoded) result.value = decoded.value;
    return;
  }
  const { name, message, stack } = record.error;
  // QuickJS out of memory: its InternalError, or, when it cannot even allocate that, a bare `null`
  // thrown. Either counts only with the engine's memory really at its cap (user code can throw both).
  const engineOutOfMemory =
    (name === 'InternalError' && /out of memory/i.test(message)) || (name === 'thrown' && message === 'null');
  if (engineOutOfMemory && context.memoryAtCap) {
    const { status, error } = limitExceeded({
      name: 'memoryBytes',
      allowed: context.limits.memoryBytes,
      used: context.memoryBytes ?? context.limits.memoryBytes,
      message: `the JavaScript heap ran out of memory (cap ${context.limits.memoryBytes} bytes)`,
    });
    result.status = status;
    result.error = error;
    return;
  }
  result.status = 'error';
  const error: ExecutionError = { kind: name, message };
  const frames = stack
    ?.split('\n')
    .filter((line) => line.includes('input.js'))
    .join('\n');
  if (frames) error.stack = frames;
  result.error = error;
}

type ParsedRecord =
  | { ok: true; json?: string; description?: string }
  | { ok: false; error: { name: string; message: string; stack?: string } };

function parseRecord(text: string): ParsedRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(raw) || typeof raw.ok !== 'boolean') return undefined;
  if (raw.ok) {
    const out: ParsedRecord = { ok: true };
    if (raw.json !== undefined) {
      if (typeof raw.json !== 'string') return undefined;
      out.json = raw.json;
    }
    if (raw.description !== undefined) {
      if (typeof raw.description !== 'string') return undefined;
      out.description = raw.description;
    }
    return out;
  }
  const error = raw.error;
  if (!isObject(error) || typeof error.name !== 'string' || typeof error.message !== 'string')
    return undefined;
  if (error.stack !== undefined && typeof error.stack !== 'string') return undefined;
  return {
    ok: false,
    error: {
      name: error.name.slice(0, MAX_NAME) || 'Error',
      message: error.message.slice(0, MAX_MESSAGE),
      ...(error.stack !== undefined ? { stack: error.stack.slice(0, MAX_STACK) } : {}),
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(result: ExecutionResult, message: string): void {
  result.status = 'error';
  delete result.value;
  result.error = { kind: 'result_channel', message };
}
