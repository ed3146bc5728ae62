import { InvalidRequestError } from '@memory-mcp/sandbox-core';

const MiB = 1024 * 1024;

/**
 * Private writable memory (`RLIMIT_DATA`, the kernel's VmData) that Node 20 needs before running any
 * user code, with the jail's 2 MiB stacks. Measured by `bench/node-data-baseline.mjs`, which bisects
 * for the smallest RLIMIT_DATA at which `node` inside the jail starts, runs a crypto job and an async
 * fs read (starting libuv's 4 threadpool threads) and exits 0: 50 MiB on Node v20.20.2 / x86_64
 * (VmData at exit with room to spare: 49 MiB; 8 MiB stacks would add ~30 MiB). Below it Node aborts
 * with `std::bad_alloc` or hangs creating threads. 64 MiB leaves 14 MiB for version drift; a test
 * fails if a warm Node no longer fits. Other runtimes pass their own `dataBaselineBytes`.
 */
export const NODE_DATA_BASELINE_BYTES = nodeDataBaselineBytes(process.versions.node);

/**
 * Node 24's V8 reserves a 512 MiB code range as writable memory at start (VmData ~563 MiB, none of
 * it resident; measured by node-backend's per-binary baseline), so its baseline is larger. The
 * default command is this Node, so the default baseline is this Node's.
 */
export function nodeDataBaselineBytes(version: string): number {
  return Number(version.split('.')[0]) >= 24 ? 640 * MiB : 64 * MiB;
}

/** Kernel resource limits of one jail. Every limit applies to each process in the jail. */
export interface JailLimits {
  /**
   * The program's own memory allowance in bytes, on top of `dataBaselineBytes`; together they are
   * `RLIMIT_DATA`, which counts heap, `mmap`ed buffers, WebAssembly memories and thread stacks
   * (everything private and writable), not reserved-but-inaccessible address space. Default 256 MiB.
   */
  memoryBytes: number;
  /** What the runtime itself needs before user code runs. Default `NODE_DATA_BASELINE_BYTES` (64 MiB). */
  dataBaselineBytes: number;
  /** `RLIMIT_FSIZE`: the largest file the program may write; beyond it the write fails (SIGXFSZ). Default 16 MiB. */
  fileSizeBytes: number;
  /** `RLIMIT_NOFILE`: open file descriptors per process. Node needs about 21 with a worker. Default 64. */
  openFiles: number;
  /**
   * `RLIMIT_NPROC`: threads plus processes inside this jail. The kernel (5.14+) counts it per user
   * namespace, so each jail has its own budget even though all run as the same host uid; Node's
   * own ~11 threads need at least 12. Default 64.
   */
  processes: number;
  /**
   * `RLIMIT_STACK`, which glibc also uses as every thread's stack size. V8 stops JavaScript recursion
   * at 984 KiB on its own, so 2 MiB is enough and keeps Node's baseline 30 MiB smaller than 8 MiB
   * stacks would. Default 2 MiB.
   */
  stackBytes: number;
  /** `RLIMIT_CPU` in seconds (SIGXCPU). Default: none; wall-clock deadlines are the caller's job. */
  cpuSeconds?: number;
  /** Size of the private `/tmp` (a tmpfs, charged to memory rather than to `RLIMIT_DATA`). Default 16 MiB. */
  tmpBytes: number;
}

export const DEFAULT_JAIL_LIMITS: Readonly<JailLimits> = Object.freeze({
  memoryBytes: 256 * MiB,
  dataBaselineBytes: NODE_DATA_BASELINE_BYTES,
  fileSizeBytes: 16 * MiB,
  openFiles: 64,
  processes: 64,
  stackBytes: 2 * MiB,
  tmpBytes: 16 * MiB,
});

/** Defaults filled in; throws `InvalidRequestError` (`limits.<name>`) for a non-integer or negative value. */
export function resolveJailLimits(limits: Partial<JailLimits> = {}): JailLimits {
  const resolved: JailLimits = { ...DEFAULT_JAIL_LIMITS };
  for (const [name, value] of Object.entries(limits)) {
    if (value === undefined) continue;
    if (!(name in DEFAULT_JAIL_LIMITS) && name !== 'cpuSeconds') {
      throw new InvalidRequestError(`limits.${name}`, 'is not a jail limit');
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new InvalidRequestError(`limits.${name}`, `must be a non-negative integer, got ${String(value)}`);
    }
    (resolved as unknown as Record<string, number>)[name] = value;
  }
  return resolved;
}

/**
 * `prlimit` options setting soft and hard limits alike, so the program cannot raise them back.
 * `withProcesses` is false outside namespaces, where `RLIMIT_NPROC` would count every process of
 * the shared uid on the host and make concurrent jails fail each other's forks.
 */
export function prlimitArgs(limits: JailLimits, withProcesses: boolean): string[] {
  const args = [
    `--data=${limits.memoryBytes + limits.dataBaselineBytes}`,
    `--fsize=${limits.fileSizeBytes}`,
    `--nofile=${limits.openFiles}`,
    `--stack=${limits.stackBytes}`,
    '--core=0',
  ];
  if (withProcesses) args.push(`--nproc=${limits.processes}`);
  // Soft below hard: at the soft limit the kernel sends SIGXCPU (reportable); equal limits mean SIGKILL.
  if (limits.cpuSeconds !== undefined) args.push(`--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`);
  return args;
}
