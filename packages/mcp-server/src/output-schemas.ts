import { z } from 'zod';
import { executionResultOutput } from './schemas.js';

/** The wire shapes of the memory tools' `structuredContent`: snake_case, one source of truth. */
export const episodeOutput = z.object({
  id: z.string(),
  task: z.string(),
  domain: z.string().nullable(),
  task_type: z.string().nullable(),
  context: z.unknown(),
  status: z.enum(['open', 'completed']),
  outcome: z.enum(['success', 'failure', 'partial']).nullable(),
  notes: z.string().nullable(),
  started_at: z.string(),
  completed_at: z.string().nullable(),
  duration_ms: z.number().nullable(),
  steps: z.number().int(),
  executions: z.number().int(),
  score: z.number().optional().describe('bm25 rank, lower is better'),
});

export const stepOutput = z.object({
  episode_id: z.string(),
  seq: z.number().int(),
  action: z.string(),
  outcome: z.string().nullable(),
  created_at: z.string(),
});

const storedExecutionFields = {
  id: z.string(),
  episode_id: z.string().nullable(),
  language: z.string(),
  backend: z.string(),
  status: z.string(),
  route_reason: z.string().nullable(),
  error_kind: z.string().nullable(),
  code_sha256: z.string().nullable(),
  total_ms: z.number(),
  fuel_used: z.number().nullable(),
  created_at: z.string(),
};

export const startEpisodeOutput = z.object({ episode_id: z.string(), episode: episodeOutput });
export const logStepOutput = z.object({ step: stepOutput });
export const completeEpisodeOutput = z.object({ episode: episodeOutput });
export const queryMemoryOutput = z.object({ count: z.number().int(), episodes: z.array(episodeOutput) });

export const analyzePatternsOutput = z.object({
  task_types: z.array(
    z.object({
      task_type: z.string().nullable(),
      episodes: z.number(),
      successes: z.number(),
      success_rate: z.number(),
      avg_duration_ms: z.number().nullable(),
    }),
  ),
  backends: z.array(
    z.object({
      backend: z.string(),
      executions: z.number(),
      ok: z.number(),
      success_rate: z.number(),
      p50_ms: z.number().nullable(),
    }),
  ),
  error_kinds: z.array(
    z.object({ error_kind: z.string(), count: z.number(), backends: z.array(z.string()) }),
  ),
  step_sequences: z.array(
    z.object({ sequence: z.array(z.string()), count: z.number(), task_types: z.array(z.string()) }),
  ),
});

export const listExecutionsOutput = z.object({
  count: z.number().int(),
  items: z.array(z.object({ ...storedExecutionFields, stdout_preview: z.string() })),
  next_cursor: z.string().optional(),
});

export const getExecutionOutput = z.object({
  execution: z.object({
    ...storedExecutionFields,
    result: executionResultOutput.omit({ execution_id: true }),
  }),
});

export const sessionOutput = z.object({
  session_id: z.string(),
  label: z.string().nullable(),
  created_at: z.string(),
  last_used_at: z.string(),
  expires_at: z.string(),
  ttl_seconds: z.number(),
  version: z.number().int().describe('Saved states so far: one more per call that ended ok'),
  calls: z.number().int(),
  state_bytes: z.number().int().describe('Compressed size of the saved state'),
  forked_from: z.string().nullable(),
  limits: z.record(z.string(), z.number()).nullable(),
});

export const sessionListOutput = z.object({ sessions: z.array(sessionOutput) });
export const deleteSessionOutput = z.object({ session_id: z.string(), deleted: z.boolean() });

export const compileToWasmOutput = z.object({
  module_id: z.string(),
  size: z.number().int(),
  mode: z.string(),
  engine: z.object({ name: z.string(), version: z.string() }).loose(),
  compile_ms: z.number(),
});

export const healthCheckOutput = z.object({
  healthy: z.boolean(),
  sandbox: z.record(z.string(), z.unknown()),
  database: z.object({
    url: z.string(),
    state: z.enum(['ok', 'read_only', 'full', 'unreachable', 'busy', 'closed']),
    writable: z.boolean(),
    latency_ms: z.number(),
    error: z.string().optional(),
  }),
});

export const getMetricsOutput = z.object({
  sandbox: z.record(z.string(), z.unknown()),
  tools: z.record(
    z.string(),
    z.object({ calls: z.number(), ok: z.number(), errors: z.number(), invalid: z.number() }),
  ),
});

export type EpisodeWire = z.infer<typeof episodeOutput>;
export type StepWire = z.infer<typeof stepOutput>;
export type AnalyzePatternsWire = z.infer<typeof analyzePatternsOutput>;
export type ListExecutionsWire = z.infer<typeof listExecutionsOutput>;
export type GetExecutionWire = z.infer<typeof getExecutionOutput>;
export type HealthCheckWire = z.infer<typeof healthCheckOutput>;
