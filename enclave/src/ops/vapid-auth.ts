/**
 * `vapidAuth(keyId, { audience, subject, expiresIn? })`: the `Authorization` header value of
 * RFC 8292 (`vapid t=<JWT>, k=<public key>`) for a `vapid` key (`ES256`), within its token
 * policy (lifetime, push-service and subject allowlists). `aud` is the push service's
 * https origin, `sub` a `mailto:` or https contact, `exp` at most 24 h away (RFC 8292 §2) and
 * within the key's `maxTokenLifetime`. The JWT header is `{"typ":"JWT","alg":"ES256"}`; `k`
 * is the 65-byte uncompressed P-256 point, base64url (RFC 8292 §3.2), the same bytes as
 * `publicKey(keyId, 'raw')`, which is the `applicationServerKey` of the subscription.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import { DEV } from '../build-info';
import { base64url } from '../lib/encoding';
import { signToken } from '../lib/jwt';
import { assertSeconds } from '../lib/key-options';
import { assertArity, assertKeyId, assertPlainObject } from '../lib/validate';
import { assertVapidAudience, assertVapidSubject } from '../lib/vapid';
import type { Call } from '../policy/index';

/** Lifetime of a VAPID token when the caller does not say (12 h, as `web-push` uses). */
const DEFAULT_VAPID_LIFETIME = 12 * 60 * 60;

/** The `vapidAuth` operation. */
export async function vapidAuth(call: Call, args: unknown[]): Promise<string> {
  assertArity(args, 2, 2);
  const [keyId, options] = args;
  assertKeyId(keyId);
  assertPlainObject(options, 'options', ['audience', 'subject', 'expiresIn']);
  const { audience, subject, expiresIn = DEFAULT_VAPID_LIFETIME } = options;
  assertVapidAudience(audience, 'options.audience', DEV);
  assertVapidSubject(subject, 'options.subject');
  assertSeconds(expiresIn, 'options.expiresIn', LIMITS.maxTokenLifetime);
  const claims = { aud: audience, sub: subject };
  const record = await call.use(keyId, { kind: 'vapid', expiresIn, claims });
  if (!record.publicKey) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
  const k = base64url(new Uint8Array(await crypto.subtle.exportKey('raw', record.publicKey)));
  const t = await signToken(record, {
    header: { typ: 'JWT' },
    claims,
    expiresIn,
    withKid: false,
  });
  return `vapid t=${t}, k=${k}`;
}
