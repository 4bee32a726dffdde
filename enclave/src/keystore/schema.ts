/**
 * The typed IndexedDB schema of the keystore. Store names, keys and values flow from
 * {@link StrongroomDB}; {@link DB_VERSION} and the migrations in `open.ts` move with it.
 */
import type {
  AuditEntry,
  KeyAlgorithm,
  KeyPurpose,
  KeySource,
  KeyState,
  PublicJwk,
  TokenPolicy,
} from '@strongroom/bridge/protocol';
import type { DBSchema } from 'idb';
import type { VaultState } from './vault';

/**
 * Which key a blob of material at rest (`atRest`, `exportMaterial`) is wrapped under: absent,
 * the storage key (RFC 3394 AES-KW, the v2 form); `storage-gcm`, the partition's AES-GCM
 * storage key; `vault`, the origin's vault master key (AES-GCM, in memory only once unlocked).
 */
export type AtRestKeyName = 'storage-gcm' | 'vault';

/** The IndexedDB database name. */
export const DB_NAME = 'strongroom';

/**
 * The current schema version. Every earlier version has a migration in `store.ts`:
 * - 1: the `keys` store.
 * - 2: the `meta` store (storage key, probe scratch space); key records gain
 *   `maxTokenLifetime`, `exportable`, `exportMaterial` and `atRest`.
 * - 3: key records gain `purpose`, `provenance`, `tokenPolicy`, `usesPerMinute`, `deletion`,
 *   `versionCreatedAt` and `retired` (older versions); `state` is `active`, `revoked` or
 *   `pending-deletion`. The migration rule is in `store.ts` and docs/policy.md. The audit
 *   stores: `audit` (entries), `auditHeads` (each origin's last entry), `auditCheckpoints`.
 * - 4: the audit entries move from `audit` (one record per entry) to `auditBatches` (one record
 *   per commit: {@link AuditBatch}); `audit` is deleted.
 */
export const DB_VERSION = 4;

/**
 * At most this many entries in one {@link AuditBatch} (one commit's calls). Readers that look
 * for the batch holding an entry search this far past it.
 */
export const AUDIT_BATCH_MAX = 512;

/** A retired version of a key: kept to verify, open, unwrap and decrypt what it made. */
export interface RetiredVersion {
  readonly version: number;
  readonly kid: string;
  readonly createdAt: number;
  /** The private or secret key, non-extractable; `null` in storage when kept `atRest`. */
  readonly key: CryptoKey | null;
  /** The public key of a pair (`null` for secret keys, and in storage when kept `atRest`). */
  readonly publicKey: CryptoKey | null;
  readonly publicJwk: PublicJwk | null;
  /** As {@link KeyRecord.atRest}. */
  readonly atRest: Uint8Array | null;
  /** As {@link KeyRecord.atRestKey}. */
  readonly atRestKey?: AtRestKeyName;
}

/** A loaded retired version: its `CryptoKey` is present. */
export type LoadedRetiredVersion = RetiredVersion & { readonly key: CryptoKey };

/** Where a record's material came from (see `KeyProvenance` in the protocol). */
export interface StoredProvenance {
  readonly source: KeySource;
  readonly from?: { readonly keyId: string; readonly source: KeySource };
}

/** A scheduled deletion, with the state to return to on `cancelDeletion`. */
export interface StoredDeletion {
  readonly scheduledAt: number;
  readonly destroyAt: number;
  readonly previousState: 'active' | 'revoked';
}

/** One key as stored. The `CryptoKey`s are non-extractable; only the public JWK is readable. */
export interface KeyRecord {
  id: string;
  kid: string;
  alg: KeyAlgorithm;
  label: string;
  /** Origin of the app that created the key. Other origins never see it. */
  owner: string;
  createdAt: number;
  /** The primary version: 1, then one more per rotation. */
  version: number;
  /** When the primary version was created (v3). */
  versionCreatedAt: number;
  state: KeyState;
  /** The one thing this key does (v3). */
  purpose: KeyPurpose;
  /** Where the material came from (v3). */
  provenance: StoredProvenance;
  /** Token allowlists (v3). */
  tokenPolicy: TokenPolicy;
  /** Uses of this key per minute set for it, or `null` for the deployment's limit (v3). */
  usesPerMinute: number | null;
  /** Every use asks the person (v3). */
  presence: boolean;
  /** Minutes an approval covers further uses; `0`: every use asks (v3). */
  presenceEveryMinutes: number;
  /** This key's shared rate-limit bucket (every tab), written by audit commits (v3). */
  bucket?: { tokens: number; at: number };
  /** Set while `state` is `pending-deletion` (v3). */
  deletion: StoredDeletion | null;
  /** Older versions, newest first, loaded (v3). */
  retired: LoadedRetiredVersion[];
  usage: { count: number; lastUsedAt: number | null };
  /** The primary version's private key of a pair, or secret key: non-extractable. */
  key: CryptoKey;
  /** The public key of a pair, `null` for secret keys. */
  publicKey: CryptoKey | null;
  /** The public JWK of a pair (with `kid`), `null` for secret keys. */
  publicJwk: PublicJwk | null;
  /** Longest token lifetime (seconds) this key signs; fixed at creation (v2). */
  maxTokenLifetime: number;
  /** Whether `wrapKey` may export the key (opted in at creation, secret keys only) (v2). */
  exportable: boolean;
  /**
   * For exportable keys: the raw material wrapped (RFC 3394) under the non-extractable storage
   * key, from which `wrapKey` rewraps it under a caller's KEK without it entering JS (v2).
   */
  exportMaterial: Uint8Array | null;
  /**
   * Where this browser's IndexedDB cannot keep a `CryptoKey` of this algorithm (the start-up
   * probe decides; WebKit loses X25519): the PKCS #8 private key wrapped under the storage
   * key. The stored `key` is then `null`; it is unwrapped non-extractable on load (v2).
   */
  atRest: Uint8Array | null;
  /** The key that `atRest` and `exportMaterial` are wrapped under (absent: the AES-KW storage key). */
  atRestKey?: AtRestKeyName;
  /**
   * Whether `exportBackup` may include this key (opted in at creation; absent: `false`). Such a
   * key keeps its material wrapped at rest, like an exportable one.
   */
  backup?: boolean;
}

