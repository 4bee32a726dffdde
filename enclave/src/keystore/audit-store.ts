/**
 * Storage of the audit log: entries, each origin's head and signed checkpoints, in the
 * keystore's IndexedDB, and the per-origin Web Lock that orders the key state changes of that
 * origin across tabs (audit commits need none: see {@link AuditStore.begin}).
 *
 * A commit is one readwrite transaction over the audit stores, the key records and `meta`
 * ({@link AuditStore.begin}): everything it needs is read at once (the head, the keys the calls
 * used, the origin's shared rate-limit and refused-request buckets, the oldest entry), then the
 * entries (one {@link AuditBatch} record), the new head, checkpoints, pruning, usage counters
 * and buckets are written without a round trip per record, and the commit is complete when the
 * transaction is. Its durability is
 * the engine's default for a readwrite transaction (docs/audit.md, "Durability").
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { AuditEntry } from '@strongroom/bridge/protocol';
import type { IDBPDatabase, IDBPTransaction } from 'idb';
import {
  AUDIT_BATCH_MAX,
  type AuditBatch,
  type AuditHead,
  type MetaRecord,
  type StoredCheckpoint,
  type StoredKeyRecord,
  type StrongroomDB,
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
  readonly entries: readonly AuditEntry[];
  readonly head: AuditHead;
  readonly checkpoints: readonly StoredCheckpoint[];
  /** Delete entries with `seq` below this (a checkpoint covers them). */
  readonly pruneBelow: number | null;
  /**
   * The batch that holds the entry at `pruneBelow - 1` (from {@link AuditTransaction.boundary}),
   * when pruning: if it also holds later entries, it is written again with those only.
   */
  readonly pruneThrough?: AuditBatch | undefined;
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

/** Everything a commit decides on, read in one round trip of its transaction. */
export interface AuditState {
  readonly head: AuditHead;
  /** The stored records of the keys asked for (absent or another origin's: missing). */
  readonly keys: ReadonlyMap<string, StoredKeyRecord>;
  readonly originBucket: { tokens: number; at: number } | undefined;
  readonly violations: Throttle;
  /** The oldest entry kept, if any (for retention by age). */
  readonly oldest: AuditEntry | undefined;
}

const STORES = ['auditBatches', 'auditHeads', 'auditCheckpoints', 'keys', 'meta'] as const;
type Stores = typeof STORES;

/**
 * One commit's readwrite transaction. Between its reads and {@link AuditTransaction.write} only
 * synchronous work may run (an awaited promise that is not one of its requests would let the
 * transaction end), except work passed to {@link AuditTransaction.hold}.
 */
export class AuditTransaction {
  readonly #tx: IDBPTransaction<StrongroomDB, Stores, 'readwrite'>;
  readonly #origin: string;

  constructor(tx: IDBPTransaction<StrongroomDB, Stores, 'readwrite'>, origin: string) {
    this.#tx = tx;
    this.#origin = origin;
  }

