import { DEFAULT_RATE_LIMITS, KEY_PURPOSES, PURPOSE_ALGORITHMS } from '@strongroom/bridge/protocol';
import { describe, expect, it, vi } from 'vitest';
import type { StoredKeyRecord } from '../keystore/schema';
import { algorithm } from '../lib/algorithms';
import { narrowPolicy, newKeyPolicy } from './key-options';

// The build-time constants of the enclave bundle: a release build.
vi.mock('../build-info', () => ({ DEV: false }));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('a new key policy', () => {
  it('requires a purpose that fits the algorithm', () => {
    for (const purpose of KEY_PURPOSES) {
      for (const alg of [
        'ES256',
        'EdDSA',
        'X25519',
        'ECDH-ES',
        'A256GCM',
        'A256KW',
        'HS256',
      ] as const) {
        const fits = PURPOSE_ALGORITHMS[purpose].includes(alg);
        const got = code(() => newKeyPolicy(algorithm(alg), { purpose }, 'o', DEFAULT_RATE_LIMITS));
        expect(got, `${purpose} ${alg}`).toBe(fits ? undefined : 'INVALID_ARGUMENT');
      }
    }
    expect(code(() => newKeyPolicy(algorithm('EdDSA'), {}, 'o', DEFAULT_RATE_LIMITS))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('refuses options that do not apply to the purpose, and bad values', () => {
    const ed = algorithm('EdDSA');
    const es = algorithm('ES256');
    const bad: [typeof ed, Record<string, unknown>][] = [
      [ed, { purpose: 'sign', maxTokenLifetime: 60 }],
      [ed, { purpose: 'sign', audiences: ['a'] }],
      [ed, { purpose: 'jwt', vapidAudiences: ['https://p.example'] }],
      [es, { purpose: 'vapid', audiences: ['a'] }],
      [es, { purpose: 'vapid', vapidAudiences: ['http://p.example'] }],
      [es, { purpose: 'vapid', vapidAudiences: ['https://p.example/path'] }],
      [ed, { purpose: 'jwt', audiences: [] }],
      [ed, { purpose: 'jwt', audiences: [''] }],
      [ed, { purpose: 'jwt', audiences: 'a' }],
      [ed, { purpose: 'jwt', audiences: [1] }],
      [ed, { purpose: 'jwt', audiences: Array.from({ length: 33 }, (_, i) => `a${i}`) }],
      [ed, { purpose: 'jwt', usesPerMinute: DEFAULT_RATE_LIMITS.keyUsesPerMinute + 1 }],
      [ed, { purpose: 'jwt', usesPerMinute: 0 }],
      [ed, { purpose: 'jwt', exportable: true }],
    ];
    for (const [spec, options] of bad) {
      expect(
        code(() => newKeyPolicy(spec, options, 'o', DEFAULT_RATE_LIMITS)),
        JSON.stringify(options),
      ).toMatch(/INVALID_ARGUMENT|PAYLOAD_TOO_LARGE/);
    }
    expect(
      newKeyPolicy(es, { purpose: 'jwt', audiences: ['a', 'a', 'b'] }, 'o', DEFAULT_RATE_LIMITS)
        .tokenPolicy.audiences,
    ).toEqual(['a', 'b']);
  });
});

describe('restricting a policy', () => {
  const stored = {
    purpose: 'jwt',
    maxTokenLifetime: 600,
    usesPerMinute: null,
    tokenPolicy: { audiences: ['a', 'b'], issuers: null, subjects: null, vapidAudiences: null },
  } as unknown as StoredKeyRecord;

  it('narrows and never widens', () => {
    const narrowed = narrowPolicy(
      stored,
      { maxTokenLifetime: 60, audiences: ['b'], issuers: ['i'], usesPerMinute: 5 },
      'o',
      DEFAULT_RATE_LIMITS,
    );
    expect(narrowed).toMatchObject({
      maxTokenLifetime: 60,
      usesPerMinute: 5,
      tokenPolicy: { audiences: ['b'], issuers: ['i'] },
    });
    for (const wider of [
      { maxTokenLifetime: 601 },
      { audiences: ['a', 'c'] },
      { usesPerMinute: DEFAULT_RATE_LIMITS.keyUsesPerMinute },
    ]) {
      const current = { ...stored, usesPerMinute: 10 } as StoredKeyRecord;
      expect(code(() => narrowPolicy(current, wider, 'o', DEFAULT_RATE_LIMITS))).toBe(
        'OPERATION_NOT_ALLOWED',
      );
    }
    expect(code(() => narrowPolicy(stored, {}, 'o', DEFAULT_RATE_LIMITS))).toBe('INVALID_ARGUMENT');
    expect(
      code(() =>
        narrowPolicy(stored, { vapidAudiences: ['https://p.example'] }, 'o', DEFAULT_RATE_LIMITS),
      ),
    ).toBe('INVALID_ARGUMENT');
  });
});
