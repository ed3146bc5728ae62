import {
  type CompiledModule,
  EXECUTION_STATUSES,
  type ExecutionError,
  type ExecutionResult,
  type ExecutionStatus,
  type Limits,
} from '@memory-mcp/sandbox-core';
import type { CompileOutcome } from '../engine/wasm-engine.js';
import { sha256 } from '../result-channel/result-channel-registry.js';
import { stateEngineOf } from '../session/state-header.js';
import type { ExecutorMessage, ExecutorStats } from './executor-protocol.js';

/**
 * Checks a message from an executor field by field and rebuilds it from plain values: an executor
 * runs hostile code, so what it says is data to check, not an object to trust. Returns undefined
 * for anything that is not a well-formed message; never throws.
 */
export function parseExecutorMessage(
  raw: unknown,
  restoredBaseOf: (id: number) => Uint8Array | undefined = () => undefined,
): ExecutorMessage | undefined {
  if (!isObject(raw)) return undefined;
  if (raw.type === 'ready') return { type: 'ready' };
  if (!Number.isSafeInteger(raw.id)) return undefined;
  const id = raw.id as number;
  const stats = parseStats(raw.stats);
  if (!stats) return undefined;
  if (raw.type === 'invalid') {
    if (typeof raw.field !== 'string' || typeof raw.message !== 'string') return undefined;
    return {
      type: 'invalid',
      id,
      field: raw.field.slice(0, 200),
      message: raw.message.slice(0, 4096),
      stats,
    };
  }
  if (raw.type === 'state-missing') return { type: 'state-missing', id, stats };
  if (raw.type === 'failed') {
    if (typeof raw.message !== 'string') return undefined;
    return { type: 'failed', id, message: raw.message.slice(0, 4096), stats };
  }
  if (raw.type === 'result') {
    const result = parseResult(raw.result, restoredBaseOf(id));
    return result ? { type: 'result', id, result, stats } : undefined;
  }
  if (raw.type === 'compiled') {
    const outcome = parseCompileOutcome(raw.outcome);
    return outcome ? { type: 'compiled', id, outcome, stats } : undefined;
  }
  return undefined;
}

/** A compile's outcome, rebuilt from plain values; the host rehashes the bytes itself. */
function parseCompileOutcome(raw: unknown): CompileOutcome | undefined {
  if (!isObject(raw)) return undefined;
  if (raw.kind === 'compile_error') {
    return typeof raw.message === 'string'
      ? { kind: 'compile_error', message: raw.message.slice(0, 4096) }
      : undefined;
  }
  if (raw.kind === 'failed') {
    if (typeof raw.message !== 'string' || !EXECUTION_STATUSES.includes(raw.status as ExecutionStatus))
      return undefined;
    return { kind: 'failed', status: raw.status as ExecutionStatus, message: raw.message.slice(0, 4096) };
  }
  if (raw.kind !== 'compiled' || !isObject(raw.compiled)) return undefined;
  const c = raw.compiled;
  if (!(c.bytes instanceof Uint8Array) || (c.mode !== 'static' && c.mode !== 'dynamic')) return undefined;
  const engine = isObject(c.engine) ? c.engine : undefined;
  if (
    !engine ||
    !['name', 'version', 'hash'].every(
      (k) => typeof engine[k] === 'string' && (engine[k] as string).length <= 200,
    )
  ) {
    return undefined;
  }
  if (!isDuration(c.compileMs)) return undefined;
  const compiled: CompiledModule = {
    bytes: c.bytes,
    hash: sha256(c.bytes),
    mode: c.mode,
    engine: { name: engine.name as string, version: engine.version as string, hash: engine.hash as string },
    compileMs: c.compileMs as number,
  };
  if (c.imports !== undefined) {
    if (!isObject(c.imports)) return undefined;
    const entries = Object.entries(c.imports);
    if (!entries.every(([name, bytes]) => name.length <= 200 && bytes instanceof Uint8Array))
      return undefined;
    compiled.imports = Object.fromEntries(entries) as Record<string, Uint8Array>;
  }
  if (c.resultChannel !== undefined) {
    const fd = isObject(c.resultChannel) ? c.resultChannel.fd : undefined;
    if (!Number.isSafeInteger(fd)) return undefined;
    compiled.resultChannel = { fd: fd as number };
  }
  return { kind: 'compiled', compiled };
}

const STAT_KEYS = [
  'poolSize',
  'busyWorkers',
  'aliveWorkers',
  'queued',
  'crashes',
  'recycledWorkers',
  'cacheHits',
  'cacheMisses',
  'cacheEntries',
] as const;

