// Test helpers: run a hostile Node program in a real jail and collect everything it did.
import { readdirSync, readFileSync } from 'node:fs';
import type { JailExit } from '../src/classify-exit.js';
import type { JailHandle } from '../src/jail-process.js';
import { type JailOptions, startJail } from '../src/start-jail.js';

export interface JailedRun {
  exit: JailExit;
  stdout: string;
  stderr: string;
  frames: unknown[];
  /** Highest resident anonymous memory (RssAnon) seen across the jail's processes, in bytes. */
  peakAnonBytes: number;
  /** Highest VmHWM (peak RSS, file-backed pages included) seen across the jail's processes, in bytes. */
  peakRssBytes: number;
  handle: JailHandle;
}

const OUTPUT_CAP = 1 << 20;

/** The host uid jails run as by default: nobody under a root server, else the server's own. */
export const JAIL_UID = process.getuid?.() === 0 ? 65534 : (process.getuid?.() ?? -1);
export const JAIL_GID = process.getuid?.() === 0 ? 65534 : (process.getgid?.() ?? -1);

/** Starts `code` as `node -e` in a jail, lets `during` poke at it, and waits for it to end. */
export async function runJailed(
  code: string,
  options: JailOptions = {},
  during?: (handle: JailHandle) => Promise<void> | void,
): Promise<JailedRun> {
  const handle = await startJail({ ...options, args: ['-e', code, ...(options.args ?? [])] });
  let stdout = '';
  let stderr = '';
  const frames: unknown[] = [];
  handle.stdout.on('data', (chunk: Buffer) => {
    if (stdout.length < OUTPUT_CAP) stdout += chunk.toString();
  });
  handle.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < OUTPUT_CAP) stderr += chunk.toString();
  });
  handle.channel.on('frame', (frame) => frames.push(frame));
  let peakAnonBytes = 0;
  let peakRssBytes = 0;
  const sampler = setInterval(() => {
    for (const pid of descendantsOf(handle.pid)) {
      const status = readStatus(pid);
      peakAnonBytes = Math.max(peakAnonBytes, status.RssAnon ?? 0);
      peakRssBytes = Math.max(peakRssBytes, status.VmHWM ?? 0);
    }
  }, 5);
  try {
    await during?.(handle);
    const exit = await handle.exited;
    return { exit, stdout, stderr, frames, peakAnonBytes, peakRssBytes, handle };
  } finally {
    clearInterval(sampler);
  }
}

export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    try {
      for (const task of readFileSync(`/proc/${next}/task/${next}/children`, 'utf8').trim().split(/\s+/)) {
        if (task) {
          out.push(Number(task));
          queue.push(Number(task));
        }
      }
    } catch {
      // Gone already.
    }
  }
  return out;
}

function readStatus(pid: number): Record<string, number> {
  const fields: Record<string, number> = {};
  try {
    for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const match = /^(\w+):\s+(\d+) kB/.exec(line);
      if (match) fields[match[1]!] = Number(match[2]) * 1024;
    }
  } catch {
    // Gone already.
  }
  return fields;
}

/** Host pids (not zombies) whose command line contains `marker`. */
export function livingProcessesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSafe('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (cmdline.includes(marker) && state !== 'Z') found.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** The snippet a jailed Node program uses to send one frame on fd 3. */
export const SEND_FRAME = `
const __net = require('net');
const __channel = new __net.Socket({ fd: 3 });
function send(value) {
  const payload = Buffer.from(JSON.stringify(value));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length);
  return new Promise((resolve) => __channel.write(Buffer.concat([header, payload]), resolve));
}
`;

/** A run that must succeed, proving the host carries on after an attack. */
export async function expectHealthyJail(): Promise<void> {
  const run = await runJailed(`${SEND_FRAME} send({ ok: 6 * 7 }).then(() => process.exit(0));`);
  if (run.exit.reason !== 'exit' || run.exit.code !== 0 || JSON.stringify(run.frames) !== '[{"ok":42}]') {
    throw new Error(`jail unhealthy after attack: ${JSON.stringify(run.exit)} ${run.stderr.slice(-500)}`);
  }
}
