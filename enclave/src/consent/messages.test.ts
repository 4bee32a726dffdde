/**
 * The secret dialog's messages on the worker's channel: a passkey answer is accepted only in
 * its exact shape (a credential id of 1 to 1023 bytes and a 32-byte PRF output, or a known
 * failure), so a malformed one never reaches the vault gate.
 */
import { describe, expect, it } from 'vitest';
import { isSecretAnswer, isSecretAsk } from './messages';

const base = { type: 'strongroom:secret-answer', id: 'abc', outcome: 'approved' } as const;

describe('isSecretAnswer with a passkey', () => {
  it('accepts a credential id and a 32-byte PRF output, or a known failure', () => {
    const passkey = { credentialId: new Uint8Array(16), prf: new Uint8Array(32) };
    expect(isSecretAnswer({ ...base, passkey })).toBe(true);
    expect(isSecretAnswer({ ...base, passkeyFailure: 'no-prf' })).toBe(true);
    expect(isSecretAnswer({ ...base, passkeyFailure: 'unavailable' })).toBe(true);
  });

  it('refuses a PRF output of another length, an empty or oversized id, other types', () => {
    const id = new Uint8Array(16);
    for (const passkey of [
      { credentialId: id, prf: new Uint8Array(31) },
      { credentialId: id, prf: new Uint8Array(64) },
      { credentialId: new Uint8Array(0), prf: new Uint8Array(32) },
      { credentialId: new Uint8Array(1024), prf: new Uint8Array(32) },
      { credentialId: id, prf: Array.from(new Uint8Array(32)) },
      { credentialId: 'abc', prf: new Uint8Array(32) },
      'prf',
    ]) {
      expect(isSecretAnswer({ ...base, passkey })).toBe(false);
    }
    expect(isSecretAnswer({ ...base, passkeyFailure: 'other' })).toBe(false);
  });
});

describe('isSecretAsk', () => {
  it('knows the new-passkey kind', () => {
    const ask = { type: 'strongroom:secret-ask', id: 'a', origin: 'https://app.example' };
    expect(isSecretAsk({ ...ask, request: { operation: 'unlock' }, kind: 'new-passkey' })).toBe(
      true,
    );
    expect(isSecretAsk({ ...ask, request: { operation: 'unlock' }, kind: 'passkey' })).toBe(false);
  });
});

describe('the skip-or-replace question of importBackup', () => {
  it('is a known kind, and its answer carries skip or replace only', () => {
    const ask = { type: 'strongroom:secret-ask', id: 'a', origin: 'https://app.example' };
    expect(
      isSecretAsk({ ...ask, request: { operation: 'importBackup' }, kind: 'existing-keys' }),
    ).toBe(true);
    expect(isSecretAnswer({ ...base, choice: 'skip' })).toBe(true);
    expect(isSecretAnswer({ ...base, choice: 'replace' })).toBe(true);
    for (const choice of ['overwrite', 'REPLACE', 1, true, null, ['replace']]) {
      expect(isSecretAnswer({ ...base, choice })).toBe(false);
    }
  });
});
