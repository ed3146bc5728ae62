import { UnifiedSandbox } from '@memory-mcp/sandbox-core';
import { describeBackendConformance } from '@memory-mcp/sandbox-core/testing';
import { describe, expect, it } from 'vitest';
import { EchoBackend } from './echo-backend.js';
import { echoKit } from './echo-kit.js';

describeBackendConformance('echo', () => new EchoBackend(), { kit: echoKit });

describe('EchoBackend behind UnifiedSandbox', () => {
  it('is routed by its own kind and language, beside nothing else', async () => {
    await using sandbox = new UnifiedSandbox({ backends: { echo: new EchoBackend() } });
    expect(sandbox.languages()).toEqual(['echo']);
    const result = await sandbox.execute({ language: 'echo', code: 'repeat 2 print hi\nreturn [1]' });
    expect(result).toMatchObject({ status: 'ok', stdout: 'hi\nhi\n', value: [1], backend: 'echo' });
    expect(result.route?.reason).toBe('capability: only echo runs echo');
    await expect(sandbox.execute({ language: 'echo', code: 'jump 3' })).rejects.toThrow(
      /line 1: unknown statement 'jump'/,
    );
  });
});
