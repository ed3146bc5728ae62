// 23-events.js: Event, CustomEvent, EventTarget, AbortController and AbortSignal (DOM Standard).
// There is no tree, so an event only reaches the listeners of its target. As in Node, listeners run in
// the order they were added (`capture` only tells listeners apart). As the standard says and unlike
// Node 20, passive listeners cannot cancel, listeners added during a dispatch wait for the next one,
// and currentTarget/eventPhase stay set for every listener. An error thrown by a listener is written
// to stderr (via host.write) as "Uncaught <error>" and the other listeners still run.
{
  const ReflectApply = Reflect.apply;
  const inspectCustom = Symbol.for('nodejs.util.inspect.custom');
  const DOMExceptionCtor = typeof DOMException === 'function' ? DOMException : null;
  const perf = globalThis.performance;
  const perfNow = perf && typeof perf.now === 'function' ? perf.now : null;
  const now = () => (perfNow === null ? 0 : ReflectApply(perfNow, perf, []));

  function domException(message, name) {
    if (DOMExceptionCtor !== null) return new DOMExceptionCtor(message, name);
    const error = new Error(message);
    error.name = name;
    return error;
  }

  function reportError(error) {
    let text;
    try {
      text = inspect(error); // from 30-inspect.js, initialized by the time listeners run
    } catch {
      try {
        text = String(error);
      } catch {
        text = 'exception';
      }
    }
    host.write(2, `Uncaught ${text}\n`);
  }

  // Node's way of printing these objects: `Name { ...fields }`, one level less deep.
  function inspectAs(self, fields, depth, options, inspect) {
    const name = self.constructor.name;
    if (typeof depth === 'number' && depth < 0) return name;
    if (typeof inspect !== 'function') return self;
    const opts = { ...options, depth: Number.isInteger(options?.depth) ? options.depth - 1 : options?.depth };
    return `${name} ${inspect(fields, opts)}`;
  }

  // Private state of events, for EventTarget.prototype.dispatchEvent (set up in Event's static block).
  let eventState;

  class Event {
    #type;
    #bubbles;
    #cancelable;
    #composed;
    #timeStamp = now();
    #target = null;
    #currentTarget = null;
    #phase = 0;
    #canceled = false;
    #stopPropagation = false;
    #stopImmediate = false;
    #dispatching = false;
    #inPassiveListener = false;

    constructor(type, init = undefined) {
      // biome-ignore lint/complexity/noArguments: new Event() differs from new Event(undefined)
      if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
      this.#type = `${type}`;
      this.#bubbles = Boolean(init?.bubbles);
      this.#cancelable = Boolean(init?.cancelable);
      this.#composed = Boolean(init?.composed);
    }

    static {
      eventState = {
        isEvent: (value) => value !== null && typeof value === 'object' && #type in value,
        isDispatching: (event) => event.#dispatching,
        begin(event, target) {
          event.#dispatching = true;
          event.#target = event.#currentTarget = target;
          event.#phase = 2; // AT_TARGET
        },
        setPassive(event, passive) {
          event.#inPassiveListener = passive;
        },
        stoppedImmediately: (event) => event.#stopImmediate,
        canceled: (event) => event.#canceled,
        end(event) {
          event.#dispatching = false;
          event.#currentTarget = null;
          event.#phase = 0;
          event.#stopPropagation = event.#stopImmediate = false;
        },
      };
    }

    get type() {
      return this.#type;
    }
    get bubbles() {
      return this.#bubbles;
    }
    get cancelable() {
      return this.#cancelable;
    }
    get composed() {
      return this.#composed;
    }
    get defaultPrevented() {
      return this.#canceled;
    }
    get timeStamp() {
      return this.#timeStamp;
    }
    get target() {
      return this.#target;
    }
    get srcElement() {
      return this.#target;
    }
    get currentTarget() {
      return this.#currentTarget;
    }
    get eventPhase() {
      return this.#phase;
    }
    get isTrusted() {
      return false;
    }
    get returnValue() {
      return !this.#canceled;
    }
    set returnValue(value) {
      if (!value) this.preventDefault();
    }
    get cancelBubble() {
      return this.#stopPropagation;
    }
    set cancelBubble(value) {
      if (value) this.#stopPropagation = true;
    }
    composedPath() {
      return this.#dispatching ? [this.#currentTarget] : [];
    }
    preventDefault() {
      if (this.#cancelable && !this.#inPassiveListener) this.#canceled = true;
    }
    stopPropagation() {
      this.#stopPropagation = true;
    }
    stopImmediatePropagation() {
      this.#stopPropagation = this.#stopImmediate = true;
    }

    [inspectCustom](depth, options, inspect) {
      const fields = {
        type: this.#type,
        defaultPrevented: this.#canceled,
        cancelable: this.#cancelable,
        timeStamp: this.#timeStamp,
      };
      return inspectAs(this, fields, depth, options, inspect);
    }
  }

  ['NONE', 'CAPTURING_PHASE', 'AT_TARGET', 'BUBBLING_PHASE'].forEach((name, value) => {
    const desc = { value, enumerable: true };
    Object.defineProperty(Event, name, desc);
    Object.defineProperty(Event.prototype, name, desc);
  });

  class CustomEvent extends Event {
    #detail;
    constructor(type, init = undefined) {
      // biome-ignore lint/complexity/noArguments: new Event() differs from new Event(undefined)
      if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
      super(type, init);
      this.#detail = init?.detail ?? null;
    }
    get detail() {
      return this.#detail;
    }
  }

  // AbortSignal internals, set up in AbortSignal's static block.
  let createSignal; // () => AbortSignal
  let abortSignal; // (signal, reason) => void
  let onAbort; // (signal, algorithm) => void: run `algorithm` when the signal aborts

  // Options of addEventListener/removeEventListener: a boolean (capture) or a dictionary.
  function flattenOptions(options) {
    if (options === null || typeof options !== 'object') {
      return { capture: Boolean(options), once: false, passive: false, signal: undefined };
    }
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError('The "options.signal" property must be an instance of AbortSignal');
    }
    return {
      capture: Boolean(options.capture),
      once: Boolean(options.once),
      passive: Boolean(options.passive),
      signal,
    };
  }

  class EventTarget {
    #listeners = new Map(); // type -> [{ callback, capture, once, passive, removed }]

    addEventListener(type, callback, options = undefined) {
      // biome-ignore lint/complexity/noArguments: a missing listener differs from an undefined one
      if (arguments.length < 2) throw new TypeError('The "type" and "listener" arguments must be specified');
      const { capture, once, passive, signal } = flattenOptions(options);
      if (callback === null || callback === undefined) return;
      if (typeof callback !== 'function' && typeof callback !== 'object') {
        throw new TypeError(
          'The "listener" argument must be a function or an object with a handleEvent method',
        );
      }
      if (signal?.aborted) return;
      type = `${type}`;
      let list = this.#listeners.get(type);
      if (list === undefined) {
        list = [];
        this.#listeners.set(type, list);
      }
      if (list.some((r) => r.callback === callback && r.capture === capture)) return;
      list.push({ callback, capture, once, passive, removed: false });
      if (signal !== undefined) onAbort(signal, () => this.removeEventListener(type, callback, { capture }));
    }

    removeEventListener(type, callback, options = undefined) {
      const { capture } = flattenOptions(options);
      const list = this.#listeners.get(`${type}`);
      const index =
        list === undefined ? -1 : list.findIndex((r) => r.callback === callback && r.capture === capture);
      if (index < 0) return;
      list[index].removed = true;
      list.splice(index, 1);
    }

    dispatchEvent(event) {
      if (!eventState.isEvent(event))
        throw new TypeError('The "event" argument must be an instance of Event');
      if (eventState.isDispatching(event))
        throw domException('The event is already being dispatched', 'InvalidStateError');
      eventState.begin(event, this);
      const list = this.#listeners.get(event.type);
      // Listeners added during the dispatch do not run; removed ones are skipped.
      for (const record of list === undefined ? [] : list.slice()) {
        if (record.removed) continue;
        if (record.once) this.removeEventListener(event.type, record.callback, { capture: record.capture });
        eventState.setPassive(event, record.passive);
        try {
          const callback = record.callback;
          if (typeof callback === 'function') ReflectApply(callback, this, [event]);
          else {
            const handleEvent = callback.handleEvent;
            if (typeof handleEvent !== 'function')
              throw new TypeError('The "listener.handleEvent" property must be a function');
            ReflectApply(handleEvent, callback, [event]);
          }
        } catch (error) {
          reportError(error);
        }
        eventState.setPassive(event, false);
        if (eventState.stoppedImmediately(event)) break;
      }
      eventState.end(event);
      return !eventState.canceled(event);
    }

    [inspectCustom](depth, options, inspect) {
      return inspectAs(this, {}, depth, options, inspect);
    }
  }

  const internalKey = Symbol('AbortSignal');

  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;
    #algorithms = [];
    #dependent = false;
    #sources = []; // for AbortSignal.any() signals: the signals it follows
    #dependents = []; // signals made by AbortSignal.any() that follow this one
    #onabort = null;
    #onabortListener = null;

    constructor(key = undefined) {
      if (key !== internalKey) throw new TypeError('Illegal constructor');
      super();
    }

    static {
      createSignal = () => new AbortSignal(internalKey);
      onAbort = (signal, algorithm) => {
        if (!signal.#aborted) signal.#algorithms.push(algorithm);
      };
      abortSignal = (signal, reason) => {
        if (signal.#aborted) return;
        signal.#aborted = true;
        signal.#reason =
          reason === undefined ? domException('This operation was aborted', 'AbortError') : reason;
        const dependents = signal.#dependents.filter((d) => !d.#aborted);
        for (const d of dependents) {
          d.#aborted = true;
          d.#reason = signal.#reason;
        }
        for (const s of [signal, ...dependents]) {
          const algorithms = s.#algorithms;
          s.#algorithms = [];
          for (const algorithm of algorithms) algorithm();
          s.dispatchEvent(new Event('abort'));
        }
      };
    }

    static abort(reason = undefined) {
      const signal = createSignal();
      abortSignal(signal, reason);
      return signal;
    }

    static timeout(milliseconds) {
      const ms = Number(milliseconds);
      if (!(ms >= 0 && ms <= Number.MAX_SAFE_INTEGER)) {
        throw new RangeError(`The value of "delay" is out of range. Received ${milliseconds}`);
      }
      const setTimer = globalThis.setTimeout;
      if (typeof setTimer !== 'function') throw new TypeError('AbortSignal.timeout() needs setTimeout');
      const signal = createSignal();
      const timeout = () =>
        abortSignal(signal, domException('The operation was aborted due to timeout', 'TimeoutError'));
      const timer = ReflectApply(setTimer, globalThis, [timeout, ms]);
      if (typeof timer?.unref === 'function') timer.unref(); // like Node, do not keep the program alive
      return signal;
    }

    static any(signals) {
      const list = [...signals];
      for (const s of list) {
        if (!(s !== null && typeof s === 'object' && #aborted in s)) {
          throw new TypeError('The "signals" argument must be an iterable of AbortSignal');
        }
      }
      const result = createSignal();
      const aborted = list.find((s) => s.#aborted);
      if (aborted !== undefined) {
        result.#aborted = true;
        result.#reason = aborted.#reason;
        return result;
      }
      result.#dependent = true;
      for (const s of list) {
        for (const source of s.#dependent ? s.#sources : [s]) {
          if (result.#sources.includes(source)) continue;
          result.#sources.push(source);
          source.#dependents.push(result);
        }
      }
      return result;
    }

    get aborted() {
      return this.#aborted;
    }
    get reason() {
      return this.#reason;
    }
    throwIfAborted() {
      if (this.#aborted) throw this.#reason;
    }

    // An event handler attribute: one listener, added when first set, that calls the current value.
    get onabort() {
      return this.#onabort;
    }
    set onabort(value) {
      this.#onabort = typeof value === 'function' ? value : null;
      if (this.#onabort !== null && this.#onabortListener === null) {
        this.#onabortListener = (event) => {
          const handler = this.#onabort;
          if (handler !== null) ReflectApply(handler, this, [event]);
        };
        this.addEventListener('abort', this.#onabortListener);
      } else if (this.#onabort === null && this.#onabortListener !== null) {
        this.removeEventListener('abort', this.#onabortListener);
        this.#onabortListener = null;
      }
    }

    [inspectCustom](depth, options, inspect) {
      return inspectAs(this, { aborted: this.#aborted }, depth, options, inspect);
    }
  }

  class AbortController {
    #signal = createSignal();
    get signal() {
      return this.#signal;
    }
    abort(reason = undefined) {
      abortSignal(this.#signal, reason);
    }
    [inspectCustom](depth, options, inspect) {
      return inspectAs(this, { signal: this.#signal }, depth, options, inspect);
    }
  }

  for (const cls of [Event, CustomEvent, EventTarget, AbortSignal, AbortController]) {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: cls.name, configurable: true });
    defineGlobal(cls.name, cls);
  }
}
