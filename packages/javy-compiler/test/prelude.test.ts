// The engine prelude (engine/prelude/*.js) evaluated in a fresh node:vm context, compared with Node itself.
// A vm context has only the JavaScript built-ins; the prelude needs `performance` (timers, Event.timeStamp,
// console.time) and `DOMException` (structuredClone, AbortSignal, crypto), which are passed in from this
// realm. The host is a fake that records writes and returns deterministic random numbers.

import { Console } from 'node:console';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import util from 'node:util';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

const preludeDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'engine', 'prelude');
const preludeFiles = readdirSync(preludeDir)
  .filter((name) => name.endsWith('.js'))
  .sort();
const preludeSource = `(function (host) { 'use strict'; ${preludeFiles
  .map((name) => readFileSync(join(preludeDir, name), 'utf8'))
  .join('\n')}\n})`;

interface Host {
  write(fd: number, text: string): void;
  result(text: string): void;
  random32(): number;
  randomBytes(n: number): Uint8Array;
  /** The engine reports promise states; a vm realm cannot, so every promise prints as pending. */
  promiseState(p: unknown): number | undefined;
  promiseResult(p: unknown): unknown;
}

/** A host that records what is written and draws deterministic "random" numbers. */
function fakeHost(writes: [number, string][] = []): Host {
  let seed = 1;
  const random32 = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  return {
    write: (fd, text) => {
      writes.push([fd, text]);
    },
    result: (text) => {
      writes.push([3, text]);
    },
    random32,
    randomBytes: (n) => Uint8Array.from({ length: n }, () => random32() & 0xff),
    promiseState: () => undefined,
    promiseResult: () => undefined,
  };
}

interface Sandbox {
  context: vm.Context;
  run(code: string): unknown;
  /** Output written so far to `fd` (1 or 2), which is then cleared. */
  take(fd: number): string;
  /** Runs console[method](...args) in the sandbox and returns what it wrote to `fd`, without the last newline. */
  console(method: string, args: unknown[], fd?: number): string;
}

function createSandbox(globals: Record<string, unknown> = {}): Sandbox {
  const writes: [number, string][] = [];
  const context = vm.createContext({ performance, DOMException, ...globals });
  const install = vm.runInContext(preludeSource, context, { filename: 'prelude.js' }) as (host: Host) => void;
  install(fakeHost(writes));
  const sandbox: Sandbox = {
    context,
    run: (code) => vm.runInContext(code, context),
    take(fd) {
      let text = '';
      for (let i = 0; i < writes.length; ) {
        const write = writes[i]!;
        if (write[0] === fd) {
          text += write[1];
          writes.splice(i, 1);
        } else i++;
      }
      return text;
    },
    console(method, args, fd = 1) {
      context.__args = args;
      vm.runInContext(`console.${method}(...globalThis.__args)`, context);
      return sandbox.take(fd).replace(/\n$/, '');
    },
  };
  return sandbox;
}

/** A Node console writing into strings. */
function nodeConsole() {
  const out = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr') =>
    new Writable({
      write(chunk, _encoding, done) {
        out[key] += String(chunk);
        done();
      },
    });
  const console = new Console({ stdout: sink('stdout'), stderr: sink('stderr'), colorMode: false });
  return { console, out };
}

/** The cases where `mine` differs from `theirs`, as [case, mine, theirs]: expected to be none. */
function mismatches<T>(cases: readonly T[], mine: (c: T) => unknown, theirs: (c: T) => unknown): unknown[][] {
  const out: unknown[][] = [];
  for (const c of cases) {
    const a = mine(c);
    const b = theirs(c);
    if (!util.isDeepStrictEqual(a, b)) out.push([c, a, b]);
  }
  return out;
}

const errorName = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as Error).name;
  }
};

describe('prelude', () => {
  it('is a set of files evaluated in order in one function scope', () => {
    expect(preludeFiles.slice(0, 1)).toEqual(['00-base.js']);
    expect(preludeFiles).toEqual(
      expect.arrayContaining(['20-encoding.js', '21-url.js', '30-inspect.js', '40-console.js']),
    );
    const sandbox = createSandbox();
    const globals = sandbox.run(
      `['TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'structuredClone', 'Event', 'CustomEvent',
        'EventTarget', 'AbortController', 'AbortSignal', 'console']
        .map((name) => [name, typeof globalThis[name], Object.getOwnPropertyDescriptor(globalThis, name).enumerable].join())`,
    ) as string[];
    expect([...globals]).toEqual([
      'TextEncoder,function,false',
      'TextDecoder,function,false',
      'URL,function,false',
      'URLSearchParams,function,false',
      'structuredClone,function,false',
      'Event,function,false',
      'CustomEvent,function,false',
      'EventTarget,function,false',
      'AbortController,function,false',
      'AbortSignal,function,false',
      'console,object,false',
    ]);
    // Nothing else leaks to the global object.
    expect(
      sandbox.run(
        'Object.getOwnPropertyNames(globalThis).filter((n) => /inspect|formatLog|utf8/.test(n)).length',
      ),
    ).toBe(0);
  });

  it('keeps working when user code replaces built-in methods afterwards', () => {
    const sandbox = createSandbox();
    sandbox.run(`
      Object.keys = () => []; Array.prototype.join = () => 'x'; Map.prototype.entries = null;
      Date.prototype.toISOString = () => 'fake'; JSON.stringify = () => 'fake';`);
    expect(sandbox.console('log', [sandbox.run('[{ a: 1 }, new Map([[1, 2]]), new Date(0)]'), '%j'])).toBe(
      '[ { a: 1 }, Map(1) { 1 => 2 }, 1970-01-01T00:00:00.000Z ] %j',
    );
  });
});

