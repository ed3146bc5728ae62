import { describe, expect, it } from 'vitest';
import { nodeVersionSupported } from '../src/node-version.js';

describe('supported Node versions: full versions compared, not just the major', () => {
  it.each([
    ['20.18.3', false],
    ['20.19.0', true],
    ['v20.20.2', true],
    ['21.7.0', false],
    ['22.12.0', false],
    ['22.13.0', true],
    ['22.20.1', true],
    ['23.11.0', false],
    ['24.0.0', true],
    ['25.1.0', true],
    ['18.20.0', false],
  ])('%s → %s', (version, supported) => {
    expect(nodeVersionSupported(version)).toBe(supported);
  });
});
