/**
 * `destroyKey(keyId)`: destroy a key now, skipping the deletion window, with the person's
 * consent in the enclave's dialog (`CONSENT_DECLINED`, `CONSENT_TIMEOUT`,
 * `CONSENT_NOT_VISIBLE` otherwise, and nothing changes). What it protected is lost.
 */
import { assertArity, assertKeyId } from '../lib/validate';
import type { Call } from '../policy/index';

/** The `destroyKey` operation. */
export async function destroyKey(call: Call, args: unknown[]): Promise<void> {
  assertArity(args, 1, 1);
  const [keyId] = args;
  assertKeyId(keyId);
  await call.destroy(keyId);
}
