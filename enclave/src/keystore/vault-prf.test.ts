/**
 * A passkey enrollment's KEK (`deriveKek` with `PRF-HKDF-SHA-256`), with the platform's own
 * WebCrypto: the PRF output that wrapped the master key unwraps it; another PRF output, or the
 * same output under another enrollment's HKDF salt, unwraps nothing (`null`: `UNLOCK_FAILED`
 * for the gate); a passphrase never opens a passkey enrollment.
 */
import { describe, expect, it } from 'vitest';
import {
  deriveKek,
  type EnrollmentKdf,
  newMasterKey,
  randomSalt,
  unwrapMaster,
  wrapMaster,
} from './vault';

function passkeyKdf(): EnrollmentKdf {
  return {
    name: 'PRF-HKDF-SHA-256',
    credentialId: randomSalt(16),
    prfSalt: randomSalt(32),
    salt: randomSalt(32),
  };
}

describe('passkey enrollment KEK', () => {
  it('opens the master key with the enrolled PRF output only', async () => {
    const kdf = passkeyKdf();
    const prf = randomSalt(32);
    const master = await newMasterKey();
    const wrapped = await wrapMaster(master, await deriveKek(kdf, { method: 'passkey', prf }));
    const opened = await unwrapMaster(wrapped, await deriveKek(kdf, { method: 'passkey', prf }));
    expect(opened).not.toBeNull();
    expect(opened?.extractable).toBe(false);

    const otherPrf = prf.slice();
    otherPrf[0] = (otherPrf[0] ?? 0) ^ 1;
    const wrong = await deriveKek(kdf, { method: 'passkey', prf: otherPrf });
    expect(await unwrapMaster(wrapped, wrong)).toBeNull();

    const otherSalt = await deriveKek({ ...kdf, salt: randomSalt(32) } as EnrollmentKdf, {
      method: 'passkey',
      prf,
    });
    expect(await unwrapMaster(wrapped, otherSalt)).toBeNull();
  });

  it('refuses a passphrase for a passkey enrollment', async () => {
    await expect(
      deriveKek(passkeyKdf(), { method: 'passphrase', passphrase: 'a passphrase' }),
    ).rejects.toMatchObject({ code: 'UNLOCK_FAILED' });
  });
});
