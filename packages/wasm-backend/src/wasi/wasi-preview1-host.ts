import { argsEnvFunctions } from './args-env.js';
import { clocksRandomFunctions } from './clocks-random.js';
import { Errno } from './errno.js';
import { fdApiFunctions } from './fd-api.js';
import { fdIoFunctions } from './fd-io.js';
import { FdTable } from './fd-table.js';
import { GuestMemory } from './guest-memory.js';
import { HostClock } from './host-clock.js';
import { HostStreams } from './host-streams.js';
import { type FsLimits, MemoryFs } from './memory-fs.js';
import { pathApiFunctions } from './path-api.js';
import { pollProcFunctions } from './poll-proc.js';
import { meterHostWork, type WasiContext, type WasiFunction } from './wasi-context.js';

export interface WasiHostOptions {
  /** argv, including argv[0]. */
  args: string[];
  /** Environment as `KEY=VALUE` pairs. Empty unless the request gives some. */
  env: Record<string, string>;
  stdin: Uint8Array;
  /** Cap on stdout + stderr bytes. */
  maxOutputBytes: number;
  /** When false, fd 1 and 2 answer EBADF: the code has no console. */
  allowConsole: boolean;
  /** When set, an in-memory filesystem preopened at `/` (fd 3), seeded with these files. */
  files?: Record<string, string | Uint8Array>;
  /** Caps on that filesystem. */
  fsLimits?: Partial<FsLimits>;
  /** Fixed clocks and seeded randomness: the same run gives the same answers. */
  deterministic: boolean;
  /** A descriptor (not stdout or stderr) whose writes are collected apart: a compiler's result channel. */
  resultFd?: number;
  /** Most bytes the result channel may carry (each write charged at least the output floor). */
  maxResultBytes?: number;
}

const nosys = () => Errno.NOSYS;

/**
 * A WASI preview 1 host written for the sandbox: in-memory stdio with a byte cap, args and env only
 * from the request, an optional in-memory filesystem, real or deterministic clocks and randomness.
 * Nothing reaches the host: every call not implemented here answers ENOSYS, and no argument makes
 * a call throw (a bad pointer is EFAULT); only `proc_exit` and the output cap end a run.
 */
export class WasiPreview1Host {
  readonly fs: MemoryFs | undefined;
  readonly #options: WasiHostOptions;
  readonly #context: WasiContext;
  readonly #streams: HostStreams;
  #table: Record<string, WasiFunction> | undefined;
  readonly #built = new Set<WasiGroup>();

