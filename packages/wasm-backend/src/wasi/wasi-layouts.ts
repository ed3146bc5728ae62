// The WASI preview 1 ABI as the host reads and writes it: byte offsets of struct fields in guest
// memory (wasm32, little-endian, C alignment) and the flag values it interprets. Every number here
// is from `wasi_snapshot_preview1.witx` / wasi-libc's `api.h`, where each struct's size and field
// offsets are asserted with `_Static_assert`.

/** `ciovec` / `iovec`: a buffer pointer and its length. */
export const IOVEC = { BYTES: 8, BUF: 0, BUF_LEN: 4 } as const;

/** `fdstat`. */
export const FDSTAT = { BYTES: 24, FILETYPE: 0, FLAGS: 2, RIGHTS_BASE: 8, RIGHTS_INHERITING: 16 } as const;

/** `filestat` (`SIZE` is the file-size field; `BYTES` the struct's). */
export const FILESTAT = {
  BYTES: 64,
  DEV: 0,
  INO: 8,
  FILETYPE: 16,
  NLINK: 24,
  SIZE: 32,
  ATIM: 40,
  MTIM: 48,
  CTIM: 56,
} as const;

/** `dirent`: the header before each name in an `fd_readdir` buffer; the name follows unterminated. */
export const DIRENT = { BYTES: 24, NEXT: 0, INO: 8, NAMLEN: 16, TYPE: 20 } as const;

/** `prestat`: a tag (0 = directory) and, for a directory, the length of its name. */
export const PRESTAT = { BYTES: 8, TAG: 0, DIR_NAME_LEN: 4 } as const;
export const PREOPENTYPE_DIR = 0;

/** `subscription`: the union starts at 16 (aligned for its u64s); the clock variant's fields. */
export const SUBSCRIPTION = {
  BYTES: 48,
  USERDATA: 0,
  TAG: 8,
  CLOCK_ID: 16,
  CLOCK_TIMEOUT: 24,
  CLOCK_PRECISION: 32,
  CLOCK_FLAGS: 40,
} as const;

/** `event`: the fd_readwrite fields follow at 16, left zero by this host. */
export const EVENT = { BYTES: 32, USERDATA: 0, ERROR: 8, TYPE: 10, NBYTES: 16, FLAGS: 24 } as const;

export const EVENTTYPE = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;
export const SUBCLOCKFLAGS_ABSTIME = 1;

export const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME: 2, THREAD_CPUTIME: 3 } as const;
export const WHENCE = { SET: 0, CUR: 1, END: 2 } as const;

export const FileType = { UNKNOWN: 0, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4 } as const;

export const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
export const FDFLAGS_APPEND = 1;

export const RIGHT_FD_READ = 1n << 1n;
export const RIGHT_FD_WRITE = 1n << 6n;
/** Rights bits 0-28 (`fd_datasync` to `sock_shutdown`): what files and directories report. */
export const ALL_RIGHTS = 0x1fffffffn;
/** Rights bits 0-24 (`fd_datasync` to `path_symlink`): what stdio reports. */
export const STDIO_RIGHTS = 0x1ffffffn;
