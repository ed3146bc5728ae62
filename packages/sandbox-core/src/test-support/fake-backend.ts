// Test-only: an in-package fake backend that interprets a tiny command language. This is the one
// place a fake belongs: it lets sandbox-core test its own front and conformance suite without a
// real sandbox. Flags break it on purpose, to prove the conformance suite catches each defect.
import type { Backend, BackendCapabilities, BackendHealth } from '../backend.js';
import type { ExecutionRequest } from '../execution-request.js';
import { type ExecutionResult, emptyResult } from '../execution-result.js';
import { resolveLimits } from '../limits.js';
import type { ConformanceKit } from '../testing/conformance-kit.js';

export interface FakeDefects {
  ignoreTimeout?: boolean;
  noTruncate?: boolean;
  sharedOutput?: boolean;
  leakOnClose?: boolean;
  dropInput?: boolean;
}

export const fakeKit: ConformanceKit = {
  language: 'javascript',
  helloWorld: () => ({ language: 'javascript', code: 'print hello world' }),
  echoInput: (value) => ({ language: 'javascript', code: 'echo-input', input: value }),
  returnValue: () => ({ request: { language: 'javascript', code: 'return 42' }, value: 42 }),
  throwError: () => ({
    request: { language: 'javascript', code: 'throw conformance boom' },
    message: /boom/,
  }),
  infiniteLoop: () => ({ language: 'javascript', code: 'loop' }),
  outputFlood: () => ({ language: 'javascript', code: 'flood' }),
};

export class FakeBackend implements Backend {
  readonly specificationVersion = 'v1';
  readonly name: string;
  executions = 0;
  healthy = true;
  delayMs = 0;
  #closed = false;
  #timers = new Set<NodeJS.Timeout>();
  #shared = '';

  constructor(
    readonly defects: FakeDefects = {},
    readonly kind: string = 'node',
    readonly languages: BackendCapabilities['languages'] = ['javascript', 'typescript'],
  ) {
    this.name = kind;
  }

  capabilities(): BackendCapabilities {
    return {
      languages: this.languages,
      isolation: 'in-process',
      networkIsolation: 'none',
      fuel: this.kind !== 'node',
      nodeApis: this.kind === 'node',
      maxConcurrency: 100,
    };
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (this.#closed) throw new Error('fake backend is closed');
    this.executions++;
    if (this.defects.leakOnClose) this.#timers.add(setInterval(() => {}, 60_000));
    const limits = resolveLimits(request.limits);
    const code = String(request.code);
    const started = performance.now();
    if (this.delayMs) await this.#sleep(this.delayMs);
    let result: ExecutionResult;
    if (code.startsWith('print ')) {
      result = await this.#output(`${code.slice(6)}\n`);
    } else if (code === 'echo-input') {
      result = await this.#output(`${JSON.stringify(this.defects.dropInput ? null : request.input)}\n`);
    } else if (code.startsWith('return ')) {
      result = { ...emptyResult(this.name, 'ok'), value: JSON.parse(code.slice(7)) };
    } else if (code.startsWith('throw ')) {
      result = emptyResult(this.name, 'error', { kind: 'Error', message: code.slice(6) });
    } else if (code === 'loop') {
      await this.#sleep(this.defects.ignoreTimeout ? limits.timeoutMs + 3_000 : limits.timeoutMs);
      result = emptyResult(this.name, 'timeout', { kind: 'timeout', message: 'deadline exceeded' });
    } else if (code === 'flood') {
      const line = `${'x'.repeat(1023)}\n`;
      const cap = this.defects.noTruncate ? limits.maxOutputBytes * 4 : limits.maxOutputBytes;
      const stdout = line.repeat(Math.ceil(cap / line.length)).slice(0, cap);
      result = { ...emptyResult(this.name, 'output_limit'), stdout, truncated: !this.defects.noTruncate };
    } else {
      result = emptyResult(this.name, 'error', { kind: 'SyntaxError', message: `unknown command: ${code}` });
    }
    result.timing.runMs = performance.now() - started;
    return result;
  }

  async #output(text: string): Promise<ExecutionResult> {
    if (!this.defects.sharedOutput) return { ...emptyResult(this.name, 'ok'), stdout: text };
    this.#shared += text;
    await new Promise((resolve) => setImmediate(resolve));
    const stdout = this.#shared;
    this.#shared = '';
    return { ...emptyResult(this.name, 'ok'), stdout };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  async health(): Promise<BackendHealth> {
    return { healthy: this.healthy, message: this.healthy ? 'ok' : 'fake is sick' };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.defects.leakOnClose) return;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
