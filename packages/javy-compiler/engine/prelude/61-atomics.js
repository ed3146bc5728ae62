// Atomics over ordinary (unshared) integer typed arrays: the sandbox has one thread, so every
// operation is trivially atomic. wait() cannot block (nothing else could notify), so it answers
// 'not-equal' or 'timed-out' at once, as an agent's single-threaded code expects.
if (typeof Atomics === 'undefined') {
  const check = (ta, index) => {
    if (
      !ArrayBuffer.isView(ta) ||
      ta instanceof DataView ||
      ta instanceof Float32Array ||
      ta instanceof Float64Array
    ) {
      throw new TypeError('Atomics operations need an integer typed array');
    }
    const i = Number(index);
    if (!Number.isInteger(i) || i < 0 || i >= ta.length) throw new RangeError('Atomics index out of range');
    return i;
  };
  const rmw = (op) => (ta, index, value) => {
    const i = check(ta, index);
    const old = ta[i];
    ta[i] = op(old, value);
    return old;
  };
  const atomics = {
    add: rmw((a, b) => a + b),
    sub: rmw((a, b) => a - b),
    and: rmw((a, b) => a & b),
    or: rmw((a, b) => a | b),
    xor: rmw((a, b) => a ^ b),
    exchange: rmw((_a, b) => b),
    compareExchange(ta, index, expected, replacement) {
      const i = check(ta, index);
      const old = ta[i];
      const probe = new ta.constructor(1);
      probe[0] = expected;
      if (old === probe[0]) ta[i] = replacement;
      return old;
    },
    load(ta, index) {
      return ta[check(ta, index)];
    },
    store(ta, index, value) {
      const i = check(ta, index);
      ta[i] = value;
      return ta[i];
    },
    isLockFree(size) {
      return size === 1 || size === 2 || size === 4 || size === 8;
    },
    wait(ta, index, value) {
      return ta[check(ta, index)] !== value ? 'not-equal' : 'timed-out';
    },
    waitAsync(ta, index, value) {
      const result = ta[check(ta, index)] !== value ? 'not-equal' : 'timed-out';
      return { async: false, value: result };
    },
    notify(ta, index) {
      check(ta, index);
      return 0;
    },
    pause() {},
  };
  ObjectDefineProperty(atomics, Symbol.toStringTag, { value: 'Atomics', configurable: true });
  defineGlobal('Atomics', atomics);
}
