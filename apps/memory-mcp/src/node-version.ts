/** The Node versions memory-mcp runs on, in words. */
export const SUPPORTED_NODE = 'need 20.19+ on 20, 22.13+ on 22, or 24+';

/** Lowest supported version per major line; majors not listed between them are not supported. */
const MINIMUMS: Record<number, [number, number]> = { 20: [19, 0], 22: [13, 0] };

/** Whether a full version (`22.12.0`, `v24.1.0`) is supported, comparing major, minor and patch. */
export function nodeVersionSupported(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version
    .replace(/^v/, '')
    .split('.')
    .map((n) => Number.parseInt(n, 10));
  if (major >= 24) return true;
  const minimum = MINIMUMS[major];
  if (!minimum) return false;
  return minor > minimum[0] || (minor === minimum[0] && patch >= minimum[1]);
}
