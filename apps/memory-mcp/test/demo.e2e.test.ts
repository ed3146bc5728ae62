// `pnpm demo` runs as written, and its network step shows the mechanism it names.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('the demo', () => {
  it('runs every step; sandboxed code cannot reach a listener the host reaches', () => {
    const run = spawnSync(
      process.execPath,
      [fileURLToPath(new URL('../scripts/demo.mjs', import.meta.url))],
      {
        encoding: 'utf8',
        timeout: 180_000,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('from the host: reachable from the host');
    const step = run.stdout.slice(run.stdout.indexOf('stopped by the network namespace'));
    // An empty network namespace has no usable loopback: unreachable (or refused), never fetch's
    // own blocked-port rule.
    expect(step).toMatch(/^[^▶]*fetch failed \(cause: (ENETUNREACH|ECONNREFUSED)\)/);
    expect(run.stdout).not.toMatch(/bad port/);
    expect(run.stdout).toContain('demo finished');
    // the session steps: a two-step analysis, a fork, the original untouched, a failure that keeps state
    const sessionPart = run.stdout.slice(run.stdout.indexOf('Session step 1'));
    expect(sessionPart).toMatch(/Session step 2[^▶]*value: \{"north":160,"south":380\}/);
    expect(sessionPart).toMatch(/In the fork[^▶]*value: \[120,300\]/);
    expect(sessionPart).toMatch(/untouched by the fork[^▶]*value: \[120,80,300,40\]/);
    expect(sessionPart).toMatch(/A failed call[^▶]*state not saved/);
    expect(sessionPart).toMatch(/Still there[^▶]*value: 4/);
  });
});
