import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  type CompiledModule,
  CompileError,
  type CompileOptions,
  type Compiler,
} from '@memory-mcp/sandbox-core';

export interface JavyCliCompilerOptions {
  /** The javy binary. Default: `JAVY_PATH`, else `javy` found on `PATH`. */
  path?: string;
  /** Kill javy after this long. Default 60 s. */
  timeoutMs?: number;
  mode?: 'static' | 'dynamic';
}

/**
 * Uses the real Javy CLI (`javy build in.js -o out.wasm`, `-C dynamic` for dynamic modules) when a
 * user has it. Source and output go through a temporary directory that is always removed.
 * Modules built by Javy write their result only to stdout, so they have no result channel.
 */
export class JavyCliCompiler implements Compiler {
  readonly specificationVersion = 'v1';
  readonly name = 'javy-cli';
  readonly path: string;
  readonly timeoutMs: number;
  readonly mode: 'static' | 'dynamic';

  constructor(options: JavyCliCompilerOptions = {}) {
    const found = options.path ?? JavyCliCompiler.find();
    if (!found) throw new Error('javy not found: set JAVY_PATH or put javy on PATH');
    this.path = found;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.mode = options.mode ?? 'static';
  }

  /** The javy binary from `JAVY_PATH` or `PATH`, if any. */
  static find(env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (env.JAVY_PATH) return existsSync(env.JAVY_PATH) ? env.JAVY_PATH : undefined;
    for (const dir of (env.PATH ?? '').split(delimiter)) {
      if (dir && existsSync(join(dir, 'javy'))) return join(dir, 'javy');
    }
    return undefined;
  }

  async compile(source: string, options: CompileOptions = {}): Promise<CompiledModule> {
    const mode = options.mode ?? this.mode;
    const dir = await mkdtemp(join(tmpdir(), 'memory-mcp-javy-'));
    const input = join(dir, options.filename ?? 'input.js');
    const output = join(dir, 'out.wasm');
    const started = performance.now();
    try {
      await writeFile(input, source);
      const args = ['build', input, '-o', output, ...(mode === 'dynamic' ? ['-C', 'dynamic'] : [])];
      const version = await new Promise<string>((resolve, reject) => {
        execFile(this.path, args, { timeout: this.timeoutMs, encoding: 'utf8' }, (error, _stdout, stderr) => {
          if (!error) return resolve('');
          const killed = (error as { killed?: boolean }).killed;
          const line = /:(\d+):(\d+)/.exec(stderr);
          reject(
            new CompileError(
              killed
                ? `javy timed out after ${this.timeoutMs} ms`
                : `javy failed (exit ${error.code}): ${stderr.trim() || error.message}`,
              line ? { line: Number(line[1]), column: Number(line[2]) } : {},
            ),
          );
        });
      });
      const bytes = new Uint8Array(await readFile(output));
      return {
        bytes,
        hash: createHash('sha256').update(bytes).digest('hex'),
        mode,
        engine: { name: 'javy', version: version || 'cli', hash: '' },
        compileMs: performance.now() - started,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
