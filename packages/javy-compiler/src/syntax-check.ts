import { CompileError } from '@memory-mcp/sandbox-core';

/**
 * Parses the code as the body of an async function with acorn, so a syntax error carries the exact
 * line and column (used when the engine refuses the code, for acorn's exact position). Throws `CompileError`.
 */
export async function checkSyntax(source: string, fileName = 'input.js'): Promise<void> {
  // loaded only when the engine refuses code: a compiler that never sees an error never loads it
  const { parse } = await import('acorn');
  try {
    parse(source, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true,
      locations: true,
    });
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    const message = (error as Error).message.replace(/\s*\(\d+:\d+\)$/, '');
    if (!loc) throw new CompileError(`SyntaxError: ${message}`, { fileName });
    throw new CompileError(`SyntaxError: ${message} (${fileName}:${loc.line}:${loc.column + 1})`, {
      line: loc.line,
      column: loc.column + 1,
      fileName,
    });
  }
}
