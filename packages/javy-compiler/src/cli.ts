import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { CompileError } from '@memory-mcp/sandbox-core';
import { createCompiler } from './quickjs-compiler.js';

declare const __PACKAGE_VERSION__: string;
const VERSION = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0';

const usage = `usage: memory-mcp-javy build <in.js> -o <out.wasm> [--dynamic]
       memory-mcp-javy --help | --version

Compiles JavaScript (the body of an async function: top-level await and return work) to a WASI
module with the embedded QuickJS engine. Static modules (default) run on any WASI runtime:
  wasmtime run out.wasm < input.json
`;

async function main(argv: string[]): Promise<number> {
  const [command, input, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const outIndex = rest.indexOf('-o');
  const output = outIndex >= 0 ? rest[outIndex + 1] : undefined;
  if (command !== 'build' || !input || !output) {
    process.stderr.write(usage);
    return 2;
  }
  const mode = rest.includes('--dynamic') ? 'dynamic' : 'static';
  try {
    const compiled = await createCompiler({ mode }).compile(await readFile(input, 'utf8'), {
      filename: input.split('/').pop()!,
    });
    writeFileSync(output, compiled.bytes);
    process.stderr.write(
      `wrote ${output}: ${compiled.bytes.length} bytes, ${mode}, sha256 ${compiled.hash} (${compiled.compileMs.toFixed(1)} ms)\n`,
    );
    return 0;
  } catch (error) {
    if (CompileError.isInstance(error)) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
