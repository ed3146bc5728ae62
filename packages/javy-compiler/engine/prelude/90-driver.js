// The driver: the engine calls begin(fn, inputText) with the user's compiled async function, then
// pumps the job queue and calls step() until it returns false, then finish(). fail(error) reports
// an error the engine caught outside the user's promise. Exactly one result record is written, to
// a descriptor user code cannot reach.

const MAX_DESCRIPTION = 1024;
/** Globals that are missing here on purpose, with what to do instead. */
const MISSING = {
  process: 'process is a Node.js API',
  require: 'require is a Node.js API (CommonJS modules)',
  module: 'module is a Node.js API (CommonJS modules)',
  Buffer: 'Buffer is a Node.js API (use Uint8Array, TextEncoder or atob/btoa here)',
  __dirname: '__dirname is a Node.js API',
  __filename: '__filename is a Node.js API',
  global: 'global is a Node.js name (use globalThis here)',
  fetch: 'fetch needs the network, which the wasm sandbox does not have',
  XMLHttpRequest: 'XMLHttpRequest needs the network, which the wasm sandbox does not have',
  WebSocket: 'WebSocket needs the network, which the wasm sandbox does not have',
  Intl: 'Intl is not available in the wasm sandbox (the engine has no ICU locale data)',
};

let outcome = 0; // 0 pending, 1 fulfilled, 2 rejected
let outcomeValue;

function settle(kind, value) {
  if (outcome === 0) {
    outcome = kind;
    outcomeValue = value;
  }
}

/** `fn.name`, read without running user getters. */
function functionName(fn) {
  const d = ObjectGetOwnPropertyDescriptor(fn, 'name');
  return d && typeof d.value === 'string' && d.value ? d.value : 'anonymous';
}

/** The same encoding the node backend uses: JSON when there is one, else a short description. */
function encodeValue(value) {
  if (value === undefined) return {};
  if (typeof value === 'bigint') return { description: `${value}n` };
  if (typeof value === 'symbol') return { description: ReflectApply(SymbolToString, value, []) };
  if (typeof value === 'function') return { description: `[Function: ${functionName(value)}]` };
  try {
    const json = JSONStringify(value);
    if (typeof json === 'string') return { json };
    return { description: ReflectApply(StringSlice, StringCtor(value), [0, MAX_DESCRIPTION]) };
  } catch (error) {
    let reason = 'not serializable';
    let kind = '[object Object]';
    try {
      if (error instanceof ErrorCtor) reason = StringCtor(error.message);
    } catch {}
    try {
      kind = ReflectApply(ObjectToString, value, []); // a Proxy's trap may throw here too
    } catch {}
    return { description: ReflectApply(StringSlice, `${kind} (${reason})`, [0, MAX_DESCRIPTION]) };
  }
}

/** The frames in user code (the layer's own are left out by 12-errors.js, unless code replaced it). */
function userStack(stack) {
  if (typeof stack !== 'string') return undefined;
  // captured methods: user code may have replaced String and Array prototype methods by now
  const lines = ReflectApply(StringSplit, stack, ['\n']);
  const kept = ReflectApply(ArrayFilter, lines, [(line) => !ReflectApply(StringIncludes, line, [PRELUDE_FILE])]);
  return ReflectApply(ArrayJoin, kept, ['\n']);
}

function safeString(value, fallback) {
  try {
    return StringCtor(value);
  } catch {
    return fallback;
  }
}

function errorRecord(error) {
  let name = 'thrown';
  let message;
  let stack;
  try {
    if (error instanceof ErrorCtor) {
      name = safeString(error.name, 'Error');
      message = safeString(error.message, '');
      stack = userStack(error.stack);
      const missing = name === 'ReferenceError' && /^'?([A-Za-z_$][\w$]*)'? is not defined$/.exec(message);
      if (missing && MISSING[missing[1]] !== undefined) {
        message += ` (${MISSING[missing[1]]}; run this code on the node backend)`;
      }
    } else {
      message = typeof error === 'symbol' ? ReflectApply(SymbolToString, error, []) : safeString(error, '[unprintable]');
    }
  } catch {
    message = '[unprintable]';
  }
  return { ok: false, error: stack === undefined ? { name, message } : { name, message, stack } };
}

/**
 * The record by hand, from strings only: JSON.stringify of an object, arrays, their iterators and
 * push all go through prototypes user code may have replaced (a getter-only Array.prototype[0]
 * makes JSON.stringify throw). JSONStringify of a string touches none of them.
 */
function field(text, key, value) {
  if (value === undefined) return text;
  const encoded = typeof value === 'boolean' ? (value ? 'true' : 'false') : JSONStringify(value);
  return `${text === '' ? '' : `${text},`}"${key}":${encoded}`;
}

function recordJson(record) {
  if (record.ok) {
    let text = field('', 'ok', true);
    text = field(text, 'json', record.json);
    return `{${field(text, 'description', record.description)}}`;
  }
  const error = record.error;
  let inner = field('', 'name', error.name);
  inner = field(inner, 'message', error.message);
  inner = field(inner, 'stack', error.stack);
  return `{"ok":false,"error":{${inner}}}`;
}

function writeRecord(record) {
  host.result(recordJson(record));
}

return {
  begin(fn, inputText) {
    outcome = 0;
    outcomeValue = undefined;
    resetTimers();
    reseedMathRandom();
    let input;
    if (inputText.length > 0) {
      try {
        input = JSONParse(inputText);
      } catch {
        input = inputText;
      }
    }
    globalThis.input = input;
    let promise;
    try {
      promise = fn();
    } catch (error) {
      settle(2, error);
      return;
    }
    ReflectApply(PromiseThen, promise, [(value) => settle(1, value), (error) => settle(2, error)]);
  },
  step() {
    try {
      return fireNextTimer();
    } catch (error) {
      // an exception thrown by a timer callback ends the run, as an uncaught one ends node
      settle(2, error);
      return false;
    }
  },
  finish() {
    if (outcome === 1) {
      writeRecord({ ok: true, ...encodeValue(outcomeValue) });
      return 0;
    }
    if (outcome === 2) {
      writeRecord(errorRecord(outcomeValue));
      return 1;
    }
    writeRecord({
      ok: false,
      error: {
        name: 'Error',
        message: "the code's promise never settled: nothing was left to run (no pending timers or jobs)",
      },
    });
    return 1;
  },
  fail(error) {
    writeRecord(errorRecord(error));
    return 1;
  },
};
