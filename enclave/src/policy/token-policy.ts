/**
 * Token policy: what a `jwt` or `vapid` key will sign. Its maximum lifetime, and optional
 * allowlists of `aud`, `iss` and `sub` (JWT) and of push-service origins (VAPID). A token
 * outside them is refused `OPERATION_NOT_ALLOWED` before anything is signed.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import type { KeyRecord } from '../keystore/schema';

/** What a token request asks for, as far as the policy looks at it. */
export interface TokenRequest {
  readonly kind: 'jwt' | 'vapid';
  /** Seconds until `exp`. */
  readonly expiresIn: number;
  /** The claims (JWT) or `{ aud, sub }` (VAPID), already validated as JSON. */
  readonly claims: { readonly [name: string]: unknown };
}

function refuse(message: string): StrongroomError {
  return new StrongroomError('OPERATION_NOT_ALLOWED', message);
}

/** A string claim that must be one of `allowed`. */
function assertOneOf(claims: TokenRequest['claims'], name: string, allowed: readonly string[]) {
  const value = claims[name];
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw refuse(`this key signs only tokens whose "${name}" is one of its allowed values`);
  }
}

/** Refuse a token the key's policy does not allow. */
export function assertTokenAllowed(record: KeyRecord, request: TokenRequest): void {
  const cap = request.kind === 'vapid' ? LIMITS.maxVapidLifetime : Infinity;
  if (request.expiresIn > record.maxTokenLifetime || request.expiresIn > cap) {
    throw refuse(
      `"expiresIn" exceeds this key's maximum token lifetime of ${Math.min(record.maxTokenLifetime, cap)} s`,
    );
  }
  const policy = record.tokenPolicy;
  const { claims } = request;
  if (request.kind === 'vapid') {
    if (policy.vapidAudiences) assertOneOf(claims, 'aud', policy.vapidAudiences);
    if (policy.subjects) assertOneOf(claims, 'sub', policy.subjects);
    return;
  }
  if (policy.audiences) {
    const aud = claims.aud;
    const values = Array.isArray(aud) ? aud : [aud];
    const allowed = policy.audiences;
    if (values.length === 0 || !values.every((v) => typeof v === 'string' && allowed.includes(v))) {
      throw refuse('this key signs only tokens whose "aud" is within its allowed audiences');
    }
  }
  if (policy.issuers) assertOneOf(claims, 'iss', policy.issuers);
  if (policy.subjects) assertOneOf(claims, 'sub', policy.subjects);
}
