/**
 * `auditLog({ since?, limit? })`: a page of this origin's audit log — entries after `since`,
 * at most `limit` (default and maximum `LIMITS.maxAuditPage`), the signed checkpoints among
 * them, the head and the audit public key. docs/audit.md.
 */

import { StrongroomError } from '@strongroom/bridge/errors';
import { type AuditLogPage, LIMITS } from '@strongroom/bridge/protocol';
import { assertArity, assertPlainObject } from '../lib/validate';
import type { Call } from '../policy/index';

function assertCount(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}" expected an integer from ${min} to ${max}`,
    );
  }
  return value;
}

/** The `auditLog` operation. */
export async function auditLog(call: Call, args: unknown[]): Promise<AuditLogPage> {
  assertArity(args, 0, 1);
  const [options = {}] = args;
  assertPlainObject(options, 'options', ['since', 'limit']);
  const since =
    options.since === undefined
      ? 0
      : assertCount(options.since, 'options.since', 0, Number.MAX_SAFE_INTEGER);
  const limit =
    options.limit === undefined
      ? LIMITS.maxAuditPage
      : assertCount(options.limit, 'options.limit', 1, LIMITS.maxAuditPage);
  return call.audit().page(since, limit);
}
