/**
 * The life cycle of a key, as cloud KMSs have it:
 *
 * - `active` → `rotateKey` → still `active`, with a new primary version; older versions are
 *   retired (they verify, open, unwrap and decrypt, and their public keys stay listed);
 * - `active` → `revokeKey` → `revoked`: refuses everything, for ever, but stays listed;
 * - `active` or `revoked` → `scheduleDeletion` → `pending-deletion` (refuses everything) →
 *   `cancelDeletion` → the state before; or, at the deletion date, the record and its material
 *   are destroyed (checked when a worker starts and whenever the key is named).
 *
 * Each transition is a pure function of the stored record, applied inside one IndexedDB
 * transaction by `Keystore.update`: a failure anywhere leaves the old state.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import type { AtRestKeyName, StoredKeyRecord } from '../keystore/schema';

const DAY_MS = 24 * 60 * 60 * 1000;

function notAllowed(message: string): StrongroomError {
  return new StrongroomError('OPERATION_NOT_ALLOWED', message);
}

/** Refuse any use of a key that is not `active`. */
export function assertActive(record: Pick<StoredKeyRecord, 'state'>): void {
  if (record.state === 'revoked') throw notAllowed('this key is revoked');
  if (record.state === 'pending-deletion') {
    throw notAllowed('this key is scheduled for deletion (cancelDeletion restores it)');
  }
}

/** Whether the record's deletion date has come. */
export function isDue(record: Pick<StoredKeyRecord, 'state' | 'deletion'>, now: number): boolean {
  return (
    record.state === 'pending-deletion' &&
    record.deletion !== null &&
    record.deletion.destroyAt <= now
  );
}

/** Assert a deletion window in days (an integer within the documented bounds). */
export function assertDeletionDays(value: unknown, field: string): asserts value is number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < LIMITS.minDeletionDays ||
    value > LIMITS.maxDeletionDays
  ) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${field}" expected an integer number of days from ${LIMITS.minDeletionDays} to ${LIMITS.maxDeletionDays}`,
    );
  }
}

/** `revokeKey`: `active` (or `revoked`: no change) → `revoked`. */
export function revoke(stored: StoredKeyRecord): StoredKeyRecord {
  if (stored.state === 'pending-deletion') {
    throw notAllowed('this key is scheduled for deletion; cancel the deletion to revoke it');
  }
  return { ...stored, state: 'revoked' };
}

/** `scheduleDeletion`: `active` or `revoked` → `pending-deletion`, destroyed after `days`. */
export function scheduleDeletion(
  stored: StoredKeyRecord,
  days: number,
  now: number,
): StoredKeyRecord {
  if (stored.state === 'pending-deletion') {
    throw notAllowed('this key is already scheduled for deletion');
  }
  return {
    ...stored,
    state: 'pending-deletion',
    deletion: { scheduledAt: now, destroyAt: now + days * DAY_MS, previousState: stored.state },
  };
}

/** `cancelDeletion`: `pending-deletion` → the state before it (before the deletion date). */
export function cancelDeletion(stored: StoredKeyRecord, now: number): StoredKeyRecord {
  if (stored.state !== 'pending-deletion' || !stored.deletion) {
    throw notAllowed('this key is not scheduled for deletion');
  }
  if (stored.deletion.destroyAt <= now) throw new StrongroomError('KEY_NOT_FOUND', 'no such key');
  return { ...stored, state: stored.deletion.previousState, deletion: null };
}

/** The material of a new primary version, as the record stores it. */
export interface NewVersion {
  readonly kid: string;
  readonly key: CryptoKey | null;
  readonly publicKey: CryptoKey | null;
  readonly publicJwk: StoredKeyRecord['publicJwk'];
  readonly exportMaterial: Uint8Array | null;
  readonly atRest: Uint8Array | null;
  /** The key `exportMaterial` and `atRest` are wrapped under. */
  readonly atRestKey?: AtRestKeyName | undefined;
}

/** `rotateKey`: a new primary version; the old primary is retired (no longer exportable). */
export function rotate(stored: StoredKeyRecord, next: NewVersion, now: number): StoredKeyRecord {
  assertRotatable(stored);
  return {
    ...stored,
    version: stored.version + 1,
    versionCreatedAt: now,
    kid: next.kid,
    key: next.key,
    publicKey: next.publicKey,
    publicJwk: next.publicJwk,
    exportMaterial: next.exportMaterial,
    atRest: next.atRest,
    atRestKey: next.atRestKey,
    retired: [
      {
        version: stored.version,
        kid: stored.kid,
        createdAt: stored.versionCreatedAt,
        key: stored.key,
        publicKey: stored.publicKey,
        publicJwk: stored.publicJwk,
        atRest: stored.atRest,
        ...(stored.atRestKey && stored.atRest ? { atRestKey: stored.atRestKey } : {}),
      },
      ...stored.retired,
    ],
  };
}

/** Refuse to rotate a key that is not active, not generated here, or has too many versions. */
export function assertRotatable(
  record: Pick<StoredKeyRecord, 'state' | 'provenance' | 'retired'>,
): void {
  assertActive(record);
  if (record.provenance.source !== 'generated') {
    throw notAllowed(
      `a ${record.provenance.source} key cannot rotate: only keys generated in the enclave do`,
    );
  }
  if (record.retired.length + 1 >= LIMITS.maxKeyVersions) {
    throw notAllowed(`a key keeps at most ${LIMITS.maxKeyVersions} versions`);
  }
}