describe('TextEncoder and TextDecoder', () => {
  const sandbox = createSandbox();
  const vmEncoder = sandbox.run('new TextEncoder()') as TextEncoder;
  const strings = [
    '',
    'abc',
    'héllo',
    '€uro',
    '😀 smile',
    '\ud800',
    'a\udc00b',
    '\ud83d\ude00\ud83d',
    'x'.repeat(300),
  ];

  it.each(strings)('encodes %j like Node', (input) => {
    expect(Array.from(vmEncoder.encode(input))).toEqual(Array.from(new TextEncoder().encode(input)));
    expect(vmEncoder.encoding).toBe('utf-8');
  });

  it('encodeInto stops before a code point that does not fit', () => {
    for (const input of ['a€😀b', '\ud800x', 'abc']) {
      for (let size = 0; size <= 10; size++) {
        const mine = sandbox.run(`new Uint8Array(${size})`) as Uint8Array;
        const theirs = new Uint8Array(size);
        const a = vmEncoder.encodeInto(input, mine);
        const b = new TextEncoder().encodeInto(input, theirs);
        expect({ read: a.read, written: a.written, bytes: Array.from(mine) }).toEqual({
          read: b.read,
          written: b.written,
          bytes: Array.from(theirs),
        });
      }
    }
  });

  const byteCases = [
    [],
    [0x41],
    [0xef, 0xbb, 0xbf, 0x41],
    [0xef, 0xbb, 0xbf],
    [0x61, 0xef, 0xbb, 0xbf, 0x62],
    [0xc3, 0xa9],
    [0xe2, 0x82, 0xac],
    [0xf0, 0x9f, 0x98, 0x80],
    [0x80],
    [0xbf, 0x41],
    [0xc0, 0x80],
    [0xc1, 0xbf],
    [0xc2],
    [0xc2, 0x41],
    [0xe0, 0x80, 0x80],
    [0xe0, 0xa0],
    [0xe0, 0xa0, 0x41],
    [0xed, 0xa0, 0x80],
    [0xed, 0x9f, 0xbf],
    [0xf0, 0x80, 0x80, 0x80],
    [0xf0, 0x90, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xf4, 0x8f, 0xbf, 0xbf],
    [0xf5, 0x80],
    [0xff, 0xfe, 0x41, 0x00],
    [0xfe, 0xff, 0x00, 0x41],
    [0x41, 0xf0, 0x9f, 0x98],
    [0xe2, 0x28, 0xa1],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0x00, 0xd8, 0x00, 0xdc],
    [0x00, 0xdc, 0x41, 0x00],
    [0x3d, 0xd8, 0x41],
    [0x80, 0x9f, 0xa0, 0xff],
  ];
  const decoderOptions: [string, TextDecoderOptions][] = [
    ['utf-8', {}],
    ['utf-8', { fatal: true }],
    ['utf8', { ignoreBOM: true }],
    ['utf-16le', {}],
    ['utf-16le', { fatal: true }],
    ['utf-16be', { ignoreBOM: true }],
    ['latin1', {}],
    ['ascii', {}],
  ];
  const decodeWith = (
    Decoder: typeof TextDecoder,
    label: string,
    options: TextDecoderOptions,
    bytes: number[],
  ) => {
    try {
      return new Decoder(label, options).decode(new Uint8Array(bytes));
    } catch (error) {
      return `throws ${(error as Error).name}`;
    }
  };
  const VmDecoder = sandbox.run('TextDecoder') as typeof TextDecoder;

  it.each(decoderOptions)('decodes like Node with %s %j', (label, options) => {
    for (const bytes of byteCases) {
      expect([bytes, decodeWith(VmDecoder, label, options, bytes)]).toEqual([
        bytes,
        decodeWith(TextDecoder, label, options, bytes),
      ]);
    }
  });

  it('decodes streams split anywhere like Node', () => {
    const inputs = [
      [0xef, 0xbb, 0xbf, 0x68, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80, 0xe2, 0x82, 0xac, 0x41],
      [0xf0, 0x9f, 0x98, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0xe2, 0x82],
      [0xff, 0xfe, 0x3d, 0xd8, 0x00, 0xde, 0x41, 0x00, 0x00, 0xdc, 0x3d],
    ];
    for (const label of ['utf-8', 'utf-16le']) {
      for (const bytes of inputs) {
        for (const size of [1, 2, 3, 5]) {
          const decodeAll = (decoder: TextDecoder) => {
            let out = '';
            for (let i = 0; i < bytes.length; i += size) {
              out += decoder.decode(new Uint8Array(bytes.slice(i, i + size)), { stream: true });
            }
            return out + decoder.decode();
          };
          expect(decodeAll(new VmDecoder(label))).toBe(decodeAll(new TextDecoder(label)));
        }
      }
    }
  });

  it('accepts any BufferSource and reports its settings', () => {
    const result = sandbox.run(`
      const d = new TextDecoder(' UTF8 ', { fatal: 1 });
      const bytes = new TextEncoder().encode('xhéllo');
      [d.encoding, d.fatal, d.ignoreBOM, d.decode(), d.decode(bytes.buffer), d.decode(new DataView(bytes.buffer, 1)),
       d.decode(bytes.subarray(2)), new TextDecoder('unicode-1-1-utf-8').encoding, new TextDecoder('latin1').encoding,
       new TextDecoder('utf-16').encoding, String(new TextEncoder()), Object.prototype.toString.call(d)].join('|')`);
    expect(result).toBe(
      'utf-8|true|false||xhéllo|héllo|éllo|utf-8|windows-1252|utf-16le|[object TextEncoder]|[object TextDecoder]',
    );
    expect(errorName(() => sandbox.run('new TextDecoder("nope")'))).toBe('RangeError');
    expect(errorName(() => sandbox.run('new TextDecoder().decode("str")'))).toBe('TypeError');
    expect(
      errorName(() =>
        sandbox.run('new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xff]))'),
      ),
    ).toBe('TypeError');
  });

  it('prints encoders and decoders like Node', () => {
    expect(sandbox.console('log', [sandbox.run('new TextDecoder("utf-16le", { fatal: true })')])).toBe(
      util.inspect(new TextDecoder('utf-16le', { fatal: true })),
    );
    expect(sandbox.console('log', [sandbox.run('new TextEncoder()')])).toBe(util.inspect(new TextEncoder()));
  });
});

