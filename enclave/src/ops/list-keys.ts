/**
 * `listKeys()`: every key of the calling origin, oldest first, in every state (keys past
 * their deletion date are destroyed first).
 */
import type { KeyInfo } from '@strongroom/bridge/protocol';
import { assertArity } from '../lib/validate';
import type { Call } from '../policy/index';

/** The `listKeys` operation. */
export async function listKeys(call: Call, args: unknown[]): Promise<KeyInfo[]> {
  assertArity(args, 0, 0);
  const records = await call.list();
  return records.map((r) => call.describe(r));
}
