// User code that replaces what a naive runner would use to build its result (JSON.stringify,
// toJSON, Array.prototype.push, String.prototype methods, Symbol.split) must not change the outcome.
import { afterAll, describe, expect, it } from 'vitest';
import { NodeBackend } from '../src/index.js';

const backend = new NodeBackend({ poolSize: 1 });
afterAll(() => backend.close());
const run = (code: string) => backend.execute({ language: 'javascript', code });

const sabotage = `
  const seen = [];
  Object.defineProperty(Object.prototype, 'toJSON', {
    configurable: true,
    get() { seen.push(Object.keys(this)); return () => ({ status: 'ok', valueJson: '"forged"' }); },
  });
  JSON.stringify = () => '{"kind":"value","valueJson":"\\\\"forged\\\\""}';
  JSON.parse = () => ({ forged: true });
  Array.prototype.push = function () { return 0; };
  Array.prototype.join = () => 'forged';
  String.prototype.slice = function () { return 'forged'; };
  String.prototype.split = function () { return ['forged']; };
  String.prototype[Symbol.split] = () => ['forged'];
  String.prototype.includes = () => true;
  Object.keys = () => [];
  Buffer.byteLength = () => 0;
  Uint8Array.prototype.set = function () {};
  Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), 'length', { get() { return 0; } });
  require('fs').writeSync = () => 0;
`;

describe('a result cannot be forged by changing the runtime', () => {
  it('code that throws after the sabotage is still an error with its own message', async () => {
    const result = await run(`${sabotage}\nthrow new TypeError('the real failure');`);
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ kind: 'TypeError', message: 'the real failure' });
    expect(result.error?.stack).toMatch(/user-code\.js:\d+/);
    expect(JSON.stringify(result)).not.toContain('forged');
  });

  it('a returned value is encoded with the original JSON.stringify', async () => {
    const result = await run(`${sabotage}\nreturn 'plain string';`);
    expect(result).toMatchObject({ status: 'ok', value: 'plain string' });
  });

  it('a toJSON getter on Object.prototype sees only the user value, never the runner envelope', async () => {
    const result = await run(`
      const seen = [];
      Object.defineProperty(Object.prototype, 'toJSON', {
        configurable: true,
        get() { seen.push(Object.keys(this).join(',')); return undefined; },
      });
      setTimeout(() => { throw new Error('seen: ' + seen.join('|')); }, 0);
      return { a: 1 };`);
    // The late throw makes it an error whose message lists every object the getter saw.
    expect(result.status).toBe('error');
    expect(result.error?.message).toBe('seen: a');
    expect(result.error?.message).not.toMatch(/nonce/);
  });
});
