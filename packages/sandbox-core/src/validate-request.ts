import { InvalidRequestError } from './errors/invalid-request-error.js';
import { BACKEND_KINDS, type ExecutionRequest, LANGUAGES } from './execution-request.js';

const LIMIT_FIELDS = ['timeoutMs', 'memoryBytes', 'fuel', 'maxOutputBytes'] as const;

/** Checks the shape of a request at the front door; throws `InvalidRequestError` naming the field. */
export function validateRequest(request: ExecutionRequest): void {
  if (request == null || typeof request !== 'object')
    throw new InvalidRequestError('request', 'must be an object');
  if (!LANGUAGES.includes(request.language)) {
    throw new InvalidRequestError(
      'language',
      `must be one of ${LANGUAGES.join(', ')}, got ${String(request.language)}`,
    );
  }
  const code = request.code;
  if (typeof code !== 'string' && !(code instanceof Uint8Array)) {
    throw new InvalidRequestError('code', 'must be a string or a Uint8Array');
  }
  if (code instanceof Uint8Array && request.language !== 'wasm') {
    throw new InvalidRequestError('code', `bytes are only accepted for language 'wasm'`);
  }
  if (request.backend !== undefined && !BACKEND_KINDS.includes(request.backend)) {
    throw new InvalidRequestError('backend', `must be one of ${BACKEND_KINDS.join(', ')}`);
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
