import { InvalidRequestError } from './errors/invalid-request-error.js';
import type { ExecutionRequest } from './execution-request.js';

const LIMIT_FIELDS = ['timeoutMs', 'memoryBytes', 'fuel', 'maxOutputBytes'] as const;

/** Longest deadline a Node timer can hold (2^31-1 ms, about 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Checks the shape of a request at the front door; throws `InvalidRequestError` naming the field. */
export function validateRequest(request: ExecutionRequest): void {
  if (request == null || typeof request !== 'object')
    throw new InvalidRequestError('request', 'must be an object');
  // Which languages are accepted is the configured backends' business (see `routeRequest`).
  if (typeof request.language !== 'string' || request.language.length === 0 || request.language.length > 64) {
    throw new InvalidRequestError('language', `must be a language name, got ${typeof request.language}`);
  }
  const code = request.code;
  if (typeof code !== 'string' && !(code instanceof Uint8Array)) {
    throw new InvalidRequestError('code', 'must be a string or a Uint8Array');
  }
  if (request.backend !== undefined && typeof request.backend !== 'string') {
    throw new InvalidRequestError('backend', 'must be the kind of a configured backend');
  }
  if (request.id !== undefined && typeof request.id !== 'string')
    throw new InvalidRequestError('id', 'must be a string');
  for (const field of LIMIT_FIELDS) {
    const value = request.limits?.[field];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
      throw new InvalidRequestError(`limits.${field}`, `must be a positive number, got ${String(value)}`);
    }
  }
  // Deadlines become timers, and Node fires a timer past 2^31-1 ms at once.
  if (request.limits?.timeoutMs !== undefined && request.limits.timeoutMs > MAX_TIMEOUT_MS) {
    throw new InvalidRequestError('limits.timeoutMs', `must be at most ${MAX_TIMEOUT_MS} ms (24 days)`);
  }
  // Fuel is an instruction count, kept exactly as an integer.
  if (request.limits?.fuel !== undefined && !Number.isSafeInteger(request.limits.fuel)) {
    throw new InvalidRequestError('limits.fuel', `must be a whole number, got ${request.limits.fuel}`);
  }
  if (request.stdin !== undefined && typeof request.stdin !== 'string') {
    throw new InvalidRequestError('stdin', 'must be a string');
  }
  if (request.entry !== undefined && typeof request.entry !== 'string') {
    throw new InvalidRequestError('entry', 'must be the name of an exported function');
  }
  if (request.files !== undefined) {
    if (typeof request.files !== 'object' || request.files === null || Array.isArray(request.files))
      throw new InvalidRequestError('files', 'must be an object of path to contents');
    for (const [path, data] of Object.entries(request.files)) {
      if (typeof data !== 'string' && !(data instanceof Uint8Array))
        throw new InvalidRequestError(`files.${path}`, 'must be a string or a Uint8Array');
    }
  }
  const signal = request.signal as unknown;
  if (
    signal !== undefined &&
    (typeof signal !== 'object' ||
      signal === null ||
      typeof (signal as AbortSignal).aborted !== 'boolean' ||
      typeof (signal as AbortSignal).addEventListener !== 'function' ||
      typeof (signal as AbortSignal).removeEventListener !== 'function')
  ) {
    throw new InvalidRequestError('signal', 'must be an AbortSignal');
  }
  if (
    request.args !== undefined &&
    !(Array.isArray(request.args) && request.args.every((a) => typeof a === 'string'))
  ) {
    throw new InvalidRequestError('args', 'must be an array of strings');
  }
  if (
    request.sessionId !== undefined &&
    (typeof request.sessionId !== 'string' || request.sessionId.length > 200)
  ) {
    throw new InvalidRequestError('sessionId', 'must be the id of a session');
  }
  if (request.session !== undefined) {
    const session = request.session as unknown as Record<string, unknown>;
    if (typeof session !== 'object' || session === null)
      throw new InvalidRequestError('session', 'must be an object');
    const restore = session.restore as Record<string, unknown> | undefined;
    if (
      restore !== undefined &&
      (typeof restore !== 'object' ||
        restore === null ||
        !(restore.base instanceof Uint8Array) ||
        (restore.delta !== undefined && !(restore.delta instanceof Uint8Array)) ||
        typeof restore.engine !== 'string')
    ) {
      throw new InvalidRequestError(
        'session.restore',
        'must be a state a result returned ({ base, delta?, engine })',
      );
    }
    if (session.save !== undefined && typeof session.save !== 'boolean')
      throw new InvalidRequestError('session.save', 'must be a boolean');
    const max = session.maxStateBytes;
    if (max !== undefined && (typeof max !== 'number' || !Number.isSafeInteger(max) || max <= 0))
      throw new InvalidRequestError('session.maxStateBytes', 'must be a positive whole number');
  }
  if (request.env !== undefined) {
    if (typeof request.env !== 'object' || request.env === null)
      throw new InvalidRequestError('env', 'must be an object');
    for (const [key, value] of Object.entries(request.env)) {
      if (typeof value !== 'string') throw new InvalidRequestError(`env.${key}`, 'must be a string');
    }
  }
}
