/**
 * `auditAnchor()`: a signed checkpoint of this origin's audit chain as it is now (this call's
 * own entry included) and the audit public key, for the app or its server to keep outside the
 * enclave and compare with later (docs/audit.md).
 */
import type { AuditAnchor } from '@strongroom/bridge/protocol';
import { assertArity } from '../lib/validate';
import type { Call } from '../policy/index';

/** The `auditAnchor` operation. */
export async function auditAnchor(call: Call, args: unknown[]): Promise<AuditAnchor> {
  assertArity(args, 0, 0);
  return call.audit().anchor(call.auditRecord('ok'));
}
