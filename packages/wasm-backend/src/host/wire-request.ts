import { createHash } from 'node:crypto';
import {
  CompileError,
  type Compiler,
  type ExecutionRequest,
  type ExecutionResult,
  emptyResult,
  InvalidRequestError,
} from '@memory-mcp/sandbox-core';
import type { WireRequest } from '../executor/executor-protocol.js';
import { type ResultChannelRegistry, sha256 } from '../result-channel/result-channel-registry.js';

/** What the host sends an executor for one request, and which executor it prefers. */
export interface WireRequestPlan {
  request: WireRequest;
  /** Requests with the same affinity go to the same executor, whose caches are then warm. */
  affinity: string;
  /** Host time spent compiling (a trusted in-process compiler only). */
  compileMs: number;
}

export interface WireRequestContext {
  channels: ResultChannelRegistry;
  maxModuleBytes: number;
  /** A compiler in this process (trusted callers); undefined in the app. */
  hostCompiler: Compiler | undefined;
  /** The executors load a compiler of their own. */
  executorCompiles: boolean;
}

/**
 * Request decoding: turns a request into what an executor runs without reading the module (WAT
 * stays text, module bytes are only decoded from base64 and hashed, in slices that leave the event
 * loop free). Only the host says what an executor may trust (a vouched result channel, a
 * precompiled module, a hash): such fields on a caller's request object are dropped.
 */
export async function wireRequest(
  request: ExecutionRequest,
  ctx: WireRequestContext,
): Promise<WireRequestPlan | ExecutionResult> {
  const { signal: _signal, ...rest } = request;
  const { compiled: _c, resultFd: _r, bytesHash: _h, ...plain } = rest as WireRequest;
  switch (request.language) {
    case 'wat':
      if (typeof request.code !== 'string') throw new InvalidRequestError('code', 'WAT must be text');
      return { request: plain, affinity: request.code.slice(0, 256), compileMs: 0 };
    case 'wasm': {
      const bytes = typeof request.code === 'string' ? await decodeBase64(request.code) : request.code;
      if (!(bytes instanceof Uint8Array))
        throw new InvalidRequestError('code', 'a wasm module must be bytes or base64');
      if (bytes.length > ctx.maxModuleBytes) {
        throw new InvalidRequestError(
          'code',
          `module is ${bytes.length} bytes; the limit is ${ctx.maxModuleBytes}`,
        );
      }
      const hash = await digest(bytes);
      const fd = ctx.channels.fdFor(hash);
      return {
        // The executor trusts this hash for its cache key, so it never hashes 12 MB on its own thread.
        request: { ...plain, code: bytes, bytesHash: hash, ...(fd !== undefined ? { resultFd: fd } : {}) },
        affinity: hash,
        compileMs: 0,
      };
    }
    case 'javascript':
      if (typeof request.code !== 'string')
        throw new InvalidRequestError('code', 'JavaScript must be source text');
      if (ctx.hostCompiler) return compileOnHost(request.code, plain, ctx.hostCompiler, ctx.channels);
      if (ctx.executorCompiles) return { request: plain, affinity: sha256(request.code), compileMs: 0 };
      throw new InvalidRequestError(
        'language',
        'this wasm backend has no JavaScript compiler configured; run JavaScript on the node backend',
      );
    default:
      throw new InvalidRequestError(
        'language',
        `the wasm backend runs wasm, wat and javascript, not ${request.language}`,
      );
  }
}

/** A trusted in-process compiler (library use): only its output may open a result channel. */
async function compileOnHost(
  source: string,
  plain: WireRequest,
  compiler: Compiler,
  channels: ResultChannelRegistry,
): Promise<WireRequestPlan | ExecutionResult> {
  const started = performance.now();
  let compiled: Awaited<ReturnType<Compiler['compile']>>;
  try {
    compiled = await compiler.compile(source);
  } catch (error) {
    if (!CompileError.isInstance(error)) throw error;
    const result = emptyResult('wasm', 'error', { kind: 'SyntaxError', message: error.message });
    result.timing.compileMs = performance.now() - started;
    return result;
  }
  const hash = channels.register(compiled, await digest(compiled.bytes));
  const fd = channels.fdFor(hash, compiled.engine.hash);
  return {
    request: {
      ...plain,
      language: 'wasm',
      code: new Uint8Array(0),
      compiled: {
        bytes: compiled.bytes,
        ...(compiled.imports ? { imports: compiled.imports } : {}),
        ...(fd !== undefined ? { resultFd: fd } : {}),
      },
    },
    affinity: hash,
    compileMs: performance.now() - started,
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Host work on a large module is done in slices with a turn of the event loop between them, so a
 * 12 MB module never holds the loop for more than about a millisecond at a time.
 */
const SLICE_BYTES = 256 * 1024;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function decodeBase64(text: string): Promise<Uint8Array> {
  const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  if (compact.length % 4 !== 0)
    throw new InvalidRequestError('code', 'a wasm module given as a string must be base64');
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const out = Buffer.allocUnsafe((compact.length / 4) * 3 - padding);
  let written = 0;
  for (let at = 0; at < compact.length; at += SLICE_BYTES) {
    const slice = compact.slice(at, at + SLICE_BYTES);
    const last = at + SLICE_BYTES >= compact.length;
    if (!BASE64.test(slice) || (!last && slice.includes('='))) {
      throw new InvalidRequestError('code', 'a wasm module given as a string must be base64');
    }
    written += out.write(slice, written, 'base64');
    if (!last) await yieldToLoop();
  }
  return new Uint8Array(out.buffer, out.byteOffset, written);
}

/** SHA-256 of module bytes, in slices for large modules. */
export async function digest(bytes: Uint8Array): Promise<string> {
  if (bytes.length <= SLICE_BYTES) return sha256(bytes);
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
    hash.update(bytes.subarray(at, at + SLICE_BYTES));
    await yieldToLoop();
  }
  return hash.digest('hex');
}
