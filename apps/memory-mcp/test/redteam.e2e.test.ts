// Red team, round 2: the built app over stdio with the SDK's real Client, attacked with hostile
// tool arguments. Every call must get a typed answer (a result, `isError`, or an McpError for bad
// params), the server must stay up, and the next call must be fine. Tests marked `Was a finding,
// now fixed` exposed a bug when written and now guard its fix.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, type Structured, stdioClient } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-redteam-'));
const db = join(dir, 'memory.db');
let client: Client;
let pid: number;

beforeAll(async () => {
  ({ client, pid } = await stdioClient(db));
});
afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Answer = { structured?: Structured; isError?: boolean; text?: string } | { mcpError: McpError };

/** Any tool call as data: its result, or the McpError it was refused with. Anything else fails. */
async function answer(name: string, args: Record<string, unknown>, timeout = 120_000): Promise<Answer> {
  try {
    const r = await client.callTool({ name, arguments: args }, undefined, { timeout });
    const text = (r.content as Array<{ type: string; text?: string }> | undefined)?.[0]?.text;
    return { structured: r.structuredContent as Structured, isError: Boolean(r.isError), text };
  } catch (error) {
    expect(error, `${name}: ${String(error)}`).toBeInstanceOf(McpError);
    return { mcpError: error as McpError };
  }
}

/** Bad arguments: refused as InvalidParams or as an isError result, never an internal error. */
function expectRefused(a: Answer, what: string): void {
  if ('mcpError' in a)
    expect(a.mcpError.code, `${what}: ${a.mcpError.message}`).toBe(ErrorCode.InvalidParams);
  else expect(a.isError, what).toBe(true);
}

async function expectServerAlive(): Promise<void> {
  process.kill(pid, 0);
  const r = await exec(client, {
    language: 'wat',
    code: '(module (func (export "f") (result i32) i32.const 7))',
    entry: 'f',
  });
  expect(r).toMatchObject({ status: 'ok', value: 7 });
  const js = await exec(client, {
    language: 'javascript',
    backend: 'wasm',
    code: 'return input.a + 1;',
    context: { input: { a: 1 } },
  });
  expect(js).toMatchObject({ status: 'ok', value: 2, backend: 'wasm' });
  const health = (await client.callTool({ name: 'health_check', arguments: {} })).structuredContent as {
    healthy?: boolean;
    status?: string;
  };
  expect(health.healthy ?? health.status !== 'unhealthy').toBe(true);
}

describe('findings through the app', () => {
  it('a deeply nested value returned by JavaScript on wasm is this call’s answer alone', async () => {
    // Was a finding, now fixed: the wasm executor dies encoding the result frame (see the wasm-backend red team,
    // test/redteam-js.test.ts): over MCP the call answers `status: 'error'` with
    // `error.kind: 'executor_crash'`, and every other call in flight on that executor dies too.
    const deep = await exec(client, {
      language: 'javascript',
      backend: 'wasm',
      code: 'let a = []; for (let i = 0; i < 5000; i++) a = [a]; return a;',
      // The app's default 5 s deadline buys 1.25 G fuel, less than QuickJS needs to stringify this.
      limits: { timeoutMs: 30_000, fuel: 10 ** 10 },
    });
    expect(deep.execution_id).toBeTruthy();
    expect((deep.error as { kind?: string } | undefined)?.kind).not.toBe('executor_crash');
    await expectServerAlive();
  });
});

