import { describe, expect, it } from 'vitest';
import type { BackendCapabilities } from './backend.js';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import type { ExecutionRequest } from './execution-request.js';
import { type RouteContext, routeRequest, unitHash } from './route-request.js';

const caps = (
  languages: BackendCapabilities['languages'],
  over: Partial<BackendCapabilities> = {},
): BackendCapabilities => ({
  languages,
  isolation: 'process',
  networkIsolation: 'none',
  fuel: false,
  nodeApis: false,
  maxConcurrency: 1,
  ...over,
});

const nodeCaps = caps(['javascript', 'typescript'], { nodeApis: true });
const wasmCaps = caps(['javascript', 'wasm', 'wat'], { fuel: true });
const both: RouteContext['backends'] = [
  ['node', nodeCaps],
  ['wasm', wasmCaps],
];

const hybrid = (over: Partial<RouteContext> = {}): RouteContext => ({
  mode: 'hybrid',
  backends: both,
  wasmRatio: 0.5,
  intelligentRouting: true,
  ...over,
});

const js = (code: string, extra: Partial<ExecutionRequest> = {}): ExecutionRequest => ({
  language: 'javascript',
  code,
  ...extra,
});

describe('routeRequest', () => {
  it('honours an explicit backend first', () => {
    const route = routeRequest(js('return 1', { backend: 'node' }), 'a', hybrid());
    expect(route).toEqual({ backend: 'node', reason: 'explicit: requested by the caller' });
  });

  it('rejects an explicit backend that is missing or cannot run the language', () => {
    expect(() =>
      routeRequest(js('1', { backend: 'wasm' }), 'a', hybrid({ backends: [['node', nodeCaps]] })),
    ).toThrow(InvalidRequestError);
    expect(() => routeRequest({ language: 'wat', code: '(module)', backend: 'node' }, 'a', hybrid())).toThrow(
      /does not run 'wat'/,
    );
  });

  it('sends wasm and wat to the wasm backend by capability', () => {
    for (const language of ['wasm', 'wat'] as const) {
      const route = routeRequest({ language, code: '(module)' }, 'a', hybrid());
      expect(route.backend).toBe('wasm');
      expect(route.reason).toMatch(/^capability/);
    }
  });

  it('sends code that uses Node APIs to node, whatever the ratio', () => {
    const samples = [
      `const fs = require('fs');`,
      `import { readFile } from 'node:fs/promises';`,
      `import os from 'os';`,
      `console.log(process.version)`,
      `return Buffer.from('x').length`,
      `return __dirname`,
    ];
    for (const code of samples) {
      const route = routeRequest(js(code), 'x', hybrid({ wasmRatio: 1, intelligentRouting: false }));
      expect(route.backend, code).toBe('node');
      expect(route.reason, code).toMatch(/^capability: uses Node API/);
    }
  });

  it('with intelligent routing: small pure code to wasm, async-heavy or large code to node', () => {
    expect(routeRequest(js('return [1,2,3].map(x => x * 2)'), 'a', hybrid()).backend).toBe('wasm');
    const timers = routeRequest(js('await new Promise(r => setTimeout(r, 10))'), 'a', hybrid());
    expect(timers).toMatchObject({
      backend: 'node',
      reason: expect.stringMatching(/async-heavy.*setTimeout/),
    });
    const large = routeRequest(js(`let x = 0;\n${'x += 1;\n'.repeat(1000)}`), 'a', hybrid());
    expect(large).toMatchObject({ backend: 'node', reason: expect.stringMatching(/large code/) });
  });

  it('typescript goes to the only backend that runs it', () => {
    const route = routeRequest({ language: 'typescript', code: 'const x: number = 1' }, 'a', hybrid());
    expect(route).toMatchObject({
      backend: 'node',
      reason: expect.stringMatching(/only node runs typescript/),
    });
  });

  it('without the heuristic, splits by ratio deterministically per request id', () => {
    const ctx = hybrid({ intelligentRouting: false, wasmRatio: 0.3 });
    const ids = Array.from({ length: 2000 }, (_, i) => `request-${i}`);
    const first = ids.map((id) => routeRequest(js('return 1'), id, ctx).backend);
    const second = ids.map((id) => routeRequest(js('return 1'), id, ctx).backend);
    expect(second).toEqual(first);
    const share = first.filter((b) => b === 'wasm').length / ids.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    expect(routeRequest(js('1'), 'a', hybrid({ intelligentRouting: false, wasmRatio: 0 })).backend).toBe(
      'node',
    );
    expect(routeRequest(js('1'), 'a', hybrid({ intelligentRouting: false, wasmRatio: 1 })).backend).toBe(
      'wasm',
    );
  });

  it('in a single-backend mode, uses that backend for what it can run', () => {
    expect(routeRequest(js('return 1'), 'a', { ...hybrid(), mode: 'node' })).toEqual({
      backend: 'node',
      reason: 'mode: node',
    });
  });

  it('throws a typed error when no backend runs the language', () => {
    expect(() =>
      routeRequest({ language: 'wat', code: '(module)' }, 'a', hybrid({ backends: [['node', nodeCaps]] })),
    ).toThrow(/no configured backend runs 'wat' \(configured languages: javascript, typescript\)/);
  });

  it('routes a contributed kind and language by capability, with no names hard-coded', () => {
    const ctx = hybrid({ backends: [...both, ['quickjs', caps(['javascript', 'lua'], { fuel: true })]] });
    expect(routeRequest({ language: 'lua', code: 'print(1)' }, 'a', ctx)).toEqual({
      backend: 'quickjs',
      reason: 'capability: only quickjs runs lua',
    });
    expect(routeRequest(js('1', { backend: 'quickjs' }), 'a', ctx).backend).toBe('quickjs');
    expect(routeRequest(js('return 1'), 'a', { ...ctx, mode: 'quickjs' })).toEqual({
      backend: 'quickjs',
      reason: 'mode: quickjs',
    });
    // A mode that cannot run the language falls to the first capable kind.
    expect(
      routeRequest({ language: 'wat', code: '(module)' }, 'a', { ...ctx, mode: 'quickjs' }).backend,
    ).toBe('wasm');
  });

  it('with two backends of one shape, prefers the first in order', () => {
    const ctx = hybrid({
      backends: [
        ['b', caps(['x'])],
        ['a', caps(['x'])],
      ],
    });
    expect(routeRequest({ language: 'x', code: '' }, 'r', ctx)).toMatchObject({ backend: 'b' });
  });

  it('unitHash is stable and in [0, 1)', () => {
    expect(unitHash('abc')).toBe(unitHash('abc'));
    for (let i = 0; i < 100; i++) {
      const h = unitHash(String(i));
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(1);
    }
  });
});
