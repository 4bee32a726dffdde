/**
 * `sign(keyId, data)`: a signature (ES256: r||s, 64 bytes; EdDSA: 64 bytes) or an HMAC
 * (HS256: 32 bytes) over `data`, with a key of the calling origin.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import type { OpContext } from '../context';
import type { KeyRecord } from '../keystore/schema';
import { algorithm } from '../lib/algorithms';
import { assertArity, assertBytes, assertKeyId } from '../lib/validate';

/** Load a key of the caller that may sign, or throw. */
export async function signingKey(ctx: OpContext, keyId: string): Promise<KeyRecord> {
  const record = await ctx.keystore().get(keyId);
  if (!algorithm(record.alg).capabilities.has('sign') || record.state !== 'active') {
    throw new StrongroomError('OPERATION_NOT_ALLOWED', `this key cannot sign`);
  }
  return record;
}

/** Sign `data` with a loaded record. */
export async function signWith(
  ctx: OpContext,
  record: KeyRecord,
  data: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  const params = algorithm(record.alg).signParams;
  if (!params) throw new StrongroomError('OPERATION_NOT_ALLOWED', 'this key cannot sign');
  const signature = new Uint8Array(await crypto.subtle.sign(params, record.key, data));
  ctx.keystore().recordUse(record);
  return signature;
}

/** The `sign` operation. */
export async function sign(ctx: OpContext, args: unknown[]): Promise<Uint8Array> {
  assertArity(args, 2, 2);
  const [keyId, data] = args;
  assertKeyId(keyId);
  assertBytes(data, 'data', LIMITS.maxDataBytes);
  return signWith(ctx, await signingKey(ctx, keyId), data);
}
