/**
 * Public JWKs that come from the app (a peer's key for `agree`, a recipient's for
 * `encryptJwe`): only public members of the expected type pass, a private member `d` is
 * refused outright (the app must never send private keys here, and the enclave must never
 * become a place where they are imported), and the point is checked by the import.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { PublicJwk } from '@strongroom/bridge/protocol';
import { type AlgorithmSpec, allAlgorithms, type Capability } from './algorithms';
import { assertPlainObject } from './validate';

const ALLOWED = ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use', 'key_ops', 'ext'] as const;
const COORDINATE = /^[A-Za-z0-9_-]{1,100}$/;

/** Assert a public JWK shape (members only; the key type is checked by {@link importPublic}). */
export function assertPublicJwk(value: unknown, field: string): asserts value is PublicJwk {
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, 'd')) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}" must be a public key (it has "d")`);
  }
  assertPlainObject(value, field, ALLOWED);
  if ('kid' in value && (typeof value.kid !== 'string' || value.kid.length > 128)) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}.kid" expected a short string`);
  }
}

/** The algorithm with `capability` whose public JWKs look like `jwk`, or throw. */
export function specForPublicJwk(jwk: PublicJwk, capability: Capability): AlgorithmSpec {
  const spec = allAlgorithms().find(
    (s) =>
      s.capabilities.has(capability) &&
      s.publicJwkShape?.kty === jwk.kty &&
      s.publicJwkShape?.crv === jwk.crv,
  );
  if (!spec) {
    throw new StrongroomError('UNSUPPORTED_ALGORITHM', 'this kind of public key is not supported');
  }
  return spec;
}

/** Import a public JWK as a key of `spec` (for ECDH: no usages). */
export async function importPublic(
  spec: AlgorithmSpec,
  jwk: PublicJwk,
  field: string,
): Promise<CryptoKey> {
  const shape = spec.publicJwkShape;
  if (!shape || !spec.importPublicParams || jwk.kty !== shape.kty || jwk.crv !== shape.crv) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}" is not a ${spec.alg} public key`);
  }
  const clean: JsonWebKey = { kty: shape.kty, crv: shape.crv, ext: true };
  for (const name of spec.thumbprintMembers ?? []) {
    if (name === 'kty' || name === 'crv') continue;
    const value = (jwk as Record<string, unknown>)[name];
    if (typeof value !== 'string' || !COORDINATE.test(value)) {
      throw new StrongroomError('INVALID_ARGUMENT', `"${field}.${name}" expected base64url`);
    }
    (clean as Record<string, unknown>)[name] = value;
  }
  try {
    return await crypto.subtle.importKey('jwk', clean, spec.importPublicParams, true, [
      ...(spec.publicUsages ?? []),
    ]);
  } catch (cause) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}" is not a valid public key`, {
      cause,
    });
  }
}
