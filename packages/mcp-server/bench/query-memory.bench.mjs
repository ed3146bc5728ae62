// query_memory over 10,000 generated episodes in a real libSQL file: FTS5 relevance and the other
// sorts, median and p95. Also the cost of recording one execution.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@memory-mcp/mcp-server';
import { emptyResult } from '@memory-mcp/sandbox-core';
import { fmt, measure, report, rowsFor } from '../../../scripts/bench-lib.mjs';

const row = rowsFor('mcp-server');

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-bench-'));
const store = await MemoryStore.open({ url: `file:${join(dir, 'bench.db')}` });
const words = [
  'parse',
  'csv',
  'json',
  'prices',
  'sum',
  'sort',
  'invoice',
  'graph',
  'regex',
  'date',
  'timezone',
  'matrix',
  'cache',
  'retry',
  'http',
  'token',
  'unicode',
  'stream',
  'report',
  'chart',
];
const domains = ['finance', 'science', 'web', 'ops', 'text'];
const types = ['arithmetic', 'parsing', 'transform', 'search', 'io'];
let seed = 42;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};
const sentence = (n) => Array.from({ length: n }, () => words[rand(words.length)]).join(' ');

const N = 10_000;
const t0 = performance.now();
const now = Date.now();
for (let batch = 0; batch < N / 500; batch++) {
  const statements = [];
  for (let i = 0; i < 500; i++) {
    const started = now - rand(30 * 86_400_000);
    const id = randomUUID();
    statements.push({
      sql: `INSERT INTO episodes (id, task, domain, task_type, context, status, outcome, notes, started_at, completed_at, duration_ms)
            VALUES (?, ?, ?, ?, ?, 'completed', ?, ?, ?, ?, ?)`,
      args: [
        id,
        sentence(6),
        domains[rand(5)],
        types[rand(5)],
        JSON.stringify({ hint: sentence(3) }),
        ['success', 'failure', 'partial'][rand(3)],
        sentence(8),
        started,
        started + 5000,
        rand(60_000),
      ],
    });
    for (let s = 1; s <= 3; s++) {
      statements.push({
        sql: 'INSERT INTO steps (episode_id, seq, action, outcome, created_at) VALUES (?, ?, ?, ?, ?)',
        args: [id, s, words[rand(5)], 'ok', started + s],
      });
    }
  }
  await store.db.write(async (tx) => {
    for (const statement of statements) await tx.execute(statement);
  });
}
console.error(`generated ${N} episodes with 3 steps each in ${fmt(performance.now() - t0)} ms`);

const queries = ['prices invoice', 'csv parse', 'unicode stream report', 'graph', 'timezone date retry'];
const runs = 300;
const cases = [
  [
    'query_memory: FTS5 relevance, 2-3 terms, limit 10',
    (i) => store.episodes.query({ query: queries[i % queries.length], limit: 10 }),
  ],
  [
    'query_memory: FTS5 + domain + task_type filters',
    (i) =>
      store.episodes.query({
        query: queries[i % queries.length],
        domain: 'finance',
        taskType: 'parsing',
        limit: 10,
      }),
  ],
  [
    'query_memory: newest, task_type filter',
    () => store.episodes.query({ taskType: 'search', sort: 'newest', limit: 10 }),
  ],
  ['query_memory: success sort, no query', () => store.episodes.query({ sort: 'success', limit: 10 })],
  ['analyze_patterns over 10,000 episodes', () => store.patterns.analyze({ limit: 10 })],
];
const rows = [];
for (const [name, fn] of cases) {
  const s = await measure(fn, { runs: name.startsWith('analyze') ? 30 : runs, warmup: 5 });
  rows.push(row(name, s, name.startsWith('query') ? { target: 'median < 10 ms' } : {}));
  console.error(`${name}: ${fmt(s.median)} ms (p95 ${fmt(s.p95)})`);
}
const record = await measure(
  () =>
    store.executions.record({ language: 'javascript', code: 'return 1', result: emptyResult('node', 'ok') }),
  { runs, warmup: 10 },
);
rows.push(row('record one execution (WAL, synchronous=NORMAL)', record));
console.error(`record execution: ${fmt(record.median)} ms`);
report(rows);
await store.close();
rmSync(dir, { recursive: true, force: true });
