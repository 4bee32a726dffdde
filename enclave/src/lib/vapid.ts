/**
 * RFC 8292 (VAPID) argument checks: the `aud` claim is the push service's origin and must be
 * `https:` (loopback `http:` only in development builds, for local push-service mocks); `sub`
 * is a `mailto:` or `https:` contact (RFC 8292 §2.1).
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import { assertString } from './validate';

/** Loopback host names, for which development builds accept `http:` audiences. */
function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127(\.\d{1,3}){3}$/.test(hostname)
  );
}

/** Assert a VAPID audience: exactly an origin, `https:` (or loopback `http:` if `dev`). */
export function assertVapidAudience(
  value: unknown,
  field: string,
  dev: boolean,
): asserts value is string {
  assertString(value, field, LIMITS.maxVapidUrlLength);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}" expected an origin URL`);
  }
  // An origin and nothing else: no path, query, fragment or credentials; as serialized.
  if (url.origin !== value) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}" expected an origin such as https://push.example.net (no path or slash)`,
    );
  }
  const https = url.protocol === 'https:';
  const devLoopback = dev && url.protocol === 'http:' && isLoopback(url.hostname);
  if (!https && !devLoopback) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}" must be an https: origin`);
  }
}

/** Assert a VAPID subject: `mailto:` with an address, or an `https:` URL (RFC 8292 §2.1). */
export function assertVapidSubject(value: unknown, field: string): asserts value is string {
  assertString(value, field, LIMITS.maxVapidUrlLength);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}" expected a mailto: or https: URL`);
  }
  const mailto = url.protocol === 'mailto:' && /^[^@\s]+@[^@\s]+$/.test(url.pathname);
  const https = url.protocol === 'https:' && url.hostname !== '';
  if (!mailto && !https) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${field}" expected a mailto: or https: URL`);
  }
}
