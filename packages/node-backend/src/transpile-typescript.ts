import { transform } from 'sucrase';

const PREFIX = 'async function __memory_mcp_body__() {';

export type TranspileResult =
  | { code: string }
  | { error: { kind: string; message: string; line?: number; column?: number } };

/**
 * Strips TypeScript syntax. Sucrase keeps every line where it was, so stack traces and error
 * positions match the source the user sent. The code is parsed as the body of an async function,
 * like JavaScript requests, so top-level `await` and `return` work.
 */
export function transpileTypeScript(source: string): TranspileResult {
  try {
    const out = transform(`${PREFIX}${source}\n}`, {
      transforms: ['typescript'],
      disableESTransforms: true,
    }).code;
    const start = out.indexOf(PREFIX);
    const end = out.lastIndexOf('}');
    return { code: out.slice(start + PREFIX.length, end).replace(/\n$/, '') };
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    const message = (error as Error).message.replace(/\s*\(\d+:\d+\)$/, '');
    if (!loc) return { error: { kind: 'SyntaxError', message } };
    const column = loc.line === 1 ? loc.column - PREFIX.length : loc.column;
    return {
      error: {
        kind: 'SyntaxError',
        message: `${message} (line ${loc.line}, column ${column + 1})`,
        line: loc.line,
        column: column + 1,
      },
    };
  }
}
