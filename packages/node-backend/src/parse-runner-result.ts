import type { RunnerResult } from './runner/runner-protocol.js';

export type ParsedFrame = { ok: true; result: Omit<RunnerResult, 'nonce'> } | { ok: false; message: string };

const MAX_COUNT = Number.MAX_SAFE_INTEGER;
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_COUNT;
const isString = (value: unknown): value is string => typeof value === 'string';
const RESULT_KEYS = new Set([
  'nonce',
  'kind',
  'valueJson',
  'valueDescription',
  'error',
  'stdoutBytes',
  'stderrBytes',
]);
const ERROR_KEYS = new Set(['kind', 'message', 'stack']);

/**
 * Checks a frame the jailed runner sent as its result. The frame is hostile input: anything but
 * exactly the expected shape, with this job's nonce, is a failure the caller turns into the
 * execution's `error`.
 */
export function parseRunnerResult(frame: unknown, nonce: string): ParsedFrame {
  const bad = (why: string): ParsedFrame => ({
    ok: false,
    message: `the runner sent an invalid result: ${why}`,
  });
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return bad('not an object');
  const record = frame as Record<string, unknown>;
  for (const key of Object.keys(record))
    if (!RESULT_KEYS.has(key)) return bad(`unexpected field ${JSON.stringify(key.slice(0, 40))}`);
  if (record.nonce !== nonce) return bad('wrong or missing nonce (a forged result)');
  if (!isCount(record.stdoutBytes) || !isCount(record.stderrBytes)) return bad('byte counts');
  const counts = { stdoutBytes: record.stdoutBytes, stderrBytes: record.stderrBytes };
  if (record.kind === 'value') {
    if (record.error !== undefined) return bad('a value with an error');
    if (record.valueJson !== undefined && !isString(record.valueJson)) return bad('valueJson');
    if (record.valueDescription !== undefined && !isString(record.valueDescription))
      return bad('valueDescription');
    if (record.valueJson !== undefined && record.valueDescription !== undefined) return bad('two values');
    return {
      ok: true,
      result: {
        ...counts,
        ...(isString(record.valueJson) ? { valueJson: record.valueJson } : {}),
        ...(isString(record.valueDescription) ? { valueDescription: record.valueDescription } : {}),
      },
    };
  }
  if (record.kind === 'error') {
    if (record.valueJson !== undefined || record.valueDescription !== undefined)
      return bad('an error with a value');
    const error = record.error;
    if (typeof error !== 'object' || error === null || Array.isArray(error)) return bad('error');
    const fields = error as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (!ERROR_KEYS.has(key)) return bad(`unexpected error field`);
    if (!isString(fields.kind) || !isString(fields.message)) return bad('error kind or message');
    if (fields.stack !== undefined && !isString(fields.stack)) return bad('error stack');
    return {
      ok: true,
      result: {
        ...counts,
        error: {
          kind: fields.kind,
          message: fields.message,
          ...(isString(fields.stack) ? { stack: fields.stack } : {}),
        },
      },
    };
  }
  return bad('kind');
}

/** True when the frame is exactly the runner's ready announcement. */
export function isReadyFrame(frame: unknown): boolean {
  return (
    typeof frame === 'object' &&
    frame !== null &&
    !Array.isArray(frame) &&
    Object.keys(frame).length === 1 &&
    (frame as { ready?: unknown }).ready === true
  );
}
