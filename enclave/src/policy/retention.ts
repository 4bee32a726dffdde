/**
 * The audit log's count retention, as arithmetic (used by `audit.ts`): how many entries go at a
 * time when the log is over its count. docs/audit.md, "Retention".
 */
import { LIMITS } from '@strongroom/bridge/protocol';

/**
 * How many entries the count retention prunes at a time: the checkpoint interval (so that the
 * entry before the first one kept already has its checkpoint, and a log at its cap prunes and
 * signs once per 100 entries, not at every commit), or a tenth of a lower count (a dev build's).
 * The log then keeps between `maxAuditEntries - step + 1` and `maxAuditEntries` entries.
 */
export function pruneStep(maxAuditEntries: number): number {
  return Math.max(1, Math.min(LIMITS.auditCheckpointEvery, Math.floor(maxAuditEntries / 10)));
}
