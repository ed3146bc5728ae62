import { OutputCap } from '@memory-mcp/sandbox-core';
import { Errno, FileType, OutputLimitExceeded, ProcExit } from './errno.js';
import { type FsLimits, MemoryFs, normalizePath } from './memory-fs.js';

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

type FdEntry =
  | { kind: 'stdin' | 'stdout' | 'stderr' }
  | { kind: 'dir'; path: string; preopen: boolean }
  | { kind: 'file'; path: string; pos: number; append: boolean; read: boolean; write: boolean };

const STDIO_RIGHTS = 0x1ffffffn;
const ALL_RIGHTS = 0x1fffffffn;
const DETERMINISTIC_EPOCH_NS = 946_684_800_000_000_000n; // 2000-01-01T00:00:00Z
const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
const RIGHT_FD_READ = 1n << 1n;
const RIGHT_FD_WRITE = 1n << 6n;

const utf8 = new TextEncoder();

/**
 * A WASI preview 1 host written for the sandbox: in-memory stdio with a byte cap, args and env only
 * from the request, an optional in-memory filesystem, real or deterministic clocks and randomness.
 * Nothing reaches the host: every call not implemented here answers ENOSYS.
 */
export class WasiPreview1Host {
  readonly #options: WasiHostOptions;
  #memory: WebAssembly.Memory | undefined;
  readonly #fds = new Map<number, FdEntry>();
  #nextFd = 4;
  readonly fs: MemoryFs | undefined;
  readonly #output: OutputCap;
  readonly #result: OutputCap;
  #resultWritten = false;
  #stdinPos = 0;
  #clockTick = 0n;
  #rng: number;

  constructor(options: WasiHostOptions) {
    this.#options = options;
    this.#fds.set(0, { kind: 'stdin' });
    this.#fds.set(1, { kind: 'stdout' });
    this.#fds.set(2, { kind: 'stderr' });
    if (options.files) {
      this.fs = new MemoryFs(options.files, options.fsLimits);
      this.#fds.set(3, { kind: 'dir', path: '/', preopen: true });
    }
    this.#rng = 0x9e3779b9;
    this.#output = new OutputCap({ maxBytes: options.maxOutputBytes });
    this.#result = new OutputCap({ maxBytes: options.maxResultBytes ?? options.maxOutputBytes });
  }

  /** True once the result channel carried more than `maxResultBytes`. */
  get resultTruncated(): boolean {
    return this.#result.truncated;
  }

  /** True once output was cut at the cap. */
  get truncated(): boolean {
    return this.#output.truncated;
  }

  /** Gives the host the instance's memory; call before running the module. */
  bind(memory: WebAssembly.Memory): void {
    this.#memory = memory;
  }

  #view(): DataView {
    if (!this.#memory) throw new Error('WASI host used before bind()');
    return new DataView(this.#memory.buffer);
  }

  #bytes(): Uint8Array {
    return new Uint8Array(this.#memory!.buffer);
  }

  #string(ptr: number, len: number): string {
    return new TextDecoder().decode(this.#bytes().subarray(ptr, ptr + len));
  }

  /** The import object for `wasi_snapshot_preview1`, restricted to the names the module imports. */
  imports(names: readonly string[]): Record<string, (...args: never[]) => unknown> {
    const table = this.#table();
    const out: Record<string, (...args: never[]) => unknown> = {};
    for (const name of names) out[name] = table[name] ?? (() => Errno.NOSYS);
    return out;
  }

  stdoutText(): string {
    return this.#output.text('stdout');
  }

  stderrText(): string {
    return this.#output.text('stderr');
  }

  /** What the code wrote to the result channel, if it has one and wrote anything. */
  resultText(): string | undefined {
    return this.#resultWritten ? this.#result.text('stdout') : undefined;
  }

  /** Calls `each` for every iovec in order, without collecting them (a call may pass millions). */
  #eachIovec(iovs: number, count: number, each: (part: Uint8Array) => void): void {
    const view = this.#view();
    const mem = this.#bytes();
    for (let i = 0; i < count; i++) {
      const ptr = view.getUint32(iovs + i * 8, true);
      const len = view.getUint32(iovs + i * 8 + 4, true);
      if (ptr + len > mem.length) throw new RangeError('iovec out of bounds');
      each(mem.subarray(ptr, ptr + len));
    }
  }

