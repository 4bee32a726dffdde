/**
 * Loading a key of the caller for an operation: it must have the capability and be in a
 * state that allows it (`active` for anything that creates; `retired` too for what only
 * reads, such as decryption).
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { KeyState } from '@strongroom/bridge/protocol';
import type { OpContext } from '../context';
import type { KeyRecord } from '../keystore/schema';
import { algorithm, type Capability } from '../lib/algorithms';

/** States in which a key creates new signatures, tokens and ciphertexts. */
export const CREATE: readonly KeyState[] = ['active'];
/** States in which a key still decrypts and unwraps. */
export const READ: readonly KeyState[] = ['active', 'retired'];

/** Load `keyId` of the caller, or throw `KEY_NOT_FOUND` / `OPERATION_NOT_ALLOWED`. */
export async function usableKey(
  ctx: OpContext,
  keyId: string,
  capability: Capability,
  states: readonly KeyState[],
  what: string,
): Promise<KeyRecord> {
  const record = await ctx.keystore().get(keyId);
  if (!algorithm(record.alg).capabilities.has(capability)) {
    throw new StrongroomError('OPERATION_NOT_ALLOWED', `a ${record.alg} key cannot ${what}`);
  }
  if (!states.includes(record.state)) {
    throw new StrongroomError('OPERATION_NOT_ALLOWED', `this key is ${record.state}`);
  }
  return record;
}
