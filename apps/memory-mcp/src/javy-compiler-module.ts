import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * The `file:` URL of `@memory-mcp/javy-compiler`'s ESM entry, for executors to load. Node has
 * `import.meta.resolve`; test runners that transform modules may not, so the CommonJS resolver is
 * the fallback (it finds the same package; its `require` entry is loadable by `import()` too).
 */
export function javyCompilerModule(): string {
  const meta = import.meta as ImportMeta & { resolve?: (specifier: string) => string };
  if (typeof meta.resolve === 'function') return meta.resolve('@memory-mcp/javy-compiler');
  return pathToFileURL(createRequire(import.meta.url).resolve('@memory-mcp/javy-compiler')).href;
}
