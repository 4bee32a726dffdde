/**
 * Storage of the audit log: entries, each origin's head and signed checkpoints, in the
 * keystore's IndexedDB, and the per-origin Web Lock that serialises every writer of that
 * origin across tabs (audit commits and key state changes alike).
 *
 * A commit is one readwrite transaction over the audit stores and the key records: the
 * entries, the new head, checkpoints, pruning, and the usage counters of the keys used. It
 * fails (and the caller retries) if the head moved since it was read. The origin's shared
 * rate-limit buckets live in the `meta` store beside it.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { AuditEntry } from '@strongroom/bridge/protocol';
import type { IDBPDatabase } from 'idb';
import type {
  AuditHead,
  MetaRecord,
  StoredCheckpoint,
  StoredKeyRecord,
  StrongroomDB,
} from './schema';

/**
 * Run `fn` holding the exclusive Web Lock of `origin`'s keystore: one writer at a time across
 * every tab and worker of this storage partition.
 */
export function withOriginLock<T>(origin: string, fn: () => Promise<T>): Promise<T> {
  const locks = (self.navigator as Navigator | undefined)?.locks;
  if (!locks) {
    throw new StrongroomError('STORAGE_UNAVAILABLE', 'Web Locks are not available here');
  }
  return locks.request(`strongroom keystore ${origin}`, fn) as Promise<T>;
}

/** What one commit writes. */
export interface AuditCommit {
  /** The head read before the entries were built (the commit fails if it moved). */
  readonly expectedSeq: number;
  readonly entries: readonly AuditEntry[];
  readonly head: AuditHead;
  readonly checkpoints: readonly StoredCheckpoint[];
  /** Delete entries with `seq` below this (a checkpoint covers them). */
  readonly pruneBelow: number | null;
  /** Uses to add to each key's counter, and when. */
  readonly usage: ReadonlyMap<string, { count: number; at: number }>;
  /** New states of the keys' shared rate-limit buckets. */
  readonly buckets: ReadonlyMap<string, { tokens: number; at: number }>;
  /** New state of the origin's shared rate-limit bucket, if it was used. */
  readonly originBucket: { tokens: number; at: number } | null;
  /** New state of the origin's shared refused-request bucket and throttle, if it changed. */
  readonly violations: Throttle | null;
}

/** The origin's shared refused-request bucket, and until when the origin is throttled. */
export interface Throttle {
  readonly bucket?: { tokens: number; at: number };
  readonly until: number;
}

/** Thrown when the head moved between reading and committing. */
export class HeadMoved extends Error {}

/** The audit log of one origin. */
export class AuditStore {
  readonly #db: IDBPDatabase<StrongroomDB>;
  readonly origin: string;

  constructor(db: IDBPDatabase<StrongroomDB>, origin: string) {
    this.#db = db;
    this.origin = origin;
  }

  /** The head, or an empty chain's. */
  async head(): Promise<AuditHead> {
    return (
      (await this.#db.get('auditHeads', this.origin)) ?? {
        origin: this.origin,
        seq: 0,
        hash: '0'.repeat(64),
        firstSeq: 1,
      }
    );
  }

  /** The stored records of `ids` (absent ones missing from the map). */
  async keys(ids: readonly string[]): Promise<Map<string, StoredKeyRecord>> {
    const tx = this.#db.transaction('keys', 'readonly');
    const out = new Map<string, StoredKeyRecord>();
    for (const id of new Set(ids)) {
      const record = await tx.store.get(id);
      if (record && record.owner === this.origin) out.set(id, record);
    }
    await tx.done;
    return out;
  }

  /** The entry `seq`, if kept. */
  entry(seq: number): Promise<AuditEntry | undefined> {
    return this.#db.get('audit', [this.origin, seq]);
  }

  /** Entries with `seq` in `[from, to]`, in order. */
  entries(from: number, to: number): Promise<AuditEntry[]> {
    if (to < from) return Promise.resolve([]);
    return this.#db.getAll('audit', IDBKeyRange.bound([this.origin, from], [this.origin, to]));
  }

  /** The `seq` of the first kept entry whose time is at least `time`, scanning from `from`. */
  async firstAtOrAfter(time: number, from: number): Promise<number | null> {
    let cursor = await this.#db
      .transaction('audit')
      .store.openCursor(
        IDBKeyRange.bound([this.origin, from], [this.origin, Number.MAX_SAFE_INTEGER]),
      );
    while (cursor) {
      if (cursor.value.time >= time) return cursor.value.seq;
      cursor = await cursor.continue();
    }
    return null;
  }

