import type { ExecutionRequest } from '../execution-request.js';

/**
 * Programs in one language that exercise the conformance cases. A backend package passes the kit
 * for the language it runs; `javascriptKit` and `watKit` are provided.
 */
export interface ConformanceKit {
  readonly language: string;
  /** Must print exactly `hello world\n` to stdout. */
  helloWorld(): ExecutionRequest;
  /** Must print `JSON.stringify(value)` (one line) to stdout, read from the request's `input`. */
  echoInput(value: { id: number; text: string }): ExecutionRequest;
  /** Must finish `ok` with `value` equal to the given one. */
  returnValue(): { request: ExecutionRequest; value: unknown };
  /** Must finish `error` with an `error.message` matching `message`. */
  throwError(): { request: ExecutionRequest; message: RegExp };
  /** Never ends on its own. */
  infiniteLoop(): ExecutionRequest;
  /** Writes to stdout forever (or far past any cap). */
  outputFlood(): ExecutionRequest;
}

export const javascriptKit: ConformanceKit = {
  language: 'javascript',
  helloWorld: () => ({ language: 'javascript', code: `console.log('hello world');` }),
  echoInput: (value) => ({
    language: 'javascript',
    code: 'console.log(JSON.stringify(input));',
    input: value,
  }),
  returnValue: () => ({
    request: {
      language: 'javascript',
      code: 'const xs = [1, 2, 3];\nreturn { sum: xs.reduce((a, b) => a + b, 0), ok: true };',
    },
    value: { sum: 6, ok: true },
  }),
  throwError: () => ({
    request: { language: 'javascript', code: `throw new Error('conformance boom');` },
    message: /conformance boom/,
  }),
  infiniteLoop: () => ({ language: 'javascript', code: 'let i = 0;\nwhile (true) { i++; }' }),
  outputFlood: () => ({
    language: 'javascript',
    code: `const line = 'x'.repeat(1023);\nwhile (true) { console.log(line); }`,
  }),
};

/** WASI preview 1 imports and a `print(ptr, len)` helper shared by the WAT programs. */
const WAT_PRELUDE = `
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))`;

/**
 * WebAssembly text programs. WASI commands read `input` as JSON on stdin (the Javy convention);
 * entry functions take a numeric `input` array as arguments.
 */
export const watKit: ConformanceKit = {
  language: 'wat',
  helloWorld: () => ({
    language: 'wat',
    code: `(module ${WAT_PRELUDE}
  (data (i32.const 64) "hello world\\n")
  (func (export "_start") (call $print (i32.const 64) (i32.const 12))))`,
  }),
  echoInput: (value) => ({
    language: 'wat',
    input: value,
    code: `(module ${WAT_PRELUDE}
  (func (export "_start") (local $n i32) (local $total i32)
    (local.set $total (i32.const 0))
    (block $done
      (loop $read
        ;; iovec at 16: buffer at 1024 + total, 4096 bytes
        (i32.store (i32.const 16) (i32.add (i32.const 1024) (local.get $total)))
        (i32.store (i32.const 20) (i32.const 4096))
        (br_if $done (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
        (local.set $n (i32.load (i32.const 24)))
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $total (i32.add (local.get $total) (local.get $n)))
        (br $read)))
    (call $print (i32.const 1024) (local.get $total))
    (i32.store8 (i32.const 60) (i32.const 10))
    (call $print (i32.const 60) (i32.const 1))))`,
  }),
  returnValue: () => ({
    request: {
      language: 'wat',
      entry: 'add',
      input: [40, 2],
      code: `(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`,
    },
    value: 42,
  }),
  throwError: () => ({
    request: { language: 'wat', code: `(module (func (export "_start") unreachable))` },
    message: /unreachable/i,
  }),
  infiniteLoop: () => ({
    language: 'wat',
    code: `(module (func (export "_start") (loop $forever (br $forever))))`,
  }),
  outputFlood: () => ({
    language: 'wat',
    code: `(module ${WAT_PRELUDE}
  (func (export "_start") (loop $forever (call $print (i32.const 1024) (i32.const 1024)) (br $forever))))`,
  }),
};
