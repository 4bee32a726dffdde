/**
 * `resetEnclave()`: destroy every key of the calling origin now, with the person's consent in
 * the enclave's dialog. Other origins' keys are untouched. What the keys protected is lost.
 */
import { assertArity } from '../lib/validate';
import type { Call } from '../policy/index';

/** The `resetEnclave` operation. */
export async function resetEnclave(call: Call, args: unknown[]): Promise<void> {
  assertArity(args, 0, 0);
  await call.reset();
}