  /** Checkpoints with `seq` in `[from, to]`, in order. */
  checkpoints(from: number, to: number): Promise<StoredCheckpoint[]> {
    if (to < from) return Promise.resolve([]);
    return this.#db.getAll(
      'auditCheckpoints',
      IDBKeyRange.bound([this.origin, from], [this.origin, to]),
    );
  }

  /** The origin's shared rate-limit bucket. */
  async originBucket(): Promise<{ tokens: number; at: number } | undefined> {
    return (await this.#db.get('meta', `bucket:${this.origin}`))?.bucket;
  }

  /** The origin's shared refused-request bucket and throttle. */
  async violations(): Promise<Throttle> {
    const stored = await this.#db.get('meta', `violations:${this.origin}`);
    return { ...(stored?.bucket ? { bucket: stored.bucket } : {}), until: stored?.until ?? 0 };
  }

  /**
   * Take from the origin's shared bucket `creations:<origin>` in one readwrite transaction
   * (IndexedDB runs those one at a time across tabs): `take` gets the stored state and returns
   * the new one, or `null` to leave it as it is.
   */
  async takeCreation(
    take: (
      state: { tokens: number; at: number } | undefined,
    ) => { tokens: number; at: number } | null,
  ): Promise<void> {
    const name = `creations:${this.origin}`;
    const tx = this.#db.transaction('meta', 'readwrite');
    const next = take((await tx.store.get(name))?.bucket);
    if (next) await tx.store.put({ name, bucket: next });
    await tx.done;
  }

  /** Dev builds only: the lowered limits a test stored in the `meta` entry `name`. */
  async devLimits(name: string): Promise<MetaRecord['devLimits']> {
    return (await this.#db.get('meta', name))?.devLimits;
  }

  /** The `meta` entry of the origin's audit key. */
  auditKey(): Promise<MetaRecord | undefined> {
    return this.#db.get('meta', `audit-key:${this.origin}`);
  }

  /** Store the origin's audit key (once: an existing key is kept, and returned). */
  async saveAuditKey(record: Omit<MetaRecord, 'name'>): Promise<MetaRecord> {
    const name = `audit-key:${this.origin}`;
    const tx = this.#db.transaction('meta', 'readwrite');
    const existing = await tx.store.get(name);
    if (existing) {
      await tx.done;
      return existing;
    }
    const stored: MetaRecord = { ...record, name };
    await tx.store.add(stored);
    await tx.done;
    return stored;
  }

  /** Write a commit atomically; throws {@link HeadMoved} if another writer got there first. */
  async commit(commit: AuditCommit): Promise<Map<string, StoredKeyRecord['usage']>> {
    const tx = this.#db.transaction(
      ['audit', 'auditHeads', 'auditCheckpoints', 'keys', 'meta'],
      'readwrite',
    );
    const current = await tx.objectStore('auditHeads').get(this.origin);
    if ((current?.seq ?? 0) !== commit.expectedSeq) {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw new HeadMoved('the audit head moved');
    }
    const audit = tx.objectStore('audit');
    for (const entry of commit.entries) await audit.put(entry);
    for (const checkpoint of commit.checkpoints) {
      await tx.objectStore('auditCheckpoints').put(checkpoint);
    }
    if (commit.pruneBelow !== null) {
      await audit.delete(
        IDBKeyRange.bound([this.origin, 0], [this.origin, commit.pruneBelow], false, true),
      );
      // Checkpoints older than the one that covers the pruned entries go too.
      await tx
        .objectStore('auditCheckpoints')
        .delete(
          IDBKeyRange.bound([this.origin, 0], [this.origin, commit.pruneBelow - 1], false, true),
        );
    }
    await tx.objectStore('auditHeads').put(commit.head);
    const counts = new Map<string, StoredKeyRecord['usage']>();
    const keys = tx.objectStore('keys');
    for (const id of new Set([...commit.usage.keys(), ...commit.buckets.keys()])) {
      const record = await keys.get(id);
      if (!record || record.owner !== this.origin) continue;
      const use = commit.usage.get(id);
      const usage = use
        ? { count: record.usage.count + use.count, lastUsedAt: use.at }
        : record.usage;
      const bucket = commit.buckets.get(id) ?? record.bucket;
      await keys.put({ ...record, usage, ...(bucket ? { bucket } : {}) });
      if (use) counts.set(id, usage);
    }
    if (commit.originBucket) {
      await tx
        .objectStore('meta')
        .put({ name: `bucket:${this.origin}`, bucket: commit.originBucket });
    }
    if (commit.violations) {
      await tx.objectStore('meta').put({ name: `violations:${this.origin}`, ...commit.violations });
    }
    await tx.done;
    return counts;
  }
}
