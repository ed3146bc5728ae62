import { InvalidRequestError } from './errors/invalid-request-error.js';
import type { ExecutionRequest } from './execution-request.js';

const LIMIT_FIELDS = ['timeoutMs', 'memoryBytes', 'fuel', 'maxOutputBytes'] as const;

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
  if (
    request.args !== undefined &&
    !(Array.isArray(request.args) && request.args.every((a) => typeof a === 'string'))
  ) {
    throw new InvalidRequestError('args', 'must be an array of strings');
  }
  if (request.env !== undefined) {
    if (typeof request.env !== 'object' || request.env === null)
      throw new InvalidRequestError('env', 'must be an object');
    for (const [key, value] of Object.entries(request.env)) {
      if (typeof value !== 'string') throw new InvalidRequestError(`env.${key}`, 'must be a string');
    }
  }
}
