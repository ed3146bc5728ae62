import {
  type ExecutionRequest,
  type ExecutionResult,
  emptyResult,
  InvalidRequestError,
  type Limits,
  type Policy,
} from '@memory-mcp/sandbox-core';
import { exportedFuncType, PAGE_BYTES } from '@memory-mcp/wasm-binary';
import type { PreparedComponent } from '../component/component-pipeline.js';
import type { ComponentMessage, RunMessage } from '../pool/worker-protocol.js';
import type { FsLimits } from '../wasi/memory-fs.js';
import { capPagesFor } from './cap-pages.js';
import { entryArgs } from './entry-args.js';
import { limitResult } from './map-outcome.js';
import type { PreparedModule } from './module-pipeline.js';

/**
 * Room on the result channel beyond `maxOutputBytes`: the record's JSON envelope and an error's
 * name, message and stack. The value itself is held to `maxOutputBytes`.
 */
const RESULT_ENVELOPE_BYTES = 192 * 1024;

const UTF8 = new TextEncoder();

/** What every run's plan needs besides the prepared code. */
export interface PlanContext {
  backend: string;
  limits: Limits;
  policy: Policy;
  /** Fuel for the run (the request's, else what its deadline buys). */
  fuel: number;
  maxTableElements: number;
  fsLimits: FsLimits;
}

/**
 * What every run gets, module or component: stdin (the request's, else its input as JSON, Javy's
 * convention), argv, the request's env when the policy allows it, the console switch, the output
 * cap and the fuel budget.
 */
export function commandFor(request: ExecutionRequest, { limits, policy, fuel }: PlanContext) {
  return {
    stdin: UTF8.encode(
      request.stdin ?? (request.input !== undefined && !request.entry ? JSON.stringify(request.input) : ''),
    ),
    args: ['main.wasm', ...(request.args ?? [])],
    env: policy.allowEnv ? { ...request.env } : {},
    allowConsole: policy.allowConsole,
    maxOutputBytes: limits.maxOutputBytes,
    fuel,
  };
}

/** Caps a prepared module is refused on before instantiation: a result, not a run. */
export function refuseModule(
  prepared: Pick<PreparedModule, 'minPages' | 'tableElements' | 'missingImports'>,
  ctx: PlanContext,
  what: { module: string; memory?: string },
): ExecutionResult | undefined {
  const capPages = capPagesFor(ctx.limits.memoryBytes);
  if (prepared.minPages > capPages) {
    return limitResult(ctx.backend, {
      name: 'memoryBytes',
      allowed: ctx.limits.memoryBytes,
      used: prepared.minPages * PAGE_BYTES,
      message:
        what.memory ??
        `the ${what.module}'s initial memory (${prepared.minPages} pages, ${prepared.minPages * PAGE_BYTES} bytes) is over the ${ctx.limits.memoryBytes}-byte cap`,
    });
  }
  if (prepared.tableElements > ctx.maxTableElements) {
    // Tables are not a `Limits` field: the status is memory_limit, the message names the table cap.
    return emptyResult(ctx.backend, 'memory_limit', {
      kind: 'memory_limit',
      message: `the ${what.module}'s tables ask for ${prepared.tableElements} elements at instantiation; the table cap (maxTableElements) is ${ctx.maxTableElements}`,
    });
  }
  if (prepared.missingImports.length > 0) {
    return emptyResult(ctx.backend, 'error', {
      kind: 'link',
      message: `the ${what.module} imports ${prepared.missingImports.join(', ')}, which the sandbox does not provide (${
        what.module === 'component'
          ? 'wasi:cli, io, clocks, random and an empty filesystem are available'
          : 'only WASI preview 1 is available'
      })`,
    });
  }
  return undefined;
}

/**
 * The worker message for one run of a prepared core module. `resultFd` is the channel the engine
 * vouches for (a module its compiler produced), never one the module names itself.
 */
export function planModuleRun(
  request: ExecutionRequest,
  prepared: PreparedModule & { key: string },
  ctx: PlanContext,
  resultFd: number | undefined,
): Omit<RunMessage, 'id'> {
  const message = planRun(request, ctx, resultFd, {
    ...(prepared.module ? { module: prepared.module } : {}),
    moduleKey: prepared.key,
    hasStart: prepared.hasStart,
    wasiImports: prepared.wasiImports,
  });
  if (prepared.importedMemory) message.importedMemory = prepared.importedMemory;
  if (prepared.memoryExport) message.memoryExport = prepared.memoryExport;
  if (request.entry) {
    const type = exportedFuncType(prepared.info, request.entry);
    if (!type)
      throw new InvalidRequestError('entry', `the module exports no function named '${request.entry}'`);
    message.entry = request.entry;
    message.entryArgs = entryArgs(request.input, type);
    message.entryResults = type.results;
  } else if (!exportedFuncType(prepared.info, '_start')) {
    throw new InvalidRequestError(
      'entry',
      `the module exports no _start; name an exported function in 'entry'`,
    );
  }
  return message;
}

/**
 * The worker message for a compiler's bytecode run in place of its dynamic module (see
 * `CompiledModule.direct`): the linked engine does all the work, so there is no main module.
 */
export function planBytecodeRun(
  request: ExecutionRequest,
  direct: { link: string; bytecode: Uint8Array },
  ctx: PlanContext,
  resultFd: number | undefined,
): Omit<RunMessage, 'id'> {
  return planRun(request, ctx, resultFd, {
    hasStart: false,
    wasiImports: {},
    bytecode: { link: direct.link, bytes: direct.bytecode },
  });
}

/** What a run of a core module or of bytecode carries besides what it runs. */
function planRun(
  request: ExecutionRequest,
  ctx: PlanContext,
  resultFd: number | undefined,
  what: Pick<RunMessage, 'hasStart' | 'wasiImports' | 'module' | 'moduleKey' | 'bytecode'>,
): Omit<RunMessage, 'id'> {
  const message: Omit<RunMessage, 'id'> = {
    ...what,
    ...commandFor(request, ctx),
    deterministic: ctx.policy.deterministic,
    memoryCapBytes: ctx.limits.memoryBytes,
  };
  if (resultFd !== undefined) {
    message.resultFd = resultFd;
    message.maxResultBytes = ctx.limits.maxOutputBytes + RESULT_ENVELOPE_BYTES;
  }
  if (ctx.policy.allowFilesystem) {
    message.files = { ...request.files };
    message.fsLimits = { ...ctx.fsLimits, maxReturnedBytes: ctx.limits.maxOutputBytes };
  }
  return message;
}

/** The worker message for one run of a prepared component (a `wasi:cli/run` command). */
export function planComponentRun(
  request: ExecutionRequest,
  prepared: PreparedComponent,
  ctx: PlanContext,
): Omit<ComponentMessage, 'id'> {
  if (request.entry)
    throw new InvalidRequestError('entry', 'components run as wasi:cli/run commands; entry is not supported');
  return {
    component: true,
    js: prepared.js,
    jsHash: prepared.jsHash,
    modules: prepared.modules,
    ...commandFor(request, ctx),
  };
}
