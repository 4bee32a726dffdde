/**
 * The keystore: typed access to key records in IndexedDB, scoped to one owner origin.
 *
 * Every read is filtered by owner, so a key of another origin is indistinguishable from a key
 * that does not exist. Records are cached in memory for the sign path; a BroadcastChannel tells
 * the other enclave workers of this partition when a key is deleted, so their caches follow.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import {
  type AuditEntry,
  type KeyAlgorithm,
  type KeyPurpose,
  LIMITS,
} from '@strongroom/bridge/protocol';
import { type IDBPDatabase, type IDBPTransaction, openDB, type StoreNames } from 'idb';
import { DEV } from '../build-info';
import type { AlgorithmSpec } from '../lib/algorithms';
import { algorithm } from '../lib/algorithms';
import { loadStorageKey, probeAlgorithm, unwrapFromStorage, wrapForStorage } from './at-rest';
import { withOriginLock } from './audit-store';
import {
  type AtRestKeyName,
  AUDIT_BATCH_MAX,
  DB_NAME,
  DB_VERSION,
  type KeyRecord,
  type LoadedRetiredVersion,
  type RetiredVersion,
  type StoredKeyRecord,
  type StrongroomDB,
} from './schema';
import { sealMaterial, unsealMaterial, type VaultState, vaultName } from './vault';

const INVALIDATION_CHANNEL = 'strongroom-keystore';

/** Dev builds only: the `meta` entry that makes `migrate` fail midway (`failAfter` records). */
export const DEV_FAIL_MIGRATION_NAME = 'dev:fail-migration';

/**
 * Dev builds only: the `meta` entry that makes every `update` (rotate, revoke, restrict,
 * schedule or cancel a deletion) fail after writing the new record, inside its transaction.
 */
export const DEV_FAIL_UPDATE_NAME = 'dev:fail-update';

/**
 * Dev builds only: the `meta` entry (`pauseMs`) that makes `add` wait between the caller's
 * choice of at-rest form and its write transaction (and say so on a BroadcastChannel of the
 * same name), so that a test can enable or disable the vault from another tab meanwhile.
 */
export const DEV_PAUSE_ADD_NAME = 'dev:pause-add';

/**
 * Dev builds only: a BroadcastChannel on which a script of the enclave origin posts `{ probe: id }`
 * and each key worker holding that key answers `{ id, extractable }`: whether each loaded
 * version's `CryptoKey` (primary first) is extractable — what a test cannot otherwise see.
 */
export const DEV_PROBE_EXTRACTABLE_NAME = 'dev:probe-extractable';

/** The message a write answers when its record's at-rest form no longer matches the vault. */
export const VAULT_CHANGED_MESSAGE =
  'the vault was enabled or disabled in another tab while this key was being written; nothing was written, try again';

/**
 * Whether some version of `record` is kept in a form that the origin's vault state (`vaulted`)
 * does not allow: under the vault's master key in plain mode, or not under it in vault mode.
 */
function formMismatch(record: StoredKeyRecord, vaulted: boolean): boolean {
  const versions: { atRestKey?: AtRestKeyName | undefined }[] = [record, ...record.retired];
  return versions.some((v) => (v.atRestKey === 'vault') !== vaulted);
}

/** Refused: the record's at-rest form does not match the vault state read in the write. */
function vaultChanged(): StrongroomError {
  return new StrongroomError('OPERATION_NOT_ALLOWED', VAULT_CHANGED_MESSAGE);
}

/**
 * v1 → v2: add the `meta` store; give every key record the v2 fields with the values a v1 key
 * had in effect (24 h token lifetime, never exportable, material held as a `CryptoKey`).
 */
async function migrateToV2(
  db: IDBPDatabase<StrongroomDB>,
  tx: IDBPTransaction<StrongroomDB, ArrayLike<StoreNames<StrongroomDB>>, 'versionchange'>,
): Promise<void> {
  db.createObjectStore('meta', { keyPath: 'name' });
  let cursor = await tx.objectStore('keys').openCursor();
  while (cursor) {
    const record = cursor.value as Partial<StoredKeyRecord> & StoredKeyRecord;
    await cursor.update({
      ...record,
      maxTokenLifetime: record.maxTokenLifetime ?? LIMITS.defaultTokenLifetime,
      exportable: record.exportable ?? false,
      exportMaterial: record.exportMaterial ?? null,
      atRest: record.atRest ?? null,
    });
    cursor = await cursor.continue();
  }
}

/**
 * The purpose a record from before schema 3 gets: the use its algorithm was documented for
 * first. docs/policy.md states this rule.
 */
