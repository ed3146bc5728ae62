// Every code block in README.md runs as written: the example server is started over stdio and a
// real MCP client calls it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
// `ts no-run` marks the stdio server example for the repo-wide README check (it serves until stdin
// closes); this test is the one that runs it.
const blocks = [...readme.matchAll(/```ts(?: no-run)?\n([\s\S]*?)```/g)].map((m) => m[1]!);
// Written inside the package so its imports resolve exactly as a user's would.
const scratch = fileURLToPath(new URL('./.readme-examples/', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'memory-mcp-readme-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

describe('README examples', () => {
  it('has the example', () => expect(blocks.length).toBeGreaterThan(0));

  for (const [index, code] of blocks.entries()) {
    it(`example ${index + 1} runs as written and serves MCP over stdio`, async () => {
      mkdirSync(scratch, { recursive: true });
      // The examples use no TypeScript-only syntax, so they run as ES modules unchanged.
      const file = join(scratch, `example-${index + 1}.mjs`);
      writeFileSync(file, code);
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [file],
        cwd,
        stderr: 'pipe',
      });
      const client = new Client({ name: 'readme', version: '1.0.0' });
      await client.connect(transport);
      try {
        const { tools } = await client.listTools();
        const execute = tools.find((t) => t.name === 'execute_agent_code')!;
        const language = (execute.inputSchema.properties as Record<string, { enum?: string[] }>).language!;
        expect(language.enum).toEqual(expect.arrayContaining(['javascript', 'wasm', 'wat']));
        // The default language is one the server runs.
        const run = await client.callTool({
          name: 'execute_agent_code',
          arguments: { code: 'return 6 * 7' },
        });
        expect(run.structuredContent).toMatchObject({ status: 'ok', value: 42 });
      } finally {
        await client.close();
      }
    });
  }
});
