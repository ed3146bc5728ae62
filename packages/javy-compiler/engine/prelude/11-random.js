// Randomness: crypto.getRandomValues and crypto.randomUUID draw from the host (WASI random_get,
// seeded when the run is deterministic). Math.random is xoshiro128** reseeded from the host at the
// start of every run: the engine's own generator was seeded once, when the engine was built.

const rngState = new Uint32Array(4);
function reseedMathRandom() {
  do {
    for (let i = 0; i < 4; i++) rngState[i] = host.random32();
  } while ((rngState[0] | rngState[1] | rngState[2] | rngState[3]) === 0);
}
function nextRandom32() {
  const s = rngState;
  const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
  const t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}
function rotl(x, k) {
  return (x << k) | (x >>> (32 - k));
}
ObjectDefineProperty(Math, 'random', {
  value: function random() {
    // 53 random bits, as V8 does: [0, 1) with full double precision
    return ((nextRandom32() >>> 5) * 67108864 + (nextRandom32() >>> 6)) / 9007199254740992;
  },
  writable: true,
  configurable: true,
  enumerable: false,
});

const INTEGER_ARRAYS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
];
function domError(message, name) {
  return typeof DOMException === 'function'
    ? new DOMException(message, name)
    : Object.assign(new Error(message), { name });
}
const cryptoObject = {
  getRandomValues(array) {
    if (!INTEGER_ARRAYS.some((C) => array instanceof C)) {
      throw domError('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
    }
    if (array.byteLength > 65536) {
      throw domError(
        `The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`,
        'QuotaExceededError',
      );
    }
    const bytes = host.randomBytes(array.byteLength);
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
    return array;
  },
  randomUUID() {
    const b = host.randomBytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = '';
    for (let i = 0; i < 16; i++) {
      hex += (b[i] < 16 ? '0' : '') + b[i].toString(16);
      if (i === 3 || i === 5 || i === 7 || i === 9) hex += '-';
    }
    return hex;
  },
};
Object.defineProperty(cryptoObject, Symbol.toStringTag, { value: 'Crypto', configurable: true });
defineGlobal('crypto', cryptoObject);
