import { OutputCap } from '@memory-mcp/sandbox-core';
import { OutputLimitExceeded } from './errno.js';

export interface HostStreamsOptions {
  stdin: Uint8Array;
  /** Cap on stdout + stderr bytes. */
  maxOutputBytes: number;
  /** When false, the code has no console: fd 1 and 2 answer EBADF. */
  allowConsole: boolean;
  /** A descriptor whose writes are collected apart (a compiler's result channel). */
  resultFd?: number;
  /** Cap on the result channel. Default `maxOutputBytes`. */
  maxResultBytes?: number;
}

/** The byte streams of one run: stdin, the capped console, and the optional result channel. */
export class HostStreams {
  readonly allowConsole: boolean;
  readonly resultFd: number | undefined;
  readonly maxOutputBytes: number;
  readonly #stdin: Uint8Array;
  #stdinPos = 0;
  readonly #output: OutputCap;
  readonly #result: OutputCap;
  #resultWritten = false;

  constructor(options: HostStreamsOptions) {
    this.allowConsole = options.allowConsole;
    this.resultFd = options.resultFd;
    this.maxOutputBytes = options.maxOutputBytes;
    this.#stdin = options.stdin;
    this.#output = new OutputCap({ maxBytes: options.maxOutputBytes });
    this.#result = new OutputCap({ maxBytes: options.maxResultBytes ?? options.maxOutputBytes });
  }

  /** Stdin not read yet (a view). */
  unreadStdin(): Uint8Array {
    return this.#stdin.subarray(this.#stdinPos);
  }

  consumeStdin(bytes: number): void {
    this.#stdinPos += bytes;
  }

  /**
   * Charges one write to the console cap (at least the cap's per-write floor, so empty writes are
   * not free). Throws `OutputLimitExceeded` once the cap is passed: the run ends there.
   */
  writeConsole(stream: 'stdout' | 'stderr', part: Uint8Array): void {
    if (!this.#output.write(stream, part)) throw new OutputLimitExceeded(this.maxOutputBytes);
  }

  /**
   * Past its cap the result channel is cut and the run reports it; the module is not told (it would
   * only try to write an error record on the same channel).
   */
  writeResult(part: Uint8Array): void {
    this.#result.write('stdout', part);
  }

  /** Marks the result channel used, even by a write of nothing. */
  markResultWritten(): void {
    this.#resultWritten = true;
  }

  get truncated(): boolean {
    return this.#output.truncated;
  }

  get resultTruncated(): boolean {
    return this.#result.truncated;
  }

  stdoutText(): string {
    return this.#output.text('stdout');
  }

  stderrText(): string {
    return this.#output.text('stderr');
  }

  resultText(): string | undefined {
    return this.#resultWritten ? this.#result.text('stdout') : undefined;
  }
}
