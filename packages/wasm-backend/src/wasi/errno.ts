/** WASI preview 1 errno values used by the host. */
export const Errno = {
  SUCCESS: 0,
  BADF: 8,
  EXIST: 20,
  FAULT: 21,
  INVAL: 28,
  IO: 29,
  ISDIR: 31,
  MFILE: 33,
  NAMETOOLONG: 37,
  NOENT: 44,
  NOSPC: 51,
  NOSYS: 52,
  NOTDIR: 54,
  NOTEMPTY: 55,
  NOTSUP: 58,
  PERM: 63,
  SPIPE: 70,
  NOTCAPABLE: 76,
} as const;

/** Thrown by `proc_exit`: unwinds the module back to the host with an exit code. */
export class ProcExit {
  constructor(readonly code: number) {}
}

/** Thrown by `fd_write` when stdout + stderr pass `maxOutputBytes`. */
export class OutputLimitExceeded {
  constructor(readonly limit: number) {}
}
