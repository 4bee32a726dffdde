/**
 * `cancelDeletion(keyId)`: a key scheduled for deletion returns to the state it had before.
 */
import type { KeyInfo } from '@strongroom/bridge/protocol';
import { assertArity, assertKeyId } from '../lib/validate';
import type { Call } from '../policy/index';
import { cancelDeletion as cancel } from '../policy/lifecycle';

/** The `cancelDeletion` operation. */
export async function cancelDeletion(call: Call, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 1, 1);
  const [keyId] = args;
  assertKeyId(keyId);
  return call.change(keyId, cancel);
}
