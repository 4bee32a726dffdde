/**
 * `scheduleDeletion(keyId, { days? })`: the key refuses every operation from now on, and its
 * material is destroyed `days` days later (default 7; 1 to 30). `cancelDeletion` before then
 * restores it.
 */
import { type KeyInfo, LIMITS } from '@strongroom/bridge/protocol';
import { assertArity, assertKeyId, assertPlainObject } from '../lib/validate';
import type { Call } from '../policy/index';
import { assertDeletionDays, scheduleDeletion as schedule } from '../policy/lifecycle';

/** The `scheduleDeletion` operation. */
export async function scheduleDeletion(call: Call, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 1, 2);
  const [keyId, options = {}] = args;
  assertKeyId(keyId);
  assertPlainObject(options, 'options', ['days']);
  const { days = LIMITS.defaultDeletionDays } = options;
  assertDeletionDays(days, 'options.days');
  return call.change(keyId, (stored, now) => schedule(stored, days, now));
}
