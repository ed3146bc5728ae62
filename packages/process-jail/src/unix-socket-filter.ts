// A seccomp filter (classic BPF, as bwrap's --seccomp takes it) that makes socket(AF_UNIX, ...)
// fail with EAFNOSUPPORT. Unix sockets reach services through the filesystem, which the network
// namespace does not cover: a world-writable socket inside a read grant would otherwise be
// reachable, since a read-only bind mount does not stop connect(). socketpair() stays allowed
// (Node's child_process pipes use it; a pair cannot reach anything else).

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_RET_K = 0x06;
const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_KILL_PROCESS = 0x80000000;
const EAFNOSUPPORT = 97;
const AF_UNIX = 1;
/** x32 system calls carry this bit in their number under the x86_64 arch value. */
const X32_SYSCALL_BIT = 0x40000000;
// struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6] (little endian).
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16;

const ARCHES: Record<string, { audit: number; socket: number } | undefined> = {
  x64: { audit: 0xc000003e, socket: 41 },
  arm64: { audit: 0xc00000b7, socket: 198 },
};

/** The filter for this machine's architecture, or undefined where it is not known. */
export function unixSocketFilter(arch: string = process.arch): Buffer | undefined {
  const target = ARCHES[arch];
  if (!target) return undefined;
  const program: Array<[code: number, jt: number, jf: number, k: number]> = [
    /* 0 */ [BPF_LD_W_ABS, 0, 0, OFFSET_ARCH],
    // Another ABI (i386's socketcall through int 0x80) could dodge the number check: kill it.
    /* 1 */ [BPF_JEQ_K, 0, 6, target.audit],
    /* 2 */ [BPF_LD_W_ABS, 0, 0, OFFSET_NR],
    /* 3 */ [BPF_JGE_K, 5, 0, X32_SYSCALL_BIT],
    /* 4 */ [BPF_JEQ_K, 0, 2, target.socket],
    /* 5 */ [BPF_LD_W_ABS, 0, 0, OFFSET_ARG0_LOW],
    /* 6 */ [BPF_JEQ_K, 2, 0, AF_UNIX],
    /* 7 */ [BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW],
    /* 8 */ [BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS],
    /* 9 */ [BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EAFNOSUPPORT],
  ];
  const buffer = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    buffer.writeUInt16LE(code, i * 8);
    buffer.writeUInt8(jt, i * 8 + 2);
    buffer.writeUInt8(jf, i * 8 + 3);
    buffer.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buffer;
}
