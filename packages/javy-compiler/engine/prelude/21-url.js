// 21-url.js: URL and URLSearchParams after the WHATWG URL Standard (basic URL parser state machine,
// host parsing with IPv4/IPv6, percent-encode sets, setters through state overrides).
// Hostnames: ASCII is lowercased. Non-ASCII gets an approximation of IDNA (UTS #46): NFKC, lowercase,
// ideographic dots as '.', a few ignored code points dropped, joiners and bidi controls refused, then
// punycode per label; there are no other bidi/joiner rules and existing `xn--` labels are not validated.
// Uses utf8Encode/utf8Decode from 20-encoding.js.
{
  const inspectCustom = Symbol.for('nodejs.util.inspect.custom');
  const FAILURE = null;
  const specialPorts = { __proto__: null, ftp: 21, file: null, http: 80, https: 443, ws: 80, wss: 443 };
  const isSpecial = (scheme) => scheme in specialPorts;

  // ---- Percent-encoding. A set is a 128-entry table (1 = encode) for ASCII; non-ASCII is always encoded.
  function encodeSet(base, extra) {
    const table = base ? base.slice() : new Uint8Array(128).map((_, c) => (c < 0x20 || c === 0x7f ? 1 : 0));
    for (let i = 0; i < extra.length; i++) table[extra.charCodeAt(i)] = 1;
    return table;
  }
  const C0_SET = encodeSet(null, '');
  const FRAGMENT_SET = encodeSet(C0_SET, ' "<>`');
  const QUERY_SET = encodeSet(C0_SET, ' "#<>');
  const SPECIAL_QUERY_SET = encodeSet(QUERY_SET, "'");
  const PATH_SET = encodeSet(QUERY_SET, '?`{}'); // no '^', as in Node 20
  const USERINFO_SET = encodeSet(PATH_SET, '/:;=@[\\]^|');
  const FORM_SET = encodeSet(USERINFO_SET, "$%&+,!'()~"); // application/x-www-form-urlencoded

  const HEX = '0123456789ABCDEF';
  const pct = (b) => `%${HEX[b >> 4]}${HEX[b & 15]}`;

  function percentEncode(s, set, spaceAsPlus = false) {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // Encode the UTF-8 bytes of the whole run of non-ASCII code units.
        let j = i + 1;
        while (j < s.length && s.charCodeAt(j) >= 0x80) j++;
        const bytes = utf8Encode(s.slice(i, j));
        for (let k = 0; k < bytes.length; k++) out += pct(bytes[k]);
        i = j - 1;
      } else if (c === 0x20 && spaceAsPlus) out += '+';
      else out += set[c] ? pct(c) : s[i];
    }
    return out;
  }

  const hexValue = (b) =>
    b >= 0x30 && b <= 0x39 ? b - 0x30 : (b | 0x20) >= 0x61 && (b | 0x20) <= 0x66 ? (b | 0x20) - 87 : -1;

  // String to bytes, turning each valid %XX into its byte.
  function percentDecode(s) {
    const bytes = utf8Encode(s);
    const out = new Uint8Array(bytes.length);
    let n = 0;
    for (let i = 0; i < bytes.length; i++) {
      const hi = bytes[i] === 0x25 && i + 2 < bytes.length ? hexValue(bytes[i + 1]) : -1;
      const lo = hi >= 0 ? hexValue(bytes[i + 2]) : -1;
      if (lo >= 0) {
        out[n++] = hi * 16 + lo;
        i += 2;
      } else out[n++] = bytes[i];
    }
    return out.subarray(0, n);
  }

  // USVString conversion: lone surrogates become U+FFFD.
  function toUSV(value) {
    const s = `${value}`;
    let out = '';
    let last = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if ((c & 0xf800) !== 0xd800) continue;
      if (c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
      else {
        out += `${s.slice(last, i)}\ufffd`;
        last = i + 1;
      }
    }
    return last === 0 ? s : out + s.slice(last);
  }

  const isAlpha = (c) =>
    c !== undefined && c.length === 1 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
  const isDigit = (c) => c !== undefined && c.length === 1 && c >= '0' && c <= '9';
  // One code point, percent-encoded if it is in `set` (the common ASCII case without a call).
  const encodeCodePoint = (c, set) =>
    c.length === 1 && c < '\x80' && !set[c.charCodeAt(0)] ? c : percentEncode(c, set);

  // ---- Hosts.
  const FORBIDDEN_HOST = /[\0\t\n\r #/:<>?@[\\\]^|]/;
  const FORBIDDEN_DOMAIN = /[\0-\x20#%/:<>?@[\\\]^|\x7f]/;

  function parseIPv4Number(s) {
    let radix = 10;
    if (s.length > 1 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X')) {
      s = s.slice(2);
      radix = 16;
    } else if (s.length > 1 && s[0] === '0') {
      s = s.slice(1);
      radix = 8;
    }
    if (s === '') return radix === 10 ? FAILURE : 0;
    const valid = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
    return valid.test(s) ? parseInt(s, radix) : FAILURE;
  }

  function endsInNumber(domain) {
    const parts = domain.split('.');
    if (parts[parts.length - 1] === '') {
      if (parts.length === 1) return false;
      parts.pop();
    }
    const last = parts[parts.length - 1];
    return /^[0-9]+$/.test(last) || (last !== '' && parseIPv4Number(last) !== FAILURE);
  }

  // Returns the dotted-decimal serialization, or FAILURE.
  function parseIPv4(domain) {
    const parts = domain.split('.');
    if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
    if (parts.length > 4) return FAILURE;
    const numbers = parts.map(parseIPv4Number);
    if (numbers.includes(FAILURE)) return FAILURE;
    const last = numbers.pop();
    if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) return FAILURE;
    let address = last;
    numbers.forEach((n, i) => {
      address += n * 256 ** (3 - i);
    });
    const octets = [];
    for (let i = 3; i >= 0; i--) octets.push(Math.floor(address / 256 ** i) % 256);
    return octets.join('.');
  }

  // Returns the 8 pieces of an IPv6 address, or FAILURE (the standard's IPv6 parser).
  function parseIPv6(input) {
    const address = [0, 0, 0, 0, 0, 0, 0, 0];
    let piece = 0;
    let compress = null;
    let p = 0;
    const isHex = (ch) => ch !== undefined && /[0-9a-fA-F]/.test(ch);
    if (input[0] === ':') {
      if (input[1] !== ':') return FAILURE;
      p = 2;
      compress = ++piece;
    }
    while (p < input.length) {
      if (piece === 8) return FAILURE;
      if (input[p] === ':') {
        if (compress !== null) return FAILURE;
        p++;
        compress = ++piece;
        continue;
      }
      let value = 0;
      let length = 0;
      while (length < 4 && isHex(input[p])) {
        value = value * 16 + parseInt(input[p++], 16);
        length++;
      }
      if (input[p] === '.') {
        // An embedded IPv4 address fills the last two pieces.
        if (length === 0 || piece > 6) return FAILURE;
        p -= length;
        let numbersSeen = 0;
        while (p < input.length) {
          if (numbersSeen > 0) {
            if (input[p] !== '.' || numbersSeen >= 4) return FAILURE;
            p++;
          }
          if (!isDigit(input[p])) return FAILURE;
          let octet = null;
          while (isDigit(input[p])) {
            const digit = +input[p++];
            if (octet === 0) return FAILURE; // no leading zeros
            octet = octet === null ? digit : octet * 10 + digit;
            if (octet > 255) return FAILURE;
          }
          address[piece] = address[piece] * 0x100 + octet;
          if (++numbersSeen === 2 || numbersSeen === 4) piece++;
        }
        if (numbersSeen !== 4) return FAILURE;
        break;
      }
      if (input[p] === ':') {
        if (++p >= input.length) return FAILURE;
      } else if (p < input.length) return FAILURE;
      address[piece++] = value;
    }
    if (compress !== null) {
      // Move the pieces after the '::' to the end.
      let swaps = piece - compress;
      for (let i = 7; i !== 0 && swaps > 0; i--, swaps--) {
        const j = compress + swaps - 1;
        [address[i], address[j]] = [address[j], address[i]];
      }
    } else if (piece !== 8) return FAILURE;
    return address;
  }

  function serializeIPv6(address) {
    // The first longest run of two or more zero pieces becomes '::'.
    let best = -1;
    let bestLength = 1;
    for (let i = 0; i < 8; ) {
      let j = i;
      while (j < 8 && address[j] === 0) j++;
      if (j - i > bestLength) {
        best = i;
        bestLength = j - i;
      }
      i = j === i ? i + 1 : j;
    }
    let out = '';
    for (let i = 0; i < 8; i++) {
      if (i === best) {
        out += i === 0 ? '::' : ':';
        i += bestLength - 1;
      } else out += address[i].toString(16) + (i < 7 ? ':' : '');
    }
    return out;
  }

  // RFC 3492 punycode encoding of one label (an array of code points).
  function punycode(codePoints) {
    const adapt = (delta, count, first) => {
      delta = first ? Math.floor(delta / 700) : delta >> 1;
      delta += Math.floor(delta / count);
      let k = 0;
      for (; delta > 455; k += 36) delta = Math.floor(delta / 35);
      return k + Math.floor((36 * delta) / (delta + 38));
    };
    const digit = (d) => String.fromCharCode(d < 26 ? 97 + d : 22 + d);
    let out = '';
    for (const c of codePoints) if (c < 0x80) out += String.fromCharCode(c);
    const basic = out.length;
    if (basic > 0) out += '-';
    let n = 128;
    let delta = 0;
    let bias = 72;
    for (let handled = basic; handled < codePoints.length; n++, delta++) {
      const next = Math.min(...codePoints.filter((c) => c >= n));
      delta += (next - n) * (handled + 1);
      n = next;
      for (const c of codePoints) {
        if (c < n) delta++;
        if (c !== n) continue;
        let q = delta;
        for (let k = 36; ; k += 36) {
          const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
          if (q < t) break;
          out += digit(t + ((q - t) % (36 - t)));
          q = Math.floor((q - t) / (36 - t));
        }
        out += digit(q);
        bias = adapt(delta, handled + 1, handled === basic);
        delta = 0;
        handled++;
      }
    }
    return out;
  }

  function domainToASCII(domain) {
    if (!/[^\0-\x7f]/.test(domain)) return domain.toLowerCase();
    const mapped = domain
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[\u3002\uff0e\uff61]/g, '.')
      .replace(/\u00ad|\u034f|[\u180b-\u180d]|\u200b|\u2060|[\ufe00-\ufe0f]|\ufeff/g, '');
    // Joiners, bidi controls and C1 controls are not valid in a hostname.
    if (/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]|\u200c|\u200d/.test(mapped)) return '';
    const labels = mapped.split('.').map((label) => {
      if (!/[^\0-\x7f]/.test(label)) return label;
      const codePoints = [];
      for (const ch of label) codePoints.push(ch.codePointAt(0));
      return `xn--${punycode(codePoints)}`;
    });
    return labels.join('.');
  }

  // The host parser: returns the serialized host or FAILURE.
  function parseHost(input, isOpaque) {
    if (input[0] === '[') {
      if (input[input.length - 1] !== ']') return FAILURE;
      const address = parseIPv6(input.slice(1, -1));
      return address === FAILURE ? FAILURE : `[${serializeIPv6(address)}]`;
    }
    if (isOpaque) return FORBIDDEN_HOST.test(input) ? FAILURE : percentEncode(input, C0_SET);
    const ascii = domainToASCII(input.includes('%') ? utf8Decode(percentDecode(input)) : input);
    if (ascii === '' || FORBIDDEN_DOMAIN.test(ascii)) return FAILURE;
    return endsInNumber(ascii) ? parseIPv4(ascii) : ascii;
  }

  // ---- The basic URL parser. A URL record is
  // { scheme, username, password, host (string or null), port (number or null),
  //   path (array of segments, or a string when the path is opaque), query, fragment }.
  const SCHEME_START = 1;
  const SCHEME = 2;
  const NO_SCHEME = 3;
  const SPECIAL_RELATIVE_OR_AUTHORITY = 4;
  const PATH_OR_AUTHORITY = 5;
  const RELATIVE = 6;
  const RELATIVE_SLASH = 7;
  const SPECIAL_AUTHORITY_SLASHES = 8;
  const SPECIAL_AUTHORITY_IGNORE_SLASHES = 9;
  const AUTHORITY = 10;
  const HOST = 11;
  const HOSTNAME = 12;
  const PORT = 13;
  const FILE = 14;
  const FILE_SLASH = 15;
  const FILE_HOST = 16;
  const PATH_START = 17;
  const PATH = 18;
  const OPAQUE_PATH = 19;
  const QUERY = 20;
  const FRAGMENT = 21;

  // Splits into code points, dropping ASCII tab and newline as the parser does.
  function codePoints(s) {
    if (!/[\t\n\r\ud800-\udfff]/.test(s)) return s.split('');
    const out = [];
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 9 || c === 10 || c === 13) continue;
      const pair = c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      out.push(pair ? s.slice(i, ++i + 1) : s[i]);
    }
    return out;
  }

  const isDriveLetter = (s) => s.length === 2 && isAlpha(s[0]) && (s[1] === ':' || s[1] === '|');
  const isNormalizedDriveLetter = (s) => s !== undefined && isDriveLetter(s) && s[1] === ':';
  const startsWithDriveLetter = (cps, p) =>
    cps.length - p >= 2 &&
    isDriveLetter(cps[p] + cps[p + 1]) &&
    (cps.length - p === 2 || '/\\?#'.includes(cps[p + 2]));
  const isSingleDot = (s) => s === '.' || s.toLowerCase() === '%2e';
  const isDoubleDot = (s) => ['..', '.%2e', '%2e.', '%2e%2e'].includes(s.toLowerCase());
  const hasCredentials = (url) => url.username !== '' || url.password !== '';
  const isOpaquePath = (url) => typeof url.path === 'string';

  function shortenPath(url) {
    const path = url.path;
    if (url.scheme === 'file' && path.length === 1 && isNormalizedDriveLetter(path[0])) return;
    path.pop();
  }

  // `base` is a URL record or null. With `url` and `override` (a state), this is the setter mode of the
  // standard: it edits `url` in place and its result is ignored.
  function parseURL(input, base, url, override) {
    if (!url) {
      url = {
        scheme: '',
        username: '',
        password: '',
        host: null,
        port: null,
        path: [],
        query: null,
        fragment: null,
      };
      input = input.replace(/^[\0-\x20]+|[\0-\x20]+$/g, '');
    }
    const cps = codePoints(input);
    let state = override || SCHEME_START;
    let buffer = '';
    let atSignSeen = false;
    let insideBrackets = false;
    let passwordTokenSeen = false;
    for (let p = 0; ; p++) {
      const c = cps[p]; // undefined at the end of the input
      const special = isSpecial(url.scheme);
      // The characters that end an authority, host or port ('\' too for special schemes).
      const endsAuthority = c === undefined || c === '/' || c === '?' || c === '#' || (special && c === '\\');
      switch (state) {
        case SCHEME_START:
          if (isAlpha(c)) {
            buffer += c.toLowerCase();
            state = SCHEME;
          } else if (!override) {
            state = NO_SCHEME;
            p--;
          } else return FAILURE;
          break;

        case SCHEME:
          if (isAlpha(c) || isDigit(c) || c === '+' || c === '-' || c === '.') buffer += c.toLowerCase();
          else if (c === ':') {
            if (override) {
              if (isSpecial(url.scheme) !== isSpecial(buffer)) return url;
              if ((hasCredentials(url) || url.port !== null) && buffer === 'file') return url;
              if (url.scheme === 'file' && url.host === '') return url;
            }
            url.scheme = buffer;
            if (override) {
              if (url.port === specialPorts[url.scheme]) url.port = null;
              return url;
            }
            buffer = '';
            if (url.scheme === 'file') state = FILE;
            else if (isSpecial(url.scheme) && base && base.scheme === url.scheme) {
              state = SPECIAL_RELATIVE_OR_AUTHORITY;
            } else if (isSpecial(url.scheme)) state = SPECIAL_AUTHORITY_SLASHES;
            else if (cps[p + 1] === '/') {
              state = PATH_OR_AUTHORITY;
              p++;
            } else {
              url.path = '';
              state = OPAQUE_PATH;
            }
          } else if (!override) {
            buffer = '';
            state = NO_SCHEME;
            p = -1; // start over
          } else return FAILURE;
          break;

        case NO_SCHEME:
          if (!base || (isOpaquePath(base) && c !== '#')) return FAILURE;
          if (isOpaquePath(base)) {
            url.scheme = base.scheme;
            url.path = base.path;
            url.query = base.query;
            url.fragment = '';
            state = FRAGMENT;
          } else {
            state = base.scheme === 'file' ? FILE : RELATIVE;
            p--;
          }
          break;

        case SPECIAL_RELATIVE_OR_AUTHORITY:
        case SPECIAL_AUTHORITY_SLASHES:
          if (c === '/' && cps[p + 1] === '/') {
            state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
            p++;
          } else {
            state = state === SPECIAL_AUTHORITY_SLASHES ? SPECIAL_AUTHORITY_IGNORE_SLASHES : RELATIVE;
            p--;
          }
          break;

        case PATH_OR_AUTHORITY:
          if (c === '/') state = AUTHORITY;
          else {
            state = PATH;
            p--;
          }
          break;

        case RELATIVE:
          url.scheme = base.scheme;
          if (c === '/' || (isSpecial(url.scheme) && c === '\\')) state = RELATIVE_SLASH;
          else {
            url.username = base.username;
            url.password = base.password;
            url.host = base.host;
            url.port = base.port;
            url.path = base.path.slice();
            url.query = base.query;
            if (c === '?') {
              url.query = '';
              state = QUERY;
            } else if (c === '#') {
              url.fragment = '';
              state = FRAGMENT;
            } else if (c !== undefined) {
              url.query = null;
              shortenPath(url);
              state = PATH;
              p--;
            }
          }
          break;

        case RELATIVE_SLASH:
          if (special && (c === '/' || c === '\\')) state = SPECIAL_AUTHORITY_IGNORE_SLASHES;
          else if (c === '/') state = AUTHORITY;
          else {
            url.username = base.username;
            url.password = base.password;
            url.host = base.host;
            url.port = base.port;
            state = PATH;
            p--;
          }
          break;

        case SPECIAL_AUTHORITY_IGNORE_SLASHES:
          if (c !== '/' && c !== '\\') {
            state = AUTHORITY;
            p--;
          }
          break;

        case AUTHORITY:
          if (c === '@') {
            // Everything so far was userinfo (a second '@' belongs to it too).
            if (atSignSeen) buffer = `%40${buffer}`;
            atSignSeen = true;
            const colon = passwordTokenSeen ? -1 : buffer.indexOf(':');
            if (passwordTokenSeen) url.password += percentEncode(buffer, USERINFO_SET);
            else if (colon < 0) url.username += percentEncode(buffer, USERINFO_SET);
            else {
              passwordTokenSeen = true;
              url.username += percentEncode(buffer.slice(0, colon), USERINFO_SET);
              url.password += percentEncode(buffer.slice(colon + 1), USERINFO_SET);
            }
            buffer = '';
          } else if (endsAuthority) {
            if (atSignSeen && buffer === '') return FAILURE;
            p -= codePoints(buffer).length + 1; // reparse the buffer as the host
            buffer = '';
            state = HOST;
          } else buffer += c;
          break;

        case HOST:
        case HOSTNAME:
          if (override && url.scheme === 'file') {
            p--;
            state = FILE_HOST;
          } else if (c === ':' && !insideBrackets) {
            if (buffer === '' || override === HOSTNAME) return FAILURE;
            const host = parseHost(buffer, !special);
            if (host === FAILURE) return FAILURE;
            url.host = host;
            buffer = '';
            state = PORT;
          } else if (endsAuthority) {
            p--;
            if (special && buffer === '') return FAILURE;
            if (override && buffer === '' && (hasCredentials(url) || url.port !== null)) return FAILURE;
            const host = parseHost(buffer, !special);
            if (host === FAILURE) return FAILURE;
            url.host = host;
            buffer = '';
            state = PATH_START;
            if (override) return url;
          } else {
            if (c === '[') insideBrackets = true;
            if (c === ']') insideBrackets = false;
            buffer += c;
          }
          break;

        case PORT:
          if (isDigit(c)) buffer += c;
          else if (endsAuthority || override) {
            if (buffer !== '') {
              const port = parseInt(buffer, 10);
              if (port > 65535) return FAILURE;
              url.port = port === specialPorts[url.scheme] ? null : port;
              buffer = '';
              if (override) return url;
            }
            if (override) return FAILURE;
            state = PATH_START;
            p--;
          } else return FAILURE;
          break;

        case FILE:
          url.scheme = 'file';
          url.host = '';
          if (c === '/' || c === '\\') state = FILE_SLASH;
          else if (base && base.scheme === 'file') {
            url.host = base.host;
            url.path = base.path.slice();
            url.query = base.query;
            if (c === '?') {
              url.query = '';
              state = QUERY;
            } else if (c === '#') {
              url.fragment = '';
              state = FRAGMENT;
            } else if (c !== undefined) {
              url.query = null;
              if (!startsWithDriveLetter(cps, p)) shortenPath(url);
              else url.path = [];
              state = PATH;
              p--;
            }
          } else {
            state = PATH;
            p--;
          }
          break;

        case FILE_SLASH:
          if (c === '/' || c === '\\') state = FILE_HOST;
          else {
            if (base && base.scheme === 'file') {
              url.host = base.host;
              if (!startsWithDriveLetter(cps, p) && isNormalizedDriveLetter(base.path[0])) {
                url.path.push(base.path[0]);
              }
            }
            state = PATH;
            p--;
          }
          break;

        case FILE_HOST:
          if (c === undefined || c === '/' || c === '\\' || c === '?' || c === '#') {
            p--;
            if (!override && isDriveLetter(buffer)) {
              state = PATH; // the buffer is the first path segment (e.g. file://C:/)
            } else if (buffer === '') {
              url.host = '';
              if (override) return url;
              state = PATH_START;
            } else {
              const host = parseHost(buffer, false);
              if (host === FAILURE) return FAILURE;
              url.host = host === 'localhost' ? '' : host;
              if (override) return url;
              buffer = '';
              state = PATH_START;
            }
          } else buffer += c;
          break;

        case PATH_START:
          if (special) {
            state = PATH;
            if (c !== '/' && c !== '\\') p--;
          } else if (!override && c === '?') {
            url.query = '';
            state = QUERY;
          } else if (!override && c === '#') {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c !== undefined) {
            state = PATH;
            if (c !== '/') p--;
          } else if (override && url.host === null) url.path.push('');
          break;

        case PATH: {
          const slash = c === '/' || (special && c === '\\');
          if (c === undefined || slash || (!override && (c === '?' || c === '#'))) {
            if (isDoubleDot(buffer)) {
              shortenPath(url);
              if (!slash) url.path.push('');
            } else if (isSingleDot(buffer)) {
              if (!slash) url.path.push('');
            } else {
              if (url.scheme === 'file' && url.path.length === 0 && isDriveLetter(buffer))
                buffer = `${buffer[0]}:`;
              url.path.push(buffer);
            }
            buffer = '';
            if (c === '?') {
              url.query = '';
              state = QUERY;
            } else if (c === '#') {
              url.fragment = '';
              state = FRAGMENT;
            }
          } else buffer += encodeCodePoint(c, PATH_SET);
          break;
        }

        case OPAQUE_PATH:
          if (c === '?') {
            url.query = '';
            state = QUERY;
          } else if (c === '#') {
            url.fragment = '';
            state = FRAGMENT;
          } else if (c !== undefined) url.path += encodeCodePoint(c, C0_SET);
          break;

        case QUERY:
          if (c === undefined || (!override && c === '#')) {
            url.query += percentEncode(buffer, special ? SPECIAL_QUERY_SET : QUERY_SET);
            buffer = '';
            if (c === '#') {
              url.fragment = '';
              state = FRAGMENT;
            }
          } else buffer += c;
          break;

        case FRAGMENT:
          if (c !== undefined) url.fragment += encodeCodePoint(c, FRAGMENT_SET);
          break;
      }
      if (p >= cps.length) return url;
    }
  }

  const pathString = (url) =>
    isOpaquePath(url) ? url.path : url.path.map((segment) => `/${segment}`).join('');

  function serializeURL(url) {
    let out = `${url.scheme}:`;
    if (url.host !== null) {
      out += '//';
      if (hasCredentials(url)) out += `${url.username}${url.password !== '' ? `:${url.password}` : ''}@`;
      out += url.host + (url.port !== null ? `:${url.port}` : '');
    } else if (!isOpaquePath(url) && url.path.length > 1 && url.path[0] === '') out += '/.';
    out += pathString(url);
    if (url.query !== null) out += `?${url.query}`;
    if (url.fragment !== null) out += `#${url.fragment}`;
    return out;
  }

  function serializeOrigin(url) {
    if (url.scheme === 'blob') {
      const inner = parseURL(pathString(url), null);
      return inner !== FAILURE && (inner.scheme === 'http' || inner.scheme === 'https')
        ? serializeOrigin(inner)
        : 'null';
    }
    if (!isSpecial(url.scheme) || url.scheme === 'file') return 'null';
    return `${url.scheme}://${url.host}${url.port !== null ? `:${url.port}` : ''}`;
  }

  // Once the query and fragment are gone, an opaque path loses its trailing spaces.
  function stripTrailingSpaces(url) {
    if (isOpaquePath(url) && url.fragment === null && url.query === null)
      url.path = url.path.replace(/ +$/, '');
  }

  function invalidURL(input, base) {
    const error = new TypeError('Invalid URL');
    error.code = 'ERR_INVALID_URL';
    error.input = input;
    if (base !== undefined) error.base = base;
    return error;
  }

  // ---- application/x-www-form-urlencoded
  const decodeForm = (s) => {
    const spaced = s.includes('+') ? s.replace(/\+/g, ' ') : s;
    return spaced.includes('%') ? utf8Decode(percentDecode(spaced)) : spaced;
  };

  function parseForm(input) {
    const list = [];
    for (const part of input.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      list.push(
        eq < 0 ? [decodeForm(part), ''] : [decodeForm(part.slice(0, eq)), decodeForm(part.slice(eq + 1))],
      );
    }
    return list;
  }

  const serializeForm = (list) =>
    list
      .map(
        ([name, value]) => `${percentEncode(name, FORM_SET, true)}=${percentEncode(value, FORM_SET, true)}`,
      )
      .join('&');

  // Access to the private state of the other class, set up by the static blocks below.
  let attachParams; // (params, urlObject, query) => void
  let setQueryFromParams; // (urlObject, query or null) => void

  class URLSearchParams {
    #list = [];
    #url = null; // the URL object whose query this reflects

    constructor(init = '') {
      if (init !== null && (typeof init === 'object' || typeof init === 'function')) {
        const method = init[Symbol.iterator];
        if (method !== undefined && method !== null) {
          if (typeof method !== 'function') throw new TypeError('Query pairs must be iterable');
          for (const pair of init) {
            const items = pair !== null && typeof pair === 'object' ? [...pair] : [];
            if (items.length !== 2)
              throw new TypeError('Each query pair must be an iterable [name, value] tuple');
            this.#list.push([toUSV(items[0]), toUSV(items[1])]);
          }
        } else {
          for (const key of Reflect.ownKeys(init)) {
            const desc = Reflect.getOwnPropertyDescriptor(init, key);
            if (desc?.enumerable) this.#list.push([toUSV(key), toUSV(init[key])]);
          }
        }
      } else {
        const s = toUSV(init);
        this.#list = parseForm(s[0] === '?' ? s.slice(1) : s);
      }
    }

    static {
      attachParams = (params, url, query) => {
        params.#url = url;
        params.#list = query ? parseForm(query) : [];
      };
    }

    #update() {
      if (this.#url === null) return;
      const query = serializeForm(this.#list);
      setQueryFromParams(this.#url, query === '' ? null : query);
    }

    get size() {
      return this.#list.length;
    }
    append(name, value) {
      this.#list.push([toUSV(name), toUSV(value)]);
      this.#update();
    }
    delete(name, value = undefined) {
      name = toUSV(name);
      value = value === undefined ? undefined : toUSV(value);
      this.#list = this.#list.filter(
        (pair) => pair[0] !== name || (value !== undefined && pair[1] !== value),
      );
      this.#update();
    }
    get(name) {
      name = toUSV(name);
      const pair = this.#list.find((p) => p[0] === name);
      return pair === undefined ? null : pair[1];
    }
    getAll(name) {
      name = toUSV(name);
      return this.#list.filter((p) => p[0] === name).map((p) => p[1]);
    }
    has(name, value = undefined) {
      name = toUSV(name);
      value = value === undefined ? undefined : toUSV(value);
      return this.#list.some((p) => p[0] === name && (value === undefined || p[1] === value));
    }
    set(name, value) {
      name = toUSV(name);
      value = toUSV(value);
      const index = this.#list.findIndex((p) => p[0] === name);
      if (index < 0) this.#list.push([name, value]);
      else {
        this.#list[index][1] = value;
        this.#list = this.#list.filter((p, i) => i <= index || p[0] !== name);
      }
      this.#update();
    }
    sort() {
      // Array.prototype.sort is stable; '<' compares strings by UTF-16 code units.
      this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.#update();
    }
    toString() {
      return serializeForm(this.#list);
    }
    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function')
        throw new TypeError('The "callback" argument must be of type function');
      for (let i = 0; i < this.#list.length; i++) {
        const [name, value] = this.#list[i];
        Reflect.apply(callback, thisArg, [value, name, this]);
      }
    }
    // The iterators are live: they see pairs added while iterating.
    *entries() {
      for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]];
    }
    *keys() {
      for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0];
    }
    *values() {
      for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1];
    }
    [Symbol.iterator]() {
      return this.entries();
    }

    // Printed like Node: URLSearchParams { 'a' => '1' }.
    [inspectCustom](depth, options, inspect) {
      if (typeof depth === 'number' && depth < 0) return '[Object]';
      const inner = { ...options, depth: typeof depth === 'number' ? depth - 1 : depth };
      const show = (s) => (typeof inspect === 'function' ? inspect(s, inner) : `'${s}'`);
      const entries = this.#list.map(([name, value]) => `${show(name)} => ${show(value)}`);
      const name = this.constructor.name;
      const length = entries.reduce((sum, entry) => sum + entry.length + 2, -2);
      if (length > (options?.breakLength ?? 80)) return `${name} {\n  ${entries.join(',\n  ')} }`;
      return entries.length ? `${name} { ${entries.join(', ')} }` : `${name} {}`;
    }
  }

  class URL {
    #url;
    #params = new URLSearchParams();

    constructor(url, base = undefined) {
      const input = toUSV(url);
      let baseRecord = null;
      if (base !== undefined) {
        baseRecord = parseURL(toUSV(base), null);
        if (baseRecord === FAILURE) throw invalidURL(input, `${base}`);
      }
      const record = parseURL(input, baseRecord);
      if (record === FAILURE) throw invalidURL(input, base === undefined ? undefined : `${base}`);
      this.#url = record;
      attachParams(this.#params, this, record.query);
    }

    static {
      setQueryFromParams = (self, query) => {
        self.#url.query = query;
        if (query === null) stripTrailingSpaces(self.#url);
      };
    }

    static canParse(url, base = undefined) {
      try {
        new URL(url, base);
        return true;
      } catch {
        return false;
      }
    }
    static parse(url, base = undefined) {
      try {
        return new URL(url, base);
      } catch {
        return null;
      }
    }

    get href() {
      return serializeURL(this.#url);
    }
    set href(value) {
      const input = toUSV(value);
      const record = parseURL(input, null);
      if (record === FAILURE) throw invalidURL(input);
      this.#url = record;
      attachParams(this.#params, this, record.query);
    }
    get origin() {
      return serializeOrigin(this.#url);
    }
    get protocol() {
      return `${this.#url.scheme}:`;
    }
    set protocol(value) {
      parseURL(`${toUSV(value)}:`, null, this.#url, SCHEME_START);
    }
    get username() {
      return this.#url.username;
    }
    set username(value) {
      if (this.#cannotHaveCredentials()) return;
      this.#url.username = percentEncode(toUSV(value), USERINFO_SET);
    }
    get password() {
      return this.#url.password;
    }
    set password(value) {
      if (this.#cannotHaveCredentials()) return;
      this.#url.password = percentEncode(toUSV(value), USERINFO_SET);
    }
    #cannotHaveCredentials() {
      const url = this.#url;
      return url.host === null || url.host === '' || url.scheme === 'file';
    }
    get host() {
      const url = this.#url;
      if (url.host === null) return '';
      return url.port === null ? url.host : `${url.host}:${url.port}`;
    }
    set host(value) {
      if (!isOpaquePath(this.#url)) parseURL(toUSV(value), null, this.#url, HOST);
    }
    get hostname() {
      return this.#url.host ?? '';
    }
    set hostname(value) {
      if (!isOpaquePath(this.#url)) parseURL(toUSV(value), null, this.#url, HOSTNAME);
    }
    get port() {
      return this.#url.port === null ? '' : `${this.#url.port}`;
    }
    set port(value) {
      if (this.#cannotHaveCredentials()) return;
      const input = toUSV(value);
      if (input === '') this.#url.port = null;
      else parseURL(input, null, this.#url, PORT);
    }
    get pathname() {
      return pathString(this.#url);
    }
    set pathname(value) {
      if (isOpaquePath(this.#url)) return;
      this.#url.path = [];
      parseURL(toUSV(value), null, this.#url, PATH_START);
    }
    get search() {
      const query = this.#url.query;
      return query === null || query === '' ? '' : `?${query}`;
    }
    set search(value) {
      const url = this.#url;
      let input = toUSV(value);
      if (input === '') {
        url.query = null;
        stripTrailingSpaces(url);
      } else {
        if (input[0] === '?') input = input.slice(1);
        url.query = '';
        parseURL(input, null, url, QUERY);
      }
      attachParams(this.#params, this, input);
    }
    get searchParams() {
      return this.#params;
    }
    get hash() {
      const fragment = this.#url.fragment;
      return fragment === null || fragment === '' ? '' : `#${fragment}`;
    }
    set hash(value) {
      const url = this.#url;
      let input = toUSV(value);
      if (input === '') {
        url.fragment = null;
        stripTrailingSpaces(url);
        return;
      }
      if (input[0] === '#') input = input.slice(1);
      url.fragment = '';
      parseURL(input, null, url, FRAGMENT);
    }
    toString() {
      return serializeURL(this.#url);
    }
    toJSON() {
      return serializeURL(this.#url);
    }

    // Printed like Node: URL { href: ..., origin: ..., ..., hash: '' }.
    [inspectCustom](depth, options, inspect) {
      if ((typeof depth === 'number' && depth < 0) || typeof inspect !== 'function') return this;
      const fields = {};
      for (const key of ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port']) {
        fields[key] = this[key];
      }
      Object.assign(fields, {
        pathname: this.pathname,
        search: this.search,
        searchParams: this.#params,
        hash: this.hash,
      });
      return `${this.constructor.name} ${inspect(fields, options)}`;
    }
  }

  for (const cls of [URL, URLSearchParams]) {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });
    defineGlobal(cls.name, cls);
  }
}
