import { EXECUTION_STATUSES } from '@memory-mcp/sandbox-core';
import { z } from 'zod';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth.js';

const enumOf = (values: readonly string[], what: string) =>
  values.length > 0
    ? z.enum(values as [string, ...string[]])
    : z.string().refine(() => false, { message: `no ${what} is configured` });

const languageSchema = (languages: readonly string[], fallback: string) =>
  enumOf(languages, 'language')
    .optional()
    .describe(`Configured here: ${languages.join(', ')}. Defaults to ${fallback}`);

/** Any JSON value, refused (not overflowing the stack) when nested deeper than MAX_JSON_DEPTH. */
const boundedJson = (field: string) =>
  z.unknown().superRefine((value, ctx) => {
    if (jsonDepthExceeds(value, MAX_JSON_DEPTH))
      ctx.addIssue({ code: 'custom', message: `${field} is nested deeper than ${MAX_JSON_DEPTH} levels` });
  });

const limits = z
  .object({
    timeoutMs: z.number().int().positive().max(600_000).optional().describe('Wall-clock deadline in ms'),
    memoryBytes: z
      .number()
      .int()
      .positive()
      .max(4 * 1024 ** 3)
      .optional()
      .describe('Memory cap in bytes'),
    fuel: z.number().int().positive().optional().describe('Deterministic instruction budget (wasm)'),
    maxOutputBytes: z
      .number()
      .int()
      .positive()
      .max(64 * 1024 ** 2)
      .optional()
      .describe('stdout + stderr cap in bytes'),
  })
  .strict();

const sessionId = z
  .string()
  .max(100)
  .regex(/^ses_[A-Za-z0-9_-]{32}$/, 'must be a session id returned by create_session or fork_session');

const sessionTtl = z
  .number()
  .int()
  .positive()
  .max(365 * 24 * 3600)
  .optional()
  .describe('Idle time to live in seconds: the session is removed this long after its last call');

export const createSessionInput = z
  .object({
    ttl_seconds: sessionTtl,
    limits: limits.optional().describe('Limits every call in the session starts from'),
    label: z.string().max(200).optional().describe('Your name for the session'),
  })
  .strict();

export const forkSessionInput = z
  .object({ session_id: sessionId, ttl_seconds: sessionTtl, label: z.string().max(200).optional() })
  .strict();

export const sessionIdInput = z.object({ session_id: sessionId }).strict();

export const listSessionsInput = z
  .object({ limit: z.number().int().positive().max(1000).optional().describe('Default 100') })
  .strict();

/** What the configured sandbox offers; the schema clients see lists exactly these. */
export interface ExecuteInputOptions {
  languages: readonly string[];
  backends: readonly string[];
  defaultLanguage: string;
}

/** `execute_agent_code` input, for the languages and backends this server's sandbox has. */
export const executeAgentCodeInput = (options: ExecuteInputOptions) =>
  z
    .object({
      code: z.string().max(2_000_000).optional().describe('Source code, WAT text, or a base64 wasm module'),
      language: languageSchema(options.languages, options.defaultLanguage),
      module_id: z
        .string()
        .regex(/^[0-9a-f]{64}$/, 'must be a module id (SHA-256 hex) returned by compile_to_wasm')
        .optional()
        .describe('Run a module stored by compile_to_wasm instead of code'),
      backend: enumOf(options.backends, 'backend')
        .optional()
        .describe('Force a backend; otherwise the sandbox routes'),
      context: z
        .object({ task: z.string().max(10_000).optional(), input: boundedJson('context.input').optional() })
        .strict()
        .optional()
        .describe('`input` is visible to the code as `input` (JS) or JSON on stdin (WASI)'),
      stdin: z.string().max(10_000_000).optional(),
      args: z.array(z.string()).max(256).optional(),
      entry: z.string().max(256).optional().describe('For wasm/wat: call this export with numeric input'),
      limits: limits.optional(),
      episode_id: z.string().max(64).optional().describe('Link this execution to an episode'),
      session_id: sessionId
        .optional()
        .describe(
          'Run JavaScript in this session (create_session): it starts from the state the last ok call left, and an ok call saves its end state; a call that does not end ok leaves the session as it was',
        ),
    })
    .strict()
    .superRefine((value, ctx) => {
      if (value.session_id !== undefined && value.module_id !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['session_id'],
          message: 'a session runs JavaScript code, not a module_id',
        });
      }
      if (value.code === undefined && value.module_id === undefined) {
        ctx.addIssue({ code: 'custom', path: ['code'], message: 'give either code or module_id' });
      }
      if (value.code !== undefined && value.module_id !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['module_id'],
          message: 'give either code or module_id, not both',
        });
      }
    });

