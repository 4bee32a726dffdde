/**
 * `applicationServerKey(keyId)`: the `applicationServerKey` a push subscription needs
 * (`PushManager.subscribe`), the 65-byte uncompressed P-256 point of a `vapid` key's primary
 * version — the same bytes as the `k` of its `vapidAuth` header (RFC 8292 §3.2). A use of the
 * key like any other: only a `vapid` key, only while active, within its rate limit, audited.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { assertArity, assertKeyId } from '../lib/validate';
import type { Call } from '../policy/index';

/** The `applicationServerKey` operation. */
export async function applicationServerKey(call: Call, args: unknown[]): Promise<Uint8Array> {
  assertArity(args, 1, 1);
  const [keyId] = args;
  assertKeyId(keyId);
  const record = await call.use(keyId);
  if (!record.publicKey) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
  return new Uint8Array(await crypto.subtle.exportKey('raw', record.publicKey));
}
