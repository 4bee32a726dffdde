import { describe, expect, it } from 'vitest';
import { AuditStateGuess, sameState } from './audit-state';
import type { AuditState } from './audit-store';
import type { StoredKeyRecord } from './schema';

const origin = 'https://app.example';

/** A key record as far as the audit commit reads it (the rest of the fields do not matter). */
function record(id: string, fields: Partial<StoredKeyRecord> = {}): StoredKeyRecord {
  return {
    id,
    owner: origin,
    state: 'active',
    version: 1,
    usage: { count: 0, lastUsedAt: null },
    ...fields,
  } as StoredKeyRecord;
}

function state(keys: StoredKeyRecord[], seq = 3): AuditState {
  return {
    head: { origin, seq, hash: 'a'.repeat(64), firstSeq: 1 },
    keys: new Map(keys.map((k) => [k.id, k])),
    originBucket: { tokens: 5, at: 10 },
    violations: { until: 0 },
    oldest: undefined,
  };
}

describe('sameState', () => {
  it('holds for two reads of the same stored state', () => {
    expect(sameState(state([record('k1')]), state([record('k1')]), ['k1'])).toBe(true);
  });

  it('fails when another tab moved the head', () => {
    expect(sameState(state([record('k1')], 3), state([record('k1')], 4), ['k1'])).toBe(false);
  });

  it('fails when a key used was revoked, rotated, used or deleted elsewhere', () => {
    const base = state([record('k1')]);
    for (const changed of [
      state([record('k1', { state: 'revoked' })]),
      state([record('k1', { version: 2 })]),
      state([record('k1', { usage: { count: 1, lastUsedAt: 5 } })]),
      state([record('k1', { bucket: { tokens: 1, at: 2 } })]),
      state([]),
    ]) {
      expect(sameState(base, changed, ['k1'])).toBe(false);
    }
  });

  it('fails when the shared buckets or the throttle changed', () => {
    const base = state([]);
    expect(sameState(base, { ...base, originBucket: { tokens: 4, at: 10 } }, [])).toBe(false);
    expect(sameState(base, { ...base, violations: { until: 99 } }, [])).toBe(false);
  });

  it('only compares the keys the commit uses', () => {
    expect(sameState(state([record('k1'), record('k2')]), state([record('k1')]), ['k1'])).toBe(
      true,
    );
  });
});

describe('AuditStateGuess', () => {
  it('has no guess before a commit, nor for a key it has not seen', () => {
    const guess = new AuditStateGuess();
    expect(guess.guess([])).toBeNull();
    guess.wrote(state([record('k1')]), {
      head: { origin, seq: 4, hash: 'b'.repeat(64), firstSeq: 1 },
      records: new Map(),
      originBucket: null,
      violations: null,
      pruned: false,
      firstWritten: undefined,
    });
    expect(guess.guess(['k2'])).toBeNull();
    expect(guess.guess(['k1'])).not.toBeNull();
  });

  it('guesses what the last commit wrote over what it read', () => {
    const guess = new AuditStateGuess();
    const used = record('k1', { usage: { count: 1, lastUsedAt: 7 } });
    guess.wrote(state([record('k1')]), {
      head: { origin, seq: 4, hash: 'b'.repeat(64), firstSeq: 1 },
      records: new Map([['k1', used]]),
      originBucket: { tokens: 4, at: 7 },
      violations: null,
      pruned: false,
      firstWritten: undefined,
    });
    const next = guess.guess(['k1']);
    expect(next?.head.seq).toBe(4);
    expect(next?.keys.get('k1')).toBe(used);
    expect(next?.originBucket).toEqual({ tokens: 4, at: 7 });
    expect(next?.violations).toEqual({ until: 0 });
  });

  it('forgets after a prune (the oldest entry kept is unknown) and when told to', () => {
    const guess = new AuditStateGuess();
    const written = {
      head: { origin, seq: 4, hash: 'b'.repeat(64), firstSeq: 1 },
      records: new Map(),
      originBucket: null,
      violations: null,
      firstWritten: undefined,
    };
    guess.wrote(state([]), { ...written, pruned: true });
    expect(guess.guess([])).toBeNull();
    guess.wrote(state([]), { ...written, pruned: false });
    expect(guess.guess([])).not.toBeNull();
    guess.forget();
    expect(guess.guess([])).toBeNull();
  });
});
