/**
 * `deleteKey(keyId)`: schedule the key's deletion with the default window
 * (`LIMITS.defaultDeletionDays`), as `scheduleDeletion(keyId)` does. Nothing is destroyed at
 * once: until the deletion date, `cancelDeletion` restores the key. Immediate destruction
 * will need the user's consent inside the enclave.
 */
import type { KeyInfo } from '@strongroom/bridge/protocol';
import { LIMITS } from '@strongroom/bridge/protocol';
import { assertArity, assertKeyId } from '../lib/validate';
import type { Call } from '../policy/index';
import { scheduleDeletion } from '../policy/lifecycle';

/** The `deleteKey` operation. */
export async function deleteKey(call: Call, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 1, 1);
  const [keyId] = args;
  assertKeyId(keyId);
  return call.change(keyId, (stored, now) =>
    scheduleDeletion(stored, LIMITS.defaultDeletionDays, now),
  );
}