function parseStats(raw: unknown): ExecutorStats | undefined {
  if (!isObject(raw)) return undefined;
  const out = {} as ExecutorStats;
  for (const key of STAT_KEYS) {
    const value = raw[key];
    if (!isCount(value)) return undefined;
    out[key] = value;
  }
  return out;
}

/**
 * Checks a result from an executor. `restoredBase` is the base the host sent with the request: an
 * answer that kept it names it by `baseKept` instead of sending it back.
 */
function parseResult(raw: unknown, restoredBase?: Uint8Array): ExecutionResult | undefined {
  if (!isObject(raw)) return undefined;
  if (!EXECUTION_STATUSES.includes(raw.status as ExecutionStatus)) return undefined;
  // Output comes as UTF-16LE bytes (or text); an odd or unpaired byte becomes U+FFFD, never an
  // exception.
  const stdout = text(raw.stdout);
  const stderr = text(raw.stderr);
  if (stdout === undefined || stderr === undefined || typeof raw.truncated !== 'boolean') return undefined;
  const timing = isObject(raw.timing) ? raw.timing : undefined;
  if (!timing || !['queuedMs', 'compileMs', 'runMs', 'totalMs'].every((k) => isDuration(timing[k]))) {
    return undefined;
  }
  const result: ExecutionResult = {
    status: raw.status as ExecutionStatus,
    stdout,
    stderr,
    backend: 'wasm',
    timing: {
      queuedMs: timing.queuedMs as number,
      compileMs: timing.compileMs as number,
      runMs: timing.runMs as number,
      totalMs: timing.totalMs as number,
    },
    truncated: raw.truncated,
  };
  if (timing.saveMs !== undefined) {
    if (!isDuration(timing.saveMs)) return undefined;
    result.timing.saveMs = timing.saveMs as number;
  }
  if ('value' in raw && raw.value !== undefined) result.value = raw.value;
  if (raw.exitCode !== undefined) {
    if (!Number.isSafeInteger(raw.exitCode)) return undefined;
    result.exitCode = raw.exitCode as number;
  }
  for (const key of ['fuelUsed', 'memoryPeakBytes'] as const) {
    if (raw[key] === undefined) continue;
    if (!isCount(raw[key])) return undefined;
    result[key] = raw[key] as number;
  }
  if (raw.error !== undefined) {
    const error = parseError(raw.error);
    if (!error) return undefined;
    result.error = error;
  }
  if (raw.state !== undefined) {
    // the bytes stay opaque here; only their head is read, to learn the engine they name
    const state = isObject(raw.state) ? raw.state : undefined;
    const base = state?.baseKept === true ? restoredBase : state?.base;
    const delta = state?.delta;
    const engine = base instanceof Uint8Array ? stateEngineOf(base, delta) : undefined;
    if (!state || engine === undefined || state.engine !== engine || result.status !== 'ok') return undefined;
    result.state = { base: base as Uint8Array, engine, ...(delta ? { delta: delta as Uint8Array } : {}) };
  }
  if (raw.files !== undefined) {
    if (!isObject(raw.files)) return undefined;
    const entries = Object.entries(raw.files);
    if (!entries.every(([, data]) => data instanceof Uint8Array)) return undefined;
    // Own properties only: a path named `__proto__` stays a path, never a prototype.
    result.files = Object.fromEntries(entries) as Record<string, Uint8Array>;
  }
  return result;
}

const LIMIT_NAMES: ReadonlyArray<keyof Limits> = ['timeoutMs', 'memoryBytes', 'fuel', 'maxOutputBytes'];

function parseError(raw: unknown): ExecutionError | undefined {
  if (!isObject(raw) || typeof raw.kind !== 'string' || typeof raw.message !== 'string') return undefined;
  const error: ExecutionError = { kind: raw.kind, message: raw.message };
  if (raw.stack !== undefined) {
    if (typeof raw.stack !== 'string') return undefined;
    error.stack = raw.stack;
  }
  if (raw.limit !== undefined) {
    const limit = raw.limit;
    if (!isObject(limit) || !LIMIT_NAMES.includes(limit.name as keyof Limits)) return undefined;
    if (typeof limit.allowed !== 'number' || (limit.used !== undefined && typeof limit.used !== 'number')) {
      return undefined;
    }
    error.limit = {
      name: limit.name as keyof Limits,
      allowed: limit.allowed,
      ...(limit.used !== undefined ? { used: limit.used } : {}),
    };
  }
  return error;
}

const decoder = new TextDecoder('utf-16le', { fatal: false });

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return value instanceof Uint8Array ? decoder.decode(value) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isDuration(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
