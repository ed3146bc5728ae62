// Locale-sensitive methods without ICU. The engine ignores locales and options; node (ICU) does
// not. This covers what agent code asks for: numbers with grouping, fraction digits, percent,
// currency and compact notation; dates in the common en-US styles and options; and collation
// with `numeric` and `sensitivity`. The default locale is en-US and the time zone is UTC (the
// sandbox's), as on the node backend. Other locales get their separators and date order from a
// small table; anything else formats as en-US.

const LOCALES = {
  'en-US': {
    group: ',',
    decimal: '.',
    date: 'mdy',
    dateSep: '/',
    pad: false,
    hour12: true,
    pct: '%',
    cur: 'before',
  },
  'en-GB': {
    group: ',',
    decimal: '.',
    date: 'dmy',
    dateSep: '/',
    pad: true,
    hour12: false,
    pct: '%',
    cur: 'before',
  },
  'en-IN': {
    group: ',',
    decimal: '.',
    date: 'dmy',
    dateSep: '/',
    pad: false,
    hour12: true,
    pct: '%',
    cur: 'before',
    indian: true,
    lowerAmPm: true,
  },
  'de-DE': {
    group: '.',
    decimal: ',',
    date: 'dmy',
    dateSep: '.',
    pad: false,
    hour12: false,
    pct: '\u00a0%',
    cur: 'after',
  },
  'fr-FR': {
    group: '\u202f',
    decimal: ',',
    date: 'dmy',
    dateSep: '/',
    pad: true,
    hour12: false,
    pct: '\u202f%',
    cur: 'after',
  },
  'es-ES': {
    group: '.',
    decimal: ',',
    date: 'dmy',
    dateSep: '/',
    pad: false,
    hour12: false,
    pct: '\u00a0%',
    cur: 'after',
    minGroup: 5,
  },
  'it-IT': {
    group: '.',
    decimal: ',',
    date: 'dmy',
    dateSep: '/',
    pad: true,
    hour12: false,
    pct: '%',
    cur: 'after',
    minGroup: 5,
  },
  'pt-BR': {
    group: '.',
    decimal: ',',
    date: 'dmy',
    dateSep: '/',
    pad: true,
    hour12: false,
    pct: '%',
    cur: 'before-space',
  },
  'ja-JP': {
    group: ',',
    decimal: '.',
    date: 'ymd',
    dateSep: '/',
    pad: false,
    hour12: false,
    pct: '%',
    cur: 'before',
  },
};
const LANGUAGE_DEFAULT = {
  en: 'en-US',
  de: 'de-DE',
  fr: 'fr-FR',
  es: 'es-ES',
  it: 'it-IT',
  pt: 'pt-BR',
  ja: 'ja-JP',
};
const CURRENCY_SYMBOLS = {
  USD: '$',
  EUR: '€',
  GBP: '£',
  JPY: '¥',
  INR: '₹',
  CNY: 'CN¥',
  KRW: '₩',
  BRL: 'R$',
  CAD: 'CA$',
  AUD: 'A$',
  CHF: 'CHF',
  MXN: 'MX$',
};
const CURRENCY_DIGITS = { JPY: 0, KRW: 0 };

function localeInfo(locales) {
  const tag = Array.isArray(locales) ? locales[0] : locales;
  if (tag === undefined) return LOCALES['en-US'];
  const name = String(tag);
  return LOCALES[name] ?? LOCALES[LANGUAGE_DEFAULT[name.split('-')[0].toLowerCase()]] ?? LOCALES['en-US'];
}

function groupDigits(int, info, useGrouping) {
  if (useGrouping === false || int.length < (info.minGroup ?? 4)) return int;
  if (info.indian && int.length > 3) {
    const head = int.slice(0, -3);
    return `${head.replace(/\B(?=(\d{2})+$)/g, info.group)}${info.group}${int.slice(-3)}`;
  }
  return int.replace(/\B(?=(\d{3})+$)/g, info.group);
}

