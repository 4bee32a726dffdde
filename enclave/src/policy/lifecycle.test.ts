import { LIMITS } from '@strongroom/bridge/protocol';
import { describe, expect, it } from 'vitest';
import type { StoredKeyRecord } from '../keystore/schema';
import {
  assertDeletionDays,
  cancelDeletion,
  isDue,
  revoke,
  rotate,
  scheduleDeletion,
} from './lifecycle';

const DAY = 86_400_000;

function record(overrides: Partial<StoredKeyRecord> = {}): StoredKeyRecord {
  return {
    id: 'k',
    kid: 'kid1',
    alg: 'EdDSA',
    label: '',
    owner: 'https://app.example',
    createdAt: 1,
    version: 1,
    versionCreatedAt: 1,
    state: 'active',
    purpose: 'sign',
    provenance: { source: 'generated' },
    tokenPolicy: { audiences: null, issuers: null, subjects: null, vapidAudiences: null },
    usesPerMinute: null,
    presence: false,
    presenceEveryMinutes: 0,
    deletion: null,
    retired: [],
    usage: { count: 0, lastUsedAt: null },
    key: null,
    publicKey: null,
    publicJwk: null,
    maxTokenLifetime: 60,
    exportable: false,
    exportMaterial: null,
    atRest: new Uint8Array(1),
    ...overrides,
  };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('the life cycle', () => {
  it('schedules a deletion, cancels it back to the state before, and knows when it is due', () => {
    const scheduled = scheduleDeletion(record(), 7, 1000);
    expect(scheduled.state).toBe('pending-deletion');
    expect(scheduled.deletion).toEqual({
      scheduledAt: 1000,
      destroyAt: 1000 + 7 * DAY,
      previousState: 'active',
    });
    expect(isDue(scheduled, 1000 + 7 * DAY - 1)).toBe(false);
    expect(isDue(scheduled, 1000 + 7 * DAY)).toBe(true);
    expect(code(() => scheduleDeletion(scheduled, 1, 2000))).toBe('OPERATION_NOT_ALLOWED');
    expect(cancelDeletion(scheduled, 2000)).toMatchObject({ state: 'active', deletion: null });
    expect(code(() => cancelDeletion(scheduled, 1000 + 7 * DAY))).toBe('KEY_NOT_FOUND');
    expect(code(() => cancelDeletion(record(), 0))).toBe('OPERATION_NOT_ALLOWED');
    const revoked = revoke(record());
    expect(cancelDeletion(scheduleDeletion(revoked, 1, 0), 1).state).toBe('revoked');
  });

  it('bounds the deletion window', () => {
    for (const ok of [LIMITS.minDeletionDays, 7, LIMITS.maxDeletionDays]) {
      expect(() => assertDeletionDays(ok, 'days')).not.toThrow();
    }
    for (const bad of [0, LIMITS.maxDeletionDays + 1, 1.5, '7', null]) {
      expect(code(() => assertDeletionDays(bad, 'days'))).toBe('INVALID_ARGUMENT');
    }
  });

  it('rotates: a new primary, the old one retired with its public key; only generated, active keys', () => {
    const next = {
      kid: 'kid2',
      key: null,
      publicKey: null,
      publicJwk: { kty: 'OKP', x: 'b' },
      exportMaterial: null,
      atRest: new Uint8Array(2),
    };
    const old = record({ publicJwk: { kty: 'OKP', x: 'a' } });
    const rotated = rotate(old, next, 5000);
    expect(rotated).toMatchObject({ version: 2, kid: 'kid2', versionCreatedAt: 5000 });
    expect(rotated.retired).toEqual([
      {
        version: 1,
        kid: 'kid1',
        createdAt: 1,
        key: null,
        publicKey: null,
        publicJwk: { kty: 'OKP', x: 'a' },
        atRest: old.atRest,
      },
    ]);
    expect(code(() => rotate(record({ provenance: { source: 'derived' } }), next, 0))).toBe(
      'OPERATION_NOT_ALLOWED',
    );
    expect(code(() => rotate(revoke(record()), next, 0))).toBe('OPERATION_NOT_ALLOWED');
    let many = record();
    for (let i = 1; i < LIMITS.maxKeyVersions; i++) many = rotate(many, next, i);
    expect(code(() => rotate(many, next, 0))).toBe('OPERATION_NOT_ALLOWED');
  });
});
