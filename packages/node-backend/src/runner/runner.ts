// The jailed process's entry. It captures everything it needs, announces itself on the channel
// (fd 3), blocks until the one job arrives, runs it, reports when the event loop has drained, and
// exits without running anyone's exit hooks. The host kills the jail on the result anyway.
import * as nodeModule from 'node:module';
import * as util from 'node:util';
import * as vm from 'node:vm';
import { decodeUtf8, encodeUtf8, parkUntilClosed, readFrame, slice, wipe, writeFrame } from './channel-io.js';
import { installNetworkGuard } from './network-guard.js';
import { MAX_RESULT_FRAME_BYTES, NONCE_BYTES, type RunnerJob } from './runner-protocol.js';

// Captured before user code exists: user code may replace any global or prototype afterwards.
const stringify = JSON.stringify;
const parse = JSON.parse;
const StringOf = String;
const byteLength = Buffer.byteLength;
const inspect = util.inspect;
const createRequire = nodeModule.createRequire;
const Script = vm.Script;
const reallyExit = (process as unknown as { reallyExit: (code: number) => never }).reallyExit.bind(process);
const cwd = process.cwd.bind(process);
const ownKeys = Object.keys;
const assign = Object.assign;
const processOn = process.on.bind(process);
const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);
const isError = (value: unknown): value is Error => util.types.isNativeError(value);
const isNativeError = util.types.isNativeError;
const uncurry = Function.prototype.bind.bind(Function.prototype.call) as <A extends unknown[], R>(
  fn: (...args: A) => R,
) => (self: unknown, ...args: A) => R;
const strSlice = uncurry(String.prototype.slice as (start?: number, end?: number) => string);
// indexOf with a string argument consults no user-definable symbol (split would: Symbol.split).
const strIndexOf = uncurry(String.prototype.indexOf as (search: string, from?: number) => number);
const MAX_JOB_BYTES = 16 * 1024 * 1024;

let stdoutBytes = 0;
let stderrBytes = 0;
const countingWrite =
  (write: typeof stdoutWrite, count: (n: number) => void) =>
  (chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    const size =
      typeof chunk === 'string'
        ? byteLength(
            chunk,
            typeof encodingOrCallback === 'string' ? (encodingOrCallback as BufferEncoding) : 'utf8',
          )
        : byteLength(chunk as Uint8Array);
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

writeFrame([encodeUtf8('{"ready":true}')]);
const frame = readFrame(MAX_JOB_BYTES);
if (!frame || frame.length < NONCE_BYTES) reallyExit(70);
// The nonce stays in an off-heap buffer (never a JS string), out of reach of heap snapshots.
const nonce = slice(frame!, 0, NONCE_BYTES);
const job = parse(decodeUtf8(slice(frame!, NONCE_BYTES))) as RunnerJob;
wipe(frame!);

let body: string | undefined;
let reported = false;

/** Sends the one result frame and waits to be killed; later calls do nothing. */
function report(): void {
  if (reported || body === undefined) return;
  reported = true;
  const tail = `",${body},"stdoutBytes":${stdoutBytes},"stderrBytes":${stderrBytes}}`;
  writeFrame([encodeUtf8('{"nonce":"'), nonce, encodeUtf8(tail)]);
  // Parked in a blocking read, no user code can run again; the host reads this process's memory
  // high-water mark and kills the jail. Exit hooks never run.
  parkUntilClosed();
  reallyExit(0);
}

function fail(error: unknown): void {
  if (reported) return;
  body = errorBody(error);
  report();
}

processOn('uncaughtException', fail);
processOn('unhandledRejection', fail);
// The run is over when the event loop has nothing left: pending timers and promises included.
processOn('beforeExit', report);

for (const key of ownKeys(process.env)) delete process.env[key];
assign(process.env, job.env);
void run(job);

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
  const dir = cwd();
  const filename = `${dir}/${current.filename}`;
  const userRequire = createRequire(filename);
  const module = { exports: {} };
  try {
    const input = current.input === undefined ? undefined : parse(current.input);
    (globalThis as { input?: unknown }).input = input;
    const value = await fn(input, userRequire, module, module.exports, filename, dir);
    if (body === undefined) body = valueBody(value);
  } catch (error) {
    fail(error);
  }
}

/** The JSON members (without braces) for a returned value. User code runs here (toJSON, getters); the nonce is not in reach. */
function valueBody(value: unknown): string {
  if (value === undefined) return '"kind":"value"';
  let json: string | undefined;
  try {
    if (typeof value !== 'bigint') json = stringify(value);
  } catch {
    // a description instead (cycles, BigInt inside objects, a throwing toJSON)
  }
  if (typeof json === 'string') {
    if (json.length > MAX_RESULT_FRAME_BYTES / 2) {
      return errorBody({
        name: 'ResultTooLarge',
        message: `the return value is over ${MAX_RESULT_FRAME_BYTES / 2} characters of JSON`,
      });
    }
    return `"kind":"value","valueJson":${stringify(json)}`;
  }
  let description: string;
  try {
    description = strSlice(
      StringOf(inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY })),
      0,
      2000,
    );
  } catch {
    description = '[a value that cannot be described]';
  }
  return `"kind":"value","valueDescription":${stringify(StringOf(description))}`;
}

/** The JSON members for an error; only string primitives reach `stringify`, so no toJSON runs. */
function errorBody(error: unknown): string {
  let kind = 'thrown';
  let message = '';
  let stack: string | undefined;
  try {
    if (isNativeError(error) || (typeof error === 'object' && error !== null && 'message' in error)) {
      const e = error as Error & { code?: unknown; cause?: { code?: unknown; message?: unknown } };
      const code = e.code;
      kind = typeof code === 'string' ? code : StringOf(e.name ?? 'Error');
      // fetch() and friends hide the real reason (ENETUNREACH, ECONNREFUSED, ERR_ACCESS_DENIED) in `cause`.
      const cause = e.cause;
      const because =
        cause && typeof cause === 'object' ? ` (cause: ${StringOf(cause.code ?? cause.message ?? '')})` : '';
      message = `${StringOf(e.message)}${because}`;
      if (isError(error)) stack = trimStack(StringOf(e.stack ?? ''));
    } else message = strSlice(StringOf(inspect(error, { depth: 2 })), 0, 2000);
  } catch {
    kind = 'thrown';
    message = 'an error that cannot be described';
  }
  const members = `"kind":"error","error":{"kind":${stringify(strSlice(StringOf(kind), 0, 200))},"message":${stringify(strSlice(StringOf(message), 0, 20_000))}`;
  return stack === undefined ? `${members}}` : `${members},"stack":${stringify(strSlice(stack, 0, 20_000))}}`;
}

/** The first line and the user's own frames. */
function trimStack(stack: string): string {
  const filename = StringOf(job.filename);
  let end = strIndexOf(stack, '\n');
  if (end === -1) return stack;
  let kept = strSlice(stack, 0, end);
  while (end !== -1) {
    const start = end + 1;
    end = strIndexOf(stack, '\n', start);
    const line = end === -1 ? strSlice(stack, start) : strSlice(stack, start, end);
    if (strIndexOf(line, filename) !== -1) kept = `${kept}\n${line}`;
  }
  return kept;
}
