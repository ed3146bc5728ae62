// Sessions, measured on the product's path: UnifiedSandbox over the wasm backend (jailed executors,
// the QuickJS engine) with sessions in a real libSQL file. A session holding a 2 MiB heap (the
// engine's memory at least 2 MiB over a fresh engine's) is resumed for a trivial call, side by side
// with the same call without a session; then the save, the store's share, a fork, and a resume
// after a restart (no cache anywhere: new executors, new store connection).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@memory-mcp/mcp-server';
import { UnifiedSandbox } from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import { fmt, measure, report, rowsFor, summarize } from '../../../scripts/bench-lib.mjs';

const toRow = rowsFor('memory-mcp');
const rows = [];
const row = (benchmark, s, extra = {}) => {
  rows.push(toRow(benchmark, s, extra));
  console.error(`${benchmark}: ${fmt(s.median)} ms (p95 ${fmt(s.p95)})`);
};
const compilerModule = import.meta.resolve('@memory-mcp/javy-compiler');
const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-sessions-bench-'));
const url = `file:${join(dir, 'sessions.db')}`;

async function open() {
  const store = await MemoryStore.open({ url });
  const wasm = new WasmBackend({
    executorCompiler: { module: compilerModule, options: { mode: 'dynamic' } },
  });
  const sandbox = new UnifiedSandbox({ backends: { wasm }, sessions: { store: store.sessions } });
  return { store, wasm, sandbox };
}

const js = (code, extra = {}) => ({ language: 'javascript', code, ...extra });
const must = (r) => {
  if (r.status !== 'ok') throw new Error(`${r.status}: ${r.error?.message}`);
  return r;
};
// about 2 MiB of records on the engine's heap
const FILL = `globalThis.rows = Array.from({ length: 20000 }, (_, i) => ({ id: i, name: 'item-' + i, score: i / 7 }));
globalThis.calls = 0;
return rows.length`;

let app = await open();
const fresh = must(await app.sandbox.execute(js('return 1')));
const session = await app.sandbox.createSession();
const filled = must(await app.sandbox.execute(js(FILL, { sessionId: session.id })));
const heapBytes = filled.memoryPeakBytes - fresh.memoryPeakBytes;
if (heapBytes < 2 * 1024 * 1024) throw new Error(`the heap grew by ${heapBytes} bytes, under 2 MiB`);
const note = `engine memory ${(filled.memoryPeakBytes / 1048576).toFixed(2)} MiB (fresh ${(fresh.memoryPeakBytes / 1048576).toFixed(2)} MiB), saved state ${(filled.session.stateBytes / 1024).toFixed(0)} KiB`;
console.error(note);

const runs = Number(process.env.BENCH_RUNS ?? 300);
const baseline = await measure(() => app.sandbox.execute(js('return 1')).then(must), { runs, warmup: 30 });
row('trivial call, no session (baseline)', baseline);
// what the backend reports spending on the save (timing.saveMs), per call
const saves = { trivial: [], growing: [] };
const saving = (list) => (r) => {
  if (r.timing.saveMs === undefined) throw new Error('a session call that saved reported no saveMs');
  list.push(r.timing.saveMs);
  return r;
};
const trivial = await measure(
  () =>
    app.sandbox
      .execute(js('calls++; return 1', { sessionId: session.id }))
      .then(must)
      .then(saving(saves.trivial)),
  {
    runs,
    warmup: 30,
  },
);
row('session call, 2 MiB heap: resume + trivial call + save (libSQL)', trivial, {
  ratio: trivial.median / baseline.median,
  target: '< 5 ms',
  note,
});

// The same session in this process's memory (the library's default store), and the store's share.
const memory = new UnifiedSandbox({ backends: { wasm: app.wasm } });
const inMemory = await memory.createSession();
must(await memory.execute(js(FILL, { sessionId: inMemory.id })));
const memoryCall = await measure(
  () => memory.execute(js('calls++; return 1', { sessionId: inMemory.id })).then(must),
  {
    runs,
    warmup: 30,
  },
);
row('session call, 2 MiB heap, MemorySessionStore: resume + trivial call + save', memoryCall, {
  ratio: memoryCall.median / baseline.median,
  target: '< 5 ms',
});
// A call that changes the heap: 1,000 more records saved.
const growing = await measure(
  () =>
    app.sandbox
      .execute(
        js(
          'for (let k = 0; k < 1000; k++) rows.push({ id: rows.length, name: "more" }); return rows.length',
          { sessionId: session.id },
        ),
      )
      .then(must)
      .then(saving(saves.growing)),
  { runs: 50, warmup: 5 },
);
row('session call that adds 1,000 records (resume + run + save)', growing);
row("of the trivial session call: saving the state (the backend's timing.saveMs)", summarize(saves.trivial), {
  target: '< 10 ms',
});
row(
  "of the call adding 1,000 records: saving the state (the backend's timing.saveMs)",
  summarize(saves.growing),
  { target: '< 10 ms' },
);
const leases = [];
const commits = [];
let held = (await app.sandbox.sessions.get(session.id)).version;
const current = await app.store.sessions.lease(session.id, 'bench', Date.now() + 60_000, Date.now());
await app.store.sessions.release(session.id, 'bench', Date.now());
for (let i = 0; i < runs; i++) {
  const now = Date.now();
  let t0 = performance.now();
  await app.store.sessions.lease(session.id, 'bench', now + 60_000, now, held);
  leases.push(performance.now() - t0);
  t0 = performance.now();
  await app.store.sessions.commit(session.id, 'bench', {
    state: current.state,
    baseChanged: false,
    fromVersion: held++,
    now,
  });
  commits.push(performance.now() - t0);
}
row('store: take the lease (libSQL file)', summarize(leases));
row("store: commit a call's state (delta only, libSQL file)", summarize(commits));
const forks = await measure(() => app.sandbox.forkSession(session.id), { runs: 50, warmup: 5 });
row('fork a 2 MiB-heap session (copy inside the database)', forks, { target: '< 10 ms' });
for (const s of await app.sandbox.listSessions(1000))
  if (s.id !== session.id) await app.sandbox.deleteSession(s.id);
await memory.sessions.close();

// After a restart: new executors and a new store connection; each session resumed once.
const cold = [];
for (let i = 0; i < 12; i++) {
  const s = await app.sandbox.createSession();
  must(await app.sandbox.execute(js(FILL, { sessionId: s.id })));
  cold.push(s.id);
}
await app.sandbox.close();
await app.store.close();
app = await open();
must(await app.sandbox.execute(js('return 1'))); // executors up and warm
const coldTimes = [];
for (const id of cold) {
  const t0 = performance.now();
  must(await app.sandbox.execute(js('calls++; return rows.length', { sessionId: id })));
  coldTimes.push(performance.now() - t0);
}
row('session call after a restart (state read from libSQL, decoded, restored)', summarize(coldTimes));
await app.sandbox.close();
await app.store.close();
rmSync(dir, { recursive: true, force: true });
report(rows);
