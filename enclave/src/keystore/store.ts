/**
 * The keystore: typed access to key records in IndexedDB, scoped to one owner origin.
 *
 * Every read is filtered by owner, so a key of another origin is indistinguishable from a key
 * that does not exist. Records are cached in memory for the sign path; a BroadcastChannel tells
 * the other enclave workers of this partition when a key is deleted, so their caches follow.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { type KeyAlgorithm, LIMITS } from '@strongroom/bridge/protocol';
import { type IDBPDatabase, type IDBPTransaction, openDB, type StoreNames } from 'idb';
import { algorithm } from '../lib/algorithms';
import { loadStorageKey, probeAlgorithm, unwrapFromStorage } from './at-rest';
import {
  DB_NAME,
  DB_VERSION,
  type KeyRecord,
  type StoredKeyRecord,
  type StrongroomDB,
} from './schema';

const INVALIDATION_CHANNEL = 'strongroom-keystore';
/** Usage counters are written at most this often per key, so signing does not wait on disk. */
const USAGE_FLUSH_MS = 1000;

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
      },
    });
  } catch (cause) {
    throw new StrongroomError('STORAGE_UNAVAILABLE', 'IndexedDB is not available', { cause });
  }
}

function notFound(): StrongroomError {
  return new StrongroomError('KEY_NOT_FOUND', 'no such key');
}

/** Key records of one owner origin. */
export class Keystore {
  readonly #db: IDBPDatabase<StrongroomDB>;
  readonly #owner: string;
  readonly #cache = new Map<string, KeyRecord>();
  readonly #dirty = new Set<string>();
  readonly #channel: BroadcastChannel;
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Per algorithm, whether its keys are kept wrapped at rest here (probed on first need). */
  readonly #wrapAtRest = new Map<KeyAlgorithm, Promise<boolean>>();
  #storageKey: Promise<CryptoKey> | null = null;

  constructor(db: IDBPDatabase<StrongroomDB>, owner: string) {
    this.#db = db;
    this.#owner = owner;
    this.#channel = new BroadcastChannel(INVALIDATION_CHANNEL);
    this.#channel.onmessage = (event: MessageEvent<unknown>) => {
      if (typeof event.data === 'string') this.#cache.delete(event.data);
    };
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
  needsWrapAtRest(alg: KeyAlgorithm): Promise<boolean> {
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
    if (!stored || stored.owner !== this.#owner || stored.state === 'destroyed') throw notFound();
    const record = await this.#materialize(stored);
    this.#cache.set(id, record);
    return record;
  }

  /** A stored record with its `CryptoKey`: unwrapped (non-extractable) if kept at rest. */
  async #materialize(stored: StoredKeyRecord): Promise<KeyRecord> {
    if (stored.key) return stored as KeyRecord;
    if (!stored.atRest) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
    const spec = algorithm(stored.alg);
    const key = await unwrapFromStorage(await this.storageKey(), spec, stored.atRest);
    // The public `CryptoKey` of a type IndexedDB cannot keep is not stored either: it is
    // imported again from the public JWK.
    let publicKey = stored.publicKey;
    if (!publicKey && stored.publicJwk && spec.importPublicParams) {
      const jwk: Record<string, unknown> = { ext: true };
      for (const name of spec.thumbprintMembers ?? []) jwk[name] = stored.publicJwk[name as 'x'];
      publicKey = await crypto.subtle.importKey(
        'jwk',
        jwk as JsonWebKey,
        spec.importPublicParams,
        true,
        [...(spec.publicUsages ?? [])],
      );
    }
    return { ...stored, key, publicKey };
  }

  /** Every key of this owner, oldest first (as stored: the key material is not loaded). */
  async list(): Promise<StoredKeyRecord[]> {
    const records = await this.#db.getAllFromIndex('keys', 'byOwner', this.#owner);
    return records
      .filter((r) => r.state !== 'destroyed')
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /** Add a new record, refusing when the owner's quota is full. Atomic. */
  async add(record: KeyRecord): Promise<void> {
    if (record.owner !== this.#owner) throw new Error('record of another owner');
    const tx = this.#db.transaction('keys', 'readwrite');
    const count = await tx.store.index('byOwner').count(this.#owner);
    if (count >= LIMITS.maxKeysPerOrigin) {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw new StrongroomError(
        'QUOTA_EXCEEDED',
        `an origin may hold at most ${LIMITS.maxKeysPerOrigin} keys`,
      );
    }
    // Material kept at rest is stored wrapped only: neither `CryptoKey` of a type that
    // IndexedDB cannot keep would survive (WebKit refuses X25519 public keys as well).
    await tx.store.add(record.atRest ? { ...record, key: null, publicKey: null } : record);
    await tx.done;
    this.#cache.set(record.id, record);
  }

  /** Delete a key of this owner, or throw `KEY_NOT_FOUND`. */
  async delete(id: string): Promise<void> {
    const tx = this.#db.transaction('keys', 'readwrite');
    const record = await tx.store.get(id);
    if (!record || record.owner !== this.#owner) {
      await tx.done;
      throw notFound();
    }
    await tx.store.delete(id);
    await tx.done;
    this.#cache.delete(id);
    this.#dirty.delete(id);
    this.#channel.postMessage(id);
  }

  /** Count one use of a key; persisted lazily (at most once a second). */
  recordUse(record: KeyRecord): void {
    record.usage = { count: record.usage.count + 1, lastUsedAt: Date.now() };
    this.#dirty.add(record.id);
    this.#flushTimer ??= setTimeout(() => void this.flushUsage(), USAGE_FLUSH_MS);
  }

  /** Write pending usage counters. Failures are swallowed: counters are informational. */
  async flushUsage(): Promise<void> {
    this.#flushTimer = null;
    const ids = [...this.#dirty];
    this.#dirty.clear();
    if (ids.length === 0) return;
    try {
      const tx = this.#db.transaction('keys', 'readwrite');
      for (const id of ids) {
        const cached = this.#cache.get(id);
        const stored = await tx.store.get(id);
        if (cached && stored && stored.owner === this.#owner) {
          stored.usage = cached.usage;
          await tx.store.put(stored);
        }
      }
      await tx.done;
    } catch {
      // A failed counter write never fails an operation.
    }
  }
}
