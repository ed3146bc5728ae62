import { InvalidRequestError } from '@memory-mcp/sandbox-core';

/** Interfaces a component may import: those the sandbox implements with no ambient authority. */
const ALLOWED_PACKAGES = ['wasi:cli/', 'wasi:io/', 'wasi:clocks/', 'wasi:random/', 'wasi:filesystem/'];

export interface TranspiledComponent {
  /** The ES module jco generates, exporting `instantiate(getCoreModule, imports, instantiateCore)`. */
  js: string;
  /** Core modules by the file name the JS asks for. */
  coreModules: Record<string, Uint8Array>;
  /** WASI interfaces the component imports, e.g. `wasi:cli/stdout`. */
  imports: string[];
  /** Imports the sandbox does not provide. */
  missingImports: string[];
  exports: string[];
}

type JcoTranspile = typeof import('@bytecodealliance/jco-transpile');
let jco: Promise<JcoTranspile> | undefined;

/**
 * Turns a WASI preview 2 component into JS glue plus core modules with `@bytecodealliance/jco-transpile`
 * (an optional peer dependency, loaded only when a component arrives).
 */
export async function transpileComponent(bytes: Uint8Array): Promise<TranspiledComponent> {
  jco ??= import('@bytecodealliance/jco-transpile');
  let lib: JcoTranspile;
  try {
    lib = await jco;
  } catch (error) {
    jco = undefined;
    throw new InvalidRequestError(
      'code',
      `running WebAssembly components needs the optional packages @bytecodealliance/jco-transpile and @bytecodealliance/preview2-shim (${(error as Error).message})`,
    );
  }
  let out: Awaited<ReturnType<JcoTranspile['transpileBytes']>>;
  try {
    out = await lib.transpileBytes(bytes, {
      name: 'component',
      instantiation: 'async',
      nodejsCompat: false,
      tlaCompat: false,
      noTypescript: true,
    } as Parameters<JcoTranspile['transpileBytes']>[1]);
  } catch (error) {
    throw new InvalidRequestError('code', `invalid component: ${(error as Error).message ?? String(error)}`);
  }
  const files = out.files as Record<string, Uint8Array>;
  const coreModules: Record<string, Uint8Array> = {};
  for (const [name, data] of Object.entries(files)) if (name.endsWith('.wasm')) coreModules[name] = data;
  const imports = (out.imports as string[]).map((i) => i.replace(/@[\d.]+$/, ''));
  return {
    js: new TextDecoder().decode(files['component.js']),
    coreModules,
    imports,
    missingImports: imports.filter((i) => !ALLOWED_PACKAGES.some((p) => i.startsWith(p))),
    exports: (out.exports as Array<[string, string]>).map(([name]) => name),
  };
}
