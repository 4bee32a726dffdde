/**
 * `deleteKey(keyId)`: remove a key of the calling origin at once. What it protected is lost.
 */
import type { OpContext } from '../context';
import { assertArity, assertKeyId } from '../lib/validate';

/** The `deleteKey` operation. */
export async function deleteKey(ctx: OpContext, args: unknown[]): Promise<void> {
  assertArity(args, 1, 1);
  const [keyId] = args;
  assertKeyId(keyId);
  await ctx.keystore().delete(keyId);
}