describe('URL', () => {
  const sandbox = createSandbox();
  const VmURL = sandbox.run('URL') as typeof URL;
  const components = [
    'href',
    'origin',
    'protocol',
    'username',
    'password',
    'host',
    'hostname',
    'port',
    'pathname',
    'search',
    'hash',
  ] as const;
  const describeURL = (url: URL) => [...components.map((key) => url[key]), url.searchParams.toString()];
  const parseWith = (Ctor: typeof URL, input: string, base?: string) => {
    try {
      return describeURL(base === undefined ? new Ctor(input) : new Ctor(input, base));
    } catch (error) {
      return `throws ${(error as Error).name}: ${(error as Error).message}`;
    }
  };

  const cases: [string, string?][] = [
    ['https://example.com'],
    ['HTTPS://EXAMPLE.COM:443/a/b?c=d#e'],
    ['http://example.com:80/'],
    ['http://example.com:8080/path'],
    ['HTTP://example.com:0080/'],
    ['ws://example.com:80/chat'],
    ['wss://example.com:443'],
    ['ftp://ftp.example.com:21/file.txt'],
    ['http://user:pass@host.com/'],
    ['http://user@host.com/'],
    ['http://:pass@host.com/'],
    ['http://us er:p@ss@host.com/'],
    ['http://a/b/c/./../../g'],
    ['http://a/b/c/d;p?q'],
    ['http://example.com/%7Efoo/bar baz^|{}`'],
    ['http://example.com/a%2e/b/%2E%2e/c'],
    ['http://example.com/?q=a b&x="y"&z=\'w\'&é=ü'],
    ['http://example.com/#frag ment`<>'],
    ['http://127.0.0.1/'],
    ['http://0x7f.1/'],
    ['http://2130706433/'],
    ['http://0300.0250.0.1/'],
    ['http://1.2.3./'],
    ['http://1.2.3.4.5/'],
    ['http://256.0.0.1/'],
    ['http://ab.99/'],
    ['http://[::1]/'],
    ['http://[2001:db8::1:0:0:1]:8080/'],
    ['http://[::ffff:192.168.0.1]/'],
    ['http://[1:2:3:4:5:6:7:8]/'],
    ['http://[1::]/'],
    ['http://[0:0:1:0:0:0:0:1]/'],
    ['http://[:1]/'],
    ['http://[::1/'],
    ['http://[1.2.3.4]/'],
    ['http://exa mple.com/'],
    ['http://exa<mple.com/'],
    ['http://%41.com/'],
    ['http://%zz/'],
    ['http://münchen.de/'],
    ['http://☃.net/'],
    ['http://ＡＢＣ.com/'],
    ['http://a\u00adb.com/'],
    ['http://a\u3002com/'],
    ['http://MÜNCHEN.de/'],
    ['http://faß.ExAmPlE/'],
    ['http://日本語.jp/'],
    ['http://ｅｘａｍｐｌｅ．ｃｏｍ/'],
    ['http://Ⅻ.com/'],
    ['http://%C3%BC.com/'],
    ['http://\u200d.com/'],
    ['http://%E2%80%AE.com/'],
    ['https://example.com./'],
    ['http:example.com/path'],
    ['http:/example.com/path'],
    ['http:\\\\example.com\\a\\b'],
    ['  http://example.com/trim  '],
    ['http://exa\tmple.com/\n'],
    ['file:///C:/Users/x/../y.txt'],
    ['file:///C:/../..'],
    ['file://localhost/etc/hosts'],
    ['file://host/share/file'],
    ['file:c|/x'],
    ['file:/tmp/a'],
    ['mailto:someone@example.com?subject=Hi there'],
    ['data:text/plain;base64,SGVsbG8='],
    ['data:text/html,<b>hi there</b>'],
    ['data:space   ?x'],
    ['blob:https://example.com/550e8400-e29b-41d4-a716-446655440000'],
    ['blob:ftp://x/y'],
    ['javascript:alert(1)'],
    ['urn:isbn:0451450523'],
    ["foo://user@host:99/p/a/t/h?q='#f"],
    ['foo://host/a/../b'],
    ['foo:/a/../b'],
    ['foo:///x'],
    ['foo://'],
    ['sc://ñ/x'],
    ['sc://a b/'],
    ['sc://[::1]/'],
    ['git+ssh://git@github.com/a/b.git'],
    ['http://example.com:65535/'],
    ['http://example.com:65536/'],
    ['http://example.com:abc/'],
    ['http://'],
    ['https://:443'],
    ['//example.com/x'],
    ['not a url'],
    [''],
    ['../x?y#z', 'https://a.com/b/c/d'],
    ['x', 'https://a.com/b/c/d'],
    ['./x', 'https://a.com/b/c/'],
    ['/abs', 'https://a.com/b/c?q#f'],
    ['?newq', 'https://a.com/b/c?q#f'],
    ['#newf', 'https://a.com/b/c?q#f'],
    ['', 'https://a.com/b/c?q#f'],
    ['//other.com/p', 'https://a.com/b'],
    ['../../../../x', 'http://a/b/c'],
    ['g;x=1/../y', 'http://a/b/c/d;p?q'],
    ['http:g', 'http://a/b/c/d'],
    ['https:g', 'http://a/b/c/d'],
    ['\\\\x\\y', 'http://a/b'],
    ['c:/x', 'file:///a/b'],
    ['..', 'file:///C:/a'],
    ['/y', 'file:///C:/a/b'],
    ['x', 'mailto:a@b'],
    ['#x', 'mailto:a@b'],
    ['x', 'not valid base'],
    ['x', 'foo:/a/b'],
    ['https://x.com/', 'invalid base'],
  ];

  it(`parses ${cases.length} inputs like Node`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    for (const [input, base] of cases) {
      expect([input, base, parseWith(VmURL, input, base)]).toEqual([
        input,
        base,
        parseWith(URL, input, base),
      ]);
    }
  });

  it('answers canParse and parse like Node', () => {
    for (const [input, base] of cases) {
      expect(VmURL.canParse(input, base)).toBe(URL.canParse(input, base));
      const parsed = (VmURL as unknown as { parse(i: string, b?: string): URL | null }).parse(input, base);
      expect(parsed?.href ?? null).toBe(URL.canParse(input, base) ? new URL(input, base).href : null);
    }
  });

  const setters: [string, string, string][] = [
    ['https://a.com/b', 'protocol', 'http'],
    ['https://a.com/b', 'protocol', 'ftp:'],
    ['https://a.com/b', 'protocol', 'foo'],
    ['https://a.com/b', 'protocol', 'wss:x'],
    ['foo://a.com/b', 'protocol', 'bar'],
    ['foo://a.com/b', 'protocol', 'http'],
    ['http://a.com:443/', 'protocol', 'https'],
    ['http://u@a.com/', 'protocol', 'file'],
    ['https://a.com/', 'username', 'us er'],
    ['https://a.com/', 'password', 'p@ss:w/'],
    ['https://u:p@a.com/', 'username', ''],
    ['file:///x', 'username', 'u'],
    ['mailto:x', 'username', 'u'],
    ['https://a.com/', 'host', 'b.com:8080'],
    ['https://a.com/', 'host', 'B.com:443'],
    ['https://a.com:99/', 'host', 'c.com'],
    ['https://a.com/', 'host', ''],
    ['https://a.com/', 'host', 'x y'],
    ['https://a.com/', 'host', '[::1]:5'],
    ['https://a.com/', 'hostname', 'x.y'],
    ['https://a.com/', 'hostname', 'x.y:1'],
    ['foo://a.com/', 'host', ''],
    ['mailto:x', 'host', 'a.com'],
    ['file:///a', 'host', 'server'],
    ['file://server/a', 'host', 'localhost'],
    ['https://a.com/', 'port', '8080'],
    ['https://a.com/', 'port', '443'],
    ['https://a.com:1/', 'port', ''],
    ['https://a.com/', 'port', '12ab'],
    ['https://a.com/', 'port', 'ab'],
    ['https://a.com/', 'port', '99999'],
    ['file:///a', 'port', '1'],
    ['https://a.com/b', 'pathname', '/x y/../z'],
    ['https://a.com/b', 'pathname', 'rel'],
    ['https://a.com/b', 'pathname', ''],
    ['https://a.com/b', 'pathname', '?#'],
    ['mailto:x', 'pathname', 'y'],
    ['foo://h/p', 'pathname', 'q'],
    ['foo:/p', 'pathname', '//q'],
    ['https://a.com/b?x', 'search', 'a=1&b=2'],
    ['https://a.com/b?x', 'search', '?c d#e'],
    ['https://a.com/b?x', 'search', ''],
    ['https://a.com/b#f', 'hash', 'g h'],
    ['https://a.com/b#f', 'hash', '#'],
    ['https://a.com/b#f', 'hash', ''],
    ['data:space   ?x', 'search', ''],
    ['data:space   #x', 'hash', ''],
    ['data:space   ?x#y', 'search', ''],
    ['https://a.com/b', 'href', 'http://c.com/d?e'],
  ];

  it(`applies ${setters.length} setters like Node`, () => {
    for (const [input, key, value] of setters) {
      const mine = new VmURL(input);
      const theirs = new URL(input);
      (mine as unknown as Record<string, string>)[key] = value;
      (theirs as unknown as Record<string, string>)[key] = value;
      expect([input, key, value, describeURL(mine)]).toEqual([input, key, value, describeURL(theirs)]);
    }
  });

  it('throws a TypeError like Node for invalid URLs', () => {
    const error = sandbox.run(`try { new URL('nope', undefined) } catch (e) { e }`) as Error &
      Record<string, unknown>;
    expect([error.name, error.message, error.code, error.input]).toEqual([
      'TypeError',
      'Invalid URL',
      'ERR_INVALID_URL',
      'nope',
    ]);
    expect(sandbox.run(`try { new URL('x', 'bad') } catch (e) { e.base }`)).toBe('bad');
    expect(
      sandbox.run(
        `const u = new URL('http://a/'); try { u.href = 'x' } catch (e) { e.message + '|' + u.href }`,
      ),
    ).toBe('Invalid URL|http://a/');
    expect(sandbox.run('JSON.stringify({ u: new URL("http://a/b c") }) + String(new URL("http://x"))')).toBe(
      '{"u":"http://a/b%20c"}http://x/',
    );
  });

  it('keeps searchParams and search in sync like Node', () => {
    const script = `
      const out = [];
      const u = new URL('https://a.com/p?x=1&y=2#h');
      const p = u.searchParams;
      out.push(p === u.searchParams, p.get('x'), p.size);
      p.append('z', 'a b&c');
      out.push(u.href);
      p.delete('x');
      p.set('y', 'é');
      out.push(u.search, u.href);
      u.search = '?q=1&q=2';
      out.push(p.getAll('q').join(), p.has('y'), p.toString());
      p.delete('q');
      out.push(u.href);
      u.href = 'http://b/?k=v';
      out.push(p.get('k'));
      const d = new URL('data:x   ?a=1');
      d.searchParams.delete('a');
      out.push(d.href);
      p.sort();
      out.push(u.href);
      return JSON.stringify(out);`;
    expect(sandbox.run(`(() => {${script}})()`)).toBe(new Function(script)());
  });

  it('implements URLSearchParams like Node', () => {
    const script = `
      const out = [];
      const show = (p) => out.push(p.toString(), JSON.stringify([...p]), p.size);
      show(new URLSearchParams('?a=1&b=2&a=3&&c&=d&e='));
      show(new URLSearchParams('q=a+b%20c%2B&%zz=%F0%9F%98%80&x=%E2%82&y=\\ud800'));
      show(new URLSearchParams({ a: 1, b: 'x y', 'c d': '!*()~\\'' }));
      show(new URLSearchParams([['a', '1'], ['a', '2'], ['b', 'ü']]));
      show(new URLSearchParams(new URLSearchParams('k=v&k=w')));
      show(new URLSearchParams(new Map([['m', 'n']])));
      const p = new URLSearchParams('b=2&a=1&c=3&a=0&A=9&é=1&z=');
      p.sort(); show(p);
      out.push(p.get('a'), p.get('nope'), p.getAll('a').join(), p.has('a'), p.has('a', '1'), p.has('a', '5'));
      p.delete('a', '0'); show(p);
      p.set('b', 'new'); p.set('n', 'x'); show(p);
      p.append('sp ace', 'v&=+'); show(p);
      const seen = [];
      p.forEach(function (value, key, self) { seen.push(key + '=' + value, self === p, this.t); }, { t: 1 });
      out.push(JSON.stringify(seen), JSON.stringify([...p.keys()]), JSON.stringify([...p.values()]), JSON.stringify([...p.entries()]));
      const live = new URLSearchParams('a=1');
      const got = [];
      for (const [k] of live) { got.push(k); if (got.length < 3) live.append('n' + got.length, ''); }
      out.push(got.join());
      for (const bad of [[['a']], [1], [['a', 'b', 'c']]]) {
        try { new URLSearchParams(bad); out.push('no throw'); } catch (e) { out.push(e.name); }
      }
      out.push(Object.prototype.toString.call(p), new URLSearchParams('').toString(), String(new URLSearchParams('a=b')));
      return JSON.stringify(out);`;
    expect(sandbox.run(`(() => {${script}})()`)).toBe(new Function(script)());
  });

  it('prints URL and URLSearchParams like Node', () => {
    const values = [
      'new URL("https://user:pw@a.com:8080/b?x=1&y=%20#h")',
      '({ u: new URL("https://a.com/") })',
      '({ a: { b: new URL("http://x/?a=1") } })',
      'new URLSearchParams("a=1&b=2")',
      'new URLSearchParams("")',
      'new URLSearchParams("aaaaaaaaaaaaaaa=1111111111111111&bbbbbbbbbbbbbbbbbbbbbbbbb=2222222222222222222222&ccccccccc=3")',
      '({ a: { b: { c: new URLSearchParams("a=1") } } })',
    ];
    for (const code of values) {
      const mine = sandbox.console('log', [sandbox.run(`(${code})`)]);
      const theirs = util.inspect(new Function(`return ${code}`)());
      expect([code, mine]).toEqual([code, theirs]);
    }
  });
});

