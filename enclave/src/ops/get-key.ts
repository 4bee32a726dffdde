/**
 * `getKey(keyId)`: the public description of one key of the calling origin.
 */
import type { KeyInfo } from '@strongroom/bridge/protocol';
import type { OpContext } from '../context';
import { assertArity, assertKeyId } from '../lib/validate';
import { toKeyInfo } from './key-info';

/** The `getKey` operation. */
export async function getKey(ctx: OpContext, args: unknown[]): Promise<KeyInfo> {
  assertArity(args, 1, 1);
  const [keyId] = args;
  assertKeyId(keyId);
  return toKeyInfo(await ctx.keystore().get(keyId));
}