  constructor(options: WasiHostOptions) {
    this.#options = options;
    if (options.files) this.fs = new MemoryFs(options.files, options.fsLimits);
    this.#context = {
      memory: new GuestMemory(),
      fds: new FdTable(this.fs !== undefined),
      fs: this.fs,
      clock: new HostClock(options.deterministic),
    };
    this.#streams = new HostStreams(options);
  }

  /** True once the result channel carried more than `maxResultBytes`. */
  get resultTruncated(): boolean {
    return this.#streams.resultTruncated;
  }

  /** True once output was cut at the cap. */
  get truncated(): boolean {
    return this.#streams.truncated;
  }

  /**
   * Charges host work to the run's fuel: `charge(units)` takes units from the instance's counter
   * and throws to end the run when it is spent.
   */
  meterFuel(charge: (units: number) => void): void {
    this.#context.chargeFuel = charge;
  }

  /** Gives the host the instance's memory; call before running the module. */
  bind(memory: WebAssembly.Memory): void {
    this.#context.memory.bind(memory);
  }

  /**
   * The import object for a WASI namespace, restricted to the names the module imports. For
   * `wasi_unstable` (preview 0), `fd_seek` takes preview 0's whence order, and the calls whose
   * structs preview 0 lays out differently (filestat) answer ENOSYS rather than write the wrong
   * layout.
   */
  imports(
    names: readonly string[],
    namespace = 'wasi_snapshot_preview1',
  ): Record<string, (...args: never[]) => unknown> {
    const table = this.#functions(names);
    const preview0 = namespace === 'wasi_unstable';
    const out: Record<string, (...args: never[]) => unknown> = {};
    for (const name of names) {
      // Own properties only: a module importing `constructor` or `__proto__` gets ENOSYS, not
      // whatever Object.prototype holds under that name. Defined, not assigned: assigning
      // `__proto__` would replace the object's prototype instead of adding the import.
      let fn: ((...args: never[]) => unknown) | undefined = Object.hasOwn(table, name)
        ? table[name]
        : undefined;
      if (preview0 && fn) fn = preview0Variant(name, fn as WasiFunction);
      Object.defineProperty(out, name, {
        value: fn ?? nosys,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  stdoutText(): string {
    return this.#streams.stdoutText();
  }

  stderrText(): string {
    return this.#streams.stderrText();
  }

  /** What the code wrote to the result channel, if it has one and wrote anything. */
  resultText(): string | undefined {
    return this.#streams.resultText();
  }

  /**
   * The functions of the groups these names belong to, each group built at most once per host (the
   * groups keep the run's state: stdin position, clock, random sequence). A run builds only what
   * its module imports: a hello world pays for one group, not six.
   */
  #functions(names: readonly string[]): Record<string, WasiFunction> {
    this.#table ??= {};
    for (const name of names) {
      const group = groupOf(name);
      if (!group || this.#built.has(group)) continue;
      this.#built.add(group);
      Object.assign(this.#table, meterHostWork(this.#context, this.#build(group)));
    }
    return this.#table;
  }

  #build(group: WasiGroup): Record<string, WasiFunction> {
    switch (group) {
      case 'args-env':
        return argsEnvFunctions(this.#context, this.#options);
      case 'clocks-random':
        return clocksRandomFunctions(this.#context);
      case 'fd-io':
        return fdIoFunctions(this.#context, this.#streams);
      case 'fd':
        return fdApiFunctions(this.#context);
      case 'path':
        return pathApiFunctions(this.#context);
      case 'poll-proc':
        return pollProcFunctions(this.#context);
    }
  }
}

type WasiGroup = 'args-env' | 'clocks-random' | 'fd-io' | 'fd' | 'path' | 'poll-proc';

const FD_IO = new Set(['fd_read', 'fd_write', 'fd_seek', 'fd_tell', 'fd_pread', 'fd_pwrite']);

/** Which group implements a name (by the WASI naming scheme); undefined: nothing does (ENOSYS). */
function groupOf(name: string): WasiGroup | undefined {
  if (FD_IO.has(name)) return 'fd-io';
  if (name.startsWith('fd_')) return 'fd';
  if (name.startsWith('path_')) return 'path';
  if (name.startsWith('args_') || name.startsWith('environ_')) return 'args-env';
  if (name.startsWith('clock_') || name === 'random_get' || name === 'sched_yield') return 'clocks-random';
  if (name === 'poll_oneoff' || name.startsWith('proc_') || name.startsWith('sock_')) return 'poll-proc';
  return undefined;
}

/** Preview 0 numbers `whence` CUR, END, SET; preview 1 SET, CUR, END. */
const PREVIEW0_WHENCE = [1, 2, 0];

/** Preview 0 filestat has a u32 `nlink` and a 56-byte layout: those calls are not offered. */
const PREVIEW0_UNSUPPORTED = new Set(['fd_filestat_get', 'path_filestat_get']);

function preview0Variant(name: string, fn: WasiFunction): WasiFunction | undefined {
  if (PREVIEW0_UNSUPPORTED.has(name)) return undefined;
  if (name !== 'fd_seek') return fn;
  const seek = fn as (fd: number, offset: bigint, whence: number, out: number) => number;
  return ((fd: number, offset: bigint, whence: number, out: number) =>
    seek(fd, offset, PREVIEW0_WHENCE[whence] ?? 255, out)) as WasiFunction;
}
