// Error stacks as V8 writes them: "Name: message", then one "    at fn (file:line:column)" per
// frame. Lines are the user's own (the wrapper's first line is not theirs) and the layer's own
// frames are left out. Code may set Error.prepareStackTrace itself, as in node.

const ErrorToString = Error.prototype.toString;
const PRELUDE_FILE = 'memory-mcp:prelude';

function stackHeader(error) {
  try {
    return ReflectApply(ErrorToString, error, []);
  } catch {
    return 'Error';
  }
}

function formatFrame(site) {
  const file = site.getFileName();
  if (file === PRELUDE_FILE) return undefined;
  const name = site.getFunctionName();
  if (file === undefined || file === null) return `    at ${name || '<anonymous>'} (native)`;
  const line = file === 'input.js' ? site.getLineNumber() - 1 : site.getLineNumber();
  const location = `${file}:${line}:${site.getColumnNumber()}`;
  return name ? `    at ${name} (${location})` : `    at ${location}`;
}

// An assignment, not defineProperty: the engine keeps the hook behind an accessor.
Error.prepareStackTrace = function prepareStackTrace(error, sites) {
  const lines = [stackHeader(error)];
  for (const site of sites) {
    const frame = formatFrame(site);
    if (frame !== undefined) lines.push(frame);
  }
  return lines.join('\n');
};