/** Decimal digits of |x| rounded half away from zero to `max` fraction digits, trimmed to `min`. */
function fixedDigits(x, min, max) {
  if (x >= 1e21) return [BigInt(x).toString(), ''.padEnd(min, '0')];
  let text = x.toFixed(max);
  // toFixed rounds the binary value; ICU rounds the shortest decimal form: 1.005 -> 1.01
  const shortest = String(x);
  if (!shortest.includes('e')) {
    const [i, f = ''] = shortest.split('.');
    if (f.length > max) {
      const digits = `${i}${f.slice(0, max)}`;
      const up = Number(f[max]) >= 5;
      const n = BigInt(digits) + (up ? 1n : 0n);
      const s = n.toString().padStart(max + 1, '0');
      text = max > 0 ? `${s.slice(0, -max)}.${s.slice(-max)}` : s;
    }
  }
  let [int, frac = ''] = text.split('.');
  while (frac.length > min && frac.endsWith('0')) frac = frac.slice(0, -1);
  return [int, frac];
}

function formatNumber(value, locales, options = {}) {
  const info = localeInfo(locales);
  if (typeof value === 'bigint') {
    const neg = value < 0n;
    const s = groupDigits((neg ? -value : value).toString(), info, options.useGrouping);
    return neg ? `-${s}` : s;
  }
  let x = Number(value);
  if (Number.isNaN(x)) return 'NaN';
  const style = options.style ?? 'decimal';
  const currency = style === 'currency' ? String(options.currency ?? '').toUpperCase() : undefined;
  if (style === 'currency' && !currency)
    throw new TypeError('Currency code is required with currency style.');
  if (style === 'percent') x *= 100;
  const negative = x < 0 || Object.is(x, -0);
  x = Math.abs(x);
  let body;
  if (x === Infinity) body = '∞';
  else {
    let suffix = '';
    if (options.notation === 'compact') {
      const units = [
        [1e12, 'T'],
        [1e9, 'B'],
        [1e6, 'M'],
        [1e3, 'K'],
      ];
      for (const [size, unit] of units) {
        if (x >= size) {
          x /= size;
          suffix = unit;
          break;
        }
      }
    }
    const curDigits = currency ? (CURRENCY_DIGITS[currency] ?? 2) : undefined;
    let minF = options.minimumFractionDigits;
    let maxF = options.maximumFractionDigits;
    const defaultMax = suffix ? (x < 100 ? 1 : 0) : style === 'percent' ? 0 : (curDigits ?? 3);
    const defaultMin = curDigits ?? 0;
    if (minF === undefined) minF = maxF === undefined ? defaultMin : Math.min(defaultMin, maxF);
    if (maxF === undefined) maxF = Math.max(minF, defaultMax);
    if (minF > maxF || maxF > 100 || minF < 0)
      throw new RangeError('maximumFractionDigits value is out of range.');
    let [int, frac] = fixedDigits(x, minF, maxF);
    const minI = options.minimumIntegerDigits ?? 1;
    int = int.padStart(minI, '0');
    body = groupDigits(int, info, options.useGrouping) + (frac ? info.decimal + frac : '') + suffix;
  }
  if (style === 'percent') body += info.pct;
  if (currency) {
    const symbol =
      options.currencyDisplay === 'code'
        ? `${currency}\u00a0`
        : (CURRENCY_SYMBOLS[currency] ?? `${currency}\u00a0`);
    if (info.cur === 'after') body = `${body}\u00a0${symbol.trim()}`;
    else if (info.cur === 'before-space') body = `${symbol.trim()}\u00a0${body}`;
    else body = `${symbol}${body}`;
  }
  const zero = /^[^1-9]*$/.test(body);
  return negative && !(zero && !Object.is(Number(value), -0)) ? `-${body}` : body;
}

