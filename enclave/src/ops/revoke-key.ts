/**
 * `revokeKey(keyId)`: the key refuses every operation, for ever; it stays listed (with its
 * public keys) until it is deleted.
 */
import type { KeyInfo } from '@strongroom/bridge/protocol';
import { assertArity, assertKeyId } from '../lib/validate';
import type { Call } from '../policy/index';
import { revoke } from '../policy/lifecycle';

/** The `revokeKey` operation. */
export async function revokeKey(call: Call, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 1, 1);
  const [keyId] = args;
  assertKeyId(keyId);
  return call.change(keyId, revoke);
}
