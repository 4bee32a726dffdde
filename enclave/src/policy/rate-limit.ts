/**
 * Rate limits: token buckets. Each bucket holds up to `perMinute` tokens and refills at
 * `perMinute` tokens a minute; an act takes one token, or is refused `RATE_LIMITED` with the
 * time until a token is back. The limits of a deployment are build configuration
 * (`RateLimits`); a key may be set tighter at creation or by `restrictKey`.
 *
 * Each channel's {@link RateLimiter} is a first check in the key worker (one per tab). What
 * counts over every tab of the origin is stored with the keystore and taken by the audit trail
 * (`audit.ts`): key and origin uses and refused requests at the commit of each call's entry,
 * key creations before the key is made.
 */
import { StrongroomError, type StrongroomErrorCode } from '@strongroom/bridge/errors';
import type { RateLimits } from '@strongroom/bridge/protocol';

/** Codes that mean the caller sent something it should not have: they count toward throttling. */
export const VIOLATIONS: ReadonlySet<StrongroomErrorCode> = new Set([
  'PROTOCOL_VIOLATION',
  'INVALID_ARGUMENT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_ALGORITHM',
]);

/** The state of a token bucket as stored (shared by every tab of the origin). */
export interface BucketState {
  readonly tokens: number;
  readonly at: number;
}

/**
 * Take one token from a stored bucket of `perMinute` (full when `state` is absent). Returns the
 * new state, or the milliseconds to wait (and the state unchanged) when it is empty.
 */
export function takeStored(
  state: BucketState | undefined,
  perMinute: number,
  now: number,
): { state: BucketState; wait: number } {
  const before = state ?? { tokens: perMinute, at: now };
  const elapsed = Math.max(0, now - before.at);
  const tokens = Math.min(perMinute, before.tokens + (elapsed * perMinute) / 60_000);
  if (tokens < 1) {
    return { state: before, wait: Math.ceil(((1 - tokens) * 60_000) / perMinute) };
  }
  return { state: { tokens: tokens - 1, at: now }, wait: 0 };
}

/** One token bucket. */
export class TokenBucket {
  readonly perMinute: number;
  #tokens: number;
  #at: number;

  /**
   * A bucket of `perMinute` tokens at time `now` (ms): full, or holding `tokens` (capped at
   * `perMinute`) when it replaces a bucket whose limit changed.
   */
  constructor(perMinute: number, now: number, tokens: number = perMinute) {
    this.perMinute = perMinute;
    this.#tokens = Math.min(perMinute, tokens);
    this.#at = now;
  }

  /** The tokens held at `now` (refilled up to then). */
  tokens(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#at);
    this.#tokens = Math.min(this.perMinute, this.#tokens + (elapsed * this.perMinute) / 60_000);
    this.#at = now;
  }

  /** Milliseconds until a token is available: `0` when one is available now. */
  wait(now: number): number {
    this.#refill(now);
    if (this.#tokens >= 1) return 0;
    return Math.ceil(((1 - this.#tokens) * 60_000) / this.perMinute);
  }

  /** Take a token (call only after `wait` returned 0). */
  take(now: number): void {
    this.#refill(now);
    this.#tokens -= 1;
  }
}

/** How long a channel stays throttled once its refused-request bucket ran empty (6 s). */
export const THROTTLE_MS = 6_000;

/** A `RATE_LIMITED` refusal saying what was limited and when to retry. */
export function limited(what: string, retryAfterMs: number): StrongroomError {
  return new StrongroomError('RATE_LIMITED', `${what}; retry in ${retryAfterMs} ms`, {
    retryAfterMs,
  });
}

/** The buckets of one channel: per key, per origin, key creations, refused requests. */
export class RateLimiter {
  readonly limits: RateLimits;
  readonly #keys = new Map<string, TokenBucket>();
  readonly #origin: TokenBucket;
  readonly #creations: TokenBucket;
  readonly #violations: TokenBucket;
  /** Until when the channel is throttled for refused requests (policy clock). */
  #throttledUntil = 0;

  /** Buckets for `limits`, full at `now`. */
  constructor(limits: RateLimits, now: number) {
    this.limits = limits;
    this.#origin = new TokenBucket(limits.originUsesPerMinute, now);
    this.#creations = new TokenBucket(limits.keyCreationsPerMinute, now);
    this.#violations = new TokenBucket(limits.violationsPerMinute, now);
  }

  /** The uses per minute in effect for a key that set `own` (or `null`). */
  keyLimit(own: number | null): number {
    return Math.min(own ?? this.limits.keyUsesPerMinute, this.limits.keyUsesPerMinute);
  }

  /** Take one use of each key (and of the origin), or throw `RATE_LIMITED` taking nothing. */
  use(keys: readonly { id: string; usesPerMinute: number | null }[], now: number): void {
    const buckets = keys.map(({ id, usesPerMinute }) => {
      const limit = this.keyLimit(usesPerMinute);
      let bucket = this.#keys.get(id);
      if (!bucket || bucket.perMinute !== limit) {
        // A changed limit (restrictKey) keeps what was left, capped at the new limit: narrowing
        // never refills the bucket.
        bucket = new TokenBucket(limit, now, bucket ? bucket.tokens(now) : limit);
        this.#keys.set(id, bucket);
      }
      return bucket;
    });
    for (const bucket of buckets) {
      const wait = bucket.wait(now);
      if (wait > 0) throw limited('this key was used too often', wait);
    }
    const wait = this.#origin.wait(now);
    if (wait > 0) throw limited("this origin's keys were used too often", wait);
    for (const bucket of buckets) bucket.take(now);
    this.#origin.take(now);
  }

  /** Take one key creation, or throw `RATE_LIMITED`. */
  create(now: number): void {
    const wait = this.#creations.wait(now);
    if (wait > 0) throw limited('too many keys were created', wait);
    this.#creations.take(now);
  }

  /**
   * Count one refused request of the channel. When its bucket is empty, the channel is
   * throttled for a tenth of a minute (every call refused), and again each time it runs empty.
   */
  violation(now: number): void {
    if (this.#violations.wait(now) === 0) this.#violations.take(now);
    else this.#throttledUntil = now + THROTTLE_MS;
  }

  /** Throw `RATE_LIMITED` while the channel is throttled for refused requests. */
  assertNotThrottled(now: number): void {
    const wait = Math.ceil(this.#throttledUntil - now);
    if (wait > 0) throw limited('this channel sent too many refused requests', wait);
  }
}
