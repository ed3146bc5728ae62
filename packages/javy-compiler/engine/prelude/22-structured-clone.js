// 22-structured-clone.js: structuredClone(value, { transfer }) after the HTML structured clone algorithm.
// Cloned: primitives (not symbols), Boolean/Number/String/BigInt wrappers, Date, RegExp, ArrayBuffer,
// typed arrays, DataView, Map, Set, arrays (holes and extra properties kept), plain objects (own enumerable
// string keys, prototype dropped) and native errors (name, message, stack, cause). Cycles and shared
// references are kept. Functions, symbols, promises, weak collections, generators and the like throw a
// DOMException named DataCloneError. A SharedArrayBuffer is returned as is (its memory stays shared).
// Transferred ArrayBuffers are detached with ArrayBuffer.prototype.transfer when the engine has it;
// otherwise they are only copied.
{
  const ReflectApply = Reflect.apply;
  const ObjectKeys = Object.keys;
  const getPrototypeOf = Object.getPrototypeOf;
  const defineProperty = Object.defineProperty;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const isArray = Array.isArray;
  const DOMExceptionCtor = typeof DOMException === 'function' ? DOMException : null;
  const FunctionToString = Function.prototype.toString;
  const ObjectToString = Object.prototype.toString;
  const getter = (proto, name) => getOwnPropertyDescriptor(proto, name)?.get;
  const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
  const typedArrayTag = getter(TypedArrayPrototype, Symbol.toStringTag);
  const typedArrayBuffer = getter(TypedArrayPrototype, 'buffer');
  const typedArrayOffset = getter(TypedArrayPrototype, 'byteOffset');
  const typedArrayLength = getter(TypedArrayPrototype, 'length');
  const dataViewBuffer = getter(DataView.prototype, 'buffer');
  const dataViewOffset = getter(DataView.prototype, 'byteOffset');
  const dataViewLength = getter(DataView.prototype, 'byteLength');
  const bufferLength = getter(ArrayBuffer.prototype, 'byteLength');
  const bufferResizable = getter(ArrayBuffer.prototype, 'resizable');
  const bufferMaxLength = getter(ArrayBuffer.prototype, 'maxByteLength');
  const bufferDetached = getter(ArrayBuffer.prototype, 'detached');
  const bufferSlice = ArrayBuffer.prototype.slice;
  const bufferTransfer = ArrayBuffer.prototype.transfer;
  const sharedLength =
    typeof SharedArrayBuffer === 'function' ? getter(SharedArrayBuffer.prototype, 'byteLength') : null;
  const dateGetTime = Date.prototype.getTime;
  const regExpSource = getter(RegExp.prototype, 'source');
  const regExpFlags = getter(RegExp.prototype, 'flags');
  const mapSize = getter(Map.prototype, 'size');
  const setSize = getter(Set.prototype, 'size');
  const mapEntries = Map.prototype.entries;
  const setValues = Set.prototype.values;
  const mapSet = Map.prototype.set;
  const setAdd = Set.prototype.add;
  const isError =
    typeof Error.isError === 'function'
      ? Error.isError
      : (v) => ReflectApply(ObjectToString, v, []) === '[object Error]';
  const typedArrays = { __proto__: null };
  const typedArrayNames =
    'Int8 Uint8 Uint8Clamped Int16 Uint16 Int32 Uint32 Float16 Float32 Float64 BigInt64 BigUint64';
  for (const name of typedArrayNames.split(' ')) {
    const ctor = globalThis[`${name}Array`];
    if (typeof ctor === 'function') typedArrays[`${name}Array`] = ctor;
  }
  const errorConstructors = {
    __proto__: null,
    Error,
    EvalError,
    RangeError,
    ReferenceError,
    SyntaxError,
    TypeError,
    URIError,
  };
  // Kinds of built-in objects, by prototype: [kind, check]. The check (a built-in method or getter that
  // throws for other objects) confirms what the prototype claims; null means the prototype decides.
  // Going by the prototype first keeps exceptions, which are slow in QuickJS, out of the common cases.
  const kinds = new Map();
  const addKind = (ctor, kind, check, args = []) => {
    if (typeof ctor === 'function')
      kinds.set(ctor.prototype, [kind, check && ((v) => succeeds(check, v, args))]);
  };
  // Wrapper objects: the valueOf of each type throws unless `this` wraps a value of that type.
  const unboxers = { __proto__: null };
  for (const type of [Number, String, Boolean, BigInt, Symbol]) {
    unboxers[type.name] = type.prototype.valueOf;
    addKind(type, type.name, type.prototype.valueOf);
  }
  addKind(Date, 'Date', dateGetTime);
  addKind(RegExp, 'RegExp', regExpSource);
  addKind(ArrayBuffer, 'ArrayBuffer', bufferLength);
  addKind(globalThis.SharedArrayBuffer, 'SharedArrayBuffer', sharedLength);
  kinds.set(TypedArrayPrototype, ['TypedArray', (v) => ReflectApply(typedArrayTag, v, []) !== undefined]);
  addKind(DataView, 'DataView', dataViewBuffer);
  addKind(Map, 'Map', mapSize);
  addKind(Set, 'Set', setSize);
  kinds.set(Error.prototype, ['Error', isError]);
  // Objects with internal state that cannot be cloned.
  addKind(WeakMap, 'uncloneable', WeakMap.prototype.has, [{}]);
  addKind(WeakSet, 'uncloneable', WeakSet.prototype.has, [{}]);
  addKind(globalThis.WeakRef, 'uncloneable', globalThis.WeakRef?.prototype.deref);
  addKind(
    globalThis.FinalizationRegistry,
    'uncloneable',
    globalThis.FinalizationRegistry?.prototype.unregister,
    [{}],
  );
  for (const proto of [
    Promise.prototype,
    getPrototypeOf(function* () {}).prototype,
    getPrototypeOf(async function* () {}).prototype,
    getPrototypeOf(new Map().entries()),
    getPrototypeOf(new Set().values()),
    getPrototypeOf([].values()),
    getPrototypeOf(''[Symbol.iterator]()),
    getPrototypeOf(/a/[Symbol.matchAll]('')),
  ]) {
    kinds.set(proto, ['uncloneable', null]);
  }

  // The kind of `value` (an object): one of those above, or 'Object' for anything else.
  function kindOf(value) {
    for (let p = getPrototypeOf(value); p !== null; p = getPrototypeOf(p)) {
      if (p === Object.prototype) break;
      const entry = kinds.get(p);
      if (entry !== undefined) return entry[1] === null || entry[1](value) ? entry[0] : 'Object';
    }
    if (getPrototypeOf(value) !== null && inObjectChain(value)) return isError(value) ? 'Error' : 'Object';
    // A null prototype somewhere in the chain: try every check.
    for (const [kind, check] of kinds.values()) if (check?.(value)) return kind;
    return 'Object';
  }

  // Calls `fn` with `this` = value; reports whether it threw.
  function succeeds(fn, value, args = []) {
    if (typeof fn !== 'function') return false;
    try {
      ReflectApply(fn, value, args);
      return true;
    } catch {
      return false;
    }
  }

  function inObjectChain(value) {
    for (let p = getPrototypeOf(value); p !== null; p = getPrototypeOf(p))
      if (p === Object.prototype) return true;
    return false;
  }

  function dataCloneError(message) {
    if (DOMExceptionCtor !== null) return new DOMExceptionCtor(message, 'DataCloneError');
    const error = new Error(message);
    error.name = 'DataCloneError';
    return error;
  }

  function describe(value) {
    if (typeof value === 'function') return ReflectApply(FunctionToString, value, []);
    if (typeof value === 'symbol') return value.toString();
    const ctor = getOwnPropertyDescriptor(getPrototypeOf(value) ?? {}, 'constructor')?.value;
    return `#<${typeof ctor === 'function' && ctor.name ? ctor.name : 'Object'}>`;
  }

  function isDetached(buffer) {
    return bufferDetached !== undefined && ReflectApply(bufferDetached, buffer, []);
  }

  function copyBuffer(buffer) {
    if (isDetached(buffer)) throw dataCloneError('An ArrayBuffer is detached and could not be cloned.');
    if (bufferResizable === undefined || !ReflectApply(bufferResizable, buffer, [])) {
      return ReflectApply(bufferSlice, buffer, [0]);
    }
    const length = ReflectApply(bufferLength, buffer, []);
    const copy = new ArrayBuffer(length, { maxByteLength: ReflectApply(bufferMaxLength, buffer, []) });
    new Uint8Array(copy).set(new Uint8Array(buffer));
    return copy;
  }

  function cloneError(value, memory) {
    const name = value.name;
    const Ctor = typeof name === 'string' && name in errorConstructors ? errorConstructors[name] : Error;
    const out = new Ctor();
    memory.set(value, out);
    const own = (key) => {
      const desc = getOwnPropertyDescriptor(value, key);
      return desc !== undefined && 'value' in desc ? desc : undefined;
    };
    const hidden = (key, v) =>
      defineProperty(out, key, { value: v, writable: true, enumerable: false, configurable: true });
    const stack = value.stack;
    hidden('stack', typeof stack === 'string' ? stack : undefined);
    const message = own('message');
    if (message !== undefined) hidden('message', `${message.value}`);
    const cause = own('cause');
    if (cause !== undefined) hidden('cause', clone(cause.value, memory));
    return out;
  }

  function cloneProperties(value, out, memory) {
    for (const key of ObjectKeys(value)) out[key] = clone(value[key], memory);
    return out;
  }

  function clone(value, memory) {
    if (typeof value === 'symbol' || typeof value === 'function') {
      throw dataCloneError(`${describe(value)} could not be cloned.`);
    }
    if (value === null || typeof value !== 'object') return value;
    if (memory.has(value)) return memory.get(value);
    let out;
    const kind = isArray(value) ? 'Array' : kindOf(value);
    switch (kind) {
      case 'Number':
      case 'String':
      case 'Boolean':
      case 'BigInt':
        out = Object(ReflectApply(unboxers[kind], value, []));
        break;
      case 'Symbol':
        throw dataCloneError('[object Symbol] could not be cloned.');
      case 'Date':
        out = new Date(ReflectApply(dateGetTime, value, []));
        break;
      case 'RegExp':
        out = new RegExp(ReflectApply(regExpSource, value, []), ReflectApply(regExpFlags, value, []));
        break;
      case 'ArrayBuffer':
        out = copyBuffer(value);
        break;
      case 'SharedArrayBuffer':
        out = value; // the memory stays shared
        break;
      case 'TypedArray': {
        const buffer = clone(ReflectApply(typedArrayBuffer, value, []), memory);
        const Ctor = typedArrays[ReflectApply(typedArrayTag, value, [])];
        const offset = ReflectApply(typedArrayOffset, value, []);
        out = new Ctor(buffer, offset, ReflectApply(typedArrayLength, value, []));
        break;
      }
      case 'DataView': {
        const buffer = clone(ReflectApply(dataViewBuffer, value, []), memory);
        const offset = ReflectApply(dataViewOffset, value, []);
        out = new DataView(buffer, offset, ReflectApply(dataViewLength, value, []));
        break;
      }
      case 'Map': {
        out = new Map();
        memory.set(value, out);
        // Take the entries first, as the algorithm does, then clone each key and value.
        const entries = [...ReflectApply(mapEntries, value, [])];
        for (const [k, v] of entries) ReflectApply(mapSet, out, [clone(k, memory), clone(v, memory)]);
        break;
      }
      case 'Set': {
        out = new Set();
        memory.set(value, out);
        const values = [...ReflectApply(setValues, value, [])];
        for (const v of values) ReflectApply(setAdd, out, [clone(v, memory)]);
        break;
      }
      case 'Error':
        return cloneError(value, memory);
      case 'uncloneable':
        throw dataCloneError(`${describe(value)} could not be cloned.`);
      case 'Array':
        out = new Array(value.length);
        memory.set(value, out);
        cloneProperties(value, out, memory);
        break;
      default:
        out = {};
        memory.set(value, out);
        cloneProperties(value, out, memory);
    }
    memory.set(value, out);
    return out;
  }

  function structuredClone(value, options = undefined) {
    // biome-ignore lint/complexity/noArguments: structuredClone() differs from structuredClone(undefined)
    if (arguments.length === 0) throw new TypeError('The value argument must be specified');
    const memory = new Map();
    let transfer = [];
    if (options !== undefined && options !== null && options.transfer !== undefined) {
      const list = options.transfer;
      if (list === null || typeof list[Symbol.iterator] !== 'function') {
        throw new TypeError('Optional transferList argument must be an iterable');
      }
      transfer = [...list];
    }
    // Transferred buffers: the clone gets a copy now and the originals are detached at the end.
    for (const buffer of transfer) {
      if (!succeeds(bufferLength, buffer)) throw dataCloneError('Value not transferable');
      if (memory.has(buffer)) throw dataCloneError('Transfer list contains duplicate ArrayBuffer');
      memory.set(buffer, copyBuffer(buffer));
    }
    const result = clone(value, memory);
    if (typeof bufferTransfer === 'function')
      for (const buffer of transfer) ReflectApply(bufferTransfer, buffer, [0]);
    return result;
  }

  defineGlobal('structuredClone', structuredClone);
}
