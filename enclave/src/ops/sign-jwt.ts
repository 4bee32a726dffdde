/**
 * `signJwt(keyId, { header?, claims, expiresIn })`: a compact JWS (RFC 7519) signed with a
 * `jwt` key (`ES256` or `EdDSA`). The enclave sets `alg`, `kid`, `iat` (its clock) and `exp`
 * (`iat + expiresIn`); a token outside the key's token policy (lifetime, `aud`/`iss`/`sub`
 * allowlists) is refused before anything is signed.
 */
import { LIMITS } from '@strongroom/bridge/protocol';
import { assertJwtClaims, assertJwtHeader, signToken } from '../lib/jwt';
import { assertSeconds } from '../lib/key-options';
import { assertArity, assertKeyId, assertPlainObject } from '../lib/validate';
import type { Call } from '../policy/index';

/** The `signJwt` operation. */
export async function signJwt(call: Call, args: unknown[]): Promise<string> {
  assertArity(args, 2, 2);
  const [keyId, options] = args;
  assertKeyId(keyId);
  assertPlainObject(options, 'options', ['header', 'claims', 'expiresIn']);
  const { header = {}, claims, expiresIn } = options;
  assertJwtHeader(header, 'options.header');
  assertJwtClaims(claims, 'options.claims');
  assertSeconds(expiresIn, 'options.expiresIn', LIMITS.maxTokenLifetime);
  const record = await call.use(keyId, { kind: 'jwt', expiresIn, claims });
  return signToken(record, { header, claims, expiresIn, withKid: true });
}