export type ExecuteAgentCodeArgs = z.output<ReturnType<typeof executeAgentCodeInput>>;

export const executionResultOutput = z.object({
  execution_id: z.string(),
  episode_id: z.string().optional(),
  status: z.enum(EXECUTION_STATUSES as [string, ...string[]]),
  stdout: z.string(),
  stderr: z.string(),
  value: z.unknown().optional(),
  exitCode: z.number().optional(),
  error: z
    .object({
      kind: z.string(),
      message: z.string(),
      stack: z.string().optional(),
      limit: z.object({ name: z.string(), allowed: z.number(), used: z.number().optional() }).optional(),
    })
    .optional(),
  backend: z.string(),
  route: z.object({ mode: z.string(), reason: z.string() }).optional(),
  timing: z.object({
    queuedMs: z.number(),
    compileMs: z.number(),
    runMs: z.number(),
    totalMs: z.number(),
    saveMs: z.number().optional().describe("Of totalMs, saving the session's state"),
  }),
  fuelUsed: z.number().optional(),
  memoryPeakBytes: z.number().optional(),
  truncated: z.boolean(),
  files: z.record(z.string(), z.string()).optional().describe('Files the code wrote, base64'),
  session: z
    .object({
      id: z.string(),
      version: z.number().int(),
      saved: z.boolean().describe("Whether this call's end state is now the session's"),
      stateBytes: z.number().int(),
    })
    .optional(),
});

export const compileToWasmInput = z
  .object({
    code: z.string().min(1).max(2_000_000).describe('JavaScript source'),
    mode: z.enum(['static', 'dynamic']).optional(),
  })
  .strict();

export const startEpisodeInput = z
  .object({
    task: z.string().min(1).max(10_000),
    domain: z.string().max(200).optional(),
    task_type: z.string().max(200).optional(),
    context: boundedJson('context').optional(),
  })
  .strict();

export const logStepInput = z
  .object({
    episode_id: z.string().min(1).max(64),
    action: z.string().min(1).max(10_000),
    outcome: z.string().max(10_000).optional(),
  })
  .strict();

export const completeEpisodeInput = z
  .object({
    episode_id: z.string().min(1).max(64),
    outcome: z.enum(['success', 'failure', 'partial']),
    notes: z.string().max(100_000).optional(),
  })
  .strict();

export const queryMemoryInput = z
  .object({
    query: z
      .string()
      .max(10_000)
      .optional()
      .describe('Full-text search over task, context, notes, domain, task type'),
    domain: z.string().max(200).optional(),
    task_type: z.string().max(200).optional(),
    limit: z.number().int().min(1).max(100).optional(),
    sort: z.enum(['relevance', 'newest', 'oldest', 'duration', 'success']).optional(),
  })
  .strict();

export const analyzePatternsInput = z
  .object({
    task_type: z.string().max(200).optional(),
    min_success_rate: z.number().min(0).max(1).optional(),
    limit: z.number().int().min(1).max(100).optional(),
  })
  .strict();

export const listExecutionsInput = z
  .object({
    status: z.enum(EXECUTION_STATUSES as [string, ...string[]]).optional(),
    backend: z.string().max(50).optional(),
    episode_id: z.string().max(64).optional(),
    since: z.iso.datetime({ offset: true }).optional().describe('ISO 8601 time'),
    limit: z.number().int().min(1).max(200).optional(),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const getExecutionInput = z.object({ execution_id: z.string().min(1).max(64) }).strict();
export const emptyInput = z.object({}).strict();
