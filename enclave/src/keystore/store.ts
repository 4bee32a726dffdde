/**
 * The keystore: typed access to key records in IndexedDB, scoped to one owner origin.
 *
 * Every read is filtered by owner, so a key of another origin is indistinguishable from a key
 * that does not exist. Records are cached in memory for the sign path; a BroadcastChannel tells
 * the other enclave workers of this partition when a key is deleted, so their caches follow.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS } from '@strongroom/bridge/protocol';
import { type IDBPDatabase, openDB } from 'idb';
import { DB_NAME, DB_VERSION, type KeyRecord, type StrongroomDB } from './schema';

const INVALIDATION_CHANNEL = 'strongroom-keystore';
/** Usage counters are written at most this often per key, so signing does not wait on disk. */
const USAGE_FLUSH_MS = 1000;

/** Open (and migrate) the keystore database. Throws `STORAGE_UNAVAILABLE` when it can't. */
export async function openKeystoreDb(): Promise<IDBPDatabase<StrongroomDB>> {
  try {
    return await openDB<StrongroomDB>(DB_NAME, DB_VERSION, {
      upgrade(db, oldVersion) {
        // Migrations run in order from the version found on disk.
        if (oldVersion < 1) {
          const keys = db.createObjectStore('keys', { keyPath: 'id' });
          keys.createIndex('byOwner', 'owner');
        }
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

  /** Get a key of this owner, or throw `KEY_NOT_FOUND`. */
  async get(id: string): Promise<KeyRecord> {
    const cached = this.#cache.get(id);
    if (cached) return cached;
    const record = await this.#db.get('keys', id);
    if (!record || record.owner !== this.#owner || record.state === 'destroyed') throw notFound();
    this.#cache.set(id, record);
    return record;
  }

  /** Every key of this owner, oldest first. */
  async list(): Promise<KeyRecord[]> {
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
    await tx.store.add(record);
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
