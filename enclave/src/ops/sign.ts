/**
 * `sign(keyId, data)`: a signature (ES256: r||s, 64 bytes; EdDSA: 64 bytes) with a `sign` key,
 * or an HMAC (HS256: 32 bytes) with a `mac` key, over `data`, by the primary version. Token
 * keys (`jwt`, `vapid`) never sign raw bytes: that would let the page assemble any token.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import { algorithm } from '../lib/algorithms';
import { assertArity, assertBytes, assertKeyId } from '../lib/validate';
import type { Call } from '../policy/index';

/** The `sign` operation. */
export async function sign(call: Call, args: unknown[]): Promise<Uint8Array> {
  assertArity(args, 2, 2);
  const [keyId, data] = args;
  assertKeyId(keyId);
  assertBytes(data, 'data', LIMITS.maxDataBytes);
  const record = await call.use(keyId);
  const params = algorithm(record.alg).signParams;
  if (!params) throw new StrongroomError('OPERATION_NOT_ALLOWED', 'this key cannot sign');
  return new Uint8Array(await crypto.subtle.sign(params, record.key, data));
}
