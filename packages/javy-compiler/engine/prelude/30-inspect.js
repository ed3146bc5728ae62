// 30-inspect.js: inspect(value, options), compatible with Node's util.inspect (Node 20 output), and
// formatLog(args), compatible with util.format (what console.log prints).
// Shares with the later prelude files: inspect, formatLog.
// Known differences from Node: no colors; `compact: true` and `numericSeparator` are not supported;
// a promise's state comes from the engine (host.promiseState); proxies are inspected through their
// traps; map/set iterators are not previewed; grouped array columns count UTF-16 code units rather
// than display width; built-in objects are recognized by their prototype chain (then confirmed), so
// one whose prototype was swapped for another object's prints as that object would.
// biome-ignore lint/correctness/noUnusedVariables: used by 40-console.js
const { inspect, formatLog } = (() => {
  // ---- Built-ins captured now, so that user code that patches them later does not change the output.
  const ReflectApply = Reflect.apply;
  const uncurry =
    (fn) =>
    (self, ...args) =>
      ReflectApply(fn, self, args);
  const {
    keys: ObjectKeys,
    getOwnPropertyNames,
    getOwnPropertySymbols,
    getOwnPropertyDescriptor,
    getPrototypeOf,
  } = Object;
  const ObjectIs = Object.is;
  const isArray = Array.isArray;
  const JSONStringify = JSON.stringify;
  const { min: MathMin, max: MathMax, sqrt: MathSqrt, round: MathRound, floor: MathFloor } = Math;
  const NumberIsNaN = Number.isNaN;
  const join = (list, separator) => {
    let out = list.length > 0 ? list[0] : '';
    for (let i = 1; i < list.length; i++) out += separator + list[i];
    return out;
  };
  const hasOwn = uncurry(Object.prototype.hasOwnProperty);
  const isEnumerable = uncurry(Object.prototype.propertyIsEnumerable);
  const objectToString = uncurry(Object.prototype.toString);
  const functionToString = uncurry(Function.prototype.toString);
  const errorToString = uncurry(Error.prototype.toString);
  const symbolToString = uncurry(Symbol.prototype.toString);
  const dateGetTime = uncurry(Date.prototype.getTime);
  const dateToISOString = uncurry(Date.prototype.toISOString);
  const dateToString = uncurry(Date.prototype.toString);
  const regExpToString = uncurry(RegExp.prototype.toString);
  const getter = (proto, name) => uncurry(getOwnPropertyDescriptor(proto, name).get);
  const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
  const typedArrayName = getter(TypedArrayPrototype, Symbol.toStringTag); // undefined for other values
  const typedArrayLength = getter(TypedArrayPrototype, 'length');
  const mapSize = getter(Map.prototype, 'size');
  const setSize = getter(Set.prototype, 'size');
  const mapEntries = uncurry(Map.prototype.entries);
  const setValues = uncurry(Set.prototype.values);
  const mapIteratorNext = uncurry(getPrototypeOf(new Map().entries()).next);
  const setIteratorNext = uncurry(getPrototypeOf(new Set().values()).next);
  const weakMapHas = uncurry(WeakMap.prototype.has);
  const weakSetHas = uncurry(WeakSet.prototype.has);
  const customInspectSymbol = Symbol.for('nodejs.util.inspect.custom');
  const AsyncFunctionPrototype = getPrototypeOf(async () => {});
  const GeneratorFunctionPrototype = getPrototypeOf(function* () {});
  const AsyncGeneratorFunctionPrototype = getPrototypeOf(async function* () {});
  const ErrorPrototype = Error.prototype;
  const SAB = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : null;
  // Global constructors (capitalized names), for the "has a built-in toString" test of `%s`.
  const builtInObjects = new Set(
    getOwnPropertyNames(globalThis).filter((name) => /^[A-Z][a-zA-Z0-9]+$/.test(name)),
  );

  // ---- Kinds of built-in objects. An object's prototype chain says which kind it claims to be; a
  // brand check (a built-in getter or method that throws for any other object) confirms it. Going by
  // the prototype first keeps exceptions, which are slow in QuickJS, out of the common cases.
  const brand = (check) => (value) => {
    try {
      check(value);
      return true;
    } catch {
      return false;
    }
  };
  const kinds = new Map();
  const addKind = (ctor, kind, check) => {
    if (typeof ctor === 'function') kinds.set(ctor.prototype, [kind, check && brand(check)]);
  };
  addKind(Map, 'Map', mapSize);
  addKind(Set, 'Set', setSize);
  addKind(Date, 'Date', dateGetTime);
  addKind(RegExp, 'RegExp', getter(RegExp.prototype, 'source'));
  addKind(ArrayBuffer, 'ArrayBuffer', getter(ArrayBuffer.prototype, 'byteLength'));
  addKind(globalThis.SharedArrayBuffer, 'SharedArrayBuffer', SAB && getter(SAB.prototype, 'byteLength'));
  addKind(DataView, 'DataView', getter(DataView.prototype, 'buffer'));
  addKind(WeakMap, 'WeakMap', (value) => weakMapHas(value, {}));
  addKind(WeakSet, 'WeakSet', (value) => weakSetHas(value, {}));
  addKind(Promise, 'Promise', null); // no side-effect-free check: the prototype decides
  const unboxers = { __proto__: null };
  for (const type of [Number, String, Boolean, BigInt, Symbol]) {
    unboxers[type.name] = uncurry(type.prototype.valueOf);
    addKind(type, type.name, unboxers[type.name]);
  }

  // The kind of a built-in object ('Map', 'Date', 'Number', ...), or '' for other objects.
  function kindOf(value) {
    for (let p = getPrototypeOf(value); p !== null; p = getPrototypeOf(p)) {
      if (p === Object.prototype) return '';
      const entry = kinds.get(p);
      if (entry !== undefined) return entry[1] === null || entry[1](value) ? entry[0] : '';
    }
    // Some prototype in the chain is null: try every check (Promise cannot be told apart here).
    for (const [kind, check] of kinds.values()) if (check?.(value)) return kind;
    return '';
  }

  function inPrototypeChain(value, proto) {
    for (let p = getPrototypeOf(value); p !== null; p = getPrototypeOf(p)) if (p === proto) return true;
    return false;
  }
  const isError = (value) =>
    objectToString(value) === '[object Error]' || inPrototypeChain(value, ErrorPrototype);
  const isArguments = (value) => objectToString(value) === '[object Arguments]';
  const isInstance = (value, ctor) => {
    try {
      return value instanceof ctor;
    } catch {
      return false;
    }
  };

  // ---- Primitives.
  // How entries are laid out: OBJECT and ARRAY name what holds them (only arrays are grouped in
  // columns); ELEMENT is an array element, printed without its key.
  const OBJECT = 0;
  const ARRAY = 1;
  const ELEMENT = 2;
  const keyPattern = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
  const hex2 = (c) => (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
  const ESCAPES = [];
  for (let c = 0; c < 0xa0; c++) if (c < 0x20 || c >= 0x7f) ESCAPES[c] = `\\x${hex2(c)}`;
  Object.assign(ESCAPES, { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', 39: "\\'", 92: '\\\\' });

  // Escapes control characters, the backslash, lone surrogates and (if `quote` is ') single quotes.
  function escapeText(str, quote = "'") {
    let out = '';
    let last = 0;
    for (let i = 0; i < str.length; i++) {
      const c = str.charCodeAt(i);
      let replacement;
      if (c < 0x20 || c === 0x5c || (c >= 0x7f && c <= 0x9f) || (c === 0x27 && quote === "'"))
        replacement = ESCAPES[c];
      else if (c >= 0xd800 && c <= 0xdfff) {
        if (c <= 0xdbff && (str.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
          i++;
          continue;
        }
        replacement = `\\u${c.toString(16)}`;
      } else continue;
      out += str.slice(last, i) + replacement;
      last = i + 1;
    }
    return last === 0 ? str : out + str.slice(last);
  }

  // Quotes like Node: single quotes unless the string has some, then double quotes, then backticks.
  function quote(str) {
    let q = "'";
    if (str.includes("'")) {
      if (!str.includes('"')) q = '"';
      else if (!str.includes('`') && !str.includes('${')) q = '`';
    }
    return q + escapeText(str, q) + q;
  }

  const formatNumber = (n) => (ObjectIs(n, -0) ? '-0' : `${n}`);
  const moreItems = (n) => `... ${n} more item${n > 1 ? 's' : ''}`;

  function formatPrimitive(ctx, value) {
    switch (typeof value) {
      case 'string': {
        let trailer = '';
        if (value.length > ctx.maxStringLength) {
          const remaining = value.length - ctx.maxStringLength;
          value = value.slice(0, ctx.maxStringLength);
          trailer = `... ${remaining} more character${remaining > 1 ? 's' : ''}`;
        }
        // A long string is split after each newline into quoted pieces joined by ' +'.
        if (value.length > 16 && value.length > ctx.breakLength - ctx.indentationLvl - 4) {
          const pieces = [];
          let start = 0;
          for (let i = value.indexOf('\n'); i !== -1; i = value.indexOf('\n', start)) {
            pieces.push(value.slice(start, i + 1));
            start = i + 1;
          }
          if (start < value.length || pieces.length === 0) pieces.push(value.slice(start));
          return join(pieces.map(quote), ` +\n${' '.repeat(ctx.indentationLvl + 2)}`) + trailer;
        }
        return quote(value) + trailer;
      }
      case 'number':
        return formatNumber(value);
      case 'bigint':
        return `${value}n`;
      case 'symbol':
        return symbolToString(value);
      default:
        return `${value}`; // boolean, undefined, null
    }
  }

  // ---- Names and prefixes.

  // The name of the first constructor in the prototype chain that `obj` is an instance of; null for
  // objects without a constructor anywhere up to a null prototype.
  function getConstructorName(obj, ctx, recurseTimes) {
    let firstProto;
    const original = obj;
    while (obj !== null && obj !== undefined) {
      const desc = getOwnPropertyDescriptor(obj, 'constructor');
      if (
        desc !== undefined &&
        typeof desc.value === 'function' &&
        desc.value.name !== '' &&
        isInstance(original, desc.value)
      ) {
        return String(desc.value.name);
      }
      obj = getPrototypeOf(obj);
      if (firstProto === undefined) firstProto = obj;
    }
    if (firstProto === null) return null;
    const fallback = objectToString(original).slice(8, -1);
    if (recurseTimes > ctx.depth) return `${fallback} <Complex prototype>`;
    const protoName = getConstructorName(firstProto, ctx, recurseTimes + 1);
    if (protoName === null) {
      return `${fallback} <${inspect(firstProto, { ...optionsOf(ctx), customInspect: false, depth: -1 })}>`;
    }
    return `${fallback} <${protoName}>`;
  }

  function getPrefix(ctorName, tag, fallback, size = '') {
    if (ctorName === null) {
      if (tag !== '' && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
      return `[${fallback}${size}: null prototype] `;
    }
    if (tag !== '' && ctorName !== tag) return `${ctorName}${size} [${tag}] `;
    return `${ctorName}${size} `;
  }

  // Own enumerable string keys, then own enumerable symbols (all own keys with showHidden).
  function getKeys(value, showHidden) {
    const symbols = getOwnPropertySymbols(value);
    const keys = showHidden ? getOwnPropertyNames(value) : ObjectKeys(value);
    for (const symbol of symbols) if (showHidden || isEnumerable(value, symbol)) keys.push(symbol);
    return keys;
  }

  const isIndex = (key) => typeof key === 'string' && /^(?:0|[1-9][0-9]*)$/.test(key) && +key < 4294967295;
  const getNonIndexKeys = (value, showHidden) => getKeys(value, showHidden).filter((key) => !isIndex(key));

  function functionBase(fn, ctorName, tag) {
    const source = functionToString(fn);
    if (/^class[\s{]/.test(source) && source.endsWith('}')) {
      // Classes: [class A extends B].
      const name = (hasOwn(fn, 'name') && fn.name) || '(anonymous)';
      let base = `class ${name}`;
      if (ctorName !== 'Function' && ctorName !== null) base += ` [${ctorName}]`;
      if (tag !== '' && ctorName !== tag) base += ` [${tag}]`;
      if (ctorName === null) base += ' extends [null prototype]';
      else {
        const superName = getPrototypeOf(fn).name;
        if (superName) base += ` extends ${superName}`;
      }
      return `[${base}]`;
    }
    let type = 'Function';
    if (
      inPrototypeChain(fn, GeneratorFunctionPrototype) ||
      inPrototypeChain(fn, AsyncGeneratorFunctionPrototype)
    ) {
      type = `Generator${type}`;
    }
    if (
      inPrototypeChain(fn, AsyncFunctionPrototype) ||
      inPrototypeChain(fn, AsyncGeneratorFunctionPrototype)
    ) {
      type = `Async${type}`;
    }
    let base = `[${type}`;
    if (ctorName === null) base += ' (null prototype)';
    base += fn.name === '' ? ' (anonymous)' : `: ${fn.name}`;
    base += ']';
    if (ctorName !== type && ctorName !== null) base += ` ${ctorName}`;
    if (tag !== '' && ctorName !== tag) base += ` [${tag}]`;
    return base;
  }

  // ---- Errors.

  function stackString(err) {
    const stack = err.stack;
    if (!stack) return errorToString(err);
    const text = String(stack);
    // QuickJS keeps only the frames in `stack`: put the "Name: message" line in front, as V8 has it.
    if (/^\s+at /.test(text)) return `${errorToString(err)}\n${text.replace(/\n+$/, '')}`;
    // V8 writes the stack when it is first read, QuickJS when the error is made: a name set later
    // (`this.name = 'ValidationError'` in a constructor) is missing from the first line. Put it back
    // when that line is what the prototype's name and the message give.
    const end = text.indexOf('\n');
    const header = end === -1 ? text : text.slice(0, end);
    const current = errorToString(err);
    if (header !== current && hasOwn(err, 'name')) {
      const proto = getPrototypeOf(err);
      const message = err.message;
      const original = proto === null ? undefined : `${proto.name}${message ? `: ${message}` : ''}`;
      if (header === original) return current + (end === -1 ? '' : text.slice(end));
    }
    return text;
  }

  // Names the error after its class when the stack only has the (less precise) `name`.
  function improveStack(stack, ctorName, name, tag) {
    let length = name.length;
    const plain =
      name.endsWith('Error') &&
      stack.startsWith(name) &&
      (stack.length === length || stack[length] === ':' || stack[length] === '\n');
    if (ctorName !== null && !plain) return stack;
    let fallback = 'Error';
    if (ctorName === null) {
      const start =
        /^([A-Z][a-z_ A-Z0-9[\]()-]+)(?::|\n\s+at)/.exec(stack) || /^([a-z_A-Z0-9-]*Error)$/.exec(stack);
      fallback = start?.[1] || '';
      length = fallback.length;
      fallback ||= 'Error';
    }
    const prefix = getPrefix(ctorName, tag, fallback).slice(0, -1);
    if (name === prefix) return stack;
    if (prefix.includes(name)) return length === 0 ? `${prefix}: ${stack}` : prefix + stack.slice(length);
    return `${prefix} [${name}]${stack.slice(length)}`;
  }

  // Where `a` and `b` share a run of more than three equal lines: { len, offset in a }.
  function commonRun(a, b) {
    for (let i = 0; i < a.length - 3; i++) {
      const pos = b.indexOf(a[i]);
      if (pos === -1 || b.length - pos <= 3) continue;
      const max = MathMin(a.length - i, b.length - pos);
      let len = 1;
      while (len < max && a[i + len] === b[pos + len]) len++;
      if (len > 3) return { len, offset: i };
    }
    return { len: 0, offset: 0 };
  }

  function stackFrames(err, frameText) {
    const frames = frameText.split('\n');
    let cause;
    try {
      cause = err.cause;
    } catch {}
    // Frames that repeat the cause's stack are summarized.
    if (cause !== null && typeof cause === 'object' && isError(cause)) {
      const causeStack = stackString(cause);
      const start = causeStack.indexOf('\n    at');
      if (start !== -1) {
        const { len, offset } = commonRun(frames, causeStack.slice(start + 1).split('\n'));
        if (len > 0) {
          const skipped = len - 2;
          frames.splice(offset + 1, skipped, `    ... ${skipped} lines matching cause stack trace ...`);
        }
      }
    }
    return frames;
  }

  function formatError(err, ctorName, tag, ctx, keys) {
    const name = err.name != null ? String(err.name) : 'Error';
    let stack = stackString(err);
    // Own name/message/stack properties already shown by the stack are not listed again.
    if (!ctx.showHidden && keys.length !== 0) {
      for (const key of ['name', 'message', 'stack']) {
        const index = keys.indexOf(key);
        if (index !== -1 && stack.includes(err[key])) keys.splice(index, 1);
      }
    }
    if ('cause' in err && !keys.includes('cause')) keys.push('cause');
    if (isArray(err.errors) && !keys.includes('errors')) keys.push('errors');
    stack = improveStack(stack, ctorName, name, tag);
    let pos = (err.message && stack.indexOf(err.message)) || -1;
    if (pos !== -1) pos += err.message.length;
    const framesStart = stack.indexOf('\n    at', pos);
    if (framesStart === -1) stack = `[${stack}]`;
    else
      stack = `${stack.slice(0, framesStart)}\n${join(stackFrames(err, stack.slice(framesStart + 1)), '\n')}`;
    if (ctx.indentationLvl !== 0) stack = stack.replaceAll('\n', `\n${' '.repeat(ctx.indentationLvl)}`);
    return stack;
  }

  // ---- Entries of the various kinds of objects. Each returns a list of strings.

  function formatProperty(ctx, value, recurseTimes, key, type, desc) {
    desc = desc || getOwnPropertyDescriptor(value, key) || { value: value[key], enumerable: true };
    let str;
    if (desc.value !== undefined) {
      ctx.indentationLvl += 2;
      str = formatValue(ctx, desc.value, recurseTimes);
      ctx.indentationLvl -= 2;
    } else if (desc.get !== undefined) {
      const label = desc.set !== undefined ? 'Getter/Setter' : 'Getter';
      const getters = ctx.getters;
      if (
        getters === true ||
        (getters === 'get' && desc.set === undefined) ||
        (getters === 'set' && desc.set !== undefined)
      ) {
        try {
          const result = ReflectApply(desc.get, value, []);
          ctx.indentationLvl += 2;
          if (result === null) str = `[${label}: null]`;
          else if (typeof result === 'object') str = `[${label}] ${formatValue(ctx, result, recurseTimes)}`;
          else str = `[${label}: ${formatPrimitive(ctx, result)}]`;
          ctx.indentationLvl -= 2;
        } catch (error) {
          str = `[${label}: <Inspection threw (${error?.message})>]`;
        }
      } else str = `[${label}]`;
    } else str = desc.set !== undefined ? '[Setter]' : 'undefined';
    if (type === ELEMENT) return str;
    let name;
    if (typeof key === 'symbol') name = `[${escapeText(symbolToString(key))}]`;
    else if (key === '__proto__') name = "['__proto__']";
    else if (desc.enumerable === false) name = `[${escapeText(key)}]`;
    else if (keyPattern.test(key)) name = key;
    else name = quote(key);
    return `${name}: ${str}`;
  }

  // Array elements, with runs of holes as `<N empty items>` (each counts as one entry).
  function formatArray(ctx, value, recurseTimes) {
    const length = value.length;
    const limit = MathMin(MathMax(0, ctx.maxArrayLength), length);
    const output = [];
    let present = null; // own index keys, ascending; looked up at the first hole
    let next = 0;
    let index = 0;
    while (index < length && output.length < limit) {
      if (hasOwn(value, index)) {
        output.push(formatProperty(ctx, value, recurseTimes, index, ELEMENT));
        index++;
        continue;
      }
      if (present === null) present = ObjectKeys(value).filter(isIndex).map(Number);
      while (next < present.length && present[next] <= index) next++;
      const end = next < present.length ? MathMin(present[next], length) : length;
      output.push(`<${end - index} empty item${end - index > 1 ? 's' : ''}>`);
      index = end;
    }
    if (index < length) output.push(moreItems(length - index));
    return output;
  }

  function formatTypedArray(ctx, value, recurseTimes) {
    const length = typedArrayLength(value);
    const limit = MathMin(MathMax(0, ctx.maxArrayLength), length);
    const output = [];
    for (let i = 0; i < limit; i++) output.push(formatPrimitive(ctx, value[i]));
    if (length > limit) output.push(moreItems(length - limit));
    if (ctx.showHidden) {
      ctx.indentationLvl += 2;
      for (const key of ['BYTES_PER_ELEMENT', 'length', 'byteLength', 'byteOffset', 'buffer']) {
        output.push(`[${key}]: ${formatValue(ctx, value[key], recurseTimes, true)}`);
      }
      ctx.indentationLvl -= 2;
    }
    return output;
  }

  function formatArrayBuffer(ctx, value) {
    let bytes;
    try {
      bytes = new Uint8Array(value);
    } catch {
      return ['(detached)'];
    }
    const shown = MathMin(ctx.maxArrayLength, bytes.length);
    let hex = '';
    for (let i = 0; i < shown; i++) hex += (i === 0 ? '' : ' ') + hex2(bytes[i]).toLowerCase();
    const remaining = bytes.length - ctx.maxArrayLength;
    if (remaining > 0) hex += ` ... ${remaining} more byte${remaining > 1 ? 's' : ''}`;
    return [`[Uint8Contents]: <${hex}>`];
  }

  // Map and Set entries, read with the captured iterators (a subclass may override entries()).
  function formatCollection(ctx, value, recurseTimes, isMapValue) {
    const size = isMapValue ? mapSize(value) : setSize(value);
    const limit = MathMin(MathMax(0, ctx.maxArrayLength), size);
    const iterator = isMapValue ? mapEntries(value) : setValues(value);
    const output = [];
    ctx.indentationLvl += 2;
    for (let i = 0; i < limit; i++) {
      const step = isMapValue ? mapIteratorNext(iterator) : setIteratorNext(iterator);
      if (step.done) break;
      output.push(
        isMapValue
          ? `${formatValue(ctx, step.value[0], recurseTimes)} => ${formatValue(ctx, step.value[1], recurseTimes)}`
          : formatValue(ctx, step.value, recurseTimes),
      );
    }
    if (size > limit) output.push(moreItems(size - limit));
    ctx.indentationLvl -= 2;
    return output;
  }

  // ---- Layout.

  function fitsOnLine(ctx, output, start, base) {
    let total = output.length + start;
    if (total + output.length > ctx.breakLength) return false;
    for (const entry of output) {
      total += entry.length;
      if (total > ctx.breakLength) return false;
    }
    return base === '' || !base.includes('\n');
  }

  // Lays out many short array entries in aligned columns, with the same heuristics as Node:
  // at least three columns must fit, entries must be of similar length, about 2.5 times as many
  // rows as columns for a squarish block, at most 15 columns (and compact * 4).
  function groupArrayElements(ctx, output, value) {
    let count = output.length;
    if (ctx.maxArrayLength < output.length) count--; // the "... more items" entry stays apart
    const separatorSpace = 2; // ', '
    const lengths = [];
    let total = 0;
    let maxLength = 0;
    for (let i = 0; i < count; i++) {
      const len = output[i].length;
      lengths.push(len);
      total += len + separatorSpace;
      if (len > maxLength) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + ctx.indentationLvl >= ctx.breakLength || (total / actualMax <= 5 && maxLength > 6)) {
      return output;
    }
    const averageBias = MathSqrt(actualMax - total / output.length);
    const biasedMax = MathMax(actualMax - 3 - averageBias, 1);
    const columns = MathMin(
      MathRound(MathSqrt(2.5 * biasedMax * count) / biasedMax),
      MathFloor((ctx.breakLength - ctx.indentationLvl) / actualMax),
      ctx.compact * 4,
      15,
    );
    if (columns <= 1) return output;
    const widths = [];
    for (let column = 0; column < columns; column++) {
      let width = 0;
      for (let j = column; j < output.length; j += columns) if (lengths[j] > width) width = lengths[j];
      widths.push(width + separatorSpace);
    }
    // Numbers (and bigints) are aligned to the right, anything else to the left.
    let alignRight = value !== undefined;
    for (let i = 0; alignRight && i < output.length; i++) {
      if (typeof value[i] !== 'number' && typeof value[i] !== 'bigint') alignRight = false;
    }
    const rows = [];
    for (let i = 0; i < count; i += columns) {
      const end = MathMin(i + columns, count);
      let row = '';
      let j = i;
      for (; j < end - 1; j++) {
        const cell = `${output[j]}, `;
        row += alignRight ? cell.padStart(widths[j - i]) : cell.padEnd(widths[j - i]);
      }
      row += alignRight ? output[j].padStart(widths[j - i] - separatorSpace) : output[j];
      rows.push(row);
    }
    if (count < output.length) rows.push(output[count]);
    return rows;
  }

  function reduceToSingleString(ctx, output, base, braces, type, recurseTimes, value) {
    const prefix = base ? `${base} ` : '';
    if (typeof ctx.compact === 'number' && ctx.compact >= 1) {
      const entries = output.length;
      if (type === ARRAY && entries > 6) output = groupArrayElements(ctx, output, value);
      // One line if the object does not hold more than `compact` nested levels (counted down to the
      // last object formatted), was not grouped, and fits in breakLength.
      if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
        const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
        if (fitsOnLine(ctx, output, start, base)) {
          const joined = join(output, ', ');
          if (!joined.includes('\n')) return `${prefix}${braces[0]} ${joined} ${braces[1]}`;
        }
      }
    }
    const indentation = `\n${' '.repeat(ctx.indentationLvl)}`;
    return `${prefix}${braces[0]}${indentation}  ${join(output, `,${indentation}  `)}${indentation}${braces[1]}`;
  }

  // ---- The core.

  function formatValue(ctx, value, recurseTimes, typedArray) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      return formatPrimitive(ctx, value);
    }
    if (ctx.customInspect) {
      const custom = value[customInspectSymbol];
      if (
        typeof custom === 'function' &&
        custom !== inspect &&
        !(value.constructor && value.constructor.prototype === value)
      ) {
        const result = ReflectApply(custom, value, [ctx.depth - recurseTimes, optionsOf(ctx), inspect]);
        if (result !== value) {
          if (typeof result !== 'string') return formatValue(ctx, result, recurseTimes);
          return result.replaceAll('\n', `\n${' '.repeat(ctx.indentationLvl)}`);
        }
      }
    }
    if (ctx.seen.includes(value)) {
      // A cycle: number the target, which formatRaw then marks with <ref *N>.
      ctx.circular ??= new Map();
      let index = ctx.circular.get(value);
      if (index === undefined) {
        index = ctx.circular.size + 1;
        ctx.circular.set(value, index);
      }
      return `[Circular *${index}]`;
    }
    return formatRaw(ctx, value, recurseTimes, typedArray);
  }

  function formatRaw(ctx, value, recurseTimes, typedArray) {
    const ctorName = getConstructorName(value, ctx, recurseTimes);
    const kind = kindOf(value);
    let tag = value[Symbol.toStringTag];
    // A tag is shown only when it is not already listed as an own (enumerable) property.
    if (
      typeof tag !== 'string' ||
      (tag !== '' && (ctx.showHidden ? hasOwn : isEnumerable)(value, Symbol.toStringTag))
    ) {
      tag = '';
    }
    let keys;
    let base = '';
    let braces;
    let type = OBJECT;
    let formatter = () => [];

    if (Symbol.iterator in value || ctorName === null) {
      if (isArray(value)) {
        const prefix =
          ctorName !== 'Array' || tag !== '' ? getPrefix(ctorName, tag, 'Array', `(${value.length})`) : '';
        keys = getNonIndexKeys(value, ctx.showHidden);
        braces = [`${prefix}[`, ']'];
        if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
        type = ARRAY;
        formatter = formatArray;
      } else if (kind === 'Set' || kind === 'Map') {
        const mapValue = kind === 'Map';
        const size = mapValue ? mapSize(value) : setSize(value);
        const prefix = getPrefix(ctorName, tag, mapValue ? 'Map' : 'Set', `(${size})`);
        keys = getKeys(value, ctx.showHidden);
        if (size === 0 && keys.length === 0) return `${prefix}{}`;
        braces = [`${prefix}{`, '}'];
        formatter = (c, v, r) => formatCollection(c, v, r, mapValue);
      } else if (typedArrayName(value) !== undefined) {
        const length = typedArrayLength(value);
        const prefix = getPrefix(ctorName, tag, typedArrayName(value), `(${length})`);
        keys = getNonIndexKeys(value, ctx.showHidden);
        braces = [`${prefix}[`, ']'];
        if (length === 0 && keys.length === 0 && !ctx.showHidden) return `${braces[0]}]`;
        type = ARRAY;
        formatter = formatTypedArray;
      }
    }
    if (braces === undefined) {
      keys = getKeys(value, ctx.showHidden);
      braces = ['{', '}'];
      if (ctorName === 'Object') {
        if (isArguments(value)) braces[0] = '[Arguments] {';
        else if (tag !== '') braces[0] = `${getPrefix(ctorName, tag, 'Object')}{`;
        if (keys.length === 0) return `${braces[0]}}`;
      } else if (typeof value === 'function') {
        base = functionBase(value, ctorName, tag);
        if (keys.length === 0) return base;
      } else if (kind === 'RegExp') {
        base = regExpToString(ctorName !== null ? value : new RegExp(value));
        const prefix = getPrefix(ctorName, tag, 'RegExp');
        if (prefix !== 'RegExp ') base = prefix + base;
        if (keys.length === 0 || recurseTimes > ctx.depth) return base;
      } else if (kind === 'Date') {
        base = NumberIsNaN(dateGetTime(value)) ? dateToString(value) : dateToISOString(value);
        const prefix = getPrefix(ctorName, tag, 'Date');
        if (prefix !== 'Date ') base = prefix + base;
        if (keys.length === 0) return base;
      } else if (isError(value)) {
        base = formatError(value, ctorName, tag, ctx, keys);
        if (keys.length === 0) return base;
      } else if (kind === 'ArrayBuffer' || kind === 'SharedArrayBuffer') {
        const prefix = getPrefix(ctorName, tag, kind);
        if (typedArray === undefined) formatter = formatArrayBuffer;
        else if (keys.length === 0) return `${prefix}{ byteLength: ${formatNumber(value.byteLength)} }`;
        braces[0] = `${prefix}{`;
        keys.unshift('byteLength');
      } else if (kind === 'DataView') {
        braces[0] = `${getPrefix(ctorName, tag, 'DataView')}{`;
        keys.unshift('byteLength', 'byteOffset', 'buffer');
      } else if (kind === 'Promise') {
        braces[0] = `${getPrefix(ctorName, tag, 'Promise')}{`;
        // the engine tells its state (host.promiseState); a bare JS realm cannot see it
        formatter = (ctx2, promise, recurseTimes) => {
          const state = host.promiseState(promise);
          if (state === undefined || state === 'pending') return ['<pending>'];
          ctx2.indentationLvl += 2;
          const shown = formatValue(ctx2, host.promiseResult(promise), recurseTimes);
          ctx2.indentationLvl -= 2;
          return [state === 'rejected' ? `<rejected> ${shown}` : shown];
        };
      } else if (kind === 'WeakSet' || kind === 'WeakMap') {
        braces[0] = `${getPrefix(ctorName, tag, kind)}{`;
        formatter = () => ['<items unknown>'];
      } else if (kind in unboxers) {
        const boxedName = kind;
        const unbox = unboxers[kind];
        // A String object's index keys just repeat the string.
        if (boxedName === 'String') keys.splice(0, value.length);
        base = `[${boxedName}`;
        if (boxedName !== ctorName) base += ctorName === null ? ' (null prototype)' : ` (${ctorName})`;
        base += `: ${formatPrimitive(ctx, unbox(value))}]`;
        if (tag !== '' && tag !== ctorName) base += ` [${tag}]`;
        if (keys.length === 0) return base;
      } else {
        braces[0] = `${getPrefix(ctorName, tag, 'Object')}{`;
        if (keys.length === 0) return `${braces[0]}}`;
      }
    }

    if (recurseTimes > ctx.depth) {
      const name = getPrefix(ctorName, tag, 'Object').slice(0, -1);
      return ctorName === null ? name : `[${name}]`;
    }
    recurseTimes++;
    ctx.seen.push(value);
    ctx.currentDepth = recurseTimes;
    const output = formatter(ctx, value, recurseTimes);
    for (const key of keys) output.push(formatProperty(ctx, value, recurseTimes, key, type));
    const index = ctx.circular?.get(value);
    if (index !== undefined) base = base === '' ? `<ref *${index}>` : `<ref *${index}> ${base}`;
    ctx.seen.pop();
    if (ctx.sorted) {
      const compare = typeof ctx.sorted === 'function' ? ctx.sorted : undefined;
      if (type === OBJECT) output.sort(compare);
      else if (keys.length > 1) {
        const sortedKeys = output.splice(output.length - keys.length).sort(compare);
        output.push(...sortedKeys);
      }
    }
    return reduceToSingleString(ctx, output, base, braces, type, recurseTimes, value);
  }

  const DEFAULTS = {
    showHidden: false,
    depth: 2,
    colors: false,
    customInspect: true,
    showProxy: false,
    maxArrayLength: 100,
    maxStringLength: 10000,
    breakLength: 80,
    compact: 3,
    sorted: false,
    getters: false,
    numericSeparator: false,
  };

  // The options handed to custom inspect functions.
  function optionsOf(ctx) {
    const options = { stylize: (text) => text };
    for (const key of ObjectKeys(DEFAULTS)) options[key] = ctx[key];
    return options;
  }

  function inspect(value, options = undefined, ...legacy) {
    const ctx = { ...DEFAULTS, seen: [], circular: undefined, indentationLvl: 0, currentDepth: 0 };
    if (typeof options === 'boolean') {
      // Legacy form: inspect(value, showHidden, depth)
      ctx.showHidden = options;
      if (legacy[0] !== undefined) ctx.depth = legacy[0];
    } else if (options !== null && typeof options === 'object') {
      for (const key of ObjectKeys(options)) if (key in DEFAULTS) ctx[key] = options[key];
    }
    if (ctx.depth === null) ctx.depth = Infinity;
    if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
    if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
    return formatValue(ctx, value, 0);
  }

  // `%s` prints objects with inspect() unless they have their own (non built-in) toString.
  function hasBuiltInToString(value) {
    if (typeof value.toString !== 'function') return true;
    if (hasOwn(value, 'toString')) return false;
    let pointer = value;
    do pointer = getPrototypeOf(pointer);
    while (pointer !== null && !hasOwn(pointer, 'toString'));
    const desc = pointer === null ? undefined : getOwnPropertyDescriptor(pointer, 'constructor');
    return desc !== undefined && typeof desc.value === 'function' && builtInObjects.has(desc.value.name);
  }

  // `%j`: JSON, or '[Circular]' when JSON.stringify fails on a cycle (recognized by the first line of
  // the engine's message for one).
  const firstLine = (error) => `${error?.message}`.split('\n')[0];
  let circularMessage;
  function stringifyJSON(value) {
    try {
      return `${JSONStringify(value)}`;
    } catch (error) {
      if (circularMessage === undefined) {
        try {
          const a = {};
          a.a = a;
          JSONStringify(a);
        } catch (e) {
          circularMessage = firstLine(e);
        }
      }
      if (error?.name === 'TypeError' && firstLine(error) === circularMessage) return '[Circular]';
      throw error;
    }
  }

  // %d (Number), %i (parseInt) and %f (parseFloat); bigints keep their `n` for %d and %i.
  function numberText(directive, arg) {
    if (typeof arg === 'bigint' && directive !== 'f') return `${arg}n`;
    if (typeof arg === 'symbol') return 'NaN';
    if (directive === 'd') return formatNumber(Number(arg));
    // biome-ignore lint/correctness/useParseIntRadix: like parseInt(), '0x10' is hexadecimal
    return formatNumber(directive === 'i' ? parseInt(arg) : parseFloat(arg));
  }

  // util.format: printf-like directives in a first string argument, then the other arguments.
  function formatLog(args) {
    const first = args[0];
    let used = 0; // index of the last argument consumed by a directive
    let out = '';
    let separator = '';
    if (typeof first === 'string') {
      if (args.length === 1) return first;
      let lastPos = 0;
      for (let i = 0; i < first.length - 1; i++) {
        if (first.charCodeAt(i) !== 37) continue; // '%'
        const directive = first[++i];
        if (used + 1 === args.length) {
          // No arguments left: only '%%' still becomes '%'.
          if (directive === '%') {
            out += first.slice(lastPos, i);
            lastPos = i + 1;
          }
          continue;
        }
        let text;
        switch (directive) {
          case 's': {
            const arg = args[++used];
            if (typeof arg === 'number') text = formatNumber(arg);
            else if (typeof arg === 'bigint') text = `${arg}n`;
            else if (arg === null || typeof arg !== 'object' || !hasBuiltInToString(arg)) text = String(arg);
            else text = inspect(arg, { depth: 0, colors: false, compact: 3 });
            break;
          }
          case 'j':
            text = stringifyJSON(args[++used]);
            break;
          case 'd':
          case 'i':
          case 'f':
            text = numberText(directive, args[++used]);
            break;
          case 'O':
            text = inspect(args[++used]);
            break;
          case 'o':
            text = inspect(args[++used], { showHidden: true, showProxy: true, depth: 4 });
            break;
          case 'c':
            used++;
            text = '';
            break;
          case '%':
            out += first.slice(lastPos, i);
            lastPos = i + 1;
            continue;
          default:
            continue; // not a directive: left as is
        }
        if (lastPos !== i - 1) out += first.slice(lastPos, i - 1);
        out += text;
        lastPos = i + 1;
      }
      if (lastPos !== 0) {
        used++;
        separator = ' ';
        if (lastPos < first.length) out += first.slice(lastPos);
      }
    }
    for (; used < args.length; used++) {
      const value = args[used];
      out += separator + (typeof value === 'string' ? value : inspect(value));
      separator = ' ';
    }
    return out;
  }

  return { inspect, formatLog };
})();
