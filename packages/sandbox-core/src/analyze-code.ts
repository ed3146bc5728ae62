/** What a cheap scan of JS/TS source says about where it can run. Never a security decision. */
export interface CodeAnalysis {
  /** The first Node-only API the code mentions (`require`, `process`, `node:fs`, ...), or undefined. */
  nodeApi?: string;
  /** Why the code looks async-heavy (timers, many awaits, fetch), or undefined. */
  asyncHeavy?: string;
  length: number;
}

const NODE_BUILTINS =
  'assert|async_hooks|buffer|child_process|cluster|console|constants|crypto|dgram|diagnostics_channel|dns|domain|events|fs|http|http2|https|inspector|module|net|os|path|perf_hooks|process|punycode|querystring|readline|repl|stream|string_decoder|sys|timers|tls|trace_events|tty|url|util|v8|vm|wasi|worker_threads|zlib';

const NODE_API_PATTERNS: ReadonlyArray<[string, RegExp]> = [
  ['require()', /\brequire\s*\(/],
  ['node: import', /\bfrom\s*['"]node:|\bimport\s*\(\s*['"]node:/],
  ['builtin import', new RegExp(`\\b(?:from|import)\\s*\\(?\\s*['"](?:${NODE_BUILTINS})(?:/[\\w/]*)?['"]`)],
  ['process', /\bprocess\s*\.\s*\w/],
  ['Buffer', /\bBuffer\s*[.(]/],
  ['__dirname/__filename', /\b__(?:dirname|filename)\b/],
  ['fs', /\bfs\s*\.\s*\w/],
];

const TIMER_PATTERN = /\b(?:setTimeout|setInterval|setImmediate|fetch)\s*\(/;
const AWAIT_PATTERN = /\bawait\b/g;

/** Scans JS/TS source for Node API use and async weight. Linear time, no parsing. */
export function analyzeCode(code: string): CodeAnalysis {
  const analysis: CodeAnalysis = { length: code.length };
  for (const [name, pattern] of NODE_API_PATTERNS) {
    if (pattern.test(code)) {
      analysis.nodeApi = name;
      break;
    }
  }
  const timer = TIMER_PATTERN.exec(code);
  if (timer) {
    analysis.asyncHeavy = `uses ${timer[0].replace(/\s*\($/, '')}`;
  } else {
    const awaits = code.match(AWAIT_PATTERN)?.length ?? 0;
    if (awaits >= 3) analysis.asyncHeavy = `${awaits} awaits`;
  }
  return analysis;
}
