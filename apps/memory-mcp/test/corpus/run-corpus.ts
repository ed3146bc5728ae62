// Runs the compatibility corpus through one backend's `execute` and tallies what passes: a program
// passes when its run ends `ok`, its value deep-equals `expected` and, where the program sets
// `stdout`, it printed exactly that text.
import { inspect, isDeepStrictEqual } from 'node:util';
import { type CorpusProgram, PROGRAMS } from './programs.js';

export interface CorpusOutcome {
  status: string;
  value?: unknown;
  stdout?: string;
  error?: unknown;
}

export interface CorpusProgramResult {
  id: string;
  group: string;
  pass: boolean;
  /** Why it failed: the status and error, or the first difference in value or stdout (200 characters at most). */
  reason?: string;
}

export interface CorpusReport {
  total: number;
  passed: number;
  groups: Record<string, { pass: number; total: number }>;
  /** Every program run, in corpus order. */
  results: CorpusProgramResult[];
  failures: Array<{ id: string; group: string; reason: string }>;
}

const REASON_CHARS = 200;

const clip = (text: string): string =>
  text.length > REASON_CHARS ? `${text.slice(0, REASON_CHARS - 1)}…` : text;

const show = (value: unknown): string =>
  inspect(value, {
    depth: 3,
    breakLength: Number.POSITIVE_INFINITY,
    maxStringLength: 80,
    maxArrayLength: 10,
  });

function errorText(error: unknown): string {
  if (error === undefined) return '';
  if (error && typeof error === 'object') {
    const { kind, name, message } = error as { kind?: unknown; name?: unknown; message?: unknown };
    const label = typeof kind === 'string' ? kind : typeof name === 'string' ? name : '';
    if (typeof message === 'string') return label ? `${label}: ${message}` : message;
  }
  return show(error);
}

/** The first place where `actual` differs from `expected`, as `path: expected X, got Y`. */
function firstDifference(expected: unknown, actual: unknown, path: string): string | undefined {
  if (isDeepStrictEqual(expected, actual)) return undefined;
  const bothObjects =
    expected !== null &&
    actual !== null &&
    typeof expected === 'object' &&
    typeof actual === 'object' &&
    Array.isArray(expected) === Array.isArray(actual);
  if (bothObjects) {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    if (Array.isArray(expected) && Array.isArray(actual) && expected.length !== actual.length) {
      return `${path}: expected ${expected.length} items, got ${actual.length}: ${show(actual)}`;
    }
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      if (!Object.hasOwn(a, key)) return `${path}.${key}: missing (expected ${show(e[key])})`;
      if (!Object.hasOwn(e, key)) return `${path}.${key}: unexpected (${show(a[key])})`;
      const inner = firstDifference(e[key], a[key], `${path}.${key}`);
      if (inner) return inner;
    }
  }
  return `${path}: expected ${show(expected)}, got ${show(actual)}`;
}

const withoutFinalNewline = (text: string): string => text.replace(/\n$/, '');

function stdoutDifference(expected: string, actual: string): string | undefined {
  const want = withoutFinalNewline(expected);
  const got = withoutFinalNewline(actual);
  if (want === got) return undefined;
  const wantLines = want.split('\n');
  const gotLines = got.split('\n');
  for (let i = 0; i < Math.max(wantLines.length, gotLines.length); i++) {
    if (wantLines[i] !== gotLines[i]) {
      return `stdout line ${i + 1}: expected ${show(wantLines[i])}, got ${show(gotLines[i])}`;
    }
  }
  return 'stdout differs';
}

/** Why `outcome` does not match `program`, or undefined when the program passes. */
export function checkOutcome(program: CorpusProgram, outcome: CorpusOutcome): string | undefined {
  if (outcome.status !== 'ok') {
    const error = errorText(outcome.error);
    return clip(`status ${outcome.status}${error ? `: ${error}` : ''}`);
  }
  const value = firstDifference(program.expected, outcome.value, 'value');
  if (value) return clip(value);
  if (program.stdout !== undefined) {
    const stdout = stdoutDifference(program.stdout, outcome.stdout ?? '');
    if (stdout) return clip(stdout);
  }
  return undefined;
}

