/** The unlock attempt schedule: five free failures, then doubling waits up to an hour. */
import { describe, expect, it } from 'vitest';
import { FIRST_BACKOFF_MS, FREE_ATTEMPTS, MAX_BACKOFF_MS, unlockWaitMs } from './vault';

describe('unlockWaitMs', () => {
  it('lets the first five failures retry at once', () => {
    for (let count = 0; count < FREE_ATTEMPTS; count++) {
      expect(unlockWaitMs({ count, lastAt: 1000 }, 1000)).toBe(0);
    }
  });
  it('doubles the wait from the fifth failure on, counted from the last one', () => {
    expect(unlockWaitMs({ count: FREE_ATTEMPTS, lastAt: 1000 }, 1000)).toBe(FIRST_BACKOFF_MS);
    expect(unlockWaitMs({ count: FREE_ATTEMPTS + 1, lastAt: 1000 }, 1000)).toBe(
      2 * FIRST_BACKOFF_MS,
    );
    expect(unlockWaitMs({ count: FREE_ATTEMPTS, lastAt: 1000 }, 1000 + FIRST_BACKOFF_MS)).toBe(0);
  });
  it('never waits longer than an hour', () => {
    expect(unlockWaitMs({ count: FREE_ATTEMPTS + 40, lastAt: 0 }, 0)).toBe(MAX_BACKOFF_MS);
  });
});
