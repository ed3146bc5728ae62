// The web-platform layer's base. Every file in this folder is concatenated, in name order, into
// one function `(function (host) { 'use strict'; ... })` that the engine calls once at build time
// with its private primitives; the last file returns the driver that runs user code. User code runs
// later in the same realm and may replace built-ins, so what the layer relies on is captured here.

/** Installs a global the way web globals are: writable, configurable, not enumerable. */
function defineGlobal(name, value) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

const hostWrite = host.write;
const hostResult = host.result;
const hostRandom32 = host.random32;
const hostPromiseState = host.promiseState;
const hostPromiseResult = host.promiseResult;
const PROMISE_STATES = ['pending', 'fulfilled', 'rejected'];
const ObjectDefineProperty = Object.defineProperty;
// The driver reports through these even after user code deleted or replaced the globals.
const StringCtor = String;
const ErrorCtor = Error;
const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const SymbolToString = Symbol.prototype.toString;
const StringSlice = String.prototype.slice;
const ReflectApply = Reflect.apply;
const JSONStringify = JSON.stringify;
const JSONParse = JSON.parse;
const PromiseThen = Promise.prototype.then;
const ObjectToString = Object.prototype.toString;
const StringReplace = String.prototype.replace;
const StringSplit = String.prototype.split;
const StringIncludes = String.prototype.includes;
const ArrayFilter = Array.prototype.filter;
const ArrayJoin = Array.prototype.join;

// What the rest of the layer calls `host`: the primitives, wrapped so nothing reaches the raw ones.
host = {
  /** Writes text to stdout (1) or stderr (2). */
  write(fd, text) {
    hostWrite(fd, String(text));
  },
  /** Writes the run's result record; the engine accepts only the first. */
  result(text) {
    hostResult(text);
  },
  /** A uniformly random 32-bit unsigned integer (seeded when the run is deterministic). */
  random32() {
    return hostRandom32();
  },
  /** A promise's state ('pending', 'fulfilled' or 'rejected'), seen from outside as node's inspect sees it; undefined for anything else. */
  promiseState(p) {
    const state = hostPromiseState(p);
    return state === undefined ? undefined : PROMISE_STATES[state];
  },
  /** A settled promise's value or reason. */
  promiseResult(p) {
    return hostPromiseResult(p);
  },
  /** `n` random bytes. */
  randomBytes(n) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      let r = hostRandom32();
      for (let j = 0; j < 4 && i + j < n; j++) {
        out[i + j] = r & 255;
        r >>>= 8;
      }
    }
    return out;
  },
};

/** Hint for globals that exist on the node backend and not here. */
const NODE_ONLY = ['process', 'require', 'fetch', 'Buffer', 'module', '__dirname', '__filename', 'global'];
