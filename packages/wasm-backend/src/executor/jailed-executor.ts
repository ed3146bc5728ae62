import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  type IsolationLevel,
  type JailHandle,
  nodeDataBaselineBytes,
  startJail,
} from '@memory-mcp/process-jail';
import type { ExecutorProcess, SpawnExecutor } from './spawn-executor.js';

export interface JailedExecutorOptions {
  /**
   * `namespaces` (default) refuses to start an executor without every kernel wall; the executor
   * then never runs and the backend reports itself unhealthy. `permission-model` is the named
   * weaker level an operator opts into where namespaces are missing.
   */
  isolation?: IsolationLevel;
  /**
   * Kernel memory limit of the whole executor (RLIMIT_DATA, on top of Node's measured baseline).
   * Default: its V8 heap, plus 2 GiB for the WebAssembly memories of the runs it holds at once (each
   * run is capped by its own `memoryBytes`; this bounds them all together), plus what each worker
   * thread's isolate reserves as writable memory (Node 24's V8 reserves a 512 MiB code range per
   * isolate that counts against RLIMIT_DATA without being resident).
   */
  memoryBytes?: number;
  /** Worker threads the executor may run at once (each an isolate with its own reservations). Default 16. */
  workers?: number;
  /** Further code the executor loads (an executor-side compiler's module): its package is bound too. */
  codePaths?: readonly string[];
}

const GIB = 1024 * 1024 * 1024;
/** Packages the executor loads at run time; optional ones (components) may be missing. */
const RUNTIME_PACKAGES = [
  '@memory-mcp/sandbox-core',
  '@memory-mcp/wasm-binary',
  '@memory-mcp/process-jail',
  'wabt',
  '@bytecodealliance/jco-transpile',
  '@bytecodealliance/preview2-shim',
];

let defaultRoots: string[] | undefined;

/** Writable memory an isolate reserves before running anything (V8's code range on Node 24+). */
function isolateReserveBytes(): number {
  return nodeDataBaselineBytes(process.versions.node);
}

/**
 * The host directories that hold the executor's code, bound read-only into the jail at the same
 * paths: this package, and each dependency's outermost `node_modules` (or its own folder when it
 * is a workspace link). Nothing else of the host exists inside.
 */
export function executorCodeRoots(codePaths: readonly string[] = []): string[] {
  if (!defaultRoots) {
    const require = createRequire(import.meta.url);
    const entries = [fileURLToPath(import.meta.url)];
    for (const name of RUNTIME_PACKAGES) {
      try {
        entries.push(require.resolve(name));
      } catch {
        // an optional peer that is not installed
      }
    }
    defaultRoots = entries.map(codeRoot);
  }
  const found = [...defaultRoots];
  for (const path of codePaths) {
    try {
      found.push(codeRoot(path));
    } catch {
      // Missing: the executor reports that it cannot load it, per request.
    }
  }
  // A root inside another root is already bound.
  const sorted = [...new Set(found)].sort((a, b) => a.length - b.length);
  return sorted.filter((root, i) => !sorted.slice(0, i).some((outer) => root.startsWith(`${outer}${sep}`)));
}

let libraryDir: string | null | undefined;

/**
 * The system's shared-library folder (where Node's libc lives), bound read-only so the native
 * addons the component toolchain loads (oxc's minifier needs librt) find their libraries. These
 * are the distribution's public libraries: no host data, sockets or identity.
 */
export function systemLibraryDir(): string | undefined {
  if (libraryDir === undefined) libraryDir = libcFolder(mappedLibc) ?? libcFolder(lddLibc) ?? null;
  return libraryDir ?? undefined;
}

/** The libc this process has mapped is the one Node links: read without running anything. */
function mappedLibc(): string | undefined {
  return /\s(\/\S+\/libc\.so\.\d+)$/m.exec(readFileSync('/proc/self/maps', 'utf8'))?.[1];
}

/** Without procfs, ask ldd (absent where libc is not glibc). */
function lddLibc(): string | undefined {
  const listing = execFileSync('ldd', [process.execPath], { encoding: 'utf8', timeout: 10_000 });
  return /\s(\/\S+\/libc\.so\.\d+)\s/.exec(listing)?.[1];
}

/** The real folder of the libc `find` names, or undefined when it names none or fails. */
function libcFolder(find: () => string | undefined): string | undefined {
  try {
    const libc = find();
    return libc ? dirname(realpathSync(libc)) : undefined;
  } catch {
    return undefined;
  }
}

/** The outermost `node_modules` holding a file, or its package's folder when it is a workspace link. */
function codeRoot(file: string): string {
  const real = realpathSync(file);
  const marker = `${sep}node_modules${sep}`;
  const at = real.indexOf(marker);
  return at >= 0 ? real.slice(0, at + marker.length - 1) : packageRoot(dirname(real));
}

/** The folder above `dir` that holds a package.json (a package's root). */
function packageRoot(dir: string): string {
  const require = createRequire(`${dir}${sep}`);
  for (let current = dir; ; current = dirname(current)) {
    try {
      require.resolve(`${current}${sep}package.json`);
      return current;
    } catch {
      if (dirname(current) === current) return dir;
    }
  }
}

/**
 * Starts each executor inside the process jail: its own user, mount, PID, network, IPC, UTS and
 * cgroup namespaces, a read-only root holding only Node and the executor's code, uid 65534, and
 * kernel limits on memory, files and processes. The pipes are handed back at once and connected
 * when the jail is up; a jail that cannot start is an executor that exited.
 */
export function jailedExecutor(options: JailedExecutorOptions = {}): SpawnExecutor {
  return ({ command, args, env, heapMb }): ExecutorProcess => {
    const input = new PassThrough();
    const output = new PassThrough();
    const stderr = new PassThrough();
    const listeners: Array<(code: number | null, signal: string | null) => void> = [];
    let ended: [number | null, string | null] | undefined;
    let handle: JailHandle | undefined;
    let killed = false;
    const finish = (code: number | null, signal: string | null) => {
      if (ended) return;
      ended = [code, signal];
      input.destroy();
      output.end();
      stderr.end();
      for (const listener of listeners) listener(code, signal);
    };
    startJail({
      command,
      args,
      env,
      readPaths: [
        ...executorCodeRoots(options.codePaths),
        ...(systemLibraryDir() ? [systemLibraryDir()!] : []),
      ],
      isolation: options.isolation ?? 'namespaces',
      limits: {
        memoryBytes:
          options.memoryBytes ??
          heapMb * 1024 * 1024 + 2 * GIB + (options.workers ?? 16) * isolateReserveBytes(),
        // Worker threads count as processes and hold descriptors.
        processes: 512,
        openFiles: 1024,
      },
    }).then(
      (jail) => {
        handle = jail;
        if (killed) jail.kill();
        input.pipe(jail.stdin);
        jail.stdin.on('error', () => {});
        jail.stdout.pipe(output);
        jail.stderr.pipe(stderr);
        void jail.exited.then((exit) => finish(exit.code, exit.signal));
      },
      (error: unknown) => {
        stderr.write(
          `the executor's jail did not start: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        finish(null, null);
      },
    );
    return {
      input,
      output,
      stderr,
      get pid() {
        return handle?.pid;
      },
      kill() {
        killed = true;
        handle?.kill();
      },
      onExit(listener) {
        if (ended) listener(...ended);
        else listeners.push(listener);
      },
    };
  };
}
