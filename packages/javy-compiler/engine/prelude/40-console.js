// 40-console.js: the global `console`, printing like Node's (uses inspect/formatLog from 30-inspect.js).
// log/info/debug/dir/dirxml/table/count/time*/group write to stdout, warn/error/trace/assert to stderr.
// Node reports a misused count/time label with a process warning; here it is a line on stderr:
// "Warning: No such label 'x' for console.timeEnd()".
{
  const ReflectApply = Reflect.apply;
  const ObjectKeys = Object.keys;
  const isArray = Array.isArray;
  const hasOwn = (object, key) => ReflectApply(Object.prototype.hasOwnProperty, object, [key]);
  const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
  const mapSize = getter(Map.prototype, 'size');
  const setSize = getter(Set.prototype, 'size');
  const mapEntries = Map.prototype.entries;
  const setValues = Set.prototype.values;
  const captureStackTrace = typeof Error.captureStackTrace === 'function' ? Error.captureStackTrace : null;
  const perf = globalThis.performance;
  const perfNow = perf && typeof perf.now === 'function' ? perf.now : null;
  const now = () => (perfNow === null ? 0 : ReflectApply(perfNow, perf, []));
  const is = (get) => (value) => {
    try {
      ReflectApply(get, value, []);
      return true;
    } catch {
      return false;
    }
  };
  const isMap = is(mapSize);
  const isSet = is(setSize);

  let groupIndent = '';
  const counts = new Map();
  const timers = new Map();

  // Writes one line, indented by the open groups.
  function print(fd, text) {
    if (groupIndent !== '') text = groupIndent + text.replaceAll('\n', `\n${groupIndent}`);
    host.write(fd, `${text}\n`);
  }
  const warning = (message) => host.write(2, `Warning: ${message}\n`);
  const toLabel = (label) => (typeof label === 'symbol' ? String(label) : `${label}`);

  function log(...args) {
    print(1, formatLog(args));
  }
  function warn(...args) {
    print(2, formatLog(args));
  }

  // console.time durations: 1.234ms, 1.500s, 1:05.000 (m:ss.mmm), 1:01:05.000 (h:mm:ss.mmm).
  function formatTime(ms) {
    let hours = 0;
    let minutes = 0;
    let seconds = 0;
    if (ms >= 1000) {
      if (ms >= 60000) {
        if (ms >= 3600000) {
          hours = Math.floor(ms / 3600000);
          ms %= 3600000;
        }
        minutes = Math.floor(ms / 60000);
        ms %= 60000;
      }
      seconds = ms / 1000;
    }
    const pad = (n) => `${n}`.padStart(2, '0');
    if (hours !== 0 || minutes !== 0) {
      const [whole, fraction] = seconds.toFixed(3).split('.');
      const head = hours !== 0 ? `${hours}:${pad(minutes)}` : minutes;
      return `${head}:${pad(whole)}.${fraction} (${hours !== 0 ? 'h:m' : ''}m:ss.mmm)`;
    }
    if (seconds !== 0) return `${seconds.toFixed(3)}s`;
    return `${Number(ms.toFixed(3))}ms`;
  }

  // Display width of a table cell: wide East Asian characters take two columns, combining marks none.
  function displayWidth(text) {
    let width = 0;
    for (const ch of text) {
      const c = ch.codePointAt(0);
      if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) || (c >= 0xfe00 && c <= 0xfe0f))
        continue;
      const wide =
        (c >= 0x1100 && c <= 0x115f) ||
        (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
        (c >= 0xac00 && c <= 0xd7a3) ||
        (c >= 0xf900 && c <= 0xfaff) ||
        (c >= 0xfe30 && c <= 0xfe4f) ||
        (c >= 0xff00 && c <= 0xff60) ||
        (c >= 0xffe0 && c <= 0xffe6) ||
        (c >= 0x1f300 && c <= 0x1f64f) ||
        (c >= 0x1f900 && c <= 0x1f9ff) ||
        (c >= 0x20000 && c <= 0x3fffd);
      width += wide ? 2 : 1;
    }
    return width;
  }

  // Node's console.table box (Node 20.20: cells aligned to the left).
  function renderTable(head, columns) {
    const widths = head.map(displayWidth);
    const rowCount = Math.max(...columns.map((column) => column.length));
    const rows = [];
    for (let j = 0; j < rowCount; j++) {
      rows.push(
        columns.map((column, i) => {
          const cell = hasOwn(column, j) ? column[j] : '';
          widths[i] = Math.max(widths[i], displayWidth(cell));
          return cell;
        }),
      );
    }
    const renderRow = (cells) => {
      const padded = cells.map((cell, i) => cell + ' '.repeat(widths[i] - displayWidth(cell)));
      return `│ ${padded.join(' │ ')} │`;
    };
    const divider = widths.map((width) => '─'.repeat(width + 2));
    const lines = [`┌${divider.join('┬')}┐`, renderRow(head), `├${divider.join('┼')}┤`];
    for (const row of rows) lines.push(renderRow(row));
    lines.push(`└${divider.join('┴')}┘`);
    return lines.join('\n');
  }

  function table(data, properties = undefined) {
    if (properties !== undefined && !isArray(properties)) {
      throw new TypeError('The "properties" argument must be an instance of Array');
    }
    if (data === null || typeof data !== 'object') return log(data);
    // Objects with more than two keys are shortened to [Object]; arrays to three items.
    const cell = (v) => {
      const depth = v !== null && typeof v === 'object' && !isArray(v) && ObjectKeys(v).length > 2 ? -1 : 0;
      return inspect(v, { depth, maxArrayLength: 3, breakLength: Infinity });
    };
    const indexColumn = (length) => Array.from({ length }, (_, i) => cell(i));
    if (isMap(data)) {
      const keys = [];
      const values = [];
      for (const [k, v] of ReflectApply(mapEntries, data, [])) {
        keys.push(cell(k));
        values.push(cell(v));
      }
      return log(
        renderTable(['(iteration index)', 'Key', 'Values'], [indexColumn(keys.length), keys, values]),
      );
    }
    if (isSet(data)) {
      const values = [];
      for (const v of ReflectApply(setValues, data, [])) values.push(cell(v));
      return log(renderTable(['(iteration index)', 'Values'], [indexColumn(values.length), values]));
    }
    // One row per own key; one column per property of the rows (in a null-prototype object, so that
    // integer-like names come first, as in Node), plus 'Values' for primitive rows.
    const byProperty = { __proto__: null };
    const primitives = [];
    let hasPrimitives = false;
    const rowKeys = ObjectKeys(data);
    rowKeys.forEach((rowKey, i) => {
      const item = data[rowKey];
      const primitive = item === null || (typeof item !== 'function' && typeof item !== 'object');
      if (properties === undefined && primitive) {
        hasPrimitives = true;
        primitives[i] = cell(item);
        return;
      }
      for (const key of properties || ObjectKeys(item)) {
        byProperty[key] ??= [];
        byProperty[key][i] = (primitive && properties) || !hasOwn(item, key) ? '' : cell(item[key]);
      }
    });
    const head = ObjectKeys(byProperty);
    const columns = head.map((key) => byProperty[key]);
    if (hasPrimitives) {
      head.push('Values');
      columns.push(primitives);
    }
    return log(renderTable(['(index)', ...head], [rowKeys, ...columns]));
  }

  const console = {
    log,
    info: log,
    debug: log,
    dirxml: log,
    warn,
    error: warn,
    trace: function trace(...args) {
      const message = formatLog(args);
      // The frames above this call: Error.captureStackTrace where the engine has it, otherwise a new
      // Error's stack without its first frame (this function).
      let stack;
      if (captureStackTrace !== null) {
        const holder = {};
        captureStackTrace(holder, trace);
        stack = holder.stack;
      } else stack = new Error().stack.replace(/^(?:(?!\s+at ).*\n)*\s+at [^\n]*\n?/, '');
      const frames = `${stack ?? ''}`.split('\n').filter((line) => /^\s+at /.test(line));
      print(2, [`Trace${message ? `: ${message}` : ''}`, ...frames].join('\n'));
    },
    dir(object, options = undefined) {
      print(1, inspect(object, { customInspect: false, ...options }));
    },
    table,
    assert(condition, ...args) {
      if (condition) return;
      if (args.length === 0) args = ['Assertion failed'];
      else args[0] = `Assertion failed: ${toLabel(args[0])}`;
      warn(...args);
    },
    count(label = 'default') {
      label = toLabel(label);
      const count = (counts.get(label) ?? 0) + 1;
      counts.set(label, count);
      log(`${label}: ${count}`);
    },
    countReset(label = 'default') {
      label = toLabel(label);
      if (counts.has(label)) counts.delete(label);
      else warning(`Count for '${label}' does not exist`);
    },
    time(label = 'default') {
      label = toLabel(label);
      if (timers.has(label)) warning(`Label '${label}' already exists for console.time()`);
      else timers.set(label, now());
    },
    timeEnd(label = 'default') {
      label = toLabel(label);
      if (!timers.has(label)) return warning(`No such label '${label}' for console.timeEnd()`);
      log('%s: %s', label, formatTime(now() - timers.get(label)));
      timers.delete(label);
    },
    timeLog(label = 'default', ...data) {
      label = toLabel(label);
      if (!timers.has(label)) return warning(`No such label '${label}' for console.timeLog()`);
      log('%s: %s', label, formatTime(now() - timers.get(label)), ...data);
    },
    group(...data) {
      if (data.length > 0) log(...data);
      groupIndent += '  ';
    },
    groupCollapsed(...data) {
      if (data.length > 0) log(...data);
      groupIndent += '  ';
    },
    groupEnd() {
      groupIndent = groupIndent.slice(0, -2);
    },
    clear() {},
  };
  Object.defineProperty(console, Symbol.toStringTag, { value: 'console', configurable: true });
  defineGlobal('console', console);
}