export const MIGRATED_PURPOSE: { readonly [A in KeyAlgorithm]: KeyPurpose } = {
  ES256: 'jwt',
  EdDSA: 'jwt',
  HS256: 'mac',
  A256GCM: 'seal',
  A256KW: 'seal',
  X25519: 'agree',
  'ECDH-ES': 'agree',
};

/**
 * v2 → v3: every key record gets a purpose (by {@link MIGRATED_PURPOSE}), provenance
 * `migrated` (the enclave cannot tell how it was made, so it counts as page-knowable), no
 * token allowlists, the deployment's rate limit, one version; a state other than `active`
 * becomes `revoked`.
 */
async function migrateToV3(
  db: IDBPDatabase<StrongroomDB>,
  tx: IDBPTransaction<StrongroomDB, ArrayLike<StoreNames<StrongroomDB>>, 'versionchange'>,
): Promise<void> {
  // `audit` (one record per entry) is replaced by `auditBatches` in v4.
  (db as unknown as IDBPDatabase).createObjectStore('audit', { keyPath: ['origin', 'seq'] });
  db.createObjectStore('auditHeads', { keyPath: 'origin' });
  db.createObjectStore('auditCheckpoints', { keyPath: ['origin', 'seq'] });
  let cursor = await tx.objectStore('keys').openCursor();
  while (cursor) {
    const record = cursor.value as Partial<StoredKeyRecord> & StoredKeyRecord;
    await cursor.update({
      ...record,
      state: record.state === 'active' ? 'active' : 'revoked',
      purpose: record.purpose ?? MIGRATED_PURPOSE[record.alg],
      provenance: record.provenance ?? { source: 'migrated' },
      tokenPolicy: record.tokenPolicy ?? {
        audiences: null,
        issuers: null,
        subjects: null,
        vapidAudiences: null,
      },
      usesPerMinute: record.usesPerMinute ?? null,
      presence: record.presence ?? false,
      presenceEveryMinutes: record.presenceEveryMinutes ?? 0,
      deletion: record.deletion ?? null,
      versionCreatedAt: record.versionCreatedAt ?? record.createdAt,
      retired: record.retired ?? [],
    });
    cursor = await cursor.continue();
  }
}

/**
 * v3 → v4: the audit entries move from `audit`, one record each, to `auditBatches`: consecutive
 * entries of an origin, in order, in records of at most {@link AUDIT_BATCH_MAX}. Then `audit`
 * is deleted. Nothing is re-hashed or re-signed: the entries are the same objects.
 */
async function migrateToV4(
  db: IDBPDatabase<StrongroomDB>,
  tx: IDBPTransaction<StrongroomDB, ArrayLike<StoreNames<StrongroomDB>>, 'versionchange'>,
): Promise<void> {
  const batches = db.createObjectStore('auditBatches', { keyPath: ['origin', 'seq'] });
  const old = (tx as unknown as IDBPTransaction<unknown, string[], 'versionchange'>).objectStore(
    'audit',
  );
  let pending: AuditEntry[] = [];
  const flush = async (): Promise<void> => {
    const last = pending[pending.length - 1];
    if (last) await batches.put({ origin: last.origin, seq: last.seq, entries: pending });
    pending = [];
  };
  // The store's order is by origin, then seq.
  let cursor = await old.openCursor();
  while (cursor) {
    const entry = cursor.value as AuditEntry;
    const last = pending[pending.length - 1];
    if (
      last &&
      (last.origin !== entry.origin ||
        last.seq + 1 !== entry.seq ||
        pending.length >= AUDIT_BATCH_MAX)
    ) {
      await flush();
    }
    pending.push(entry);
    cursor = await cursor.continue();
  }
  await flush();
  (db as unknown as IDBPDatabase).deleteObjectStore('audit');
}

/** Open (and migrate) the keystore database. Throws `STORAGE_UNAVAILABLE` when it can't. */
export async function openKeystoreDb(): Promise<IDBPDatabase<StrongroomDB>> {
  try {
    return await openDB<StrongroomDB>(DB_NAME, DB_VERSION, {
      async upgrade(db, oldVersion, _newVersion, tx) {
        // Migrations run in order from the version found on disk. Nothing but the upgrade
        // transaction's own requests may be awaited here (it would commit early).
        if (oldVersion < 1) {
          const keys = db.createObjectStore('keys', { keyPath: 'id' });
          keys.createIndex('byOwner', 'owner');
        }
        if (oldVersion < 2) await migrateToV2(db, tx);
        if (oldVersion < 3) await migrateToV3(db, tx);
        if (oldVersion < 4) await migrateToV4(db, tx);
      },
    });
  } catch (cause) {
    throw new StrongroomError('STORAGE_UNAVAILABLE', 'IndexedDB is not available', { cause });
  }
}

