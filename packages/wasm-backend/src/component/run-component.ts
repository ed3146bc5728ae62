// Runs inside a worker thread: instantiates a transpiled WASI preview 2 component with
// @bytecodealliance/preview2-shim's in-memory (browser) implementations, stdio wired to the
// sandbox's capped buffers, no preopened directories, and no sockets or HTTP.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OutputCap, type OutputStream } from '@memory-mcp/sandbox-core';
import { OutputLimitExceeded } from '../wasi/errno.js';

export interface ComponentRun {
  js: string;
  jsHash: string;
  modules: Record<string, WebAssembly.Module>;
  stdin: Uint8Array;
  args: string[];
  env: Record<string, string>;
  maxOutputBytes: number;
  allowConsole: boolean;
  fuel: number;
}

export interface ComponentOutcome {
  outcome: 'ok' | 'exit' | 'trap' | 'output_limit' | 'out_of_fuel';
  exitCode?: number;
  error?: { kind: string; message: string };
  stdout: string;
  stderr: string;
  truncated: boolean;
  fuelUsed: number;
  memoryBytes?: number;
}

type ShimModule = Record<string, Record<string, unknown> & ((...args: never[]) => unknown)>;
interface Shim {
  cli: ShimModule;
  io: ShimModule;
  clocks: ShimModule;
  random: ShimModule;
  filesystem: ShimModule;
}
let shim: Promise<Shim> | undefined;
type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module | undefined,
  imports: object,
  instantiateCore: (
    module: WebAssembly.Module,
    imports: WebAssembly.Imports,
  ) => Promise<WebAssembly.Instance>,
) => Promise<Record<string, { run?: () => unknown } | undefined>>;
const glue = new Map<string, Promise<{ instantiate: Instantiate }>>();

function loadShim(): Promise<Shim> {
  shim ??= (async () => {
    const require = createRequire(import.meta.url);
    const browser = join(dirname(require.resolve('@bytecodealliance/preview2-shim')), '..', 'browser');
    const load = (name: string) =>
      import(pathToFileURL(join(browser, `${name}.js`)).href) as Promise<ShimModule>;
    const [cli, io, clocks, random, filesystem] = await Promise.all([
      load('cli'),
      load('io'),
      load('clocks'),
      load('random'),
      load('filesystem'),
    ]);
    return { cli, io, clocks, random, filesystem };
  })();
  return shim;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export async function runComponent(message: ComponentRun): Promise<ComponentOutcome> {
  const { cli, io, clocks, random, filesystem } = await loadShim();
  const output = new OutputCap({ maxBytes: message.maxOutputBytes });
  const sink = (stream: OutputStream) => ({
    write(contents: Uint8Array) {
      if (!message.allowConsole) throw { tag: 'closed' };
      if (!output.write(stream, contents)) throw new OutputLimitExceeded(message.maxOutputBytes);
    },
    blockingFlush() {},
  });
  let stdinOffset = 0;
  const local = (cli.createCli as unknown as (config: object) => Record<string, unknown>)({
    stdout: sink('stdout'),
    stderr: sink('stderr'),
    stdin: {
      blockingRead(len: bigint) {
        if (stdinOffset >= message.stdin.length) throw { tag: 'closed' };
        const chunk = message.stdin.subarray(stdinOffset, stdinOffset + Number(len));
        stdinOffset += chunk.length;
        return chunk;
      },
      subscribe: () => (io.pollableCreate as unknown as () => unknown)(),
    },
    environment: message.env,
    arguments: message.args,
  });
  const packages: Record<string, Record<string, unknown>> = { cli: local, io, clocks, random, filesystem };
  const imports = new Proxy(
    {},
    {
      get(_target, key) {
        const match = /^wasi:([a-z-]+)\/([a-z-]+)/.exec(String(key));
        return match ? packages[match[1]!]?.[camel(match[2]!)] : undefined;
      },
    },
  );

  let loader = glue.get(message.jsHash);
  if (!loader) {
    loader = import(`data:text/javascript;base64,${Buffer.from(message.js).toString('base64')}`);
    glue.set(message.jsHash, loader);
  }
  const { instantiate } = await loader;
  const instances: WebAssembly.Instance[] = [];
  const result = (
    outcome: ComponentOutcome['outcome'],
    extra: Partial<ComponentOutcome> = {},
  ): ComponentOutcome => {
    let fuelUsed = 0;
    let memoryBytes = 0;
    for (const instance of instances) {
      const fuel = instance.exports.__memory_mcp_fuel as WebAssembly.Global | undefined;
      if (fuel) fuelUsed += message.fuel - Number(fuel.value as bigint);
      for (const value of Object.values(instance.exports)) {
        if (value instanceof WebAssembly.Memory) memoryBytes = Math.max(memoryBytes, value.buffer.byteLength);
      }
    }
    return {
      outcome,
      stdout: output.text('stdout'),
      stderr: output.text('stderr'),
      truncated: output.truncated,
      fuelUsed,
      memoryBytes,
      ...extra,
    };
  };
  try {
    const component = await instantiate(
      (name: string) => message.modules[name],
      imports,
      async (module: WebAssembly.Module, moduleImports: WebAssembly.Imports) => {
        const instance = await WebAssembly.instantiate(module, moduleImports);
        const fuel = instance.exports.__memory_mcp_fuel as WebAssembly.Global | undefined;
        if (fuel) fuel.value = BigInt(message.fuel);
        instances.push(instance);
        // The instrumenter moved the start function to an export so it runs after fuel is set.
        (instance.exports.__memory_mcp_start as (() => void) | undefined)?.();
        return instance;
      },
    );
    const run = component.run ?? component['wasi:cli/run'];
    if (!run?.run)
      return result('trap', {
        error: { kind: 'link', message: 'the component does not export wasi:cli/run' },
      });
    run.run();
    return result('ok', { exitCode: 0 });
  } catch (error) {
    const exit = error as { exitError?: boolean; code?: number };
    if (exit?.exitError) {
      const code = exit.code ?? 1;
      return code === 0
        ? result('ok', { exitCode: 0 })
        : result('exit', {
            exitCode: code,
            error: { kind: 'exit', message: `component exited with code ${code}` },
          });
    }
    if (error instanceof OutputLimitExceeded || output.truncated) {
      return result('output_limit', {
        error: {
          kind: 'output_limit',
          message: `output passed maxOutputBytes (${message.maxOutputBytes} bytes)`,
        },
      });
    }
    if (
      instances.some(
        (i) => (i.exports.__memory_mcp_out_of_fuel as WebAssembly.Global | undefined)?.value === 1,
      )
    ) {
      return result('out_of_fuel', {
        error: { kind: 'out_of_fuel', message: `fuel exhausted (budget ${message.fuel} per core module)` },
      });
    }
    const text = error instanceof Error ? error.message : JSON.stringify(error);
    return result('trap', {
      error: { kind: /unreachable/.test(text) ? 'trap:unreachable' : 'trap', message: text },
    });
  }
}
