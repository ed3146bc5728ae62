import { constants } from 'node:os';

/** Why a jail ended, for a backend to map onto its result status. */
export type JailExitReason =
  /** The program exited on its own (any exit code). */
  | 'exit'
  /** A signal ended it that no limit explains. */
  | 'signal'
  /** The host called `kill()`. */
  | 'killed'
  /** It died of `RLIMIT_DATA`: ENOMEM surfaced as a fatal V8 OOM, an uncaught allocation RangeError or bad_alloc. */
  | 'memory_limit'
  /** It died of `RLIMIT_FSIZE`: SIGXFSZ, or (Node ignores that signal) an uncaught EFBIG. */
  | 'file_size_limit'
  /** It died of `RLIMIT_CPU` (SIGXCPU). */
  | 'cpu_limit'
  /** bubblewrap could not build the jail; the program never ran. */
  | 'setup_failed';

export interface JailExit {
  /** Exit code of the program, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  reason: JailExitReason;
}

export interface ExitFacts {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KiB the program wrote to stderr. */
  stderrTail: string;
  killedByHost: boolean;
  /** bwrap reports a child killed by signal N as exit code 128 + N. */
  viaBwrap: boolean;
}

// The words each runtime prints when an allocation fails for lack of RLIMIT_DATA (Node 20:
// "FATAL ERROR: ... JavaScript heap out of memory" then SIGABRT; a caught-nowhere
// "RangeError: Array buffer allocation failed" or "WebAssembly.Memory.grow(): Unable to grow
// instance memory"; C++ "std::bad_alloc"; C "Cannot allocate memory").
const OUT_OF_MEMORY =
  /JavaScript heap out of memory|Array buffer allocation failed|Unable to grow instance memory|std::bad_alloc|Cannot allocate memory|ENOMEM|Allocation failed/;
const FILE_TOO_LARGE = /EFBIG|File too large/i;

// First name wins, so 6 reads SIGABRT rather than its alias SIGIOT.
const signalNames = new Map<number, NodeJS.Signals>();
for (const [name, number] of Object.entries(constants.signals)) {
  if (!signalNames.has(number)) signalNames.set(number, name as NodeJS.Signals);
}

/**
 * Maps how a jail ended onto a reason. The stderr patterns are the program's own words, so a
 * program can fake a memory or file-size death of itself; it cannot make one look like success.
 */
export function classifyExit(facts: ExitFacts): JailExit {
  let { code, signal } = facts;
  if (facts.viaBwrap && code !== null && code > 128 && signalNames.has(code - 128)) {
    signal = signalNames.get(code - 128)!;
    code = null;
  }
  const base = { code, signal };
  if (facts.killedByHost) return { ...base, reason: 'killed' };
  if (signal === 'SIGXFSZ') return { ...base, reason: 'file_size_limit' };
  if (signal === 'SIGXCPU') return { ...base, reason: 'cpu_limit' };
  if (code === 0) return { ...base, reason: 'exit' };
  const tail = facts.stderrTail;
  if (OUT_OF_MEMORY.test(tail)) return { ...base, reason: 'memory_limit' };
  if (FILE_TOO_LARGE.test(tail)) return { ...base, reason: 'file_size_limit' };
  if (facts.viaBwrap && code === 1 && /^bwrap: /m.test(tail)) return { ...base, reason: 'setup_failed' };
  return { ...base, reason: signal ? 'signal' : 'exit' };
}
