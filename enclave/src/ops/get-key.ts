/**
 * `getKey(keyId)`: the public description of one key of the calling origin.
 */
import type { KeyInfo } from '@strongroom/bridge/protocol';
import { assertArity, assertKeyId } from '../lib/validate';
import type { Call } from '../policy/index';

/** The `getKey` operation. */
export async function getKey(call: Call, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 1, 1);
  const [keyId] = args;
  assertKeyId(keyId);
  return call.describe(await call.read(keyId));
}
