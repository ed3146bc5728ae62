// Timers on virtual time. Nothing here waits on the wall clock: when the job queue is empty the
// driver fires the earliest timer (deadline order, then creation order) and moves the virtual clock
// to its deadline. Immediates run before the next timer. Fuel bounds a program that never stops
// scheduling. performance.now() and Date.now() include the virtual time that has passed.

const TIMEOUT_MAX = 2147483647;
const timers = new Map();
const immediates = [];
let timerSeq = 0;
let nextTimerId = 1;
let virtualMs = 0;

class Timeout {
  #id;
  constructor(id) {
    this.#id = id;
  }
  /** As in node: a program whose only timers are unref'd ones is done. */
  ref() {
    const t = timers.get(this.#id);
    if (t) t.ref = true;
    return this;
  }
  unref() {
    const t = timers.get(this.#id);
    if (t) t.ref = false;
    return this;
  }
  hasRef() {
    return timers.get(this.#id)?.ref ?? false;
  }
  refresh() {
    const t = timers.get(this.#id);
    if (t) {
      t.due = virtualMs + t.delay;
      t.seq = timerSeq++;
    }
    return this;
  }
  close() {
    timers.delete(this.#id);
    return this;
  }
  [Symbol.toPrimitive]() {
    return this.#id;
  }
  /** The timer id of a handle this layer made; undefined for anything else. */
  static idOf(handle) {
    return #id in handle ? handle.#id : undefined;
  }
}

function timerDelay(ms) {
  const n = Number(ms);
  return n >= 1 && n <= TIMEOUT_MAX ? Math.trunc(n) : 1;
}

function checkCallback(fn) {
  if (typeof fn !== 'function') {
    throw new TypeError(
      `The "callback" argument must be of type function. Received ${fn === null ? 'null' : typeof fn}`,
    );
  }
}

function addTimer(fn, ms, args, repeat) {
  checkCallback(fn);
  const id = nextTimerId++;
  const delay = timerDelay(ms);
  timers.set(id, { fn, args, delay, repeat, due: virtualMs + delay, seq: timerSeq++, ref: true });
  return new Timeout(id);
}

function timerId(handle) {
  if (handle === null || handle === undefined) return undefined;
  if (typeof handle === 'object') return Timeout.idOf(handle);
  return Number(handle);
}

function clearTimer(handle) {
  const id = timerId(handle);
  if (id !== undefined) timers.delete(id);
}

class Immediate {
  constructor(entry) {
    this._entry = entry;
  }
  ref() {
    return this;
  }
  unref() {
    return this;
  }
  hasRef() {
    return true;
  }
}

defineGlobal('setTimeout', function setTimeout(fn, ms, ...args) {
  return addTimer(fn, ms, args, false);
});
defineGlobal('setInterval', function setInterval(fn, ms, ...args) {
  return addTimer(fn, ms, args, true);
});
defineGlobal('clearTimeout', function clearTimeout(handle) {
  clearTimer(handle);
});
defineGlobal('clearInterval', function clearInterval(handle) {
  clearTimer(handle);
});
defineGlobal('setImmediate', function setImmediate(fn, ...args) {
  checkCallback(fn);
  const entry = { fn, args, cleared: false };
  immediates.push(entry);
  return new Immediate(entry);
});
defineGlobal('clearImmediate', function clearImmediate(handle) {
  if (handle instanceof Immediate) handle._entry.cleared = true;
});
/** `await sleep(ms)`: resolves after `ms` of virtual time. */
defineGlobal('sleep', function sleep(ms) {
  return new Promise((resolve) => addTimer(resolve, ms, [], false));
});

// The clocks include virtual time, so `await sleep(100)` takes 100 ms by Date.now() too.
const enginePerformance = performance;
const realPerformanceNow = () => enginePerformance.now();
const performanceObject = {
  now() {
    return realPerformanceNow() + virtualMs;
  },
  get timeOrigin() {
    return realDateNow() - realPerformanceNow();
  },
  toJSON() {
    return { timeOrigin: this.timeOrigin };
  },
};
Object.defineProperty(performanceObject, Symbol.toStringTag, { value: 'Performance', configurable: true });
defineGlobal('performance', performanceObject);
const realDateNow = Date.now;
ObjectDefineProperty(Date, 'now', {
  value: function now() {
    return realDateNow() + virtualMs;
  },
  writable: true,
  configurable: true,
  enumerable: false,
});

/** Runs what is due next: the pending immediates, else the earliest timer. False when idle. */
function fireNextTimer() {
  if (immediates.length > 0) {
    const batch = immediates.splice(0, immediates.length);
    for (const entry of batch) {
      if (!entry.cleared) ReflectApply(entry.fn, globalThis, entry.args);
    }
    return true;
  }
  let nextId;
  let next;
  let anyRef = false;
  for (const [id, t] of timers) {
    anyRef ||= t.ref;
    if (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq)) {
      next = t;
      nextId = id;
    }
  }
  if (!next || !anyRef) return false;
  if (next.due > virtualMs) virtualMs = next.due;
  if (next.repeat) {
    next.due = virtualMs + next.delay;
    next.seq = timerSeq++;
  } else {
    timers.delete(nextId);
  }
  ReflectApply(next.fn, globalThis, next.args);
  return true;
}

/** Forgets every pending timer and immediate: a run that starts from a saved state starts idle. */
function resetTimers() {
  timers.clear();
  immediates.length = 0;
}
