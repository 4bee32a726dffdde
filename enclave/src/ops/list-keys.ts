/**
 * `listKeys()`: every key of the calling origin, oldest first.
 */
import type { KeyInfo } from '@strongroom/bridge/protocol';
import type { OpContext } from '../context';
import { assertArity } from '../lib/validate';
import { toKeyInfo } from './key-info';

/** The `listKeys` operation. */
export async function listKeys(ctx: OpContext, args: unknown[]): Promise<KeyInfo[]> {
  assertArity(args, 0, 0);
  const records = await ctx.keystore().list();
  return records.map(toKeyInfo);
}
