// The built-ins this layer replaces (locale methods, Date.now, Math.random) look like built-ins:
// methods, not constructors, with the standard `length`, and `[native code]` as their source.

const nativeFunctions = new WeakSet();
const FunctionToString = Function.prototype.toString;

function markNative(target, name, length) {
  const impl = target[name];
  const method = {
    [name](...args) {
      return ReflectApply(impl, this, args);
    },
  }[name];
  ObjectDefineProperty(method, 'length', { value: length, configurable: true });
  nativeFunctions.add(method);
  ObjectDefineProperty(target, name, { value: method, writable: true, configurable: true, enumerable: false });
}

for (const [target, name, length] of [
  [Number.prototype, 'toLocaleString', 0],
  [BigInt.prototype, 'toLocaleString', 0],
  [Array.prototype, 'toLocaleString', 0],
  [Date.prototype, 'toLocaleString', 0],
  [Date.prototype, 'toLocaleDateString', 0],
  [Date.prototype, 'toLocaleTimeString', 0],
  [Date.prototype, 'toString', 0],
  [Date.prototype, 'toTimeString', 0],
  [String.prototype, 'localeCompare', 1],
  [Date, 'now', 0],
  [Math, 'random', 0],
]) {
  markNative(target, name, length);
}

const nativeToString = {
  toString() {
    if (nativeFunctions.has(this)) {
      const d = Object.getOwnPropertyDescriptor(this, 'name');
      return `function ${d && typeof d.value === 'string' ? d.value : ''}() { [native code] }`;
    }
    return ReflectApply(FunctionToString, this, []);
  },
}.toString;
nativeFunctions.add(nativeToString);
ObjectDefineProperty(Function.prototype, 'toString', {
  value: nativeToString,
  writable: true,
  configurable: true,
  enumerable: false,
});
