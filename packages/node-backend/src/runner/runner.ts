// The child process entry. Started restricted (permission model, own network namespace where the
// OS allows, scrubbed env, fresh cwd); receives exactly one job over IPC, runs it, reports when the
// event loop has drained, and exits. Everything it needs is captured before user code runs.
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { Script } from 'node:vm';
import { installNetworkGuard } from './network-guard.js';
import type { RunnerJob, RunnerResult } from './runner-protocol.js';

const send = process.send!.bind(process);
const channel = process.channel!;
const stringify = JSON.stringify;
const exit = process.exit.bind(process);
const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);
// User code gets no way to talk on the result channel.
delete (process as { send?: unknown }).send;

let stdoutBytes = 0;
let stderrBytes = 0;
const countingWrite =
  (write: typeof stdoutWrite, count: (n: number) => void) =>
  (chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    const size =
      typeof chunk === 'string'
        ? Buffer.byteLength(
            chunk,
            typeof encodingOrCallback === 'string' ? (encodingOrCallback as BufferEncoding) : 'utf8',
          )
        : (chunk as Uint8Array).byteLength;
    count(size);
    return (write as (...args: unknown[]) => boolean)(chunk, encodingOrCallback, callback);
  };
process.stdout.write = countingWrite(stdoutWrite, (n) => {
  stdoutBytes += n;
}) as typeof process.stdout.write;
process.stderr.write = countingWrite(stderrWrite, (n) => {
  stderrBytes += n;
}) as typeof process.stderr.write;

if (process.env.MEMORY_MCP_NETWORK_GUARD === '1') installNetworkGuard();
delete process.env.MEMORY_MCP_NETWORK_GUARD;

let outcome: Omit<RunnerResult, 'nonce' | 'stdoutBytes' | 'stderrBytes'> | undefined;
let job: RunnerJob | undefined;
let reported = false;

function report(): void {
  if (reported || !job || !outcome) return;
  reported = true;
  const result: RunnerResult = { nonce: job.nonce, ...outcome, stdoutBytes, stderrBytes };
  channel.ref();
  send(result, () => exit(0));
}

function fail(error: unknown): void {
  if (outcome?.error) return;
  outcome = { error: describeError(error, job?.filename ?? 'user-code.js') };
  report();
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
// The run is over when the event loop has nothing left: pending timers and promises included.
process.on('beforeExit', report);

process.once('message', (message: RunnerJob) => {
  job = message;
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, job.env);
  channel.unref();
  void run(job);
});
send({ ready: true });

async function run(current: RunnerJob): Promise<void> {
  const prefix = '(async function (input, require, module, exports, __filename, __dirname) {';
  let fn: (...args: unknown[]) => Promise<unknown>;
  try {
    const script = new Script(`${prefix}${current.code}\n})`, {
      filename: current.filename,
      columnOffset: -prefix.length,
    });
    fn = script.runInThisContext() as typeof fn;
  } catch (error) {
    fail(error);
    return;
  }
  const filename = `${process.cwd()}/${current.filename}`;
  const userRequire = createRequire(filename);
  const module = { exports: {} };
  try {
    const input = current.input === undefined ? undefined : JSON.parse(current.input);
    (globalThis as { input?: unknown }).input = input;
    const value = await fn(input, userRequire, module, module.exports, filename, process.cwd());
    if (!outcome) outcome = encodeValue(value);
  } catch (error) {
    fail(error);
  }
}

function encodeValue(value: unknown): Omit<RunnerResult, 'nonce' | 'stdoutBytes' | 'stderrBytes'> {
  if (value === undefined) return {};
  try {
    const json = stringify(value);
    if (json !== undefined && typeof value !== 'bigint') return { valueJson: json };
  } catch {
    // falls through to a description (cycles, BigInt inside objects, throwing toJSON)
  }
  return {
    valueDescription: inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY }).slice(0, 2000),
  };
}

function describeError(error: unknown, filename: string): NonNullable<RunnerResult['error']> {
  if (error instanceof Error) {
    const lines = (error.stack ?? '').split('\n');
    const frames = lines.filter((line) => line.includes(filename));
    const stack = [lines[0], ...frames].join('\n');
    const code = (error as { code?: unknown }).code;
    // fetch() and friends hide the real reason (ENETUNREACH, ECONNREFUSED, ERR_ACCESS_DENIED) in `cause`.
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const because =
      cause && typeof cause === 'object' ? ` (cause: ${String(cause.code ?? cause.message ?? '')})` : '';
    return {
      kind: typeof code === 'string' ? code : error.name,
      message: `${error.message}${because}`,
      stack,
    };
  }
  return { kind: 'thrown', message: inspect(error, { depth: 2 }).slice(0, 2000) };
}