/**
 * A loaded record as it is stored. Material kept at rest is stored wrapped only: neither
 * `CryptoKey` of a type that IndexedDB cannot keep would survive (WebKit refuses X25519
 * public keys as well).
 */
export function toStored(record: KeyRecord): StoredKeyRecord {
  const retired: RetiredVersion[] = record.retired.map((v) =>
    v.atRest ? { ...v, key: null, publicKey: null } : v,
  );
  return record.atRest
    ? { ...record, key: null, publicKey: null, retired }
    : { ...record, retired };
}

async function wrappedName(wrapped: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', wrapped.slice()));
  return `wrapped:${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The `meta` entry of the partition's AES-GCM storage key. */
const STORAGE_GCM_NAME = 'storage-key-gcm';

/** A BroadcastChannel notice: `vault`'s vault changed, or (`lock`) was locked. */
interface VaultNotice {
  readonly vault: string;
  readonly lock: boolean;
}

function isVaultNotice(value: unknown): value is VaultNotice {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.vault === 'string' && typeof v.lock === 'boolean';
}

/** The public `CryptoKey` of a pair from its public JWK (`null` for secret keys). */
async function importPublic(
  spec: AlgorithmSpec,
  publicJwk: StoredKeyRecord['publicJwk'],
): Promise<CryptoKey | null> {
  if (!publicJwk || !spec.importPublicParams) return null;
  const jwk: Record<string, unknown> = { ext: true };
  for (const name of spec.thumbprintMembers ?? []) jwk[name] = publicJwk[name as 'x'];
  return crypto.subtle.importKey('jwk', jwk as JsonWebKey, spec.importPublicParams, true, [
    ...(spec.publicUsages ?? []),
  ]);
}

/** One version of a stored record, as a migration sees and returns it. */
export interface StoredVersion {
  readonly key: CryptoKey | null;
  readonly publicKey: CryptoKey | null;
  readonly publicJwk: StoredKeyRecord['publicJwk'];
  readonly atRest: Uint8Array | null;
  readonly atRestKey?: AtRestKeyName | undefined;
  /** Primary version only: the export material. */
  readonly exportMaterial?: Uint8Array | null;
}

function notFound(): StrongroomError {
  return new StrongroomError('KEY_NOT_FOUND', 'no such key');
}

/** Key records of one owner origin. */
export class Keystore {
  readonly #db: IDBPDatabase<StrongroomDB>;
  readonly #owner: string;
  readonly #cache = new Map<string, KeyRecord>();
  readonly #channel: BroadcastChannel;
  /** Per algorithm, whether its keys are kept wrapped at rest here (probed on first need). */
  readonly #wrapAtRest = new Map<KeyAlgorithm, Promise<boolean>>();
  #storageKey: Promise<CryptoKey> | null = null;
  #gcmKey: Promise<CryptoKey> | null = null;
  /** This owner's vault as last read (`null`: plain mode); re-read when another tab changes it. */
  #vault: Promise<VaultState | null> | null = null;
  /** The vault's master key while unlocked in this worker (never stored). */
  #master: CryptoKey | null = null;
  readonly #vaultListeners = new Set<(event: { locked: boolean; reason: 'lock' }) => void>();

  constructor(db: IDBPDatabase<StrongroomDB>, owner: string) {
    this.#db = db;
    this.#owner = owner;
    this.#channel = new BroadcastChannel(INVALIDATION_CHANNEL);
    this.#channel.onmessage = (event: MessageEvent<unknown>) => {
      const data = event.data;
      if (typeof data === 'string') this.#cache.delete(data);
      else if (isVaultNotice(data) && data.vault === this.#owner) {
        // Another tab changed this origin's vault (enabled, disabled, enrollments) or locked it.
        this.#vault = null;
        this.#cache.clear();
        if (data.lock && this.#master) {
          this.#master = null;
          for (const listener of this.#vaultListeners) listener({ locked: true, reason: 'lock' });
        }
      }
    };
    if (DEV) {
      // Test seam, compiled out of release builds: report whether a key's loaded versions are
      // extractable (the key as this worker holds it in memory, after any unwrap or unlock).
      const probe = new BroadcastChannel(DEV_PROBE_EXTRACTABLE_NAME);
      probe.onmessage = (event: MessageEvent<unknown>) => {
        const data = event.data as { probe?: unknown } | null;
        if (typeof data !== 'object' || data === null || typeof data.probe !== 'string') return;
        const id = data.probe;
        this.get(id).then(
          (record) =>
            probe.postMessage({
              id,
              extractable: [record.key, ...record.retired.map((v) => v.key)].map(
                (k) => k.extractable,
              ),
            }),
          () => undefined,
        );
      };
    }
  }

  /** This owner's vault (`null` in plain mode). */
  vault(): Promise<VaultState | null> {
    this.#vault ??= this.#db.get('meta', vaultName(this.#owner)).then(
      (entry) => entry?.vault ?? null,
      (cause: unknown) => {
        this.#vault = null;
        throw new StrongroomError('STORAGE_UNAVAILABLE', 'IndexedDB is not available', { cause });
      },
    );
    return this.#vault;
  }

  /** Store this owner's vault state (enrollments, failures); other tabs re-read it. */
  async putVault(state: VaultState): Promise<void> {
    await this.#db.put('meta', { name: vaultName(this.#owner), vault: state });
    this.#vault = Promise.resolve(state);
    this.#channel.postMessage({ vault: this.#owner, lock: false } satisfies VaultNotice);
  }

  /**
   * Change this owner's vault state in one readwrite transaction: `change` gets the state as
   * stored now (not as cached; another tab may have changed it) and returns the new one, or
   * throws, and then nothing is written. Other tabs re-read it.
   */
  async updateVault(change: (current: VaultState | null) => VaultState): Promise<VaultState> {
    const tx = this.#db.transaction('meta', 'readwrite');
    const store = tx.objectStore('meta');
    let next: VaultState;
    try {
      const entry = await store.get(vaultName(this.#owner));
      next = change(entry?.vault ?? null);
    } catch (err) {
      tx.abort();
      await tx.done.catch(() => undefined);
      this.#vault = null;
      throw err;
    }
    await store.put({ name: vaultName(this.#owner), vault: next });
    await tx.done;
    this.#vault = Promise.resolve(next);
    this.#channel.postMessage({ vault: this.#owner, lock: false } satisfies VaultNotice);
    return next;
  }

  /** Whether the vault's master key is in this worker's memory. */
  get unlocked(): boolean {
    return this.#master !== null;
  }

  /** Keep the master key in memory (after an unlock). */
  setMaster(master: CryptoKey): void {
    this.#master = master;
    this.#cache.clear();
  }

  /**
   * Forget the master key and every key unwrapped under it. With `everyTab`, every worker of
   * this origin in this browser forgets it too (`lock()`).
   */
  forgetMaster(everyTab: boolean): void {
    this.#master = null;
    this.#cache.clear();
    if (everyTab)
      this.#channel.postMessage({ vault: this.#owner, lock: true } satisfies VaultNotice);
  }

  /** Be told when another tab locked this origin's vault. */
  onVaultLocked(listener: (event: { locked: boolean; reason: 'lock' }) => void): void {
    this.#vaultListeners.add(listener);
  }

  /** The master key, or `LOCKED`. */
  #masterKey(): CryptoKey {
    if (!this.#master) {
      throw new StrongroomError('LOCKED', 'the vault is locked: unlock() first');
    }
    return this.#master;
  }

  /** The partition's non-extractable AES-GCM storage key (created on first use). */
  #storageGcmKey(): Promise<CryptoKey> {
    this.#gcmKey ??= (async () => {
      const existing = await this.#db.get('meta', STORAGE_GCM_NAME);
      if (existing?.key) return existing.key;
      const key = (await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
        'wrapKey',
        'unwrapKey',
      ])) as CryptoKey;
      try {
        await this.#db.add('meta', { name: STORAGE_GCM_NAME, key });
        return key;
      } catch {
        const winner = await this.#db.get('meta', STORAGE_GCM_NAME);
        if (winner?.key) return winner.key;
        throw new StrongroomError('STORAGE_UNAVAILABLE', 'IndexedDB is not available');
      }
    })().catch((cause: unknown) => {
      this.#gcmKey = null;
      throw cause;
    });
    return this.#gcmKey;
  }

  /**
   * Wrap an extractable key's material for storage: under the vault's master key in vault mode
   * (`LOCKED` while locked), else under the partition's AES-GCM storage key.
   */
  async sealAtRest(
    spec: AlgorithmSpec,
    key: CryptoKey,
  ): Promise<{ blob: Uint8Array; atRestKey: AtRestKeyName }> {
    if (await this.vault()) {
      return { blob: await sealMaterial(this.#masterKey(), spec, key), atRestKey: 'vault' };
    }
    return {
      blob: await sealMaterial(await this.#storageGcmKey(), spec, key),
      atRestKey: 'storage-gcm',
    };
  }

  /** Wrap for storage under a named key (migrations): `vault` needs `master`. */
  async sealUnder(
    atRestKey: AtRestKeyName,
    spec: AlgorithmSpec,
    key: CryptoKey,
    master: CryptoKey | null,
  ): Promise<Uint8Array> {
    if (atRestKey === 'vault') {
      if (!master) throw new StrongroomError('LOCKED', 'the vault is locked: unlock() first');
      return sealMaterial(master, spec, key);
    }
    return sealMaterial(await this.#storageGcmKey(), spec, key);
  }

  /**
   * Unwrap material kept at rest under `atRestKey` (see {@link AtRestKeyName}); non-extractable
   * unless `extractable`. `LOCKED` for vault material while locked.
   */
  async unwrapAtRest(
    atRestKey: AtRestKeyName | undefined,
    spec: AlgorithmSpec,
    blob: Uint8Array,
    extractable = false,
  ): Promise<CryptoKey> {
    if (atRestKey === 'vault') return unsealMaterial(this.#masterKey(), spec, blob, extractable);
    if (atRestKey === 'storage-gcm') {
      return unsealMaterial(await this.#storageGcmKey(), spec, blob, extractable);
    }
    return unwrapFromStorage(await this.storageKey(), spec, blob, extractable);
  }

  /** Wrap under the legacy AES-KW storage key (kept for the v2 form). */
  async wrapUnderStorageKey(spec: AlgorithmSpec, key: CryptoKey): Promise<Uint8Array> {
    return wrapForStorage(await this.storageKey(), spec, key);
  }

  /** The owner origin this keystore is bound to. */
  get owner(): string {
    return this.#owner;
  }

  /**
   * Whether keys of `alg` must be kept wrapped at rest in this browser. Probed the first time a
   * key of `alg` is stored, not at start-up, so connecting and signing never wait on it; reads
   * need no probe (each record says how it is stored). A failed probe answers "wrap".
   */
  async needsWrapAtRest(alg: KeyAlgorithm): Promise<boolean> {
    // In vault mode every key is kept sealed under the master key.
    if (await this.vault()) return true;
    return this.probeWrapAtRest(alg);
  }

  /** Whether this browser's IndexedDB cannot keep `CryptoKey`s of `alg` (probed once). */
  probeWrapAtRest(alg: KeyAlgorithm): Promise<boolean> {
    let answer = this.#wrapAtRest.get(alg);
    if (!answer) {
      answer = probeAlgorithm(this.#db, algorithm(alg)).catch(() => true);
      this.#wrapAtRest.set(alg, answer);
    }
    return answer;
  }

  /** The partition's non-extractable AES-KW storage key (created on first use). */
  storageKey(): Promise<CryptoKey> {
    this.#storageKey ??= loadStorageKey(this.#db).catch((cause: unknown) => {
      this.#storageKey = null;
      throw cause instanceof StrongroomError
        ? cause
        : new StrongroomError('STORAGE_UNAVAILABLE', 'IndexedDB is not available', { cause });
    });
    return this.#storageKey;
  }

  /** Get a key of this owner, or throw `KEY_NOT_FOUND`. */
  async get(id: string): Promise<KeyRecord> {
    const cached = this.#cache.get(id);
    if (cached) return cached;
    const stored = await this.#db.get('keys', id);
    if (!stored || stored.owner !== this.#owner) throw notFound();
    const record = await this.#materialize(stored);
    this.#cache.set(id, record);
    return record;
  }

  /** A stored record with its `CryptoKey`s: unwrapped (non-extractable) where kept at rest. */
  async #materialize(stored: StoredKeyRecord): Promise<KeyRecord> {
    const primary = await this.#materializeVersion(stored);
    const retired: LoadedRetiredVersion[] = [];
    for (const version of stored.retired) {
      retired.push({
        ...version,
        ...(await this.#materializeVersion({ ...version, alg: stored.alg })),
      });
    }
    return { ...stored, ...primary, retired };
  }

  /** One version's `CryptoKey`s: unwrapped (non-extractable) if kept at rest. */
  async #materializeVersion(stored: {
    alg: KeyAlgorithm;
    key: CryptoKey | null;
    publicKey: CryptoKey | null;
    publicJwk: StoredKeyRecord['publicJwk'];
    atRest: Uint8Array | null;
    atRestKey?: AtRestKeyName;
  }): Promise<{ key: CryptoKey; publicKey: CryptoKey | null }> {
    if (stored.key) return { key: stored.key, publicKey: stored.publicKey };
    if (!stored.atRest) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
    const spec = algorithm(stored.alg);
    const key = await this.unwrapAtRest(stored.atRestKey, spec, stored.atRest);
    // The public `CryptoKey` of a type IndexedDB cannot keep is not stored either: it is
    // imported again from the public JWK.
    const publicKey = stored.publicKey ?? (await importPublic(spec, stored.publicJwk));
    return { key, publicKey };
  }

  /** Every key of this owner, oldest first (as stored: the key material is not loaded). */
  async list(): Promise<StoredKeyRecord[]> {
    const records = await this.#db.getAllFromIndex('keys', 'byOwner', this.#owner);
    return records.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /**
   * Change a record of this owner atomically: `change` gets the record as stored in one
   * readwrite transaction and returns the record to store (or throws, and nothing changes).
   * Returns the stored result. Other workers of this partition drop their cached copy.
   */
  update(
    id: string,
    change: (stored: StoredKeyRecord) => StoredKeyRecord,
  ): Promise<StoredKeyRecord> {
    return withOriginLock(this.#owner, () => this.#update(id, change));
  }

  async #update(
    id: string,
    change: (stored: StoredKeyRecord) => StoredKeyRecord,
  ): Promise<StoredKeyRecord> {
    // Test seam, compiled out of release builds (read before the write transaction opens).
    const failAfterWrite = DEV && (await this.#db.get('meta', DEV_FAIL_UPDATE_NAME)) !== undefined;
    const tx = this.#db.transaction(['keys', 'meta'], 'readwrite');
    const keys = tx.objectStore('keys');
    const stored = await keys.get(id);
    if (!stored || stored.owner !== this.#owner) {
      await tx.done.catch(() => undefined);
      throw notFound();
    }
    const vaulted = (await tx.objectStore('meta').get(vaultName(this.#owner))) !== undefined;
    let next: StoredKeyRecord;
    try {
      next = change(stored);
      if (next.id !== id || next.owner !== this.#owner) throw new Error('record identity changed');
      // A new version sealed for the vault state read before (rotateKey) while another tab
      // enabled or disabled the vault: refused, not written in the wrong form.
      if (formMismatch(next, vaulted) && !formMismatch(stored, vaulted)) throw vaultChanged();
    } catch (err) {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw err;
    }
    await keys.put(next);
    if (failAfterWrite) {
      // A failure after the write and before the commit: the transaction writes nothing.
      tx.abort();
      await tx.done.catch(() => undefined);
      throw new StrongroomError('INTERNAL_ERROR', 'dev: the update failed after its write');
    }
    await tx.done;
    this.#cache.delete(id);
    this.#channel.postMessage(id);
    return next;
  }

  /**
   * Destroy every key of this owner whose deletion date is `now` or earlier: the records,
   * and with them the only copy of their material, are deleted in one transaction.
   * Returns the ids destroyed.
   */
  destroyDue(now: number): Promise<string[]> {
    return withOriginLock(this.#owner, () => this.#destroyDue(now));
  }

  async #destroyDue(now: number): Promise<string[]> {
    const tx = this.#db.transaction('keys', 'readwrite');
    const records = await tx.store.index('byOwner').getAll(this.#owner);
    const due = records.filter(
      (r) => r.state === 'pending-deletion' && r.deletion !== null && r.deletion.destroyAt <= now,
    );
    for (const record of due) await tx.store.delete(record.id);
    await tx.done;
    for (const record of due) {
      this.#cache.delete(record.id);
      this.#channel.postMessage(record.id);
    }
    return due.map((r) => r.id);
  }

  /** Destroy a key of this owner now: the record and its material are deleted. */
  destroy(id: string): Promise<void> {
    return withOriginLock(this.#owner, () => this.#destroy(id));
  }

  async #destroy(id: string): Promise<void> {
    const tx = this.#db.transaction('keys', 'readwrite');
    const stored = await tx.store.get(id);
    if (!stored || stored.owner !== this.#owner) {
      await tx.done.catch(() => undefined);
      throw notFound();
    }
    await tx.store.delete(id);
    await tx.done;
    this.#forget([id]);
  }

  /** Destroy every key of this owner, in one transaction. Returns how many. */
  destroyAll(): Promise<number> {
    return withOriginLock(this.#owner, () => this.#destroyAll());
  }

  async #destroyAll(): Promise<number> {
    const tx = this.#db.transaction('keys', 'readwrite');
    const ids = await tx.store.index('byOwner').getAllKeys(this.#owner);
    for (const id of ids) await tx.store.delete(id);
    await tx.done;
    this.#forget(ids);
    return ids.length;
  }

  #forget(ids: readonly string[]): void {
    for (const id of ids) {
      this.#cache.delete(id);
      this.#channel.postMessage(id);
    }
  }

  /** Drop this worker's cached copy of `id` (it changed elsewhere). */
  forgetCached(id: string): void {
    this.#cache.delete(id);
  }

  /** The usage counter of `id` as the audit commit stored it. */
  noteUsage(id: string, usage: KeyRecord['usage']): void {
    const cached = this.#cache.get(id);
    if (cached) cached.usage = usage;
  }

  /** Remember that `wrapKey` exported a key of `alg` and `purpose` as `wrapped`. */
  async rememberWrapped(
    wrapped: Uint8Array,
    alg: KeyAlgorithm,
    purpose: KeyPurpose,
  ): Promise<void> {
    await this.#db.put('meta', { name: await wrappedName(wrapped), alg, purpose });
  }

  /** What `wrapKey` exported as `wrapped`, if this partition exported it. */
  async exportedAs(
    wrapped: Uint8Array,
  ): Promise<{ alg: KeyAlgorithm; purpose: KeyPurpose } | null> {
    const entry = await this.#db.get('meta', await wrappedName(wrapped));
    return entry?.alg && entry.purpose ? { alg: entry.alg, purpose: entry.purpose } : null;
  }

  /** Whether the `meta` entry `name` exists. */
  async hasMeta(name: string): Promise<boolean> {
    return (await this.#db.get('meta', name)) !== undefined;
  }

  /** Create (or keep) the `meta` entry `name`. */
  async putMeta(name: string): Promise<void> {
    await this.#db.put('meta', { name });
  }

  /**
   * Move every key of this owner to another way of keeping material at rest (vault mode on or
   * off): `move` computes each version's new stored form (crypto happens before the write);
   * then one transaction writes every record and the vault state (`null` deletes it), or
   * nothing. Under the origin's lock, so no other tab changes a key's state in between; audit
   * commits take no lock and may count uses meanwhile, so each record's usage counter and
   * rate-limit bucket are taken from the record as stored when it is written.
   */
  migrate(
    move: (
      record: StoredKeyRecord,
      version: StoredVersion,
      primary: boolean,
    ) => Promise<StoredVersion>,
    vault: VaultState | null,
  ): Promise<number> {
    return withOriginLock(this.#owner, async () => {
      const records = await this.#db.getAllFromIndex('keys', 'byOwner', this.#owner);
      const next: StoredKeyRecord[] = [];
      for (const record of records) {
        const primary = await move(record, record, true);
        const retired: RetiredVersion[] = [];
        for (const version of record.retired) {
          const moved = await move(record, version, false);
          retired.push({
            ...version,
            key: moved.key,
            publicKey: moved.publicKey,
            atRest: moved.atRest,
            atRestKey: moved.atRestKey,
          });
        }
        next.push({
          ...record,
          key: primary.key,
          publicKey: primary.publicKey,
          atRest: primary.atRest,
          atRestKey: primary.atRestKey,
          exportMaterial: primary.exportMaterial ?? null,
          retired,
        });
      }
      if (DEV) {
        // Test seam, compiled out of release builds: wait between moving the material and
        // writing it (and say so), so that a test can add a key meanwhile.
        const seam = await this.#db.get('meta', DEV_FAIL_MIGRATION_NAME);
        if (typeof seam?.pauseMs === 'number') {
          const told = new BroadcastChannel(DEV_FAIL_MIGRATION_NAME);
          told.postMessage('paused');
          told.close();
          await new Promise((resolve) => setTimeout(resolve, seam.pauseMs));
        }
      }
      const tx = this.#db.transaction(['keys', 'meta'], 'readwrite');
      const keys = tx.objectStore('keys');
      // Refuse if a key came or went while the material was being moved.
      const now = await keys.index('byOwner').getAllKeys(this.#owner);
      if (now.length !== records.length || now.some((id) => !records.some((r) => r.id === id))) {
        tx.abort();
        await tx.done.catch(() => undefined);
        throw new StrongroomError('INTERNAL_ERROR', 'keys changed during the migration; try again');
      }
      // Test seam, compiled out of release builds: fail after writing `failAfter` records, in
      // the transaction, to show that a migration failing midway writes nothing.
      const failAfter = DEV
        ? (await tx.objectStore('meta').get(DEV_FAIL_MIGRATION_NAME))?.failAfter
        : undefined;
      let written = 0;
      for (const record of next) {
        if (typeof failAfter === 'number' && written++ >= failAfter) {
          tx.abort();
          await tx.done.catch(() => undefined);
          throw new StrongroomError('INTERNAL_ERROR', 'dev: the migration failed midway');
        }
        // Uses counted by audit commits (no lock) while the material was being moved.
        const stored = await keys.get(record.id);
        const { bucket: _old, ...rest } = record;
        await keys.put({
          ...rest,
          usage: stored?.usage ?? record.usage,
          ...(stored?.bucket ? { bucket: stored.bucket } : {}),
        });
      }
      if (vault) await tx.objectStore('meta').put({ name: vaultName(this.#owner), vault });
      else await tx.objectStore('meta').delete(vaultName(this.#owner));
      await tx.done;
      this.#vault = Promise.resolve(vault);
      this.#cache.clear();
      this.#channel.postMessage({ vault: this.#owner, lock: false } satisfies VaultNotice);
      for (const record of next) this.#channel.postMessage(record.id);
      return next.length;
    });
  }

  /** The public `CryptoKey` of a stored version (for migrations). */
  publicKeyOf(
    alg: KeyAlgorithm,
    publicJwk: StoredKeyRecord['publicJwk'],
  ): Promise<CryptoKey | null> {
    return importPublic(algorithm(alg), publicJwk);
  }

  /**
   * Restore keys from a backup, all or none, in one transaction: the records `replace` names
   * (this owner's) are deleted, every record is added, and the quota is checked. An id already
   * taken (by another origin's key) or a full quota aborts the whole restore.
   */
  restore(records: readonly KeyRecord[], replace: readonly string[]): Promise<void> {
    return withOriginLock(this.#owner, async () => {
      const tx = this.#db.transaction(['keys', 'meta'], 'readwrite');
      const store = tx.objectStore('keys');
      const fail = async (error: StrongroomError): Promise<never> => {
        tx.abort();
        await tx.done.catch(() => undefined);
        throw error;
      };
      const vaulted = (await tx.objectStore('meta').get(vaultName(this.#owner))) !== undefined;
      if (records.some((r) => formMismatch(toStored(r), vaulted))) await fail(vaultChanged());
      for (const id of replace) {
        const stored = await store.get(id);
        if (stored && stored.owner === this.#owner) await store.delete(id);
      }
      const count = await store.index('byOwner').count(this.#owner);
      if (count + records.length > LIMITS.maxKeysPerOrigin) {
        await fail(
          new StrongroomError(
            'QUOTA_EXCEEDED',
            `an origin may hold at most ${LIMITS.maxKeysPerOrigin} keys`,
          ),
        );
      }
      for (const record of records) {
        if (record.owner !== this.#owner)
          await fail(new StrongroomError('INTERNAL_ERROR', 'internal error'));
        if ((await store.getKey(record.id)) !== undefined) {
          await fail(
            new StrongroomError(
              'OPERATION_NOT_ALLOWED',
              `key id ${record.id} of the backup is taken here; nothing was imported`,
            ),
          );
        }
        await store.add(toStored(record));
      }
      await tx.done;
      this.#forget([...replace, ...records.map((r) => r.id)]);
    });
  }

  /**
   * Add a new record, refusing when the owner's quota is full, or (`OPERATION_NOT_ALLOWED`,
   * {@link VAULT_CHANGED_MESSAGE}) when its at-rest form does not match the vault state read in
   * the same transaction (another tab enabled or disabled the vault after the caller chose the
   * form). Atomic.
   */
  async add(record: KeyRecord): Promise<void> {
    if (record.owner !== this.#owner) throw new Error('record of another owner');
    if (DEV) {
      // Test seam, compiled out of release builds: wait before the write (and say so).
      const seam = await this.#db.get('meta', DEV_PAUSE_ADD_NAME);
      if (typeof seam?.pauseMs === 'number') {
        const told = new BroadcastChannel(DEV_PAUSE_ADD_NAME);
        told.postMessage('paused');
        told.close();
        await new Promise((resolve) => setTimeout(resolve, seam.pauseMs));
      }
    }
    const stored = toStored(record);
    const tx = this.#db.transaction(['keys', 'meta'], 'readwrite');
    const keys = tx.objectStore('keys');
    const fail = async (error: StrongroomError): Promise<never> => {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw error;
    };
    const vaulted = (await tx.objectStore('meta').get(vaultName(this.#owner))) !== undefined;
    if (formMismatch(stored, vaulted)) await fail(vaultChanged());
    const count = await keys.index('byOwner').count(this.#owner);
    if (count >= LIMITS.maxKeysPerOrigin) {
      await fail(
        new StrongroomError(
          'QUOTA_EXCEEDED',
          `an origin may hold at most ${LIMITS.maxKeysPerOrigin} keys`,
        ),
      );
    }
    await keys.add(stored);
    await tx.done;
    this.#cache.set(record.id, record);
  }
}
