import { InvalidRequestError } from '@memory-mcp/sandbox-core';

/** The language this backend declares. */
export const ECHO_LANGUAGE = 'echo';

/**
 * One statement of the echo language, one per line:
 * `print <text>`, `print-input`, `nop`, `return <json>`, `throw <message>`,
 * `repeat <n|forever> <statement>`. Lines starting with `#` are comments.
 */
export type EchoStatement =
  | { op: 'print'; text: string }
  | { op: 'print-input' }
  | { op: 'nop' }
  | { op: 'return'; json: string }
  | { op: 'throw'; message: string }
  | { op: 'repeat'; times: number; body: EchoStatement };

/** Parses a program; a line it cannot read is an `InvalidRequestError` naming the line. */
export function parseEcho(code: string): EchoStatement[] {
  return code
    .split('\n')
    .map((line, index) => [line.trim(), index + 1] as const)
    .filter(([line]) => line !== '' && !line.startsWith('#'))
    .map(([line, number]) => parseStatement(line, number));
}

function parseStatement(line: string, number: number): EchoStatement {
  const space = line.indexOf(' ');
  const word = space === -1 ? line : line.slice(0, space);
  const rest = space === -1 ? '' : line.slice(space + 1);
  switch (word) {
    case 'print':
      return { op: 'print', text: rest };
    case 'print-input':
      return { op: 'print-input' };
    case 'nop':
      return { op: 'nop' };
    case 'return':
      return { op: 'return', json: rest };
    case 'throw':
      return { op: 'throw', message: rest };
    case 'repeat': {
      const [count = '', ...body] = rest.split(' ');
      const times = count === 'forever' ? Number.POSITIVE_INFINITY : Number(count);
      if (!(times >= 0))
        throw new InvalidRequestError('code', `line ${number}: repeat needs a count or 'forever'`);
      return { op: 'repeat', times, body: parseStatement(body.join(' '), number) };
    }
    default:
      throw new InvalidRequestError('code', `line ${number}: unknown statement '${word}'`);
  }
}
