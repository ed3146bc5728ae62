import type { InValue } from '@libsql/client';
import type { Database, Queryable } from './database.js';
import { clamp, readText } from './sql-helpers.js';

export interface Patterns {
  taskTypes: Array<{
    taskType: string | null;
    episodes: number;
    successes: number;
    successRate: number;
    avgDurationMs: number | null;
  }>;
  backends: Array<{
    backend: string;
    executions: number;
    ok: number;
    successRate: number;
    p50Ms: number | null;
  }>;
  errorKinds: Array<{ errorKind: string; count: number; backends: string[] }>;
  stepSequences: Array<{ sequence: string[]; count: number; taskTypes: string[] }>;
}

export interface PatternQuery {
  taskType?: string;
  /** Only task types at or above this success rate, 0 to 1. Default 0. */
  minSuccessRate?: number;
  /** 1 to 100. Default 10. */
  limit?: number;
}

/** Read-only analysis across episodes, steps and executions. */
export class PatternRepository {
  constructor(readonly db: Database) {}

  async analyze(input: PatternQuery = {}): Promise<Patterns> {
    const limit = clamp(input.limit, 10, 1, 100);
    const taskArgs: InValue[] = input.taskType ? [input.taskType] : [];
    return this.db.read(async (q) => ({
      taskTypes: await taskTypes(q, input, taskArgs, limit),
      backends: await backends(q, input, taskArgs),
      errorKinds: await errorKinds(q, input, taskArgs, limit),
      stepSequences: await stepSequences(q, input, taskArgs, limit),
    }));
  }
}

const executionFilter = (input: PatternQuery) =>
  input.taskType ? 'WHERE x.episode_id IN (SELECT id FROM episodes WHERE task_type = ?)' : '';

async function taskTypes(q: Queryable, input: PatternQuery, taskArgs: InValue[], limit: number) {
  const rows = (
    await q.execute({
      sql: `SELECT CAST(task_type AS BLOB) AS task_type, COUNT(*) AS episodes, SUM(outcome = 'success') AS successes,
              CAST(SUM(outcome = 'success') AS REAL) / COUNT(*) AS success_rate, AVG(duration_ms) AS avg_duration_ms
            FROM episodes WHERE status = 'completed' ${input.taskType ? 'AND task_type = ?' : ''}
            GROUP BY episodes.task_type HAVING success_rate >= ? ORDER BY episodes DESC LIMIT ?`,
      args: [...taskArgs, input.minSuccessRate ?? 0, limit],
    })
  ).rows;
  return rows.map((r) => ({
    taskType: readText(r.task_type),
    episodes: Number(r.episodes),
    successes: Number(r.successes),
    successRate: Number(r.success_rate),
    avgDurationMs: r.avg_duration_ms == null ? null : Number(r.avg_duration_ms),
  }));
}

async function backends(q: Queryable, input: PatternQuery, taskArgs: InValue[]) {
  const filter = executionFilter(input);
  const rows = (
    await q.execute({
      sql: `SELECT backend, COUNT(*) AS executions, SUM(status = 'ok') AS ok FROM executions x ${filter}
            GROUP BY backend ORDER BY executions DESC`,
      args: taskArgs,
    })
  ).rows;
  const out: Patterns['backends'] = [];
  for (const r of rows) {
    const count = Number(r.executions);
    const median = (
      await q.execute({
        sql: `SELECT total_ms FROM executions x ${filter ? `${filter} AND` : 'WHERE'} backend = ? ORDER BY total_ms LIMIT 1 OFFSET ?`,
        args: [...taskArgs, r.backend as string, Math.floor((count - 1) / 2)],
      })
    ).rows[0];
    out.push({
      backend: r.backend as string,
      executions: count,
      ok: Number(r.ok),
      successRate: Number(r.ok) / count,
      p50Ms: median ? Number(median.total_ms) : null,
    });
  }
  return out;
}

async function errorKinds(q: Queryable, input: PatternQuery, taskArgs: InValue[], limit: number) {
  const filter = executionFilter(input);
  const rows = (
    await q.execute({
      sql: `SELECT error_kind, COUNT(*) AS count, GROUP_CONCAT(DISTINCT backend) AS backends FROM executions x
            ${filter ? `${filter} AND` : 'WHERE'} status != 'ok' AND error_kind IS NOT NULL
            GROUP BY error_kind ORDER BY count DESC LIMIT ?`,
      args: [...taskArgs, limit],
    })
  ).rows;
  return rows.map((r) => ({
    errorKind: r.error_kind as string,
    count: Number(r.count),
    backends: r.backends ? String(r.backends).split(',') : [],
  }));
}

async function stepSequences(q: Queryable, input: PatternQuery, taskArgs: InValue[], limit: number) {
  // Actions are joined with U+001F (unit separator) and selected as bytes, so NULs survive.
  const rows = (
    await q.execute({
      sql: `SELECT CAST(seqs.sequence AS BLOB) AS sequence, COUNT(*) AS count, CAST(GROUP_CONCAT(DISTINCT seqs.task_type) AS BLOB) AS task_types FROM (
              SELECT e.id, e.task_type, (SELECT GROUP_CONCAT(action, char(31)) FROM (SELECT action FROM steps s WHERE s.episode_id = e.id ORDER BY s.seq)) AS sequence
              FROM episodes e WHERE e.outcome = 'success' ${input.taskType ? 'AND e.task_type = ?' : ''}
            ) seqs WHERE seqs.sequence IS NOT NULL GROUP BY seqs.sequence ORDER BY count DESC, seqs.sequence LIMIT ?`,
      args: [...taskArgs, limit],
    })
  ).rows;
  return rows.map((r) => ({
    sequence: readText(r.sequence)!.split('\u001f'),
    count: Number(r.count),
    taskTypes: r.task_types ? readText(r.task_types)!.split(',') : [],
  }));
}