describe('structuredClone', () => {
  const sandbox = createSandbox();
  const vmClone = sandbox.run('structuredClone') as typeof structuredClone;
  const show = (value: unknown) =>
    util.inspect(value, { depth: Infinity, showHidden: true, breakLength: Infinity });
  const values = [
    '1',
    '-0',
    'NaN',
    '"str"',
    '123n',
    'null',
    'undefined',
    'true',
    'new Number(3)',
    'new String("ab")',
    'new Boolean(false)',
    'Object(5n)',
    'new Date(0)',
    'new Date(NaN)',
    '(() => { const r = /a+b/gi; r.lastIndex = 3; r.x = 1; return r })()',
    'new Uint8Array([1, 2, 3]).buffer',
    'new ArrayBuffer(4, { maxByteLength: 16 })',
    'new Uint8Array([1, 2, 3])',
    'new Float64Array([1.5, -0, NaN])',
    'new BigInt64Array([1n, -2n])',
    'new Int16Array(new ArrayBuffer(8), 2, 2)',
    'new DataView(new ArrayBuffer(4), 1, 2)',
    '(() => { const b = new ArrayBuffer(8); return { a: new Uint8Array(b, 1, 2), b: new DataView(b, 4), c: new Uint32Array(b) } })()',
    'new Map([[1, { a: 1 }], ["k", [1, 2]], [{ key: true }, new Set([1])]])',
    'new Set([1, "a", { b: 2 }, [3]])',
    '[1, , 3]',
    'Object.assign([1, 2], { extra: "x", 5: 6 })',
    'new Array(3)',
    '({ a: 1, b: { c: [1, 2, { d: "e" }] } })',
    '({ get a() { return 42 }, [Symbol("s")]: 1, b: undefined })',
    'Object.defineProperty({ v: 1 }, "hidden", { value: 2, enumerable: false })',
    'Object.assign(Object.create(null), { x: 1 })',
    'new (class Foo { constructor() { this.a = 1 } method() {} })()',
    '(() => { const o = { name: "cyclic" }; o.self = o; o.list = [o, { o }]; return o })()',
    '(() => { const shared = { s: 1 }; return { a: shared, b: [shared], c: new Map([[shared, shared]]) } })()',
    '(() => { const m = new Map(); m.set(m, m); const s = new Set(); s.add(s); return [m, s] })()',
    'new Error("boom")',
    'new TypeError("bad", { cause: { code: 1 } })',
    'new RangeError()',
    '(() => { const e = new Error("m"); e.name = "SyntaxError"; e.extra = 1; return e })()',
    '(() => { class MyError extends RangeError {} return new MyError("q") })()',
    'new AggregateError([new Error("a")], "agg")',
    '(() => { const e = new Error("x"); e.stack = "custom"; return e })()',
    '{ e: new URIError("u"), list: [new EvalError("v")] }',
  ];

  it.each(values)('clones %s like Node', (code) => {
    const value = sandbox.run(`(${code})`);
    const mine = vmClone(value);
    const theirs = structuredClone(value);
    expect(show(mine)).toBe(show(theirs));
    if (mine !== null && typeof mine === 'object') {
      expect(mine).not.toBe(value);
      const protoName = (v: object) => Object.getPrototypeOf(v)?.constructor?.name;
      expect(protoName(mine)).toBe(protoName(theirs as object));
    }
  });

  it('keeps cycles, shared references and shared buffers', () => {
    const result = sandbox.run(`
      const b = new ArrayBuffer(8);
      const shared = { s: 1 };
      const o = { a: new Uint8Array(b, 1, 2), b: new DataView(b, 4), shared, again: shared };
      o.self = o;
      const c = structuredClone(o);
      [c.self === c, c.shared === c.again, c.shared !== shared, c.a.buffer === c.b.buffer, c.a.buffer !== b,
       c.a.byteOffset, c.a.length, c.b.byteOffset, c.b.byteLength, Object.getPrototypeOf(c) === Object.prototype].join()`);
    expect(result).toBe('true,true,true,true,true,1,2,4,4,true');
  });

  const throwing = [
    '() => 1',
    'function named() {}',
    'Symbol("x")',
    '{ nested: { fn() {} } }',
    'Promise.resolve()',
    'new WeakMap()',
    'new WeakSet()',
    'new WeakRef({})',
    'Object(Symbol("q"))',
  ];

  it.each(throwing)('throws a DataCloneError for %s like Node', (code) => {
    const value = sandbox.run(`(${code})`);
    const failure = (clone: (v: unknown) => unknown) => {
      try {
        clone(value);
        return 'no error';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    };
    // For objects of another realm (the vm's), V8 writes [object X] where it writes #<X> for its own.
    const same = (message: string) => message.replace(/#<(\w+)>/, '[object $1]');
    expect(same(failure(vmClone))).toBe(same(failure(structuredClone)));
  });

  it('throws for generators, iterators and without arguments', () => {
    for (const code of ['(function* () {})()', 'new Map().entries()', '[].values()']) {
      expect(errorName(() => vmClone(sandbox.run(`(${code})`)))).toBe('DataCloneError');
    }
    expect(errorName(() => sandbox.run('structuredClone()'))).toBe('TypeError');
    expect(errorName(() => sandbox.run('structuredClone(1, { transfer: 5 })'))).toBe('TypeError');
  });

  it('transfers ArrayBuffers', () => {
    const result = sandbox.run(`
      const buffer = new Uint8Array([1, 2, 3]).buffer;
      const view = new Uint8Array(buffer, 1);
      const clone = structuredClone({ buffer, view }, { transfer: [buffer] });
      const duplicate = (() => { try { structuredClone(buffer, { transfer: [buffer, buffer] }); } catch (e) { return e.name; } })();
      const invalid = (() => { try { structuredClone(1, { transfer: [{}] }); } catch (e) { return e.name; } })();
      [Array.from(new Uint8Array(clone.buffer)).join(' '), Array.from(clone.view).join(' '), clone.view.buffer === clone.buffer,
       typeof ArrayBuffer.prototype.transfer !== 'function' || buffer.detached, duplicate, invalid].join()`);
    expect(result).toBe('1 2 3,2 3,true,true,DataCloneError,DataCloneError');
  });

  it('detaches transferred buffers with ArrayBuffer.prototype.transfer', () => {
    // Node 20's V8 lacks ArrayBuffer.prototype.transfer: give the sandbox a stand-in that marks buffers.
    const sb = createSandbox();
    const result = sb.run(`
      const detached = new WeakSet();
      ArrayBuffer.prototype.transfer = function () { detached.add(this); return new ArrayBuffer(0); };
      const buffer = new ArrayBuffer(2);
      const clone = structuredClone(buffer, { transfer: [buffer] });
      [detached.has(buffer), clone.byteLength].join()`);
    expect(result).toBe('false,2');
    // The method is captured when the prelude runs, so it must exist before: check with a fresh sandbox.
    const context = vm.createContext({ performance, DOMException });
    vm.runInContext(
      `const detached = new WeakSet();
       ArrayBuffer.prototype.transfer = function () { detached.add(this); return new ArrayBuffer(0); };
       globalThis.isDetached = (b) => detached.has(b);`,
      context,
    );
    (vm.runInContext(preludeSource, context) as (host: Host) => void)(fakeHost());
    expect(
      vm.runInContext(
        `const b = new ArrayBuffer(2); const c = structuredClone(b, { transfer: [b] }); [isDetached(b), c.byteLength].join()`,
        context,
      ),
    ).toBe('true,2');
  });
});

describe('events', () => {
  // The same script runs with the prelude's classes and with Node's; both return a JSON log.
  const compare = (script: string) => {
    const sandbox = createSandbox();
    expect(sandbox.run(`(() => {${script}})()`)).toBe(new Function(script)());
  };

  it('dispatches to listeners like Node', () => {
    compare(`
      const log = [];
      const target = new EventTarget();
      // (Node 20 leaves currentTarget and eventPhase set only while the first listener runs.)
      let first = true;
      const listener = function (e) {
        log.push(['fn', e.type, this === target, e.target === target, first ? [e.currentTarget === target, e.eventPhase] : []]);
        first = false;
      };
      target.addEventListener('ping', listener);
      target.addEventListener('ping', listener); // duplicate: ignored
      target.addEventListener('ping', listener, true); // capture: a second registration
      target.addEventListener('ping', { handleEvent(e) { log.push(['object', this !== target]); } });
      target.addEventListener('ping', () => log.push('once'), { once: true });
      const event = new Event('ping');
      log.push(target.dispatchEvent(event), event.target === target, event.currentTarget, event.eventPhase);
      target.dispatchEvent(new Event('ping'));
      target.removeEventListener('ping', listener);
      target.removeEventListener('ping', listener, { capture: true });
      target.dispatchEvent(new Event('ping'));
      target.dispatchEvent(new Event('other'));
      return JSON.stringify(log);`);
  });

  it('handles cancelation, passive listeners and propagation like Node', () => {
    compare(`
      const log = [];
      const target = new EventTarget();
      target.addEventListener('x', (e) => { e.preventDefault(); log.push(['first', e.defaultPrevented]); });
      target.addEventListener('x', (e) => { e.stopImmediatePropagation(); log.push('second'); });
      target.addEventListener('x', () => log.push('never'));
      const cancelable = new Event('x', { cancelable: true, bubbles: true });
      log.push(target.dispatchEvent(cancelable), cancelable.defaultPrevented, cancelable.bubbles, cancelable.cancelable);
      const plain = new Event('x');
      log.push(target.dispatchEvent(plain), plain.defaultPrevented, plain.composed, typeof plain.timeStamp);
      const removing = new EventTarget();
      const second = () => log.push('removed one ran');
      removing.addEventListener('z', () => { log.push('remover'); removing.removeEventListener('z', second); });
      removing.addEventListener('z', second);
      removing.dispatchEvent(new Event('z'));
      const custom = new CustomEvent('c', { detail: { n: 1 } });
      log.push(custom.detail.n, new CustomEvent('c').detail, custom instanceof Event, Event.AT_TARGET, Event.BUBBLING_PHASE);
      for (const bad of [() => new Event(), () => target.dispatchEvent({ type: 'x' })]) {
        try { bad(); log.push('no throw'); } catch (e) { log.push(e.name); }
      }
      return JSON.stringify(log);`);
  });

  it('follows the DOM standard where Node 20 does not', () => {
    // Passive listeners cannot cancel; listeners added during a dispatch wait for the next one;
    // currentTarget stays set for every listener; the phase constants are on instances too.
    const sandbox = createSandbox();
    const log = sandbox.run(`
      const log = [];
      const t = new EventTarget();
      t.addEventListener('x', (e) => { e.preventDefault(); log.push(e.defaultPrevented); }, { passive: true });
      t.addEventListener('x', (e) => { log.push(e.currentTarget === t, e.eventPhase); t.addEventListener('x', () => log.push('late')); });
      t.addEventListener('x', (e) => log.push(e.currentTarget === t, e.eventPhase));
      const e = new Event('x', { cancelable: true });
      log.push(t.dispatchEvent(e), e.currentTarget, e.eventPhase, e.NONE, e.composedPath().length);
      t.dispatchEvent(new Event('x'));
      JSON.stringify(log)`);
    expect(log).toBe('[false,true,2,true,2,true,null,0,0,0,false,true,2,true,2,"late"]');
  });

  it('implements AbortController and AbortSignal like Node', () => {
    compare(`
      const log = [];
      const controller = new AbortController();
      const { signal } = controller;
      signal.addEventListener('abort', (e) => log.push(['listener', e.type, signal.aborted]));
      signal.onabort = (e) => log.push(['onabort', e.type, e.target === signal]);
      const target = new EventTarget();
      target.addEventListener('t', () => log.push('t fired'), { signal });
      target.dispatchEvent(new Event('t'));
      log.push(signal.aborted, signal.reason);
      controller.abort();
      controller.abort('again');
      target.dispatchEvent(new Event('t'));
      log.push(signal.aborted, signal.reason.name, signal.reason.message, signal.reason instanceof DOMException);
      try { signal.throwIfAborted(); } catch (e) { log.push(['thrown', e === signal.reason]); }
      const custom = new AbortController();
      custom.abort({ why: 1 });
      log.push(custom.signal.reason);
      log.push(AbortSignal.abort().reason.name, AbortSignal.abort(5).reason);
      const a = new AbortController();
      const b = new AbortController();
      const any = AbortSignal.any([a.signal, b.signal]);
      const anyOfAny = AbortSignal.any([any]);
      any.onabort = () => log.push(['any aborted', any.reason]);
      anyOfAny.addEventListener('abort', () => log.push(['any of any', anyOfAny.reason]));
      log.push(any.aborted);
      b.abort('b reason');
      a.abort('a reason');
      log.push(any.reason, anyOfAny.reason, AbortSignal.any([AbortSignal.abort('early')]).reason);
      try { new AbortSignal(); } catch (e) { log.push(e.name); }
      try { AbortSignal.any([{}]); } catch (e) { log.push(e.name); }
      return JSON.stringify(log);`);
  });

  it('aborts AbortSignal.timeout with a TimeoutError through globalThis.setTimeout', () => {
    const timers: [() => void, number][] = [];
    const sandbox = createSandbox();
    // setTimeout is looked up when AbortSignal.timeout() is called: replace it with a fake.
    sandbox.context.fakeSetTimeout = (fn: () => void, ms: number) => {
      timers.push([fn, ms]);
      return { unref() {} };
    };
    sandbox.run('globalThis.setTimeout = fakeSetTimeout');
    const signal = sandbox.run(
      'globalThis.s = AbortSignal.timeout(25); s.onabort = () => console.log("fired"); s',
    ) as AbortSignal;
    expect(signal.aborted).toBe(false);
    expect(timers.map(([, ms]) => ms)).toEqual([25]);
    timers[0]![0]();
    expect([signal.aborted, signal.reason.name, signal.reason.message]).toEqual([
      true,
      'TimeoutError',
      'The operation was aborted due to timeout',
    ]);
    expect(sandbox.take(1)).toBe('fired\n');
    expect(errorName(() => createSandbox().run('delete globalThis.setTimeout; AbortSignal.timeout(1)'))).toBe(
      'TypeError',
    );
    expect(errorName(() => sandbox.run('AbortSignal.timeout(-1)'))).toBe('RangeError');
  });

  it('reports errors thrown by listeners and runs the other listeners', () => {
    const sandbox = createSandbox();
    const log = sandbox.run(`
      const log = [];
      const t = new EventTarget();
      t.addEventListener('e', () => { throw new TypeError('listener failed'); });
      t.addEventListener('e', {});
      t.addEventListener('e', () => log.push('still runs'));
      log.push(t.dispatchEvent(new Event('e')));
      log.join()`);
    expect(log).toBe('still runs,true');
    const stderr = sandbox.take(2);
    expect(stderr).toMatch(/^Uncaught TypeError: listener failed\n {4}at /);
    expect(stderr).toMatch(/\nUncaught TypeError: The "listener.handleEvent" property must be a function/);
  });

  it('prints events and signals like Node', () => {
    const sandbox = createSandbox();
    const values = [
      'new Event("x")',
      'new CustomEvent("x", { detail: 1 })',
      '({ a: { b: { c: new Event("x") } } })',
      'new EventTarget()',
      'new AbortController()',
      'AbortSignal.abort().aborted && new AbortController().signal',
    ];
    const time = /timeStamp: [\d.]+/g;
    for (const code of values) {
      const mine = sandbox.console('log', [sandbox.run(`(${code})`)]).replace(time, 'timeStamp: T');
      const theirs = util.inspect(new Function(`return ${code}`)()).replace(time, 'timeStamp: T');
      expect([code, mine]).toEqual([code, theirs]);
    }
  });
});

describe('inspect', () => {
  const sandbox = createSandbox();
  const values = [
    // primitives
    '1',
    '-0',
    '0',
    'NaN',
    '-Infinity',
    '-1.5e300',
    '0.1',
    '123n',
    '-5n',
    'true',
    'undefined',
    'null',
    'Symbol()',
    'Symbol("a b")',
    'Symbol.iterator',
    // strings inside containers
    `["it's", 'say "hi"', "it's \\"x\\"", "it's \\"x\\" \`y\`", "it's \\"x\\" \${y}", 'a\\nb', '\\x00\\x07\\x1b\\x7f\\x9f\\\\', 'a\\ud800b\\udc00', '😀', '']`,
    `{ s: 'line one\\nline two\\nline three is a bit longer than the others, so it splits\\n' }`,
    `['a long string without newlines that is longer than the break length of eighty chars']`,
    `['x'.repeat(10003)]`,
    // arrays
    '[]',
    '[1, 2, 3]',
    '[1, , 3]',
    '[, ,]',
    'new Array(5)',
    '[1, 2, 3, , , , 7]',
    '[undefined, null]',
    '(() => { const a = [1]; a[1000000] = 2; a.length = 2000000; return a })()',
    'Array.from({ length: 101 }, (_, i) => i)',
    'Array.from({ length: 26 }, (_, i) => i * 1000)',
    'Array.from({ length: 30 }, (_, i) => (i % 3 ? -i * 1.5 : i))',
    'Array.from({ length: 7 }, (_, i) => i)',
    'Array.from({ length: 6 }, (_, i) => "item" + i)',
    '["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g", "hh", "iii", "jjjj"]',
    'Array.from({ length: 120 }, (_, i) => "item" + i)',
    'Array.from({ length: 12 }, (_, i) => "a fairly long string number " + i)',
    'Array.from({ length: 40 }, (_, i) => BigInt(i) ** 5n)',
    'Array.from({ length: 9 }, (_, i) => i % 2 === 0)',
    '[1, "two", 3, "four", 5, "six", 7, "eight"]',
    'Array.from({ length: 8 }, (_, i) => ({ i }))',
    'Array.from({ length: 10 }, (_, i) => [i, i * 2])',
    'Object.assign([1, 2], { x: 1, "-y": 2, [Symbol("s")]: 3 })',
    '[[[[1]]]]',
    '[[[[]]]]',
    '[[1, [2, [3, [4, [5]]]]]]',
    '[{ a: 1, b: "two" }, { a: 3, b: "four" }]',
    // objects
    '({})',
    '({ a: 1 })',
    '({ "b-c": 2, valid_id: 3, "1a": 4, "a b": 5, $d: 6, 7: 8 })',
    'JSON.parse(\'{"__proto__": 1}\')',
    '({ a: { b: { c: { d: 1 } } } })',
    '({ a: { b: { c: {} } } })',
    '({ a: { b: { c: [] } } })',
    '({ a: { b: { c: {} } }, x: 1 })',
    '({ alpha: "aaaaaaaaaa", beta: "bbbbbbbbbbbb", gamma: "cccccccccccc", delta: "dddddddddddd" })',
    '({ alpha: "aaaaaaaaaa", beta: "bbbbbbbbbbbb", gamma: "cccccccccccc", d: 1 })',
    '({ a: [1, 2, { b: new Map([["k", { deep: [1, 2] }]]) }], c: "x".repeat(60) })',
    '({ [Symbol("x")]: 1, [Symbol()]: 2, normal: 3 })',
    'Object.defineProperty({ shown: 1 }, "hidden", { value: 2 })',
    '({ get a() { return 1 }, set b(v) {}, get c() { return 1 }, set c(v) {} })',
    'Object.create(null)',
    'Object.assign(Object.create(null), { a: 1 })',
    'Object.create(Object.create(null))',
    'new (class Foo { constructor() { this.x = 1; this.y = [1] } })()',
    'new (class Empty {})()',
    'new (class extends Array {})()',
    'new (class Tagged { get [Symbol.toStringTag]() { return "Other" } })()',
    '({ [Symbol.toStringTag]: "Q" })',
    'Object.defineProperty({ a: 1 }, Symbol.toStringTag, { value: "Q" })',
    '({ f() {}, g: () => {}, async h() {}, *i() {}, j: function () {}, k: class {} })',
    '(() => { const o = { a: 1 }; o.self = o; return o })()',
    '(() => { const a = { name: "a" }; const b = { a }; a.b = b; a.c = { a, b }; return a })()',
    '(() => { const a = [1]; a.push(a, [a]); return a })()',
    '(() => { const s = { v: 1 }; return [s, s, { s }] })()',
    '(() => { const o = {}; o.m = new Map([["self", o]]); return o })()',
    '(function () { return arguments })(1, "a")',
    // collections
    'new Map()',
    'new Map([["a", 1], ["b", 2]])',
    'new Map([[{ a: 1 }, [1, 2]], [NaN, null]])',
    'new Set()',
    'new Set([1, "a", {}, []])',
    '({ a: { b: { m: new Map([[1, 2]]), s: new Set([1]) } } })',
    'Object.assign(new Map([[1, 2]]), { extra: true })',
    'new (class MyMap extends Map {})([[1, 2]])',
    'new (class MySet extends Set { values() { return [].values() } })([1, 2])',
    'new Set(Array.from({ length: 102 }, (_, i) => i))',
    'new Map(Array.from({ length: 5 }, (_, i) => ["key number " + i, { value: i, label: "label " + i }]))',
    'new WeakMap()',
    'new WeakSet()',
    // dates and regular expressions
    'new Date(0)',
    'new Date(NaN)',
    'Object.assign(new Date(86400000), { note: "x" })',
    'new (class MyDate extends Date {})(0)',
    '/a+b/gi',
    'new RegExp("a/b", "u")',
    'Object.assign(/x/, { flag: 1 })',
    '{ a: { b: { c: /deep/ } } }',
    // errors
    'new Error("boom")',
    'new TypeError("bad")',
    '(() => { const e = new Error("with props"); e.code = "E_CODE"; e.info = { n: 1 }; return e })()',
    '(() => { const e = new Error("x"); e.stack = "Error: x"; return e })()',
    '(() => { const e = new Error("x"); e.stack = "custom stack text"; return e })()',
    '(() => { const e = new Error("no stack"); e.stack = undefined; return e })()',
    '{ nested: new RangeError("inner") }',
    '[new Error("in array")]',
    'new RangeError("outer", { cause: new Error("inner cause") })',
    'new Error("with primitive cause", { cause: "just a string" })',
    'new AggregateError([new Error("a"), 1], "many")',
    '(() => { class MyError extends Error {} return new MyError("mine") })()',
    '(() => { class ValidationError extends Error { constructor(m) { super(m); this.name = "ValidationError"; this.field = "f" } } return new ValidationError("invalid") })()',
    '(() => { const e = new Error("m"); e.name = "Custom"; return e })()',
    'Object.setPrototypeOf(new Error("null proto"), null)',
    'new Error("")',
    // functions
    'function foo() {}',
    '() => {}',
    'async function af() {}',
    'async () => {}',
    'function* gen() {}',
    'async function* ag() {}',
    'class A {}',
    '(() => { class A {} return class B extends A {} })()',
    'class {}',
    'class extends Array {}',
    'Object.assign(function f() {}, { a: 1 })',
    '(function f() {}).bind(null)',
    'Math.max',
    'Map',
    'Object.setPrototypeOf(function f() {}, null)',
    '({ method() {} }).method',
    // typed arrays and buffers
    'new Uint8Array([1, 2, 3])',
    'new Float64Array(2)',
    'new BigInt64Array([1n, -2n])',
    'new Uint8Array(0)',
    'new Uint8Array(200)',
    'new Int16Array(Array.from({ length: 30 }, (_, i) => i * 37 - 500))',
    'Object.assign(new Uint8Array(2), { extra: 1 })',
    'new Float32Array([0.1, -0, NaN])',
    'new Uint8Array([1, 2]).buffer',
    'new ArrayBuffer(0)',
    'new ArrayBuffer(120)',
    'new DataView(new ArrayBuffer(2))',
    'new SharedArrayBuffer(3)',
    '({ buf: new ArrayBuffer(3) })',
    // promises and boxed primitives
    'new Promise(() => {})',
    'Object.assign(new Promise(() => {}), { a: 1 })',
    'new Number(3)',
    'new Number(-0)',
    'new String("abc")',
    'new Boolean(false)',
    'Object(5n)',
    'Object(Symbol("s"))',
    'Object.assign(new Number(1), { a: 1 })',
    'Object.assign(new String("ab"), { x: 1 })',
    'new (class N extends Number {})(4)',
    // prototypes set by hand
    'Object.setPrototypeOf([1, 2], null)',
    'Object.setPrototypeOf(new Map([[1, 2]]), null)',
    'Object.setPrototypeOf(new Set([1]), null)',
    'Object.setPrototypeOf(new Date(0), null)',
    'Object.setPrototypeOf(new Number(1), null)',
    'Object.setPrototypeOf(/x/g, null)',
    'Object.setPrototypeOf(new Uint8Array(2), null)',
    'Object.setPrototypeOf(new ArrayBuffer(2), null)',
    'Object.create(Date.prototype)',
    'Object.setPrototypeOf(new Map([[1, 2]]), Object.prototype)',
    'new (class Q extends Promise {})(() => {})',
    // globals and misc
    'Math',
    'JSON',
    'globalThis.Reflect',
    '({ [Symbol.for("nodejs.util.inspect.custom")]() { return "custom!" } })',
    '({ a: { [Symbol.for("nodejs.util.inspect.custom")](depth, options) { return { depth, breakLength: options.breakLength } } } })',
    '({ inner: { [Symbol.for("nodejs.util.inspect.custom")]() { return "multi\\nline" } } })',
  ];

  it(`prints ${values.length} values like util.inspect`, () => {
    const cases = values.map((code) => ({ code, value: sandbox.run(`(${code})`) }));
    const diff = mismatches(
      cases,
      ({ value }) => sandbox.console('log', [value]),
      ({ value }) => util.format(value),
    );
    expect(diff.map(([c, a, b]) => [(c as { code: string }).code, a, b])).toEqual([]);
  });

  const optionCases: [string, util.InspectOptions][] = [
    ['"top-level string"', {}],
    ['"it\'s"', {}],
    ['({ a: { b: { c: { d: { e: 1 } } } } })', { depth: 0 }],
    ['({ a: { b: { c: { d: { e: 1 } } } } })', { depth: null }],
    ['({ a: { b: { c: { d: { e: 1 } } } } })', { depth: Infinity }],
    ['[[1, [2, [3, [4]]]], { a: [[[]]] }]', { depth: 1 }],
    ['({ alpha: 1, beta: "two", gamma: [3, 4, 5], delta: { e: 6 } })', { breakLength: 40 }],
    ['({ alpha: 1, beta: "two", gamma: [3, 4, 5], delta: { e: 6 } })', { breakLength: Infinity }],
    ['({ a: { b: { c: 1 } } })', { compact: 1 }],
    ['({ a: { b: { c: 1 } } })', { compact: false }],
    ['Array.from({ length: 30 }, (_, i) => i)', { compact: 1 }],
    ['[1, 2, 3, 4]', { maxArrayLength: 2 }],
    ['new Set([1, 2, 3])', { maxArrayLength: 1 }],
    ['new Uint8Array(5)', { maxArrayLength: 0 }],
    ['["abcdef"]', { maxStringLength: 3 }],
    ['({ c: 1, a: 2, b: { z: 1, y: 2 } })', { sorted: true }],
    [
      '({ get a() { return { x: 1 } }, get b() { return null }, get c() { return "s" }, set d(v) {} })',
      { getters: true },
    ],
    ['[1, 2]', { showHidden: true }],
    ['new Error("hidden")', { showHidden: true }],
    ['Object.defineProperty({ a: 1 }, "h", { value: 2 })', { showHidden: true }],
    ['({ [Symbol.for("nodejs.util.inspect.custom")]() { return "not used by dir" } })', {}],
  ];

  it(`honours ${optionCases.length} option sets like util.inspect (through console.dir)`, () => {
    const cases = optionCases.map(([code, options]) => ({ code, options, value: sandbox.run(`(${code})`) }));
    const diff = mismatches(
      cases,
      ({ value, options }) => sandbox.console('dir', [value, options]),
      ({ value, options }) => util.inspect(value, { customInspect: false, ...options }),
    );
    expect(diff.map(([c, a, b]) => [(c as { code: string }).code, a, b])).toEqual([]);
  });

  it('names errors like V8 when the stack was written before the name was set', () => {
    // QuickJS writes `stack` when the error is made, V8 when it is first read.
    const value = sandbox.run(`
      class ValidationError extends Error {
        constructor(message) {
          super(message);
          Object.defineProperty(this, 'stack', { value: 'Error: ' + message + '\\n    at check (input.js:2:9)' });
          this.name = 'ValidationError';
        }
      }
      new ValidationError('bad input')`);
    expect(sandbox.console('log', [value])).toBe('ValidationError: bad input\n    at check (input.js:2:9)');
  });

  it('adds the "Name: message" line to QuickJS stacks, which only hold the frames', () => {
    const value = sandbox.run(`
      const e = new TypeError('qjs style');
      Object.defineProperty(e, 'stack', { value: '    at f (input.js:3:9)\\n    at <eval> (input.js:5:1)\\n' });
      ({ e, plain: Object.defineProperty(new Error('x'), 'stack', { value: '    at <eval> (input.js:1:7)\\n' }) })`);
    expect(sandbox.console('log', [value])).toBe(
      [
        '{',
        '  e: TypeError: qjs style',
        '      at f (input.js:3:9)',
        '      at <eval> (input.js:5:1),',
        '  plain: Error: x',
        '      at <eval> (input.js:1:7)',
        '}',
      ].join('\n'),
    );
  });
});

describe('formatLog (console.log arguments)', () => {
  const sandbox = createSandbox();
  const argLists = [
    '[]',
    '["plain"]',
    '["100%%"]',
    '["%s"]',
    '["%s", "a"]',
    '["%s %s", "only"]',
    '["%s:%s", 1, 2, 3]',
    '["%s", { a: 1 }]',
    '["%s", [1, [2, [3]]]]',
    '["%s", new Error("e")]',
    '["%s", new Date(0)]',
    '["%s", class A { toString() { return "x" } }]',
    '["%s", new (class B { toString() { return "custom" } })()]',
    '["%s", Symbol("s")]',
    '["%s", -0]',
    '["%s", 5n]',
    '["%s", null, "extra", { b: 2 }]',
    '["%s", undefined]',
    '["%s", () => 1]',
    '["%s", new Map([[1, 2]])]',
    '["%s", Object.create(null)]',
    '["%s", { toString: 5 }]',
    '["%d", "42abc"]',
    '["%d", "42"]',
    '["%d", -0]',
    '["%i", "42.9"]',
    '["%i", 5n]',
    '["%f", "1.5e3x"]',
    '["%d", {}]',
    '["%d", 5n]',
    '["%i", Symbol()]',
    '["%f", Symbol()]',
    '["%d"]',
    '["%j", { a: [1] }]',
    '["%j", (() => { const c = {}; c.c = c; return c })()]',
    '["%j", undefined]',
    '["%j", { toJSON() { return "J" } }]',
    '["%o", [1, 2]]',
    '["%o", { a: 1 }]',
    '["%o", "str"]',
    '["%o", 42]',
    '["%o", { a: [1, { b: 2 }] }]',
    '["%o", function foo() {}]',
    '["%O", { a: { b: { c: { d: 1 } } } }]',
    '["%O", "str"]',
    '["%c%s", "color: red", "x"]',
    '["%%s %s", "a"]',
    '["a%", 1]',
    '["%x", 1]',
    '["%", 1]',
    '["%s%", 1]',
    '[1, 2, "3"]',
    '[{ a: "x" }, "y"]',
    '["a", { b: "c" }, ["d"]]',
    '[null, undefined]',
    '["%s is %d years", "Bob", 42, "and more", { x: 1 }]',
    '["no directives", "x", 1]',
    '["%s", "a\\nb"]',
    '["multi\\nline", { a: 1 }]',
  ];

  it(`formats ${argLists.length} argument lists like util.format`, () => {
    const cases = argLists.map((code) => ({ code, args: [...(sandbox.run(code) as unknown[])] }));
    const diff = mismatches(
      cases,
      ({ args }) => sandbox.console('log', args),
      ({ args }) => util.format(...args),
    );
    expect(diff.map(([c, a, b]) => [(c as { code: string }).code, a, b])).toEqual([]);
  });
});

describe('console', () => {
  // Runs the same console calls on the prelude's console and on a Node Console.
  const compare = (script: string) => {
    const sandbox = createSandbox();
    sandbox.run(`(() => {${script}})()`);
    const node = nodeConsole();
    new Function('console', script)(node.console);
    expect({ stdout: sandbox.take(1), stderr: sandbox.take(2) }).toEqual(node.out);
  };

  it('logs to stdout and stderr like Node', () => {
    compare(`
      console.log('hello', 'world', 42, { a: 1 });
      console.info('info %s', 'x');
      console.debug('debug', [1, 2]);
      console.dirxml('dirxml', { y: 2 });
      console.warn('warn', new Map([[1, 2]]));
      console.error('error %d%%', 50);
      console.log();
      console.log('');
      console.log('%s', 'a', 'b');`);
  });

  it('prints dir, assert and count like Node', () => {
    compare(`
      console.dir('string is quoted');
      console.dir({ a: { b: { c: { d: 1 } } } }, { depth: 0 });
      console.dir({ a: { b: { c: { d: 1 } } } }, { depth: null });
      console.dir([1, 2, 3], { showHidden: true });
      console.assert(true, 'not printed');
      console.assert(false);
      console.assert(false, 'failed %s', 'here', 7);
      console.assert(0, { obj: 1 });
      console.assert('', 42, 'x');
      console.count();
      console.count();
      console.count('other');
      console.count('default');
      console.countReset();
      console.count();
      console.count(undefined);
      console.count(null);`);
  });

  it('indents groups like Node', () => {
    compare(`
      console.log('top');
      console.group('Group %d', 1);
      console.log('inside\\nsecond line');
      console.group();
      console.warn({ a: 1, b: [1, 2] });
      console.error(new Map([['k', 'x'.repeat(90)]]));
      console.groupEnd();
      console.groupCollapsed('collapsed');
      console.table([{ a: 1 }]);
      console.dir({ nested: true });
      console.groupEnd();
      console.groupEnd();
      console.groupEnd();
      console.log('back at top');`);
  });

  const tables = [
    '[{ a: 1, b: "x" }, { a: 2, c: true }]',
    '[1, "two", null, undefined, 5n]',
    '[[1, 2], [3, 4, 5]]',
    '[{ a: 1 }, 2, { b: [1, 2, 3, 4, 5] }]',
    '{ first: { x: 1, y: 2 }, second: { y: 3, z: { deep: { er: 1 } } } }',
    '{ r1: { a: { p: 1, q: 2, r: 3 } }, r2: { a: { p: 1, q: 2 } } }',
    '[{ name: "Alice", age: 30 }, { name: "Bob", age: 4 }, { name: "Charlotte-Anne", age: 101 }]',
    '[{ "1": "one", b: 2, "0": "zero" }]',
    '[{ emoji: "😀", cjk: "漢字", s: "it\'s" }]',
    'new Map([["k1", { v: 1 }], [{ o: 1 }, "v2"]])',
    'new Set(["a", { b: 1 }, [2]])',
    '[]',
    '{}',
    '[{}, {}]',
    '[function f() {}, Symbol("s")]',
    '[new Date(0), /re/g, new Error("e").message]',
    '{ a: [{ x: 1 }], b: "str" }',
  ];

  it(`prints ${tables.length + 4} tables like Node`, () => {
    const script = [
      ...tables.map((data) => `console.table(${data});`),
      'console.table([{ a: 1, b: 2, c: 3 }, { a: 4, c: 6 }], ["c", "a"]);',
      'console.table([1, { a: 1 }], ["a"]);',
      'console.table(5);',
      'console.table("not tabular", ["x"]);',
    ].join('\n');
    compare(script);
  });

  it('times like Node, with performance.now()', () => {
    let clock = 1000;
    const sandbox = createSandbox({ performance: { now: () => clock } });
    const steps: [number, string][] = [
      [1.5, 'default: 1.5ms'],
      [0.1234567, 'default: 0.123ms'],
      [2, 'default: 2ms'],
      [1500, 'default: 1.500s'],
      [65000, 'default: 1:05.000 (m:ss.mmm)'],
      [3723004, 'default: 1:02:03.004 (h:mm:ss.mmm)'],
    ];
    for (const [elapsed, expected] of steps) {
      sandbox.run('console.time()');
      clock += elapsed;
      sandbox.run('console.timeEnd()');
      expect(sandbox.take(1)).toBe(`${expected}\n`);
    }
    sandbox.run('console.time("t"); console.time("t")');
    clock += 5;
    sandbox.run(
      'console.timeLog("t", "extra", { a: 1 }); console.timeEnd("t"); console.timeEnd("t"); console.timeLog("nope")',
    );
    sandbox.run('console.countReset("never")');
    expect(sandbox.take(1)).toBe('t: 5ms extra { a: 1 }\nt: 5ms\n');
    expect(sandbox.take(2)).toBe(
      [
        "Warning: Label 't' already exists for console.time()",
        "Warning: No such label 't' for console.timeEnd()",
        "Warning: No such label 'nope' for console.timeLog()",
        "Warning: Count for 'never' does not exist",
        '',
      ].join('\n'),
    );
  });

  it('prints a trace on stderr like Node', () => {
    const sandbox = createSandbox();
    sandbox.run('function outer() { console.trace("here %d", 1); } outer(); console.trace()');
    const [first, second] = sandbox.take(2).split(/\n(?=Trace)/);
    expect(first).toMatch(
      /^Trace: here 1\n {4}at outer \(evalmachine\.<anonymous>:1:28\)\n {4}at evalmachine/,
    );
    expect(second).toMatch(/^Trace\n {4}at evalmachine/);
    expect(sandbox.take(1)).toBe('');
  });

  it('has bound methods and no-op clear', () => {
    const sandbox = createSandbox();
    sandbox.run('const { log } = console; log("bound"); console.clear(); [].forEach.call([1], console.log)');
    expect(sandbox.take(1)).toBe('bound\n1 0 [ 1 ]\n');
    expect(sandbox.run('Object.prototype.toString.call(console)')).toBe('[object console]');
  });
});
