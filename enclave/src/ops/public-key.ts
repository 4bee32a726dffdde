/**
 * `publicKey(keyId, format)`: the public half of a key pair as JWK, SPKI (DER) or raw bytes
 * (the 65-byte uncompressed point for P-256, 32 bytes for Ed25519 and X25519), of the primary
 * version (`KeyInfo.versions` lists the public JWK of every version). Public keys are public:
 * any purpose and any state.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { PublicJwk, PublicKeyFormat } from '@strongroom/bridge/protocol';
import { assertArity, assertKeyId, assertOneOf } from '../lib/validate';
import type { Call } from '../policy/index';

const FORMATS: readonly PublicKeyFormat[] = ['jwk', 'spki', 'raw'];

/** The `publicKey` operation. */
export async function publicKey(call: Call, args: unknown[]): Promise<PublicJwk | Uint8Array> {
  assertArity(args, 1, 2);
  const [keyId, format = 'jwk'] = args;
  assertKeyId(keyId);
  assertOneOf(format, 'format', FORMATS);
  const record = await call.read(keyId);
  if (!record.publicKey || !record.publicJwk) {
    throw new StrongroomError('OPERATION_NOT_ALLOWED', `a ${record.alg} key has no public key`);
  }
  if (format === 'jwk') return { ...record.publicJwk };
  return new Uint8Array(await crypto.subtle.exportKey(format, record.publicKey));
}
