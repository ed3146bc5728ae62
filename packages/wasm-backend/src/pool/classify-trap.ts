/** Maps an exception from running wasm to a stable trap kind and message. */
export function classifyTrap(error: unknown): { kind: string; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError && /call stack/i.test(message))
    return { kind: 'trap:stack_overflow', message };
  const rules: Array<[RegExp, string]> = [
    [/unreachable/i, 'trap:unreachable'],
    [/table index|indirect call|null function|function signature|signature mismatch/i, 'trap:indirect_call'],
    [/out of bounds|memory access/i, 'trap:out_of_bounds'],
    [/divi(de|sion) by zero|remainder by zero/i, 'trap:integer_divide_by_zero'],
    [/integer overflow|unrepresentable/i, 'trap:integer_overflow'],
    [/null|dereferencing a null/i, 'trap:null_reference'],
  ];
  for (const [pattern, kind] of rules) if (pattern.test(message)) return { kind, message };
  if (error instanceof WebAssembly.RuntimeError) return { kind: 'trap', message };
  return { kind: 'host_error', message };
}
