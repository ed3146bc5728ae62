import type { ExecutionResult } from '@memory-mcp/sandbox-core';
import type { z } from 'zod';
import type {
  AnalyzePatternsWire,
  EpisodeWire,
  GetExecutionWire,
  ListExecutionsWire,
  StepWire,
} from './output-schemas.js';
import type { executionResultOutput } from './schemas.js';
import type { Episode, Step } from './store/episode-repository.js';
import type { StoredExecution } from './store/execution-repository.js';
import type { Patterns } from './store/pattern-repository.js';

/** The wire shape of an execution result: `ExecutionResult` plus ids, files as base64. */
export type ExecutionResultWire = z.infer<typeof executionResultOutput>;

export function executionResultToWire(
  result: ExecutionResult,
  executionId: string,
  episodeId?: string,
): ExecutionResultWire {
  // a session's state never leaves the server: the result says only whether it was kept
  const { files, state: _state, ...rest } = result;
  return {
    execution_id: executionId,
    ...(episodeId ? { episode_id: episodeId } : {}),
    ...rest,
    ...(files
      ? {
          files: Object.fromEntries(
            Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
        }
      : {}),
  };
}

export const episodeToWire = (e: Episode): EpisodeWire => ({
  id: e.id,
  task: e.task,
  domain: e.domain,
  task_type: e.taskType,
  context: e.context,
  status: e.status,
  outcome: e.outcome,
  notes: e.notes,
  started_at: e.startedAt,
  completed_at: e.completedAt,
  duration_ms: e.durationMs,
  steps: e.steps,
  executions: e.executions,
  ...(e.score !== undefined ? { score: e.score } : {}),
});

export const stepToWire = (s: Step): StepWire => ({
  episode_id: s.episodeId,
  seq: s.seq,
  action: s.action,
  outcome: s.outcome,
  created_at: s.createdAt,
});

const storedExecutionFields = (x: StoredExecution) => ({
  id: x.id,
  episode_id: x.episodeId,
  language: x.language,
  backend: x.backend,
  status: x.status,
  route_reason: x.routeReason,
  error_kind: x.errorKind,
  code_sha256: x.codeSha256,
  total_ms: x.totalMs,
  fuel_used: x.fuelUsed,
  created_at: x.createdAt,
});

export const executionListItemToWire = (x: StoredExecution): ListExecutionsWire['items'][number] => ({
  ...storedExecutionFields(x),
  stdout_preview: x.result.stdout.slice(0, 200),
});

export const storedExecutionToWire = (x: StoredExecution): GetExecutionWire['execution'] => ({
  ...storedExecutionFields(x),
  result: x.result as GetExecutionWire['execution']['result'],
});

export const patternsToWire = (p: Patterns): AnalyzePatternsWire => ({
  task_types: p.taskTypes.map((t) => ({
    task_type: t.taskType,
    episodes: t.episodes,
    successes: t.successes,
    success_rate: t.successRate,
    avg_duration_ms: t.avgDurationMs,
  })),
  backends: p.backends.map((b) => ({
    backend: b.backend,
    executions: b.executions,
    ok: b.ok,
    success_rate: b.successRate,
    p50_ms: b.p50Ms,
  })),
  error_kinds: p.errorKinds.map((k) => ({ error_kind: k.errorKind, count: k.count, backends: k.backends })),
  step_sequences: p.stepSequences.map((s) => ({
    sequence: s.sequence,
    count: s.count,
    task_types: s.taskTypes,
  })),
});
