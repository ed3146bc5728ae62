import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, resolvePolicy } from './limits.js';
import { precheckPolicy } from './policy-precheck.js';

const js = (code: string) => ({ language: 'javascript' as const, code });

describe('precheckPolicy', () => {
  it('denies obvious process spawning under the default policy', () => {
    for (const code of [
      `require('child_process').execSync('id')`,
      `import { spawn } from "node:child_process"`,
      `await import('worker_threads')`,
      `process.binding('spawn_sync')`,
    ]) {
      const denial = precheckPolicy(js(code), DEFAULT_POLICY);
      expect(denial?.rule, code).toBe('allowProcesses');
      expect(denial?.reason).toMatch(/denies/);
    }
  });

  it('denies obvious network modules under the default policy', () => {
    const denial = precheckPolicy(js(`const net = require('net'); net.connect(80)`), DEFAULT_POLICY);
    expect(denial).toMatchObject({ rule: 'allowNetwork', match: 'net' });
    expect(precheckPolicy(js(`import https from 'node:https'`), DEFAULT_POLICY)?.rule).toBe('allowNetwork');
  });

  it('lets the same code through when the policy allows it', () => {
    const open = resolvePolicy({ allowProcesses: true, allowNetwork: true });
    expect(precheckPolicy(js(`require('child_process'); require('net')`), open)).toBeUndefined();
  });

  it('passes innocent code and non-JS languages', () => {
    expect(
      precheckPolicy(js(`const network = 'child process'; return network`), DEFAULT_POLICY),
    ).toBeUndefined();
    expect(
      precheckPolicy({ language: 'wat', code: `(module) ;; require('net')` }, DEFAULT_POLICY),
    ).toBeUndefined();
  });
});