const numberToLocale = function toLocaleString(locales, options) {
  return formatNumber(Number.prototype.valueOf.call(this), locales, options);
};
ObjectDefineProperty(Number.prototype, 'toLocaleString', {
  value: numberToLocale,
  writable: true,
  configurable: true,
  enumerable: false,
});
ObjectDefineProperty(BigInt.prototype, 'toLocaleString', {
  value: function toLocaleString(locales, options) {
    return formatNumber(BigInt.prototype.valueOf.call(this), locales, options);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});
ObjectDefineProperty(Array.prototype, 'toLocaleString', {
  value: function toLocaleString(locales, options) {
    return Array.prototype.map
      .call(this, (v) =>
        v === null || v === undefined
          ? ''
          : locales === undefined && options === undefined
            ? v.toLocaleString()
            : v.toLocaleString(locales, options),
      )
      .join(',');
  },
  writable: true,
  configurable: true,
  enumerable: false,
});

// ---- dates (UTC: the sandbox's time zone)
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const pad2 = (n) => String(n).padStart(2, '0');

function dateParts(date) {
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth(),
    day: date.getUTCDate(),
    weekday: date.getUTCDay(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
  };
}

function checkTimeZone(options) {
  const tz = options?.timeZone;
  if (tz !== undefined && !/^(utc|gmt|etc\/utc|etc\/gmt|z)$/i.test(String(tz))) {
    throw new RangeError(
      `time zone ${tz} is not available in the wasm sandbox (no time zone data; times are UTC); run this code on the node backend`,
    );
  }
}

function formatTime(p, info, options) {
  const hour12 =
    options.hour12 ??
    (options.hourCycle ? options.hourCycle === 'h12' || options.hourCycle === 'h11' : info.hour12);
  const showSecond =
    options.second !== undefined || (options.hour === undefined && options.minute === undefined);
  const showMinute = options.minute !== undefined || options.hour === undefined || showSecond;
  let h = p.hour;
  let ampm = '';
  if (hour12) {
    ampm = h < 12 ? 'AM' : 'PM';
    if (info.lowerAmPm) ampm = ampm.toLowerCase();
    h = h % 12 || 12;
  }
  const hourText =
    options.hour === '2-digit' || (!hour12 && options.hour !== 'numeric') ? pad2(h) : String(h);
  let text = hourText;
  if (showMinute) text += `:${pad2(p.minute)}`;
  if (showSecond) text += `:${pad2(p.second)}`;
  return hour12 ? `${text} ${ampm}` : text;
}

function formatDate(p, info, options) {
  const { weekday, year, month, day } = options;
  const textual = month === 'long' || month === 'short' || month === 'narrow';
  if (textual || (weekday && !year && !month && !day)) {
    const monthName =
      month === 'long'
        ? MONTHS[p.month]
        : month === 'short'
          ? MONTHS[p.month].slice(0, 3)
          : month === 'narrow'
            ? MONTHS[p.month][0]
            : '';
    const dayText = day ? (day === '2-digit' ? pad2(p.day) : String(p.day)) : '';
    let text = [monthName, dayText].filter(Boolean).join(' ');
    if (year) text = text ? `${text}, ${year === '2-digit' ? pad2(p.year % 100) : p.year}` : String(p.year);
    if (weekday) {
      const w =
        weekday === 'long'
          ? WEEKDAYS[p.weekday]
          : weekday === 'short'
            ? WEEKDAYS[p.weekday].slice(0, 3)
            : WEEKDAYS[p.weekday][0];
      text = text ? `${w}, ${text}` : w;
    }
    return text;
  }
  const parts = [];
  const d = day === '2-digit' || (info.pad && day !== 'numeric') ? pad2(p.day) : String(p.day);
  const m =
    month === '2-digit' || (info.pad && month !== 'numeric') ? pad2(p.month + 1) : String(p.month + 1);
  const y = year === '2-digit' ? pad2(p.year % 100) : String(p.year);
  const has = (k) => options[k] !== undefined || (!year && !month && !day);
  for (const field of info.date) {
    if (field === 'd' && has('day')) parts.push(d);
    if (field === 'm' && has('month')) parts.push(m);
    if (field === 'y' && has('year')) parts.push(y);
  }
  return parts.join(info.dateSep);
}

const DATE_STYLES = {
  full: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' },
  long: { year: 'numeric', month: 'long', day: 'numeric' },
  medium: { year: 'numeric', month: 'short', day: 'numeric' },
  short: { year: '2-digit', month: 'numeric', day: 'numeric' },
};

function localeDate(date, locales, options, defaults) {
  if (Number.isNaN(date.getTime())) return 'Invalid Date';
  options = options ?? {};
  checkTimeZone(options);
  const info = localeInfo(locales);
  const p = dateParts(date);
  const dateKeys = ['weekday', 'year', 'month', 'day'];
  const timeKeys = ['hour', 'minute', 'second'];
  let dateOptions = {};
  let timeOptions;
  if (options.dateStyle || options.timeStyle) {
    if (options.dateStyle) dateOptions = DATE_STYLES[options.dateStyle] ?? {};
    else dateOptions = undefined;
    if (options.timeStyle)
      timeOptions =
        options.timeStyle === 'short'
          ? { hour: 'numeric', minute: '2-digit' }
          : { hour: 'numeric', minute: '2-digit', second: '2-digit' };
    const text = [
      dateOptions && formatDate(p, info, dateOptions),
      timeOptions && formatTime(p, info, { ...options, ...timeOptions }),
    ].filter(Boolean);
    return text.join(options.dateStyle === 'full' || options.dateStyle === 'long' ? ' at ' : ', ');
  }
  const anyDate = dateKeys.some((k) => options[k] !== undefined);
  const anyTime = timeKeys.some((k) => options[k] !== undefined);
  const showDate = anyDate || (!anyTime && defaults !== 'time');
  const showTime = anyTime || (!anyDate && defaults !== 'date');
  if (showDate) for (const k of dateKeys) if (options[k] !== undefined) dateOptions[k] = options[k];
  const text = [];
  if (showDate) text.push(formatDate(p, info, dateOptions));
  if (showTime) text.push(formatTime(p, info, options));
  return text.join(info === LOCALES['ja-JP'] || info === LOCALES['fr-FR'] ? ' ' : ', ');
}

for (const [name, defaults] of [
  ['toLocaleString', 'all'],
  ['toLocaleDateString', 'date'],
  ['toLocaleTimeString', 'time'],
]) {
  ObjectDefineProperty(Date.prototype, name, {
    value: {
      [name](locales, options) {
        return localeDate(this, locales, options, defaults);
      },
    }[name],
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

// node (ICU) names the zone: "GMT+0000 (Coordinated Universal Time)"
for (const name of ['toString', 'toTimeString']) {
  const original = Date.prototype[name];
  ObjectDefineProperty(Date.prototype, name, {
    value: {
      [name]() {
        const text = ReflectApply(original, this, []);
        return text.endsWith('GMT+0000') ? `${text} (Coordinated Universal Time)` : text;
      },
    }[name],
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

// ---- collation: ICU's root order for the common cases (letters by base letter, then accents,
// then case with lower first; digits before letters; punctuation first)
function collationKey(s) {
  return s.normalize('NFD');
}
function baseChar(c) {
  return c.replace(/[\u0300-\u036f]/g, '').toLowerCase();
}
function charClass(c) {
  if (/\s/.test(c)) return 0;
  if (/[\p{P}\p{S}]/u.test(c)) return 1;
  if (/\p{N}/u.test(c)) return 2;
  return 3;
}
function compareStrings(a, b, options) {
  const numeric = options?.numeric === true;
  const sensitivity = options?.sensitivity ?? 'variant';
  const x = collationKey(String(a));
  const y = collationKey(String(b));
  const tokens = (s) => s.match(numeric ? /\d+|[^\d][\u0300-\u036f]*/gu : /.[\u0300-\u036f]*/gsu) ?? [];
  const tx = tokens(x);
  const ty = tokens(y);
  // level 1: base letters (and numbers by value)
  for (let i = 0; i < Math.min(tx.length, ty.length); i++) {
    const p = tx[i];
    const q = ty[i];
    if (numeric && /^\d/.test(p) && /^\d/.test(q)) {
      const d = BigInt(p) - BigInt(q);
      if (d !== 0n) return d < 0n ? -1 : 1;
      continue;
    }
    const bp = baseChar(p);
    const bq = baseChar(q);
    if (bp !== bq) {
      const cp = charClass(bp);
      const cq = charClass(bq);
      if (cp !== cq) return cp < cq ? -1 : 1;
      return bp < bq ? -1 : 1;
    }
  }
  if (tx.length !== ty.length) return tx.length < ty.length ? -1 : 1;
  if (sensitivity === 'base') return 0;
  // level 2: accents
  for (let i = 0; i < tx.length; i++) {
    const ap = tx[i].slice(1);
    const aq = ty[i].slice(1);
    if (ap !== aq) return ap < aq ? -1 : 1;
  }
  if (sensitivity === 'accent') return 0;
  // level 3: case, lower first
  for (let i = 0; i < tx.length; i++) {
    if (tx[i] !== ty[i]) {
      const lp = tx[i] === tx[i].toLowerCase();
      const lq = ty[i] === ty[i].toLowerCase();
      if (lp !== lq) return lp ? -1 : 1;
      return tx[i] < ty[i] ? -1 : 1;
    }
  }
  return 0;
}
ObjectDefineProperty(String.prototype, 'localeCompare', {
  value: function localeCompare(that, locales, options) {
    if (this === null || this === undefined)
      throw new TypeError('String.prototype.localeCompare called on null or undefined');
    return compareStrings(String(this), String(that), options);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});
