/**
 * JWT signing inside the key worker, with `jose` over the record's non-extractable key.
 * Shared by `signJwt` and `vapidAuth`: the enclave sets `alg` (from the algorithm table) and,
 * for `signJwt`, `kid` (the primary version's); `iat` is the enclave's clock and `exp` is always
 * present. The key's token policy (lifetime, allowlists) is checked by the policy
 * (`policy/token-policy.ts`) before anything is signed.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { type JsonObject, LIMITS } from '@strongroom/bridge/protocol';
import { SignJWT } from 'jose';
import type { KeyRecord } from '../keystore/schema';
import { algorithm } from './algorithms';
import { assertJsonObject } from './json';

/**
 * Header members the caller may not set: the enclave's own (`alg`, `kid`), those that change
 * how a verifier processes the token (`crit`, `b64`, `zip`, `enc`), and those that point a
 * verifier at other keys (`jku`, `jwk`, `x5u`, `x5c`, `x5t`, `x5t#S256`).
 */
const RESERVED_HEADER = new Set([
  'alg',
  'kid',
  'crit',
  'b64',
  'enc',
  'zip',
  'jku',
  'jwk',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
]);

/** Claims the enclave sets itself. */
const RESERVED_CLAIMS = new Set(['iat', 'exp']);

/** Validate a caller's extra protected header. */
export function assertJwtHeader(value: unknown, field: string): asserts value is JsonObject {
  assertJsonObject(value, field, LIMITS.maxJwtJsonBytes, LIMITS.maxJsonDepth);
  for (const name of Object.keys(value)) {
    if (RESERVED_HEADER.has(name)) {
      throw new StrongroomError('INVALID_ARGUMENT', `"${field}.${name}" may not be set`);
    }
  }
}

/** Validate a caller's claims. */
export function assertJwtClaims(value: unknown, field: string): asserts value is JsonObject {
  assertJsonObject(value, field, LIMITS.maxJwtJsonBytes, LIMITS.maxJsonDepth);
  for (const name of Object.keys(value)) {
    if (RESERVED_CLAIMS.has(name)) {
      throw new StrongroomError(
        'INVALID_ARGUMENT',
        `"${field}.${name}" is set by the enclave (use "expiresIn")`,
      );
    }
  }
  if ('nbf' in value && (typeof value.nbf !== 'number' || !Number.isSafeInteger(value.nbf))) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}.nbf" expected a NumericDate`);
  }
}

/** Sign a JWT with a record that has the `jwt` capability. Lifetime already checked. */
export async function signToken(
  record: KeyRecord,
  options: {
    header: JsonObject;
    claims: JsonObject;
    expiresIn: number;
    /** Put the key's `kid` in the header. */
    withKid: boolean;
  },
): Promise<string> {
  const alg = algorithm(record.alg).jwkAlg;
  if (!alg) throw new StrongroomError('OPERATION_NOT_ALLOWED', 'this key cannot sign tokens');
  const iat = Math.floor(Date.now() / 1000);
  // Spread first, so that the enclave's `alg` and `kid` win whatever the caller sent.
  const header = { ...options.header, alg, ...(options.withKid ? { kid: record.kid } : {}) };
  return new SignJWT({ ...options.claims })
    .setProtectedHeader(header)
    .setIssuedAt(iat)
    .setExpirationTime(iat + options.expiresIn)
    .sign(record.key);
}
