// The JavaScript compatibility corpus (test/corpus/programs.ts) on both backends: the node backend
// (real Node.js processes, default restricted settings) and the wasm backend running JavaScript
// through the real compiler (@memory-mcp/javy-compiler, dynamic mode, in the executors). Expected
// values come from Node, so node must pass nearly all of it; wasm is held to the programs node
// passes. The report (a Markdown table and every failure with its reason) is printed either way.
import { NodeBackend } from '@memory-mcp/node-backend';
import type { ExecutionRequest } from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javyCompilerModule } from '../src/javy-compiler-module.js';
import { type CorpusProgram, PROGRAMS } from './corpus/programs.js';
import { type CorpusReport, formatReport, runCorpus } from './corpus/run-corpus.js';

const CONCURRENCY = 4;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

const request = (program: CorpusProgram): ExecutionRequest => ({
  language: 'javascript',
  code: program.code,
  ...(program.input !== undefined ? { input: program.input } : {}),
  limits: { timeoutMs: 10_000 },
});

describe('JavaScript compatibility corpus on node and wasm', () => {
  const node = new NodeBackend();
  const wasm = new WasmBackend({
    maxConcurrency: CONCURRENCY,
    executorCompiler: { module: javyCompilerModule(), options: { mode: 'dynamic' } },
  });
  // The node side runs what this Node's engine can: a program marked for a newer Node uses
  // features (Set methods, iterator helpers...) that an older V8 does not have.
  const forNode = PROGRAMS.filter((p) => (p.node ?? 20) <= NODE_MAJOR);
  let nodeReport: CorpusReport;
  let wasmReport: CorpusReport;

  beforeAll(async () => {
    // One backend after the other: the timer programs stay far from their margins on a 2-core machine.
    nodeReport = await runCorpus((p) => node.execute(request(p)), forNode, CONCURRENCY);
    wasmReport = await runCorpus((p) => wasm.execute(request(p)), PROGRAMS, CONCURRENCY);
    console.log(
      `JavaScript corpus: ${PROGRAMS.length} programs; node ${process.versions.node} ran ${forNode.length}` +
        ` (${PROGRAMS.length - forNode.length} need a newer Node)\n\n${formatReport(nodeReport, wasmReport)}`,
    );
  }, 300_000);

  afterAll(async () => {
    await Promise.all([node.close(), wasm.close()]);
  });

  it('has at least 260 programs, 20 or more in each group, with unique ids', () => {
    expect(PROGRAMS.length).toBeGreaterThanOrEqual(260);
    expect(new Set(PROGRAMS.map((p) => p.id)).size).toBe(PROGRAMS.length);
    const sizes: Record<string, number> = {};
    for (const p of PROGRAMS) sizes[p.group] = (sizes[p.group] ?? 0) + 1;
    expect(Object.keys(sizes).sort()).toEqual(
      [
        'array',
        'async',
        'classes',
        'console',
        'data',
        'date',
        'errors',
        'json',
        'number',
        'regex',
        'string',
        'web',
      ].sort(),
    );
    for (const [group, size] of Object.entries(sizes)) expect(size, group).toBeGreaterThanOrEqual(20);
  });

  it('the node backend passes at least 97% of the programs its Node can run', () => {
    const failures = nodeReport.failures.map((f) => `${f.id}: ${f.reason}`).join('\n');
    expect(nodeReport.passed / nodeReport.total, failures).toBeGreaterThanOrEqual(0.97);
  });

  it('the wasm backend passes at least 95% of the programs the node backend passes', () => {
    const wasmPass = new Set(wasmReport.results.filter((r) => r.pass).map((r) => r.id));
    const nodePassing = nodeReport.results.filter((r) => r.pass);
    const missed = nodePassing.filter((r) => !wasmPass.has(r.id));
    const reasons = new Map(wasmReport.failures.map((f) => [f.id, f.reason]));
    const detail = missed.map((r) => `${r.id}: ${reasons.get(r.id) ?? 'not run'}`).join('\n');
    expect((nodePassing.length - missed.length) / nodePassing.length, detail).toBeGreaterThanOrEqual(0.95);
  });
});
