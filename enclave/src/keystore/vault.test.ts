/**
 * The vault's cryptography with Node's WebCrypto: a KEK from a passphrase opens the master key
 * it wrapped and no other; sealed material unseals only under its master key and algorithm.
 */
import { describe, expect, it } from 'vitest';
import { algorithm } from '../lib/algorithms';
import { MIN_PBKDF2_ITERATIONS } from '../lib/pbkdf2';
import {
  deriveKek,
  newMasterKey,
  randomSalt,
  sealMaterial,
  unsealMaterial,
  unwrapMaster,
  wrapMaster,
} from './vault';

const kdf = () => ({
  name: 'PBKDF2-SHA-256' as const,
  iterations: MIN_PBKDF2_ITERATIONS,
  salt: randomSalt(),
});

describe('vault cryptography', () => {
  it('deriveKek refuses a PBKDF2 count below the 600,000 floor (or not an integer)', async () => {
    expect(MIN_PBKDF2_ITERATIONS).toBe(600_000);
    const secret = { method: 'passphrase' as const, passphrase: 'right passphrase' };
    for (const iterations of [599_999, 1000, 0, -1, 600_000.5, Number.NaN]) {
      await expect(deriveKek({ ...kdf(), iterations }, secret)).rejects.toMatchObject({
        code: 'OPERATION_NOT_ALLOWED',
      });
    }
    expect(await deriveKek(kdf(), secret)).toBeInstanceOf(CryptoKey);
  });

  it('the passphrase that wrapped the master key unwraps it; another gives null', async () => {
    const params = kdf();
    const master = await newMasterKey();
    const kek = await deriveKek(params, { method: 'passphrase', passphrase: 'right passphrase' });
    const wrapped = await wrapMaster(master, kek);
    const again = await deriveKek(params, { method: 'passphrase', passphrase: 'right passphrase' });
    const opened = await unwrapMaster(wrapped, again);
    expect(opened?.extractable).toBe(false);
    const wrong = await deriveKek(params, { method: 'passphrase', passphrase: 'wrong passphrase' });
    expect(await unwrapMaster(wrapped, wrong)).toBeNull();
    // The same passphrase under another salt is another KEK.
    const salted = await deriveKek(kdf(), { method: 'passphrase', passphrase: 'right passphrase' });
    expect(await unwrapMaster(wrapped, salted)).toBeNull();
  });

  it('a passkey PRF output derives the KEK through HKDF; a passphrase does not fit a PRF enrollment', async () => {
    const prfKdf = {
      name: 'PRF-HKDF-SHA-256' as const,
      credentialId: randomSalt(),
      prfSalt: randomSalt(32),
      salt: randomSalt(32),
    };
    const prf = crypto.getRandomValues(new Uint8Array(32));
    const master = await newMasterKey();
    const wrapped = await wrapMaster(master, await deriveKek(prfKdf, { method: 'passkey', prf }));
    expect(
      await unwrapMaster(wrapped, await deriveKek(prfKdf, { method: 'passkey', prf })),
    ).not.toBeNull();
    const other = crypto.getRandomValues(new Uint8Array(32));
    expect(
      await unwrapMaster(wrapped, await deriveKek(prfKdf, { method: 'passkey', prf: other })),
    ).toBeNull();
    await expect(
      deriveKek(prfKdf, { method: 'passphrase', passphrase: 'x' }),
    ).rejects.toMatchObject({ code: 'UNLOCK_FAILED' });
  });

  it('sealed material unseals non-extractable under its master key, and not under another or as another algorithm', async () => {
    const spec = algorithm('ES256');
    const pair = (await crypto.subtle.generateKey(spec.generateParams, true, [
      ...spec.generateUsages,
    ])) as CryptoKeyPair;
    const master = await newMasterKey();
    const sealed = await sealMaterial(master, spec, pair.privateKey);
    const key = await unsealMaterial(master, spec, sealed);
    expect(key.extractable).toBe(false);
    const data = new Uint8Array([1, 2, 3]);
    const signature = await crypto.subtle.sign(spec.signParams as EcdsaParams, key, data);
    expect(
      await crypto.subtle.verify(spec.signParams as EcdsaParams, pair.publicKey, signature, data),
    ).toBe(true);
    await expect(unsealMaterial(await newMasterKey(), spec, sealed)).rejects.toThrow();
    // The algorithm is bound as additional data.
    await expect(unsealMaterial(master, algorithm('ECDH-ES'), sealed)).rejects.toThrow();
    const flipped = sealed.slice();
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    await expect(unsealMaterial(master, spec, flipped)).rejects.toThrow();
  });
});
