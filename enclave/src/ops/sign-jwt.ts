/**
 * `signJwt(keyId, { header?, claims, expiresIn })`: a compact JWS (RFC 7519) signed with an
 * `ES256` or `EdDSA` key. The enclave sets `alg`, `kid`, `iat` (its clock) and `exp`
 * (`iat + expiresIn`); `expiresIn` beyond the key's `maxTokenLifetime` is refused before
 * anything is signed.
 */
import { LIMITS } from '@strongroom/bridge/protocol';
import type { OpContext } from '../context';
import { assertJwtClaims, assertJwtHeader, assertLifetime, signToken } from '../lib/jwt';
import { assertSeconds } from '../lib/key-options';
import { assertArity, assertKeyId, assertPlainObject } from '../lib/validate';
import { CREATE, usableKey } from './usable-key';

/** The `signJwt` operation. */
export async function signJwt(ctx: OpContext, args: unknown[]): Promise<string> {
  assertArity(args, 2, 2);
  const [keyId, options] = args;
  assertKeyId(keyId);
  assertPlainObject(options, 'options', ['header', 'claims', 'expiresIn']);
  const { header = {}, claims, expiresIn } = options;
  assertJwtHeader(header, 'options.header');
  assertJwtClaims(claims, 'options.claims');
  assertSeconds(expiresIn, 'options.expiresIn', LIMITS.maxTokenLifetime);
  const record = await usableKey(ctx, keyId, 'jwt', CREATE, 'sign tokens');
  assertLifetime(record, expiresIn);
  const token = await signToken(record, { header, claims, expiresIn, withKid: true });
  ctx.keystore().recordUse(record);
  return token;
}
