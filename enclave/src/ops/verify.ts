/**
 * `verify(keyId, data, signature)`: check a signature or MAC with a `sign`, `jwt`, `vapid` or
 * `mac` key of the calling origin, against every version it keeps (a signature made before a
 * rotation still verifies). Returns `false` for a wrong signature; throws only for bad
 * arguments or keys.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import { allVersions } from '../keystore/versions';
import { algorithm } from '../lib/algorithms';
import { assertArity, assertBytes, assertKeyId } from '../lib/validate';
import type { Call } from '../policy/index';

/** The `verify` operation. */
export async function verify(call: Call, args: unknown[]): Promise<boolean> {
  assertArity(args, 3, 3);
  const [keyId, data, signature] = args;
  assertKeyId(keyId);
  assertBytes(data, 'data', LIMITS.maxDataBytes);
  assertBytes(signature, 'signature', LIMITS.maxSignatureBytes);
  const record = await call.use(keyId);
  const spec = algorithm(record.alg);
  if (!spec.signParams)
    throw new StrongroomError('OPERATION_NOT_ALLOWED', 'this key cannot verify');
  // A signature of the wrong length is simply invalid (WebCrypto's HMAC verify compares in
  // constant time; ECDSA/Ed25519 verification involves no secret).
  if (signature.byteLength !== spec.signatureBytes) return false;
  for (const version of allVersions(record)) {
    const verifier = version.publicKey ?? version.key;
    if (await crypto.subtle.verify(spec.signParams, verifier, signature, data)) return true;
  }
  return false;
}
