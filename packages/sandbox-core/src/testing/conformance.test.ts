import { describe, expect, it } from 'vitest';
import { FakeBackend, type FakeDefects, fakeKit } from '../test-support/fake-backend.js';
import { conformanceCases, describeBackendConformance } from './index.js';

// The suite passes against a correct backend...
describeBackendConformance('fake', () => new FakeBackend(), { kit: fakeKit });

// ...and each deliberate defect makes exactly the case that guards it fail.
describe('conformance suite catches broken backends', () => {
  const cases = conformanceCases({ kit: fakeKit, loopTimeoutMs: 200, timeoutMarginMs: 500 });
  const byName = (fragment: string) => {
    const found = cases.find((c) => c.name.includes(fragment));
    if (!found) throw new Error(`no case named like ${fragment}`);
    return found;
  };

  const defects: Array<[keyof FakeDefects, string]> = [
    ['ignoreTimeout', 'infinite loop'],
    ['noTruncate', 'output flood'],
    ['sharedOutput', 'concurrent executions'],
    ['leakOnClose', 'close() releases'],
    ['dropInput', 'input visible'],
  ];

  for (const [defect, caseName] of defects) {
    it(`fails '${caseName}' when the backend has defect ${defect}`, async () => {
      const create = () => new FakeBackend({ [defect]: true });
      const broken = create();
      try {
        await expect(byName(caseName).run(broken, create)).rejects.toThrow();
      } finally {
        await broken.close();
      }
    }, 20_000);

    it(`passes '${caseName}' on the correct fake (control for ${defect})`, async () => {
      const create = () => new FakeBackend();
      const backend = create();
      try {
        await byName(caseName).run(backend, create);
      } finally {
        await backend.close();
      }
    }, 20_000);
  }
});