  /** Copies `source` into the iovecs, returns the bytes copied. */
  #scatter(iovs: number, count: number, source: Uint8Array): number {
    const view = this.#view();
    const mem = this.#bytes();
    let copied = 0;
    for (let i = 0; i < count && copied < source.length; i++) {
      const ptr = view.getUint32(iovs + i * 8, true);
      const len = view.getUint32(iovs + i * 8 + 4, true);
      const n = Math.min(len, source.length - copied);
      if (ptr + n > mem.length) throw new RangeError('iovec out of bounds');
      mem.set(source.subarray(copied, copied + n), ptr);
      copied += n;
    }
    return copied;
  }

  #resolve(dirFd: number, pathPtr: number, pathLen: number): { path: string } | { errno: number } {
    if (!this.fs) return { errno: Errno.NOTCAPABLE };
    const dir = this.#fds.get(dirFd);
    if (!dir) return { errno: Errno.BADF };
    if (dir.kind !== 'dir') return { errno: Errno.NOTDIR };
    // Checked on the raw length first, so a 4 GiB "path" is never decoded.
    if (pathLen > this.fs.limits.maxPathBytes) return { errno: Errno.NAMETOOLONG };
    const path = normalizePath(dir.path, this.#string(pathPtr, pathLen));
    if (!path) return { errno: Errno.NOTCAPABLE };
    const tooLong = this.fs.checkPath(path);
    return tooLong === Errno.SUCCESS ? { path } : { errno: tooLong };
  }

  #nowNs(clockId: number): bigint {
    if (this.#options.deterministic) {
      this.#clockTick += 1_000n;
      return (clockId === 0 ? DETERMINISTIC_EPOCH_NS : 0n) + this.#clockTick;
    }
    if (clockId === 0) return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
    return process.hrtime.bigint();
  }

  #random(buf: number, len: number): void {
    const target = this.#bytes().subarray(buf, buf + len);
    if (!this.#options.deterministic) {
      for (let i = 0; i < len; i += 65_536)
        crypto.getRandomValues(target.subarray(i, Math.min(len, i + 65_536)));
      return;
    }
    for (let i = 0; i < len; i++) {
      // xorshift32: a fixed sequence, the same for every deterministic run
      this.#rng ^= this.#rng << 13;
      this.#rng ^= this.#rng >>> 17;
      this.#rng ^= this.#rng << 5;
      target[i] = this.#rng & 0xff;
    }
  }

  #table(): Record<string, (...args: never[]) => unknown> {
    const opts = this.#options;
    const argv = opts.args.map((a) => utf8.encode(`${a}\0`));
    const envv = Object.entries(opts.env).map(([k, v]) => utf8.encode(`${k}=${v}\0`));
    const writeStrings = (list: Uint8Array[], ptrs: number, buf: number) => {
      const view = this.#view();
      const mem = this.#bytes();
      let offset = buf;
      list.forEach((item, i) => {
        view.setUint32(ptrs + i * 4, offset, true);
        mem.set(item, offset);
        offset += item.length;
      });
      return Errno.SUCCESS;
    };
    const sizes = (list: Uint8Array[], countPtr: number, sizePtr: number) => {
      const view = this.#view();
      view.setUint32(countPtr, list.length, true);
      view.setUint32(
        sizePtr,
        list.reduce((n, a) => n + a.length, 0),
        true,
      );
      return Errno.SUCCESS;
    };

    return {
      args_get: (ptrs: number, buf: number) => writeStrings(argv, ptrs, buf),
      args_sizes_get: (count: number, size: number) => sizes(argv, count, size),
      environ_get: (ptrs: number, buf: number) => writeStrings(envv, ptrs, buf),
      environ_sizes_get: (count: number, size: number) => sizes(envv, count, size),

      clock_res_get: (id: number, out: number) => {
        if (id > 3) return Errno.INVAL;
        this.#view().setBigUint64(out, 1_000n, true);
        return Errno.SUCCESS;
      },
      clock_time_get: (id: number, _precision: bigint, out: number) => {
        if (id > 3) return Errno.INVAL;
        this.#view().setBigUint64(out, this.#nowNs(id), true);
        return Errno.SUCCESS;
      },
      random_get: (buf: number, len: number) => {
        this.#random(buf, len);
        return Errno.SUCCESS;
      },
      sched_yield: () => Errno.SUCCESS,
      proc_exit: (code: number) => {
        throw new ProcExit(code);
      },
      proc_raise: () => Errno.NOSYS,

      fd_write: (fd: number, iovs: number, count: number, written: number) => {
        if (fd === opts.resultFd) {
          let total = 0;
          this.#resultWritten = true;
          // Past its cap the record is cut and the run reports it; the engine is not told (it
          // would only try to write an error record on the same channel).
          this.#eachIovec(iovs, count, (part) => {
            this.#result.write('stdout', part);
            total += part.length;
          });
          this.#view().setUint32(written, total, true);
          return Errno.SUCCESS;
        }
        const entry = this.#fds.get(fd);
        if (!entry) return Errno.BADF;
        let total = 0;
        if (entry.kind === 'stdout' || entry.kind === 'stderr') {
          if (!opts.allowConsole) return Errno.BADF;
          const stream = entry.kind;
          // Each iovec is charged as one write (with the cap's floor), so empty iovecs are not free.
          this.#eachIovec(iovs, count, (part) => {
            if (!this.#output.write(stream, part)) throw new OutputLimitExceeded(opts.maxOutputBytes);
            total += part.length;
          });
        } else if (entry.kind === 'file') {
          if (!entry.write) return Errno.BADF;
          const file = this.fs!.files.get(entry.path);
          if (!file) return Errno.NOENT;
          if (entry.append) entry.pos = file.size;
          let code: number = Errno.SUCCESS;
          this.#eachIovec(iovs, count, (part) => {
            if (code !== Errno.SUCCESS) return;
            code = this.fs!.write(entry.path, file, entry.pos, part);
            if (code !== Errno.SUCCESS) return;
            entry.pos += part.length;
            total += part.length;
          });
          // A partial write reports what was written; only a write that wrote nothing fails.
          if (code !== Errno.SUCCESS && total === 0) return code;
        } else return Errno.BADF;
        this.#view().setUint32(written, total, true);
        return Errno.SUCCESS;
      },
      fd_read: (fd: number, iovs: number, count: number, read: number) => {
        const entry = this.#fds.get(fd);
        if (!entry) return Errno.BADF;
        let n: number;
        if (entry.kind === 'stdin') {
          n = this.#scatter(iovs, count, opts.stdin.subarray(this.#stdinPos));
          this.#stdinPos += n;
        } else if (entry.kind === 'file') {
          if (!entry.read) return Errno.BADF;
          const file = this.fs!.files.get(entry.path);
          if (!file) return Errno.NOENT;
          n = this.#scatter(iovs, count, file.data.subarray(Math.min(entry.pos, file.size), file.size));
          entry.pos += n;
        } else return entry.kind === 'dir' ? Errno.ISDIR : Errno.BADF;
        this.#view().setUint32(read, n, true);
        return Errno.SUCCESS;
      },
      fd_pread: () => Errno.NOSYS,
      fd_pwrite: () => Errno.NOSYS,
      fd_close: (fd: number) => {
        const entry = this.#fds.get(fd);
        if (!entry) return Errno.BADF;
        if (entry.kind === 'dir' && entry.preopen) return Errno.NOTSUP;
        this.#fds.delete(fd);
        return Errno.SUCCESS;
      },
      fd_fdstat_get: (fd: number, out: number) => {
        const entry = this.#fds.get(fd);
        if (!entry) return Errno.BADF;
        const view = this.#view();
        const type =
          entry.kind === 'dir'
            ? FileType.DIRECTORY
            : entry.kind === 'file'
              ? FileType.REGULAR_FILE
              : FileType.CHARACTER_DEVICE;
        view.setUint8(out, type);
        view.setUint16(out + 2, entry.kind === 'file' && entry.append ? 1 : 0, true);
        view.setBigUint64(
          out + 8,
          entry.kind === 'file' || entry.kind === 'dir' ? ALL_RIGHTS : STDIO_RIGHTS,
          true,
        );
        view.setBigUint64(out + 16, ALL_RIGHTS, true);
        return Errno.SUCCESS;
      },
      fd_fdstat_set_flags: (fd: number) => (this.#fds.has(fd) ? Errno.NOTSUP : Errno.BADF),
      fd_fdstat_set_rights: (fd: number) => (this.#fds.has(fd) ? Errno.SUCCESS : Errno.BADF),
      fd_prestat_get: (fd: number, out: number) => {
        const entry = this.#fds.get(fd);
        if (entry?.kind !== 'dir' || !entry.preopen) return Errno.BADF;
        const view = this.#view();
        view.setUint8(out, 0);
        view.setUint32(out + 4, utf8.encode(entry.path).length, true);
        return Errno.SUCCESS;
      },
      fd_prestat_dir_name: (fd: number, ptr: number, len: number) => {
        const entry = this.#fds.get(fd);
        if (entry?.kind !== 'dir' || !entry.preopen) return Errno.BADF;
        const name = utf8.encode(entry.path);
        this.#bytes().set(name.subarray(0, len), ptr);
        return Errno.SUCCESS;
      },
      fd_seek: (fd: number, offset: bigint, whence: number, out: number) => {
        const entry = this.#fds.get(fd);
        if (!entry) return Errno.BADF;
        if (entry.kind !== 'file') return entry.kind === 'dir' ? Errno.ISDIR : Errno.SPIPE;
        const size = this.fs!.files.get(entry.path)?.size ?? 0;
        const base = whence === 0 ? 0 : whence === 1 ? entry.pos : whence === 2 ? size : Number.NaN;
        const next = base + Number(offset);
        if (!Number.isFinite(next) || next < 0) return Errno.INVAL;
        entry.pos = next;
        this.#view().setBigUint64(out, BigInt(next), true);
        return Errno.SUCCESS;
      },
      fd_tell: (fd: number, out: number) => {
        const entry = this.#fds.get(fd);
        if (!entry) return Errno.BADF;
        if (entry.kind !== 'file') return Errno.SPIPE;
        this.#view().setBigUint64(out, BigInt(entry.pos), true);
        return Errno.SUCCESS;
      },
      fd_sync: (fd: number) => (this.#fds.has(fd) ? Errno.SUCCESS : Errno.BADF),
      fd_datasync: (fd: number) => (this.#fds.has(fd) ? Errno.SUCCESS : Errno.BADF),
      fd_advise: (fd: number) => (this.#fds.has(fd) ? Errno.SUCCESS : Errno.BADF),
      fd_allocate: () => Errno.NOTSUP,
      fd_filestat_get: (fd: number, out: number) => {
        const entry = this.#fds.get(fd);
        if (!entry) return Errno.BADF;
        if (entry.kind === 'file') return this.#filestat(out, entry.path);
        if (entry.kind === 'dir') return this.#filestat(out, entry.path);
        this.#bytes().fill(0, out, out + 64);
        this.#view().setUint8(out + 16, FileType.CHARACTER_DEVICE);
        return Errno.SUCCESS;
      },
      fd_filestat_set_size: (fd: number, size: bigint) => {
        const entry = this.#fds.get(fd);
        if (!entry) return Errno.BADF;
        if (entry.kind !== 'file' || !entry.write) return Errno.BADF;
        const file = this.fs!.files.get(entry.path);
        if (!file) return Errno.NOENT;
        return this.fs!.resize(entry.path, file, Number(BigInt.asUintN(64, BigInt(size))));
      },
      fd_filestat_set_times: (fd: number) => (this.#fds.has(fd) ? Errno.SUCCESS : Errno.BADF),
      fd_readdir: (fd: number, buf: number, bufLen: number, cookie: bigint, out: number) => {
        const entry = this.#fds.get(fd);
        if (!entry) return Errno.BADF;
        if (entry.kind !== 'dir') return Errno.NOTDIR;
        const view = this.#view();
        const mem = this.#bytes();
        let used = 0;
        const list = this.fs!.listDir(entry.path);
        // The cookie is a u64 the module chooses (-1 arrives as 2^64-1): past the end is an empty read.
        const start = BigInt.asUintN(64, BigInt(cookie));
        for (
          let i = start > BigInt(list.length) ? list.length : Number(start);
          i < list.length && used < bufLen;
          i++
        ) {
          const item = list[i]!;
          const name = utf8.encode(item.name);
          const header = new DataView(new ArrayBuffer(24));
          header.setBigUint64(0, BigInt(i + 1), true);
          header.setBigUint64(8, BigInt(i + 1), true);
          header.setUint32(16, name.length, true);
          header.setUint8(20, item.isDir ? FileType.DIRECTORY : FileType.REGULAR_FILE);
          const record = new Uint8Array(24 + name.length);
          record.set(new Uint8Array(header.buffer), 0);
          record.set(name, 24);
          const n = Math.min(record.length, bufLen - used);
          mem.set(record.subarray(0, n), buf + used);
          used += n;
        }
        view.setUint32(out, used, true);
        return Errno.SUCCESS;
      },
      fd_renumber: () => Errno.NOTSUP,

      path_open: (
        dirFd: number,
        _dirflags: number,
        pathPtr: number,
        pathLen: number,
        oflags: number,
        rightsBase: bigint,
        _rightsInheriting: bigint,
        fdflags: number,
        out: number,
      ) => {
        const resolved = this.#resolve(dirFd, pathPtr, pathLen);
        if ('errno' in resolved) return resolved.errno;
        const { path } = resolved;
        const fs = this.fs!;
        const isDir = fs.dirs.has(path);
        let file = fs.files.get(path);
        if (oflags & OFLAGS.DIRECTORY) {
          if (!isDir) return file ? Errno.NOTDIR : Errno.NOENT;
          return this.#open(out, { kind: 'dir', path, preopen: false });
        }
        if (isDir) {
          if (rightsBase & RIGHT_FD_WRITE) return Errno.ISDIR;
          return this.#open(out, { kind: 'dir', path, preopen: false });
        }
        if (file && oflags & OFLAGS.CREAT && oflags & OFLAGS.EXCL) return Errno.EXIST;
        if (!file) {
          if (!(oflags & OFLAGS.CREAT)) return Errno.NOENT;
          const created = fs.createFile(path);
          if (typeof created === 'number') return created;
          file = created;
        }
        const write = (rightsBase & RIGHT_FD_WRITE) !== 0n;
        if (oflags & OFLAGS.TRUNC) fs.resize(path, file, 0);
        return this.#open(out, {
          kind: 'file',
          path,
          pos: 0,
          append: (fdflags & 1) !== 0,
          read: (rightsBase & RIGHT_FD_READ) !== 0n || !write,
          write,
        });
      },
      path_filestat_get: (dirFd: number, _flags: number, pathPtr: number, pathLen: number, out: number) => {
        const resolved = this.#resolve(dirFd, pathPtr, pathLen);
        if ('errno' in resolved) return resolved.errno;
        return this.#filestat(out, resolved.path);
      },
      path_filestat_set_times: (dirFd: number, _f: number, pathPtr: number, pathLen: number) => {
        const resolved = this.#resolve(dirFd, pathPtr, pathLen);
        if ('errno' in resolved) return resolved.errno;
        return this.#exists(resolved.path) ? Errno.SUCCESS : Errno.NOENT;
      },
      path_create_directory: (dirFd: number, pathPtr: number, pathLen: number) => {
        const resolved = this.#resolve(dirFd, pathPtr, pathLen);
        if ('errno' in resolved) return resolved.errno;
        return this.fs!.createDir(resolved.path);
      },
      path_remove_directory: (dirFd: number, pathPtr: number, pathLen: number) => {
        const resolved = this.#resolve(dirFd, pathPtr, pathLen);
        if ('errno' in resolved) return resolved.errno;
        const fs = this.fs!;
        if (!fs.dirs.has(resolved.path)) return fs.files.has(resolved.path) ? Errno.NOTDIR : Errno.NOENT;
        if (resolved.path === '/') return Errno.PERM;
        if (fs.listDir(resolved.path).length > 0) return Errno.NOTEMPTY;
        fs.dirs.delete(resolved.path);
        return Errno.SUCCESS;
      },
      path_unlink_file: (dirFd: number, pathPtr: number, pathLen: number) => {
        const resolved = this.#resolve(dirFd, pathPtr, pathLen);
        if ('errno' in resolved) return resolved.errno;
        return this.fs!.unlink(resolved.path);
      },
      path_rename: (
        fromFd: number,
        fromPtr: number,
        fromLen: number,
        toFd: number,
        toPtr: number,
        toLen: number,
      ) => {
        const from = this.#resolve(fromFd, fromPtr, fromLen);
        if ('errno' in from) return from.errno;
        const to = this.#resolve(toFd, toPtr, toLen);
        if ('errno' in to) return to.errno;
        return this.fs!.rename(from.path, to.path);
      },
      path_link: () => (this.fs ? Errno.NOTSUP : Errno.NOTCAPABLE),
      path_symlink: () => (this.fs ? Errno.NOTSUP : Errno.NOTCAPABLE),
      path_readlink: () => (this.fs ? Errno.INVAL : Errno.NOTCAPABLE),

      poll_oneoff: (input: number, output: number, count: number, eventsOut: number) => {
        const view = this.#view();
        let events = 0;
        let sleepNs = 0n;
        for (let i = 0; i < count; i++) {
          const sub = input + i * 48;
          const userdata = view.getBigUint64(sub, true);
          const tag = view.getUint8(sub + 8);
          const event = output + events * 32;
          this.#bytes().fill(0, event, event + 32);
          view.setBigUint64(event, userdata, true);
          view.setUint8(event + 10, tag);
          if (tag === 0) {
            const timeout = view.getBigUint64(sub + 24, true);
            const absolute = (view.getUint16(sub + 40, true) & 1) !== 0;
            const wait = absolute ? timeout - this.#nowNs(view.getUint32(sub + 16, true)) : timeout;
            if (wait > sleepNs) sleepNs = wait;
          } else {
            view.setUint16(event + 8, Errno.BADF, true);
          }
          events++;
        }
        if (sleepNs > 0n) this.#sleep(sleepNs);
        view.setUint32(eventsOut, events, true);
        return Errno.SUCCESS;
      },

      sock_accept: () => Errno.NOTCAPABLE,
      sock_recv: () => Errno.NOTCAPABLE,
      sock_send: () => Errno.NOTCAPABLE,
      sock_shutdown: () => Errno.NOTCAPABLE,
    };
  }

  #sleep(ns: bigint): void {
    if (this.#options.deterministic) {
      this.#clockTick += ns;
      return;
    }
    // Blocks this worker only; the wall-clock deadline still terminates it.
    const ms = Number(ns / 1_000_000n);
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }

  #exists(path: string): boolean {
    return this.fs!.files.has(path) || this.fs!.dirs.has(path);
  }

  #open(out: number, entry: FdEntry): number {
    const fd = this.#nextFd++;
    this.#fds.set(fd, entry);
    this.#view().setUint32(out, fd, true);
    return Errno.SUCCESS;
  }

  #filestat(out: number, path: string): number {
    const fs = this.fs!;
    const file = fs.files.get(path);
    const isDir = fs.dirs.has(path);
    if (!file && !isDir) return Errno.NOENT;
    const view = this.#view();
    this.#bytes().fill(0, out, out + 64);
    view.setBigUint64(out + 8, BigInt(hashPath(path)), true);
    view.setUint8(out + 16, isDir ? FileType.DIRECTORY : FileType.REGULAR_FILE);
    view.setBigUint64(out + 24, 1n, true);
    view.setBigUint64(out + 32, BigInt(file?.size ?? 0), true);
    return Errno.SUCCESS;
  }
}

function hashPath(path: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) hash = Math.imul(hash ^ path.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
