/**
 * Key agreement: ECDH (X25519 or P-256) then HKDF-SHA-256 (RFC 5869) into a new AES key.
 * The shared secret exists only as a transient buffer in the worker, is imported at once as
 * a non-extractable HKDF key, and is then zeroed (JS promises nothing about copies the engine
 * may have made; zeroing is a best effort).
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { AlgorithmSpec } from './algorithms';

/** ECDH between our private key and the peer's public key, then HKDF-SHA-256. */
export async function agreeAndDerive(options: {
  ours: CryptoKey;
  oursSpec: AlgorithmSpec;
  peer: CryptoKey;
  salt: Uint8Array<ArrayBuffer>;
  info: Uint8Array<ArrayBuffer>;
  out: AlgorithmSpec;
  extractable: boolean;
}): Promise<CryptoKey> {
  const bits = options.oursSpec.agreeBits;
  if (!bits) throw new StrongroomError('OPERATION_NOT_ALLOWED', 'this key cannot agree');
  let shared: Uint8Array<ArrayBuffer>;
  try {
    shared = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: options.ours.algorithm.name, public: options.peer } as EcdhKeyDeriveParams,
        options.ours,
        bits,
      ),
    );
  } catch (cause) {
    // E.g. an X25519 low-order point, whose shared secret is all zeros (RFC 7748 §6.1).
    throw new StrongroomError('INVALID_ARGUMENT', '"peerPublicJwk" was rejected', { cause });
  }
  try {
    const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
    return await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: options.salt, info: options.info },
      ikm,
      options.out.generateParams as AesKeyGenParams,
      options.extractable,
      [...options.out.keyUsages],
    );
  } finally {
    shared.fill(0);
  }
}
