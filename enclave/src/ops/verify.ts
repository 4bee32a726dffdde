/**
 * `verify(keyId, data, signature)`: check a signature or MAC with a key of the calling origin.
 * Returns `false` for a wrong signature; throws only for bad arguments or keys.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import type { OpContext } from '../context';
import { algorithm } from '../lib/algorithms';
import { assertArity, assertBytes, assertKeyId } from '../lib/validate';

/** The `verify` operation. */
export async function verify(ctx: OpContext, args: unknown[]): Promise<boolean> {
  assertArity(args, 3, 3);
  const [keyId, data, signature] = args;
  assertKeyId(keyId);
  assertBytes(data, 'data', LIMITS.maxDataBytes);
  assertBytes(signature, 'signature', LIMITS.maxSignatureBytes);
  const record = await ctx.keystore().get(keyId);
  const spec = algorithm(record.alg);
  if (!spec.capabilities.has('verify') || !spec.signParams) {
    throw new StrongroomError('OPERATION_NOT_ALLOWED', 'this key cannot verify');
  }
  if (record.state === 'revoked' || record.state === 'destroyed') {
    throw new StrongroomError('OPERATION_NOT_ALLOWED', 'this key is revoked');
  }
  // A signature of the wrong length is simply invalid (WebCrypto's HMAC verify compares in
  // constant time; ECDSA/Ed25519 verification involves no secret).
  if (signature.byteLength !== spec.signatureBytes) return false;
  const verifier = record.publicKey ?? record.key;
  return crypto.subtle.verify(spec.signParams, verifier, signature, data);
}
