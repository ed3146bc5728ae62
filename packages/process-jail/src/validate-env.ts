import { InvalidRequestError } from '@memory-mcp/sandbox-core';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks that every variable can be passed through `--setenv` intact; throws naming `env.<NAME>`. */
export function validateEnv(env: Readonly<Record<string, string>> = {}): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!NAME.test(name)) throw new InvalidRequestError(`env.${name}`, 'is not a valid variable name');
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new InvalidRequestError(`env.${name}`, 'must be a string without NUL');
    }
    clean[name] = value;
  }
  return clean;
}
