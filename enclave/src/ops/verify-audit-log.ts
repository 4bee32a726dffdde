/**
 * `verifyAuditLog()`: check this origin's whole kept audit chain — every hash, the sequence
 * without gaps, every checkpoint's signature and its agreement with the entries, the head.
 * What only an anchor kept outside can tell (truncation, a replaced key, a reset) is the
 * caller's part: docs/audit.md.
 */
import type { AuditVerification } from '@strongroom/bridge/protocol';
import { assertArity } from '../lib/validate';
import type { Call } from '../policy/index';

/** The `verifyAuditLog` operation. */
export async function verifyAuditLog(call: Call, args: unknown[]): Promise<AuditVerification> {
  assertArity(args, 0, 0);
  return call.audit().verify();
}
