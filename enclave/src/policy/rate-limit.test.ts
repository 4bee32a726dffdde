import { DEFAULT_RATE_LIMITS } from '@strongroom/bridge/protocol';
import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket } from './rate-limit';

const LIMITS = { ...DEFAULT_RATE_LIMITS, keyUsesPerMinute: 6, originUsesPerMinute: 10 };

function rateLimited(fn: () => void): number {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: string; retryAfterMs?: number };
    expect(e.code).toBe('RATE_LIMITED');
    return e.retryAfterMs ?? -1;
  }
  throw new Error('expected RATE_LIMITED');
}

describe('a token bucket', () => {
  it('holds perMinute tokens and refills continuously', () => {
    const bucket = new TokenBucket(60, 0);
    for (let i = 0; i < 60; i++) {
      expect(bucket.wait(0)).toBe(0);
      bucket.take(0);
    }
    expect(bucket.wait(0)).toBe(1000);
    expect(bucket.wait(500)).toBe(500);
    expect(bucket.wait(1000)).toBe(0);
    // Never more than perMinute, however long it waits.
    expect(bucket.wait(10 * 60_000)).toBe(0);
    for (let i = 0; i < 60; i++) bucket.take(10 * 60_000);
    expect(bucket.wait(10 * 60_000)).toBeGreaterThan(0);
  });
});

describe('the rate limiter', () => {
  it('limits each key to its own uses per minute, capped by the deployment', () => {
    const limiter = new RateLimiter(LIMITS, 0);
    const tight = { id: 'a', usesPerMinute: 2 };
    const wide = { id: 'b', usesPerMinute: 1000 };
    limiter.use([tight], 0);
    limiter.use([tight], 0);
    expect(rateLimited(() => limiter.use([tight], 0))).toBe(30_000);
    expect(limiter.keyLimit(1000)).toBe(6);
    for (let i = 0; i < 6; i++) limiter.use([wide], 0);
    expect(rateLimited(() => limiter.use([wide], 0))).toBe(10_000);
    // Recovery.
    limiter.use([tight], 30_000);
  });

  it('limits the whole origin, and a refused call takes no token from any bucket', () => {
    const limiter = new RateLimiter(LIMITS, 0);
    for (let i = 0; i < 10; i++) limiter.use([{ id: `k${i}`, usesPerMinute: null }], 0);
    rateLimited(() => limiter.use([{ id: 'fresh', usesPerMinute: null }], 0));
    // `fresh` lost nothing: six uses once the origin has room again.
    for (let i = 0; i < 6; i++) limiter.use([{ id: 'fresh', usesPerMinute: null }], 60_000);
  });

  it("keeps what is left of a key's bucket when its limit is narrowed, capped at the new limit", () => {
    const limiter = new RateLimiter({ ...LIMITS, originUsesPerMinute: 1000 }, 0);
    const at = (usesPerMinute: number) => [{ id: 'k', usesPerMinute }];
    // 6 per minute: 4 used, 2 left.
    for (let i = 0; i < 4; i += 1) limiter.use(at(6), 0);
    // Narrowed to 5, then 4, then 3: each keeps the 2 left instead of a full new bucket.
    limiter.use(at(5), 0);
    limiter.use(at(4), 0);
    expect(rateLimited(() => limiter.use(at(3), 0))).toBeGreaterThan(0);
    // Narrowed below what is left: capped at the new limit (1), not the 6 - 4 = 2 left.
    const other = new RateLimiter({ ...LIMITS, originUsesPerMinute: 1000 }, 0);
    for (let i = 0; i < 4; i += 1) other.use([{ id: 'j', usesPerMinute: null }], 0);
    other.use([{ id: 'j', usesPerMinute: 1 }], 0);
    expect(rateLimited(() => other.use([{ id: 'j', usesPerMinute: 1 }], 0))).toBe(60_000);
  });

  it('limits key creations', () => {
    const limiter = new RateLimiter({ ...LIMITS, keyCreationsPerMinute: 2 }, 0);
    limiter.create(0);
    limiter.create(0);
    expect(rateLimited(() => limiter.create(0))).toBe(30_000);
    limiter.create(30_000);
  });

  it('throttles a channel for 6 s once its refused requests exceed violationsPerMinute', () => {
    const limiter = new RateLimiter({ ...LIMITS, violationsPerMinute: 3 }, 0);
    for (let i = 0; i < 3; i++) {
      limiter.assertNotThrottled(0);
      limiter.violation(0);
    }
    // The bucket is empty but the channel is not throttled until one more is refused.
    limiter.assertNotThrottled(0);
    limiter.violation(0);
    expect(rateLimited(() => limiter.assertNotThrottled(0))).toBe(6_000);
    expect(rateLimited(() => limiter.assertNotThrottled(5_999))).toBe(1);
    limiter.assertNotThrottled(6_000);
  });
});