/** Runs `programs` (`concurrency` at a time) and reports what passed, by group. */
export async function runCorpus(
  execute: (program: CorpusProgram) => Promise<CorpusOutcome>,
  programs: readonly CorpusProgram[] = PROGRAMS,
  concurrency = 4,
): Promise<CorpusReport> {
  const results: CorpusProgramResult[] = new Array(programs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < programs.length) {
      const index = next++;
      const program = programs[index]!;
      let reason: string | undefined;
      try {
        reason = checkOutcome(program, await execute(program));
      } catch (error) {
        reason = clip(`execute threw: ${errorText(error) || String(error)}`);
      }
      results[index] = {
        id: program.id,
        group: program.group,
        pass: reason === undefined,
        ...(reason === undefined ? {} : { reason }),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, programs.length)) }, worker));

  const groups: CorpusReport['groups'] = {};
  for (const result of results) {
    const tally = groups[result.group] ?? { pass: 0, total: 0 };
    groups[result.group] = tally;
    tally.total++;
    if (result.pass) tally.pass++;
  }
  const failures = results
    .filter((r) => !r.pass)
    .map((r) => ({ id: r.id, group: r.group, reason: r.reason ?? '' }));
  return { total: results.length, passed: results.length - failures.length, groups, results, failures };
}

const percent = (part: number, whole: number): string =>
  whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)}%`;

/**
 * A Markdown table, group by group: how many programs the corpus has, how many pass on node and on
 * wasm, and which share of the programs node passes wasm passes too; then the failures of each.
 * Programs that one backend did not run (node too old for a program's features) count as not
 * passed there and are said so.
 */
export function formatReport(nodeReport: CorpusReport, wasmReport: CorpusReport): string {
  const groupOf = new Map<string, string>();
  for (const r of [...nodeReport.results, ...wasmReport.results]) groupOf.set(r.id, r.group);
  const passing = (report: CorpusReport) => new Set(report.results.filter((r) => r.pass).map((r) => r.id));
  const ran = (report: CorpusReport) => new Set(report.results.map((r) => r.id));
  const nodePass = passing(nodeReport);
  const wasmPass = passing(wasmReport);
  const nodeRan = ran(nodeReport);
  const wasmRan = ran(wasmReport);
  const groups = [...new Set(groupOf.values())];

  const row = (label: string, ids: string[]): string => {
    const nodePassed = ids.filter((id) => nodePass.has(id));
    const wasmPassed = ids.filter((id) => wasmPass.has(id));
    const both = nodePassed.filter((id) => wasmPass.has(id));
    const notRun = (set: Set<string>) => {
      const n = ids.filter((id) => !set.has(id)).length;
      return n ? ` (${n} not run)` : '';
    };
    return `| ${label} | ${ids.length} | ${nodePassed.length}${notRun(nodeRan)} | ${wasmPassed.length}${notRun(wasmRan)} | ${percent(both.length, nodePassed.length)} |`;
  };

  const lines = [
    '| group | programs | node passes | wasm passes | wasm / node |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...groups.map((g) =>
      row(
        g,
        [...groupOf].filter(([, group]) => group === g).map(([id]) => id),
      ),
    ),
    row('**total**', [...groupOf.keys()]),
  ];
  for (const [name, report] of [
    ['node', nodeReport],
    ['wasm', wasmReport],
  ] as const) {
    if (report.failures.length === 0) continue;
    lines.push('', `${name} failures (${report.failures.length}):`);
    for (const f of report.failures) lines.push(`- ${f.id}: ${f.reason.replace(/\s+/g, ' ')}`);
  }
  return lines.join('\n');
}
