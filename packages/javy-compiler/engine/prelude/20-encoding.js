// 20-encoding.js: TextEncoder and TextDecoder (WHATWG Encoding Standard).
// TextEncoder always produces UTF-8. TextDecoder knows utf-8, utf-16le, utf-16be and windows-1252;
// windows-1252 (labels latin1, iso-8859-1, ascii, ...) decodes every byte to the code point of the same
// value, as Node 20 does, rather than mapping 0x80-0x9F to the windows-1252 table.
// Shares with the later prelude files: utf8Encode(string) -> Uint8Array, utf8Decode(bytes) -> string
// (UTF-8 without BOM handling, invalid sequences become U+FFFD).
// biome-ignore lint/correctness/noUnusedVariables: used by 21-url.js
const { utf8Encode, utf8Decode } = (() => {
  const fromCharCode = String.fromCharCode;
  const ReflectApply = Reflect.apply;
  const inspectCustom = Symbol.for('nodejs.util.inspect.custom');
  const isView = ArrayBuffer.isView;
  const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
  const abByteLength = getter(ArrayBuffer.prototype, 'byteLength');
  const sabByteLength =
    typeof SharedArrayBuffer === 'function' ? getter(SharedArrayBuffer.prototype, 'byteLength') : undefined;
  const typedArrayTag = getter(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag);

  // Returns the byte length when `value` is an ArrayBuffer or SharedArrayBuffer, else -1.
  function bufferLength(value) {
    for (const get of [abByteLength, sabByteLength]) {
      if (get === undefined) continue;
      try {
        return ReflectApply(get, value, []);
      } catch {}
    }
    return -1;
  }

  // Any BufferSource (or undefined) as a Uint8Array over the same memory.
  function toBytes(input) {
    if (input === undefined) return new Uint8Array(0);
    if (isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    if (bufferLength(input) >= 0) return new Uint8Array(input);
    throw new TypeError('The "input" argument must be an instance of ArrayBuffer or ArrayBufferView');
  }

  // Code units to string, in slices so that apply() never gets too many arguments.
  function unitsToString(units, length) {
    let out = '';
    for (let i = 0; i < length; i += 8192) {
      out += ReflectApply(fromCharCode, null, units.subarray(i, Math.min(i + 8192, length)));
    }
    return out;
  }

  // ---- UTF-8 encoding. Lone surrogates are encoded as U+FFFD (EF BF BD).

  function utf8Length(s) {
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c <= 0xdbff && c >= 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        n += 4;
        i++;
      } else n += 3;
    }
    return n;
  }

  // Writes whole code points of `s` while they fit in `dest`; returns the code units read and bytes written.
  function writeUtf8(s, dest) {
    const capacity = dest.length;
    let read = 0;
    let written = 0;
    while (read < s.length) {
      let cp = s.charCodeAt(read);
      let units = 1;
      if ((cp & 0xf800) === 0xd800) {
        const next = s.charCodeAt(read + 1);
        if (cp <= 0xdbff && (next & 0xfc00) === 0xdc00) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
          units = 2;
        } else cp = 0xfffd;
      }
      const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (written + size > capacity) break;
      if (size === 1) dest[written++] = cp;
      else {
        // The lead byte holds the sequence length and the top bits; each continuation byte 6 bits.
        dest[written++] = size === 2 ? 0xc0 | (cp >> 6) : size === 3 ? 0xe0 | (cp >> 12) : 0xf0 | (cp >> 18);
        for (let shift = (size - 2) * 6; shift >= 0; shift -= 6)
          dest[written++] = 0x80 | ((cp >> shift) & 0x3f);
      }
      read += units;
    }
    return { read, written };
  }

  function utf8Encode(s) {
    const out = new Uint8Array(utf8Length(s));
    writeUtf8(s, out);
    return out;
  }

  // ---- Decoders. Each is an object with `push(bytes, out, at)`, which appends decoded UTF-16 code units
  // to the Uint16Array `out` from index `at` and returns the new index, and `end(out, at)`, which flushes
  // an incomplete sequence at the end of the stream. Errors call `error()`, which throws when the decoder is
  // fatal and otherwise returns U+FFFD.

  function utf8Decoder(error) {
    let needed = 0; // continuation bytes still expected
    let seen = 0;
    let cp = 0;
    let lower = 0x80; // allowed range of the next continuation byte
    let upper = 0xbf;
    return {
      push(bytes, out, at) {
        for (let i = 0; i < bytes.length; i++) {
          const b = bytes[i];
          if (needed === 0) {
            if (b < 0x80) out[at++] = b;
            else if (b >= 0xc2 && b <= 0xdf) {
              needed = 1;
              cp = b & 0x1f;
            } else if (b >= 0xe0 && b <= 0xef) {
              // Exclude overlong forms (E0 80..9F) and surrogates (ED A0..BF).
              if (b === 0xe0) lower = 0xa0;
              if (b === 0xed) upper = 0x9f;
              needed = 2;
              cp = b & 0xf;
            } else if (b >= 0xf0 && b <= 0xf4) {
              // Exclude overlong forms (F0 80..8F) and code points above U+10FFFF (F4 90..BF).
              if (b === 0xf0) lower = 0x90;
              if (b === 0xf4) upper = 0x8f;
              needed = 3;
              cp = b & 0x7;
            } else out[at++] = error();
            continue;
          }
          if (b < lower || b > upper) {
            // The sequence is cut short: one U+FFFD for it, then this byte starts afresh.
            needed = seen = cp = 0;
            lower = 0x80;
            upper = 0xbf;
            out[at++] = error();
            i--;
            continue;
          }
          lower = 0x80;
          upper = 0xbf;
          cp = (cp << 6) | (b & 0x3f);
          if (++seen === needed) {
            if (cp >= 0x10000) {
              out[at++] = 0xd800 + ((cp - 0x10000) >> 10);
              out[at++] = 0xdc00 + (cp & 0x3ff);
            } else out[at++] = cp;
            needed = seen = cp = 0;
          }
        }
        return at;
      },
      end(out, at) {
        if (needed === 0) return at;
        needed = seen = cp = 0;
        lower = 0x80;
        upper = 0xbf;
        out[at++] = error();
        return at;
      },
    };
  }

  function utf16Decoder(error, bigEndian) {
    let leadByte = -1;
    let leadSurrogate = -1;
    return {
      push(bytes, out, at) {
        for (let i = 0; i < bytes.length; i++) {
          if (leadByte < 0) {
            leadByte = bytes[i];
            continue;
          }
          const unit = bigEndian ? (leadByte << 8) | bytes[i] : (bytes[i] << 8) | leadByte;
          leadByte = -1;
          if (leadSurrogate >= 0) {
            const lead = leadSurrogate;
            leadSurrogate = -1;
            if (unit >= 0xdc00 && unit <= 0xdfff) {
              out[at++] = lead;
              out[at++] = unit;
              continue;
            }
            out[at++] = error(); // unpaired lead surrogate; `unit` is handled below
          }
          if (unit >= 0xd800 && unit <= 0xdbff) leadSurrogate = unit;
          else if (unit >= 0xdc00 && unit <= 0xdfff) out[at++] = error();
          else out[at++] = unit;
        }
        return at;
      },
      end(out, at) {
        if (leadByte < 0 && leadSurrogate < 0) return at;
        leadByte = leadSurrogate = -1;
        out[at++] = error();
        return at;
      },
    };
  }

  function latin1Decoder() {
    return {
      push(bytes, out, at) {
        for (let i = 0; i < bytes.length; i++) out[at++] = bytes[i];
        return at;
      },
      end: (_out, at) => at,
    };
  }

  // Label -> encoding name, for the labels of the encodings above.
  const encodings = { __proto__: null };
  const labels = {
    'utf-8': 'unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8',
    'utf-16le': 'csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le',
    'utf-16be': 'unicodefffe utf-16be',
    'windows-1252':
      'ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 ' +
      'iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252',
  };
  for (const name in labels) for (const label of labels[name].split(' ')) encodings[label] = name;

  const utf8Lenient = utf8Decoder(() => 0xfffd);

  // Decodes a whole UTF-8 byte sequence, without BOM handling.
  function utf8Decode(bytes) {
    const out = new Uint16Array(bytes.length + 1);
    const at = utf8Lenient.end(out, utf8Lenient.push(bytes, out, 0));
    return unitsToString(out, at);
  }

  class TextEncoder {
    get encoding() {
      return 'utf-8';
    }
    encode(input = '') {
      return utf8Encode(`${input}`);
    }
    encodeInto(source, destination) {
      if (ReflectApply(typedArrayTag, destination, []) !== 'Uint8Array') {
        throw new TypeError('The "destination" argument must be an instance of Uint8Array');
      }
      return writeUtf8(`${source}`, destination);
    }
    // Node 20 prints a TextEncoder as `{ encoding: 'utf-8' }`.
    [inspectCustom](depth) {
      return typeof depth === 'number' && depth < 0 ? this : { encoding: 'utf-8' };
    }
  }

  class TextDecoder {
    #encoding;
    #fatal;
    #ignoreBOM;
    #decoder = null; // created lazily, kept between stream: true calls
    #bomSeen = false;

    constructor(label = 'utf-8', options = {}) {
      const key = `${label}`.trim().toLowerCase();
      const encoding = encodings[key];
      if (encoding === undefined) throw new RangeError(`The "${label}" encoding is not supported`);
      this.#encoding = encoding;
      this.#fatal = Boolean(options?.fatal);
      this.#ignoreBOM = Boolean(options?.ignoreBOM);
    }
    get encoding() {
      return this.#encoding;
    }
    get fatal() {
      return this.#fatal;
    }
    get ignoreBOM() {
      return this.#ignoreBOM;
    }

    decode(input, options = {}) {
      const bytes = toBytes(input);
      const stream = Boolean(options?.stream);
      if (this.#decoder === null) {
        const encoding = this.#encoding;
        const error = this.#fatal
          ? () => {
              this.#decoder = null;
              this.#bomSeen = false;
              throw new TypeError(`The encoded data was not valid for encoding ${encoding}`);
            }
          : () => 0xfffd;
        this.#decoder =
          encoding === 'utf-8'
            ? utf8Decoder(error)
            : encoding === 'windows-1252'
              ? latin1Decoder()
              : utf16Decoder(error, encoding === 'utf-16be');
        this.#bomSeen = false;
      }
      const decoder = this.#decoder;
      // At most one code unit per input byte, plus two for what an earlier chunk left pending.
      const out = new Uint16Array(bytes.length + 3);
      let at = decoder.push(bytes, out, 0);
      if (!stream) {
        at = decoder.end(out, at);
        this.#decoder = null;
      }
      let start = 0;
      if (at > 0 && !this.#bomSeen && this.#encoding !== 'windows-1252') {
        this.#bomSeen = true;
        if (out[0] === 0xfeff && !this.#ignoreBOM) start = 1;
      }
      return unitsToString(out.subarray(start), at - start);
    }

    // Printed like Node: TextDecoder { encoding: 'utf-8', fatal: false, ignoreBOM: false }.
    [inspectCustom](depth, options, inspect) {
      if ((typeof depth === 'number' && depth < 0) || typeof inspect !== 'function') return this;
      const fields = { encoding: this.#encoding, fatal: this.#fatal, ignoreBOM: this.#ignoreBOM };
      return `${this.constructor.name} ${inspect(fields, options)}`;
    }
  }

  for (const cls of [TextEncoder, TextDecoder]) {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });
    defineGlobal(cls.name, cls);
  }
  return { utf8Encode, utf8Decode };
})();