describe('execute_agent_code with hostile arguments', () => {
  it('huge and odd code is refused or run, never an internal error', async () => {
    expectRefused(await answer('execute_agent_code', { code: 'x'.repeat(2_000_001) }), 'code over the cap');
    const atCap = await answer('execute_agent_code', {
      language: 'javascript',
      backend: 'wasm',
      code: `//${'x'.repeat(1_999_980)}\nreturn 1;`,
    });
    expect('mcpError' in atCap ? atCap.mcpError.code : atCap.structured?.status).toBe('ok');
    for (const [language, code] of [
      ['wasm', 'not base64 !!'],
      ['wasm', 'AGFzbQEAAAA='.repeat(1000)],
      ['wat', '(module'.repeat(10_000)],
      ['typescript', 'const x: = ;'],
      ['javascript', '\u0000\ud800'],
    ] as const) {
      const a = await answer('execute_agent_code', { language, code });
      if (!('mcpError' in a) && !a.isError) expect(a.structured?.status, `${language}`).not.toBe('ok');
    }
    await expectServerAlive();
  });

  it('odd context, limits, backend and module_id values are refused with InvalidParams or isError', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    const bad: Array<Record<string, unknown>> = [
      { code: 'return 1', context: { input: deep } },
      { code: 'return 1', context: { extra: 1 } },
      { code: 'return 1', context: 'string' },
      { code: 'return 1', limits: { timeoutMs: 0 } },
      { code: 'return 1', limits: { fuel: 1.5 } },
      { code: 'return 1', limits: { memoryBytes: 2 ** 53 } },
      { code: 'return 1', limits: { extra: 1 } },
      { code: 'return 1', backend: 'hostile' },
      { code: 'return 1', language: 'python' },
      { module_id: 'A'.repeat(64) },
      { module_id: '../../etc/passwd' },
      { module_id: `${'0'.repeat(63)}g` },
      { module_id: '0'.repeat(64) },
      { module_id: '0'.repeat(64), code: 'return 1' },
      {},
      { code: 'return 1', episode_id: 'no-such-episode' },
    ];
    for (const args of bad)
      expectRefused(await answer('execute_agent_code', args), JSON.stringify(args).slice(0, 80));
    // Input keys that look like prototypes reach the code as data, not as pollution.
    const proto = await exec(client, {
      language: 'javascript',
      backend: 'wasm',
      code: 'return [typeof input.__proto__, input.constructor === Object, ({}).polluted];',
      context: { input: JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 5}') },
    });
    expect(proto.status).toBe('ok');
    expect((proto.value as unknown[])[2]).toBeNull();
    await expectServerAlive();
  });

  it('a module stored by compile_to_wasm runs under the limits of the call that runs it', async () => {
    const compiled = await answer('compile_to_wasm', { code: 'let n = 0; for (;;) n++;', mode: 'static' });
    expect('mcpError' in compiled).toBe(false);
    const id = (compiled as unknown as { structured: { module_id: string } }).structured.module_id;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const fuel = await exec(client, { module_id: id, limits: { fuel: 5_000_000 } });
    expect(fuel.status).toBe('out_of_fuel');
    const time = await exec(client, { module_id: id, limits: { timeoutMs: 200, fuel: 10 ** 15 } });
    expect(time.status).toBe('timeout');
    const mem = await exec(client, { module_id: id, limits: { memoryBytes: 65_536 } });
    expect(mem.status).not.toBe('ok');
    // A dynamic module needs the engine the backend links: stored, then run, it is a typed answer.
    const dynamic = await answer('compile_to_wasm', { code: 'return input * 2;', mode: 'dynamic' });
    if (!('mcpError' in dynamic) && !dynamic.isError) {
      const run = await answer('execute_agent_code', {
        module_id: (dynamic.structured as unknown as { module_id: string }).module_id,
        context: { input: 21 },
      });
      if (!('mcpError' in run) && !run.isError) expect(['ok', 'error']).toContain(run.structured?.status);
      if (!('mcpError' in run) && run.structured?.status === 'ok') expect(run.structured.value).toBe(42);
    }
    const value = await answer('compile_to_wasm', { code: 'return { v: input.v, out: "€".repeat(10) };' });
    const vid = (value as unknown as { structured: { module_id: string } }).structured.module_id;
    const ran = await exec(client, { module_id: vid, context: { input: { v: 'x' } } });
    expect(ran).toMatchObject({ status: 'ok', value: { v: 'x', out: '€'.repeat(10) } });
    await expectServerAlive();
  });

  it('compile_to_wasm with hostile sources answers a compile error or a module', async () => {
    for (const code of [
      'return (',
      `${'('.repeat(100_000)}1${')'.repeat(100_000)}`,
      `return /${'('.repeat(5000)}a${')'.repeat(5000)}/;`,
      `return \`${'$'}{1}${'$'.repeat(0)}\`;`.repeat(1),
      `${Array.from({ length: 40_000 }, (_, i) => `function h${i}() { return ${i}; }`).join('\n')}\nreturn 1;`,
      '',
    ]) {
      const a = await answer('compile_to_wasm', { code });
      if ('mcpError' in a) expect(a.mcpError.code, code.slice(0, 30)).toBe(ErrorCode.InvalidParams);
      else if (!a.isError) expect(a.structured?.module_id, code.slice(0, 30)).toBeTruthy();
      else expect(a.text, code.slice(0, 30)).toMatch(/compile error/);
    }
    await expectServerAlive();
  });

  it('concurrent calls, half cancelled, all answer and leave the server well', async () => {
    const loops = Array.from({ length: 6 }, (_, i) => {
      const controller = new AbortController();
      const call = client
        .callTool(
          {
            name: 'execute_agent_code',
            arguments: {
              language: 'javascript',
              backend: i % 2 ? 'wasm' : 'node',
              code: i % 2 ? 'for (;;) {}' : 'while (true) {}',
              limits: { timeoutMs: 20_000, ...(i % 2 ? { fuel: 10 ** 12 } : {}) },
            },
          },
          undefined,
          { signal: controller.signal, timeout: 60_000 },
        )
        .then(
          (r) => ({ ok: r.structuredContent as Structured }),
          (error: unknown) => ({ error }),
        );
      return { controller, call, cancel: i < 3 };
    });
    const innocents = Array.from({ length: 6 }, (_, i) =>
      exec(client, {
        language: 'javascript',
        backend: 'wasm',
        code: 'return input.i;',
        context: { input: { i } },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const l of loops) if (l.cancel) l.controller.abort('red team');
    const cancelled = await Promise.all(loops.filter((l) => l.cancel).map((l) => l.call));
    for (const c of cancelled) expect('error' in c || c.ok.status === 'cancelled').toBe(true);
    for (const [i, r] of (await Promise.all(innocents)).entries())
      expect(r).toMatchObject({ status: 'ok', value: i });
    const finished = await Promise.all(loops.filter((l) => !l.cancel).map((l) => l.call));
    for (const f of finished)
      expect('ok' in f && ['timeout', 'out_of_fuel'].includes(f.ok.status)).toBe(true);
    await expectServerAlive();
  }, 90_000);
});

describe('memory tools with hostile arguments', () => {
  it('full-text queries, ids and cursors that are not what they claim get typed answers', async () => {
    const ep = (await client.callTool({ name: 'start_episode', arguments: { task: 'red "team" * NEAR(x)' } }))
      .structuredContent as { episode_id: string };
    expect(ep.episode_id).toBeTruthy();
    for (const query of [
      '"',
      'NEAR(',
      'a AND',
      '*',
      "x' OR 1=1 --",
      '\u0000',
      'a:b',
      '^',
      '(((',
      '"red team"',
    ]) {
      const a = await answer('query_memory', { query });
      // FTS5 syntax in a user's query must not surface as an internal error.
      expect('mcpError' in a ? a.mcpError.code : 'answered', JSON.stringify(query)).toBe('answered');
    }
    for (const [name, args] of [
      ['get_execution', { execution_id: "' OR 1=1 --" }],
      ['list_executions', { cursor: 'not-a-cursor' }],
      ['list_executions', { cursor: Buffer.from('{"t":"x","id":1}').toString('base64') }],
      ['log_step', { episode_id: 'nope', action: 'a' }],
      ['complete_episode', { episode_id: 'nope', outcome: 'success' }],
    ] as const) {
      const a = await answer(name, args);
      if ('mcpError' in a) expect(a.mcpError.code, name).not.toBe(ErrorCode.InternalError);
    }
    const done = await answer('complete_episode', {
      episode_id: ep.episode_id,
      outcome: 'success',
      notes: '\ud800',
    });
    expect('mcpError' in done).toBe(false);
    // Acknowledged writes are there.
    const got = await answer('query_memory', { query: 'red' });
    expect('mcpError' in got).toBe(false);
    await expectServerAlive();
  });
});
