// A real MCP client nobody here wrote: the MCP Inspector's CLI mode, against the built app over stdio.
// The Inspector needs Node >= 22.19, newer than this repo's floor, so it is not a dependency: CI
// installs it beside its Node 24 binary and runs `pnpm --filter memory-mcp test:inspector` with
// MCP_INSPECTOR_DIR pointing at the installed package (see .ci/run).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, CLI } from '../test/helpers.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-inspector-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inspectorRoot = process.env.MCP_INSPECTOR_DIR;
if (!inspectorRoot) {
  throw new Error('MCP_INSPECTOR_DIR must name an installed @modelcontextprotocol/inspector (see .ci/run)');
}
const manifest = JSON.parse(readFileSync(join(inspectorRoot, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
};
const inspectorBin = join(inspectorRoot, manifest.bin['mcp-inspector'] ?? Object.values(manifest.bin)[0]!);

async function inspector(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(
    process.execPath,
    [inspectorBin, '--cli', process.execPath, CLI, '--db', join(dir, 'i.db'), ...args],
    {
      env: baseEnv(),
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout.slice(stdout.indexOf('{'))) as Record<string, unknown>;
}

describe('MCP Inspector CLI against the app', () => {
  it('lists the tools', async () => {
    const listed = await inspector('--method', 'tools/list');
    const names = (listed.tools as Array<{ name: string }>).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['execute_agent_code', 'query_memory', 'health_check']));
  });

  it('calls execute_agent_code', async () => {
    const called = await inspector(
      '--method',
      'tools/call',
      '--tool-name',
      'execute_agent_code',
      '--tool-arg',
      'code=return 6 * 7',
    );
    expect(called).toMatchObject({ isError: false, structuredContent: { status: 'ok', value: 42 } });
  });
});