/**
 * A key record as IndexedDB holds it: `key` and `publicKey` are `null` when the material is
 * kept `atRest` (the public key is imported again from `publicJwk` on load).
 */
export type StoredKeyRecord = Omit<KeyRecord, 'key' | 'retired'> & {
  key: CryptoKey | null;
  retired: RetiredVersion[];
};

/** The public fields of a record: everything but the key material. */
export type KeyRecordMeta = Omit<KeyRecord, 'key' | 'publicKey' | 'retired'> & {
  retired: readonly RetiredVersion[];
};

/** A value of the `meta` store. */
export interface MetaRecord {
  /**
   * `storage-key`, `probe:<alg>:<random>`, `wrapped:<sha-256 of a wrapKey output>` (v3),
   * `connection-approved:<origin>` (v3), `audit-key:<origin>`, `bucket:<origin>`,
   * `creations:<origin>`, `violations:<origin>`, `vault:<origin>`, `storage-key-gcm`, or (dev builds only) `dev:force-wrap-at-rest`,
   * `dev:clock-offset`, `dev:consent-first-connection`, `dev:audit-limits` and
   * `dev:fail-migration`.
   */
  name: string;
  /** The storage key (AES-KW, non-extractable), or a probe's key. */
  key?: CryptoKey;
  /** Dev builds only: algorithms to treat as not surviving IndexedDB. */
  algorithms?: KeyAlgorithm[];
  /** `wrapped:` entries: the algorithm and purpose of the key that `wrapKey` exported. */
  alg?: KeyAlgorithm;
  purpose?: KeyPurpose;
  /** Dev builds only (`dev:clock-offset`): milliseconds added to the enclave's clock. */
  offsetMs?: number;
  /** Dev builds only (`dev:fail-migration`): records a migration writes before it fails. */
  failAfter?: number;
  /** Dev builds only (`dev:fail-migration`): ms a migration waits before its write. */
  pauseMs?: number;
  /** `audit-key:<origin>`: the audit key's public JWK (the private key is `key` or `atRest`). */
  publicJwk?: PublicJwk;
  /** `audit-key:<origin>` where IndexedDB cannot keep an Ed25519 key: the wrapped PKCS #8. */
  atRest?: Uint8Array;
  /** `vault:<origin>`: the origin's vault (vault mode; `keystore/vault.ts`). */
  vault?: VaultState;
  /**
   * The origin's shared rate-limit buckets (every tab): `bucket:<origin>` (key uses),
   * `creations:<origin>` (key creations), `violations:<origin>` (refused requests).
   */
  bucket?: { tokens: number; at: number };
  /** `violations:<origin>`: until when (policy clock) the origin is throttled. */
  until?: number;
  /** Dev builds only (`dev:audit-limits`): lower limits for tests (release builds ignore it). */
  devLimits?: {
    maxAuditEntries?: number;
    keyCreationsPerMinute?: number;
    originUsesPerMinute?: number;
  };
}

/** The last entry of an origin's audit chain. */
export interface AuditHead {
  readonly origin: string;
  readonly seq: number;
  readonly hash: string;
  /** The first `seq` still stored (older entries were pruned). */
  readonly firstSeq: number;
}

/**
 * The entries one audit commit wrote, in one record: IndexedDB's cost is per record, so a
 * commit of 32 calls is one put, not 32. Keyed by the origin and the `seq` of its last entry;
 * `entries` are consecutive, in order, at most {@link AUDIT_BATCH_MAX}. Pruning deletes whole
 * batches and rewrites the one it cuts through.
 */
export interface AuditBatch {
  readonly origin: string;
  /** The `seq` of the last entry. */
  readonly seq: number;
  readonly entries: readonly AuditEntry[];
}

/** A signed checkpoint as stored. */
export interface StoredCheckpoint {
  readonly origin: string;
  readonly seq: number;
  readonly hash: string;
  readonly time: number;
  readonly signature: string;
}

/** The keystore's schema. */
export interface StrongroomDB extends DBSchema {
  keys: {
    key: string;
    value: StoredKeyRecord;
    indexes: { byOwner: string };
  };
  meta: {
    key: string;
    value: MetaRecord;
  };
  auditBatches: {
    key: [string, number];
    value: AuditBatch;
  };
  auditHeads: {
    key: string;
    value: AuditHead;
  };
  auditCheckpoints: {
    key: [string, number];
    value: StoredCheckpoint;
  };
}