  /** The head, the records of `ids`, the shared buckets and the oldest entry: all requests at once. */
  async read(ids: readonly string[]): Promise<AuditState> {
    const origin = this.#origin;
    const meta = this.#tx.objectStore('meta');
    const unique = [...new Set(ids)];
    const [head, records, bucket, violations, oldest] = await Promise.all([
      this.#tx.objectStore('auditHeads').get(origin),
      Promise.all(unique.map((id) => this.#tx.objectStore('keys').get(id))),
      meta.get(`bucket:${origin}`),
      meta.get(`violations:${origin}`),
      this.#tx
        .objectStore('auditBatches')
        .getAll(IDBKeyRange.bound([origin, 0], [origin, Number.MAX_SAFE_INTEGER]), 1),
    ]);
    const keys = new Map<string, StoredKeyRecord>();
    for (const record of records)
      if (record && record.owner === origin) keys.set(record.id, record);
    return {
      head: head ?? { origin, seq: 0, hash: '0'.repeat(64), firstSeq: 1 },
      keys,
      originBucket: bucket?.bucket,
      violations: {
        ...(violations?.bucket ? { bucket: violations.bucket } : {}),
        until: violations?.until ?? 0,
      },
      oldest: oldest[0]?.entries[0],
    };
  }

  /**
   * The entry `seq`, the batch that holds it, and whether a checkpoint is stored at it (both
   * requests at once).
   */
  async boundary(
    seq: number,
  ): Promise<{ entry: AuditEntry | undefined; batch: AuditBatch | undefined; covered: boolean }> {
    const [batches, checkpoint] = await Promise.all([
      // The first batch whose last entry is at or after `seq`.
      this.#tx
        .objectStore('auditBatches')
        .getAll(IDBKeyRange.bound([this.#origin, seq], [this.#origin, Number.MAX_SAFE_INTEGER]), 1),
      this.#tx.objectStore('auditCheckpoints').getKey([this.#origin, seq]),
    ]);
    const batch = batches[0];
    return {
      entry: batch?.entries.find((e) => e.seq === seq),
      batch,
      covered: checkpoint !== undefined,
    };
  }

  /** The `seq` of the first kept entry whose time is at least `time`, scanning from `from`. */
  async firstAtOrAfter(time: number, from: number): Promise<number | null> {
    let cursor = await this.#tx
      .objectStore('auditBatches')
      .openCursor(IDBKeyRange.bound([this.#origin, from], [this.#origin, Number.MAX_SAFE_INTEGER]));
    while (cursor) {
      for (const entry of cursor.value.entries) {
        if (entry.seq >= from && entry.time >= time) return entry.seq;
      }
      cursor = await cursor.continue();
    }
    return null;
  }

  /**
   * Write `commit` over `state` (what {@link AuditTransaction.read} returned in this same
   * transaction, or what it is expected to return: usage counters are added to the stored ones)
   * and wait until the transaction is complete. Every request is queued before this returns
   * its promise. Resolves with the usage counters and the key records written.
   */
  async write(
    state: AuditState,
    commit: AuditCommit,
  ): Promise<{
    counts: Map<string, StoredKeyRecord['usage']>;
    records: Map<string, StoredKeyRecord>;
  }> {
    const tx = this.#tx;
    const origin = this.#origin;
    // Every request is queued at once; IndexedDB runs them in order, and the transaction fails
    // as a whole if any does.
    const batches = tx.objectStore('auditBatches');
    const checkpoints = tx.objectStore('auditCheckpoints');
    const requests: Promise<unknown>[] = [];
    const last = commit.entries[commit.entries.length - 1];
    if (last) requests.push(batches.put({ origin, seq: last.seq, entries: commit.entries }));
    for (const checkpoint of commit.checkpoints) requests.push(checkpoints.put(checkpoint));
    if (commit.pruneBelow !== null) {
      const below = commit.pruneBelow;
      // Whole batches below the cut go; the batch the cut runs through keeps its later entries.
      requests.push(batches.delete(IDBKeyRange.bound([origin, 0], [origin, below], false, true)));
      const through = commit.pruneThrough;
      if (through && through.seq >= below) {
        requests.push(
          batches.put({ ...through, entries: through.entries.filter((e) => e.seq >= below) }),
        );
      }
      // Checkpoints older than the one that covers the pruned entries go too.
      requests.push(
        checkpoints.delete(
          IDBKeyRange.bound([origin, 0], [origin, commit.pruneBelow - 1], false, true),
        ),
      );
    }
    requests.push(tx.objectStore('auditHeads').put(commit.head));
    const counts = new Map<string, StoredKeyRecord['usage']>();
    const records = new Map<string, StoredKeyRecord>();
    const keys = tx.objectStore('keys');
    for (const id of new Set([...commit.usage.keys(), ...commit.buckets.keys()])) {
      const record = state.keys.get(id);
      if (!record) continue;
      const use = commit.usage.get(id);
      const usage = use
        ? { count: record.usage.count + use.count, lastUsedAt: use.at }
        : record.usage;
      const bucket = commit.buckets.get(id) ?? record.bucket;
      const next = { ...record, usage, ...(bucket ? { bucket } : {}) };
      requests.push(keys.put(next));
      records.set(id, next);
      if (use) counts.set(id, usage);
    }
    const meta = tx.objectStore('meta');
    if (commit.originBucket) {
      requests.push(meta.put({ name: `bucket:${origin}`, bucket: commit.originBucket }));
    }
    if (commit.violations) {
      requests.push(meta.put({ name: `violations:${origin}`, ...commit.violations }));
    }
    await Promise.all([...requests, tx.done]);
    return { counts, records };
  }

  /**
   * Await `work` (signing a checkpoint: WebCrypto, no IndexedDB) with the transaction kept
   * open: a small read is placed again each time the previous one completes, until `work` has
   * settled, so the transaction always has a request pending and cannot commit early. `work`
   * must not open a transaction on these stores itself (it would wait for this one: deadlock).
   */
  async hold<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.finally(() => {
      settled = true;
    });
    done.catch(() => undefined);
    const heads = this.#tx.objectStore('auditHeads');
    while (!settled) await heads.get(this.#origin);
    return done;
  }

  /** End the transaction without writing anything. */
  async abort(): Promise<void> {
    try {
      this.#tx.abort();
    } catch {
      // Already finished: it wrote nothing either way.
    }
    await this.#tx.done.catch(() => undefined);
  }
}

/** The entries of `batches`, in their order. */
function flatten(batches: readonly AuditBatch[]): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const batch of batches) for (const entry of batch.entries) out.push(entry);
  return out;
}

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

  /**
   * The head, every checkpoint and every entry from the head's first kept one on, read together
   * in one readonly transaction (so no commit lands between them). The entries come in chunks
   * of `chunk`, all requested at once and delivered in order: the caller can check one while
   * the next ones are read.
   */
  async snapshot(chunk = 1000): Promise<{
    head: AuditHead;
    checkpoints: StoredCheckpoint[];
    entries: Promise<AuditEntry[]>[];
  }> {
    const origin = this.origin;
    const tx = this.#db.transaction(['auditBatches', 'auditHeads', 'auditCheckpoints'], 'readonly');
    tx.done.catch(() => undefined); // a failure surfaces through the requests
    const checkpoints = tx
      .objectStore('auditCheckpoints')
      .getAll(IDBKeyRange.bound([origin, 0], [origin, Number.MAX_SAFE_INTEGER]));
    const head = (await tx.objectStore('auditHeads').get(origin)) ?? {
      origin,
      seq: 0,
      hash: '0'.repeat(64),
      firstSeq: 1,
    };
    const batches = tx.objectStore('auditBatches');
    const entries: Promise<AuditEntry[]>[] = [];
    // Batches by the `seq` of their last entry: each chunk is the batches that end in it, so
    // every stored batch from the first kept entry on is in exactly one chunk, in order.
    for (let from = head.firstSeq; ; from += chunk) {
      // The last chunk is open-ended: an entry stored beyond the head is read (and shows).
      const last = from + chunk > head.seq;
      const to = last ? Number.MAX_SAFE_INTEGER : from + chunk - 1;
      entries.push(batches.getAll(IDBKeyRange.bound([origin, from], [origin, to])).then(flatten));
      if (last) break;
    }
    return { head, checkpoints: await checkpoints, entries };
  }

  /** Entries with `seq` in `[from, to]`, in order. */
  async entries(from: number, to: number): Promise<AuditEntry[]> {
    if (to < from) return [];
    // A batch holding an entry in the range ends at most AUDIT_BATCH_MAX - 1 entries after it.
    const batches = await this.#db.getAll(
      'auditBatches',
      IDBKeyRange.bound([this.origin, from], [this.origin, to + AUDIT_BATCH_MAX - 1]),
    );
    return flatten(batches).filter((e) => e.seq >= from && e.seq <= to);
  }

  /** Checkpoints with `seq` in `[from, to]`, in order. */
  checkpoints(from: number, to: number): Promise<StoredCheckpoint[]> {
    if (to < from) return Promise.resolve([]);
    return this.#db.getAll(
      'auditCheckpoints',
      IDBKeyRange.bound([this.origin, from], [this.origin, to]),
    );
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

  /**
   * Begin a commit: one readwrite transaction over the audit stores, the key records and `meta`.
   * IndexedDB runs readwrite transactions whose stores overlap one at a time, in the order they
   * were created, across every connection of the partition: commits of every tab, and key state
   * changes, never interleave, and a commit reads what the one before it wrote. No Web Lock is
   * needed for that.
   */
  begin(): AuditTransaction {
    return new AuditTransaction(this.#db.transaction([...STORES], 'readwrite'), this.origin);
  }
}
