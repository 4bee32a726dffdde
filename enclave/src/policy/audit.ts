/**
 * The audit trail of one origin, in the key worker: every call on the channel, allowed or
 * refused, becomes one entry of a hash chain (docs/audit.md), signed in checkpoints by the
 * origin's own Ed25519 audit key — non-extractable, created on first use, used by nothing else.
 *
 * **Group commit.** One commit runs at a time per worker, and every call that ends while it
 * runs joins the next batch, so concurrent callers share one IndexedDB transaction per batch,
 * not per call. Each call waits for its entry to be durable (its transaction complete) before
 * its result is returned.
 *
 * **One transaction, every tab.** A commit is one readwrite transaction over the audit stores,
 * the key records and `meta`: it reads everything it decides on in one round trip (the head,
 * the keys the calls used, the shared buckets), hashes its entries synchronously, signs the
 * checkpoints it must (every `LIMITS.auditCheckpointEvery` entries, `auditAnchor`, or the one
 * that covers pruned entries) while it keeps the transaction open, and writes. IndexedDB runs
 * readwrite transactions over the same stores one at a time, across every connection of the
 * partition, so every tab appends to the one chain without gaps or duplicates with no lock of
 * ours (a commit used to hold the origin's Web Lock as well: ~0.6 ms, up to ~2 ms under load,
 * per commit, for an ordering IndexedDB already gives). A key revoked, rotated or scheduled for
 * deletion in another tab since the call loaded it refuses the call at commit (its result is
 * never returned), and usage counters add up across tabs. Writers of key records that read and
 * write in separate transactions (`Keystore.migrate`) carry the counters over from the record
 * as stored when they write.
 *
 * **Rate limits over every tab.** The commit also takes the key's and the origin's shared use
 * buckets (a call over them is refused `RATE_LIMITED`, its result withheld) and counts refused
 * requests in the origin's shared bucket: when it runs empty, the origin is throttled for
 * `THROTTLE_MS` — calls that use a key are refused at their commit, and every call of a tab
 * before it runs once that tab has committed since. Key creations take the shared creation
 * bucket before the key is made ({@link AuditTrail.create}).
 *
 * **Retention.** At most `LIMITS.maxAuditEntries` entries, none older than
 * `LIMITS.maxAuditAgeDays`: older ones are pruned, and a signed checkpoint at the entry before
 * the first one kept carries the chain on.
 */
import { StrongroomError, type StrongroomErrorCode } from '@strongroom/bridge/errors';
import {
  type AuditAnchor,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditLogPage,
  type AuditVerification,
  LIMITS,
  type PublicJwk,
  type RateLimits,
  type SignedCheckpoint,
} from '@strongroom/bridge/protocol';
import { DEV } from '../build-info';
import { unwrapFromStorage } from '../keystore/at-rest';
import { AuditStateGuess, sameState } from '../keystore/audit-state';
import type {
  AuditCommit,
  AuditState,
  AuditStore,
  AuditTransaction,
  Throttle,
} from '../keystore/audit-store';
import { AUDIT_BATCH_MAX, type AuditBatch, type StoredCheckpoint } from '../keystore/schema';
import type { Keystore } from '../keystore/store';
import { algorithm } from '../lib/algorithms';
import { chainProblem, checkpointBytes, entryHash, ZERO_HASH } from '../lib/audit-chain';
import { base64url } from '../lib/encoding';
import { generateKeyRetrying } from '../lib/generate';
import { jwkThumbprint } from '../lib/thumbprint';
import { type BucketState, limited, THROTTLE_MS, takeStored, VIOLATIONS } from './rate-limit';
import { pruneStep } from './retention';

/** A key a call used, as the commit re-checks it. */
export interface KeyUse {
  readonly id: string;
  readonly version: number;
  /** The call created something with the primary version (a signature, token, envelope…). */
  readonly creating: boolean;
}

/** What a call contributes to the log, before the commit numbers and hashes it. */
export interface AuditRecord {
  readonly op: AuditEntry['op'];
  readonly keyId: string | null;
  readonly keyVersion: number | null;
  readonly purpose: AuditEntry['purpose'];
  readonly outcome: 'ok' | StrongroomErrorCode;
  readonly inBytes: number;
  readonly outBytes: number;
  /** Keys to re-check at commit (only for calls that succeeded). */
  readonly uses: readonly KeyUse[];
}

/** How a call's entry was committed: its final outcome (and retry time for RATE_LIMITED). */
export interface Committed {
  readonly outcome: string;
  readonly checkpoint: SignedCheckpoint | null;
  readonly retryAfterMs?: number;
}

interface Pending {
  readonly record: AuditRecord;
  readonly checkpoint: boolean;
  readonly resolve: (outcome: Committed) => void;
  readonly reject: (err: unknown) => void;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** At most this many calls per commit (one transaction, one stored batch); the rest go in the next. */
const MAX_BATCH = AUDIT_BATCH_MAX;

/**
 * The limits a commit applies that a dev build may lower (`dev:audit-limits`): retention, the
 * shared creation bucket and the shared origin-use bucket.
 */
interface EffectiveLimits {
  readonly maxAuditEntries: number;
  readonly keyCreationsPerMinute: number;
  readonly originUsesPerMinute: number;
}

type KeyRecordUsage = Parameters<Keystore['noteUsage']>[1];

/** What a commit decided: what to write, what to sign first, and what each call gets. */
interface Plan {
  /** Everything to write but the signed checkpoints. */
  readonly commit: Omit<AuditCommit, 'checkpoints'>;
  /** Checkpoints to sign (and write) at these entries. */
  readonly sign: readonly { seq: number; hash: string }[];
  readonly outcomes: readonly string[];
  readonly waits: readonly number[];
  /** Keys that changed elsewhere (this worker's copies are stale). */
  readonly changed: ReadonlySet<string>;
  readonly throttledUntil: number;
}

/**
 * Run `fn` after the current task (a message to ourselves: unlike `setTimeout`, never clamped or
 * throttled), so that calls ending in the same task join the same commit.
 */
function afterThisTask(fn: () => void): void {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    fn();
  };
  channel.port2.postMessage(null);
}

function signedOf(stored: StoredCheckpoint): SignedCheckpoint {
  return {
    checkpoint: {
      v: 1,
      origin: stored.origin,
      seq: stored.seq,
      hash: stored.hash,
      time: stored.time,
    },
    signature: stored.signature,
  };
}

/** The audit trail of one origin (one per channel; every tab writes the same chain). */
export class AuditTrail {
  readonly #store: AuditStore;
  readonly #keystore: Keystore;
  readonly #clock: () => number;
  #queue: Pending[] = [];
  /** A commit is running or about to: calls that end now join the next batch. */
  #draining = false;
  #key: Promise<{ privateKey: CryptoKey; publicJwk: PublicJwk }> | null = null;
  /** The audit private key once {@link AuditTrail.#auditKey} has loaded it (signing in a commit). */
  #loadedKey: CryptoKey | null = null;
  /** The state this worker's last commit left: the next commit's guess of its reads. */
  readonly #guess = new AuditStateGuess();
  readonly #limits: RateLimits;
  /** Until when the origin is throttled, as this worker last read it (at its last commit). */
  #throttledUntil = 0;
  #devLimits: Promise<EffectiveLimits> | null = null;

  constructor(store: AuditStore, keystore: Keystore, clock: () => number, limits: RateLimits) {
    this.#store = store;
    this.#keystore = keystore;
    this.#clock = clock;
    this.#limits = limits;
  }

  /**
   * Append an entry for one call; resolves with the outcome the caller must get once the entry
   * is durable: `ok`, or a refusal found at commit (a key changed elsewhere), or the refusal the
   * call already had.
   */
  record(record: AuditRecord): Promise<Committed> {
    return this.#enqueue(record, false);
  }

  /**
   * The retention count, creation limit and shared origin-use limit in effect: the constants,
   * or in dev builds only the lower ones a test stored in `dev:audit-limits` (read once per
   * worker).
   */
  #effective(): Promise<EffectiveLimits> {
    this.#devLimits ??= (async () => {
      const limits = {
        maxAuditEntries: LIMITS.maxAuditEntries,
        keyCreationsPerMinute: this.#limits.keyCreationsPerMinute,
        originUsesPerMinute: this.#limits.originUsesPerMinute,
      };
      if (!DEV) return limits;
      const dev = await this.#store.devLimits('dev:audit-limits').catch(() => undefined);
      return {
        maxAuditEntries: Math.min(limits.maxAuditEntries, dev?.maxAuditEntries ?? Infinity),
        keyCreationsPerMinute: Math.min(
          limits.keyCreationsPerMinute,
          dev?.keyCreationsPerMinute ?? Infinity,
        ),
        originUsesPerMinute: Math.min(
          limits.originUsesPerMinute,
          dev?.originUsesPerMinute ?? Infinity,
        ),
      };
    })();
    return this.#devLimits;
  }

  /**
   * Take one key creation from the origin's shared bucket (every tab), before the key is made;
   * throws `RATE_LIMITED`, taking nothing, when it is empty.
   */
  async create(now: number): Promise<void> {
    const { keyCreationsPerMinute } = await this.#effective();
    let wait = 0;
    try {
      await this.#store.takeCreation((state) => {
        const taken = takeStored(state, keyCreationsPerMinute, now);
        wait = taken.wait;
        return taken.wait > 0 ? null : taken.state;
      });
    } catch (cause) {
      throw new StrongroomError('STORAGE_UNAVAILABLE', 'the keystore could not be written', {
        cause,
      });
    }
    if (wait > 0) throw limited('too many keys were created (counted over every tab)', wait);
  }

  /**
   * Throw `RATE_LIMITED` while the origin is throttled for refused requests, as this worker
   * last saw it (every commit reads the shared state).
   */
  assertNotThrottled(now: number): void {
    const wait = Math.ceil(this.#throttledUntil - now);
    if (wait > 0) throw limited("this origin's channels sent too many refused requests", wait);
  }

  #enqueue(record: AuditRecord, checkpoint: boolean): Promise<Committed> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, checkpoint, resolve, reject });
      if (!this.#draining) {
        this.#draining = true;
        // Everything that ends in this task joins the first commit.
        afterThisTask(() => void this.#drain());
      }
    });
  }

  /**
   * Commit batch after batch, each once the one before is complete (so a batch is everything
   * that ended while the previous one committed), until the queue is empty.
   */
  async #drain(): Promise<void> {
    try {
      // Read once per worker, before any transaction is open.
      const limits = await this.#effective();
      while (this.#queue.length > 0) {
        await this.#commit(this.#queue.splice(0, MAX_BATCH), limits);
      }
    } catch (cause) {
      // No limits could be read: nothing queued can be committed.
      const err = new StrongroomError('STORAGE_UNAVAILABLE', 'the audit log could not be written', {
        cause,
      });
      for (const p of this.#queue.splice(0)) p.reject(err);
    } finally {
      this.#draining = false;
    }
  }

  /** Commit one batch; resolves when each call has its result (never rejects). */
  #commit(batch: readonly Pending[], limits: EffectiveLimits): Promise<void> {
    return this.#write(batch, limits).then(
      (results) => {
        for (const [i, p] of batch.entries()) p.resolve(results[i] as Committed);
      },
      (cause: unknown) => {
        const err =
          cause instanceof StrongroomError
            ? cause
            : new StrongroomError('STORAGE_UNAVAILABLE', 'the audit log could not be written', {
                cause,
              });
        for (const p of batch) p.reject(err);
      },
    );
  }

  /**
   * Build and write one batch in one transaction, signing its checkpoints inside it.
   *
   * When this worker knows the state its last commit left ({@link AuditStateGuess}), the commit
   * is planned on that guess and its reads and writes are queued together — one round trip —
   * and it completes only if the reads return exactly the guess; otherwise (another tab
   * committed, a key changed) it is aborted unwritten and planned again on what was read.
   *
   * Loading (or creating) the audit key opens transactions of its own, so a commit that must
   * sign before the key is loaded leaves its transaction unwritten, loads the key, and starts
   * again.
   */
  async #write(batch: readonly Pending[], limits: EffectiveLimits): Promise<Committed[]> {
    const now = this.#clock();
    const ids = batch.flatMap((p) =>
      p.record.outcome === 'ok' ? p.record.uses.map((u) => u.id) : [],
    );
    for (;;) {
      const tx = this.#store.begin();
      try {
        const reading = tx.read(ids);
        const guess = this.#guess.guess(ids);
        // Without a guess, wait for the reads; with one, they are checked after the writes
        // are queued (a rejection is handled there).
        if (guess) reading.catch(() => undefined);
        const state = guess ?? (await reading);
        const plan = await this.#plan(tx, state, batch, now, limits);
        const key = this.#loadedKey;
        if (plan.sign.length > 0 && !key) {
          await tx.abort();
          await this.#auditKey();
          continue;
        }
        // WebCrypto is asynchronous: the transaction is kept open while it signs.
        const checkpoints =
          plan.sign.length > 0 && key
            ? await tx.hold(
                Promise.all(
                  plan.sign.map((want) => signCheckpoint(key, this.#store.origin, want, now)),
                ),
              )
            : [];
        const writing = tx.write(state, { ...plan.commit, checkpoints });
        if (guess && !sameState(await reading, guess, ids)) {
          // Another writer changed something since this worker's last commit.
          writing.catch(() => undefined);
          this.#guess.forget();
          await tx.abort();
          continue;
        }
        const { counts, records } = await writing;
        this.#guess.wrote(state, {
          head: plan.commit.head,
          records,
          originBucket: plan.commit.originBucket,
          violations: plan.commit.violations,
          pruned: plan.commit.pruneBelow !== null,
          firstWritten: plan.commit.entries[0],
        });
        return this.#settle(plan, checkpoints, counts);
      } catch (err) {
        this.#guess.forget();
        await tx.abort();
        throw err;
      }
    }
  }

  /** After a commit: this worker's view of the throttle and its cached keys, and each result. */
  #settle(
    plan: Plan,
    checkpoints: readonly StoredCheckpoint[],
    counts: ReadonlyMap<string, KeyRecordUsage>,
  ): Committed[] {
    this.#throttledUntil = plan.throttledUntil;
    for (const [id, count] of counts) this.#keystore.noteUsage(id, count);
    for (const id of plan.changed) this.#keystore.forgetCached(id);
    const asked = checkpoints.find((c) => c.seq === plan.commit.head.seq) ?? null;
    return plan.outcomes.map((outcome, i) => ({
      outcome,
      checkpoint: asked ? signedOf(asked) : null,
      ...(plan.waits[i] ? { retryAfterMs: plan.waits[i] } : {}),
    }));
  }

  /**
   * Decide a commit from `state` (read in `tx`), synchronously but for the reads retention
   * needs: each call's final outcome, the entries and their hashes, usage counters, shared
   * buckets, the checkpoints to sign and what to prune.
   */
  async #plan(
    tx: AuditTransaction,
    state: AuditState,
    batch: readonly Pending[],
    now: number,
    limits: EffectiveLimits,
  ): Promise<Plan> {
    const { maxAuditEntries } = limits;
    const { head, keys: current } = state;
    const entries: AuditEntry[] = [];
    const outcomes: string[] = [];
    const waits: number[] = [];
    // The shared buckets: the same limits as each worker's own, counted over every tab.
    const buckets = new Map<string, BucketState>();
    let originBucket: BucketState | undefined = state.originBucket;
    let originUsed = false;
    let wait = 0;
    // The shared refused-request bucket and throttle.
    let throttle: Throttle = state.violations;
    let throttleChanged = false;
    const take = (uses: readonly KeyUse[]): boolean => {
      const next = new Map<string, BucketState>();
      for (const use of uses) {
        const stored = current.get(use.id);
        if (!stored) continue;
        const limit = Math.min(
          stored.usesPerMinute ?? this.#limits.keyUsesPerMinute,
          this.#limits.keyUsesPerMinute,
        );
        const taken = takeStored(
          next.get(use.id) ?? buckets.get(use.id) ?? stored.bucket,
          limit,
          now,
        );
        if (taken.wait > 0) {
          wait = taken.wait;
          return false;
        }
        next.set(use.id, taken.state);
      }
      let origin = originBucket;
      for (let i = 0; i < uses.length; i++) {
        const taken = takeStored(origin, limits.originUsesPerMinute, now);
        if (taken.wait > 0) {
          wait = taken.wait;
          return false;
        }
        origin = taken.state;
      }
      for (const [id, state] of next) buckets.set(id, state);
      if (uses.length > 0) {
        originBucket = origin;
        originUsed = true;
      }
      return true;
    };
    const usage = new Map<string, { count: number; at: number }>();
    const changed = new Set<string>();
    let seq = head.seq;
    let prev = head.hash;
    for (const { record } of batch) {
      let outcome: string = record.outcome;
      let retry = 0;
      if (outcome === 'ok' && record.uses.length > 0 && now < throttle.until) {
        // Throttled by refused requests of any tab: a key's result is withheld.
        outcome = 'RATE_LIMITED';
        retry = Math.ceil(throttle.until - now);
      }
      if (VIOLATIONS.has(outcome as StrongroomErrorCode)) {
        const taken = takeStored(throttle.bucket, this.#limits.violationsPerMinute, now);
        throttle =
          taken.wait > 0
            ? { ...throttle, until: now + THROTTLE_MS }
            : { bucket: taken.state, until: throttle.until };
        throttleChanged = true;
      }
      if (outcome === 'ok') {
        // What another tab changed since this call loaded its keys takes effect now.
        for (const use of record.uses) {
          const stored = current.get(use.id);
          if (!stored) outcome = 'KEY_NOT_FOUND';
          else if (stored.state !== 'active') outcome = 'OPERATION_NOT_ALLOWED';
          else if (use.creating && stored.version !== use.version)
            outcome = 'OPERATION_NOT_ALLOWED';
          if (outcome !== 'ok') {
            changed.add(use.id);
            break;
          }
        }
        // Rate limits that add up across tabs.
        if (outcome === 'ok' && !take(record.uses)) {
          outcome = 'RATE_LIMITED';
          retry = wait;
        }
        if (outcome === 'ok') {
          for (const use of record.uses) {
            const u = usage.get(use.id) ?? { count: 0, at: now };
            usage.set(use.id, { count: u.count + 1, at: now });
          }
        }
      }
      seq += 1;
      const body: Omit<AuditEntry, 'hash'> = {
        v: 1,
        seq,
        time: now,
        origin: this.#store.origin,
        op: record.op,
        keyId: record.keyId,
        keyVersion: record.keyVersion,
        purpose: record.purpose,
        outcome,
        inBytes: record.inBytes,
        outBytes: record.outBytes,
        prev,
      };
      const hash = entryHash(body);
      if (hash === null) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
      entries.push({ ...body, hash });
      outcomes.push(outcome);
      waits.push(retry);
      prev = hash;
    }

    // Checkpoints: every `auditCheckpointEvery` entries, and where one was asked for.
    const sign: { seq: number; hash: string }[] = [];
    const wanted = batch.some((p) => p.checkpoint);
    for (const entry of entries) {
      const last = entry === entries[entries.length - 1];
      if (entry.seq % LIMITS.auditCheckpointEvery === 0 || (last && wanted)) {
        sign.push({ seq: entry.seq, hash: entry.hash });
      }
    }

    // Retention: by count and by age, under a checkpoint at the entry before the first kept.
    // Over the count, entries go in steps (see pruneStep): at the default count, down to the
    // next checkpoint every 100 entries, so a log at its cap neither prunes nor signs at every
    // commit.
    let firstSeq = head.firstSeq;
    let keepFrom = firstSeq;
    if (seq - firstSeq + 1 > maxAuditEntries) {
      const step = pruneStep(maxAuditEntries);
      keepFrom = Math.max(firstSeq, Math.ceil((seq - maxAuditEntries) / step) * step + 1);
    }
    const cutoff = now - LIMITS.maxAuditAgeDays * DAY_MS;
    const oldest = state.oldest;
    if (oldest && oldest.seq <= firstSeq && oldest.time < cutoff) {
      keepFrom = Math.max(keepFrom, (await tx.firstAtOrAfter(cutoff, firstSeq)) ?? seq + 1);
    }
    keepFrom = Math.min(keepFrom, head.seq + 1); // never prune what this commit writes
    let pruneBelow: number | null = null;
    let pruneThrough: AuditBatch | undefined;
    if (keepFrom > firstSeq) {
      const { entry: boundary, batch, covered } = await tx.boundary(keepFrom - 1);
      if (boundary) {
        if (!covered) sign.push({ seq: boundary.seq, hash: boundary.hash });
        pruneBelow = keepFrom;
        pruneThrough = batch;
        firstSeq = keepFrom;
      }
    }

    return {
      commit: {
        entries,
        head: { origin: this.#store.origin, seq, hash: prev, firstSeq },
        pruneBelow,
        pruneThrough,
        usage,
        buckets,
        originBucket: originUsed && originBucket ? originBucket : null,
        violations: throttleChanged ? throttle : null,
      },
      sign,
      outcomes,
      waits,
      changed,
      throttledUntil: throttle.until,
    };
  }

  /** The origin's audit key: loaded, or created on first use (non-extractable). */
  #auditKey(): Promise<{ privateKey: CryptoKey; publicJwk: PublicJwk }> {
    this.#key ??= (async () => {
      const spec = algorithm('EdDSA');
      let stored = await this.#store.auditKey();
      if (!stored) {
        // Retried: WebKitGTK fails an Ed25519 generation now and then (lib/generate.ts).
        const pair = (await generateKeyRetrying(spec.generateParams, true, [
          'sign',
          'verify',
        ])) as CryptoKeyPair;
        const { x } = await crypto.subtle.exportKey('jwk', pair.publicKey);
        const thumbprint = await jwkThumbprint({ crv: 'Ed25519', kty: 'OKP', x }, [
          'crv',
          'kty',
          'x',
        ]);
        const publicJwk: PublicJwk = {
          kty: 'OKP',
          crv: 'Ed25519',
          x,
          kid: thumbprint,
          alg: 'EdDSA',
        };
        // Kept as a non-extractable CryptoKey, or wrapped (AES-KW, storage key) where
        // IndexedDB cannot keep one. Never under a vault: the log records calls while locked.
        const wrap = await this.#keystore.probeWrapAtRest('EdDSA');
        const material = wrap
          ? { atRest: await this.#keystore.wrapUnderStorageKey(spec, pair.privateKey) }
          : null;
        const nonExtractable = wrap
          ? null
          : await crypto.subtle.importKey(
              'pkcs8',
              new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey)),
              spec.importParams,
              false,
              ['sign'],
            );
        stored = await this.#store.saveAuditKey({
          publicJwk,
          ...(material?.atRest ? { atRest: material.atRest } : {}),
          ...(nonExtractable ? { key: nonExtractable } : {}),
        });
      }
      if (!stored.publicJwk) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
      const privateKey =
        stored.key ??
        (stored.atRest
          ? await unwrapFromStorage(await this.#keystore.storageKey(), spec, stored.atRest)
          : null);
      if (!privateKey) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
      this.#loadedKey = privateKey;
      return { privateKey, publicJwk: stored.publicJwk };
    })().catch((err: unknown) => {
      this.#key = null;
      throw err;
    });
    return this.#key;
  }

  /** `auditAnchor`: a checkpoint of the chain as it is now, and the audit public key. */
  async anchor(record: AuditRecord): Promise<AuditAnchor> {
    const { outcome, checkpoint } = await this.#enqueue(record, true);
    if (outcome !== 'ok' || !checkpoint)
      throw new StrongroomError('INTERNAL_ERROR', 'internal error');
    return { checkpoint, publicJwk: { ...(await this.#auditKey()).publicJwk } };
  }

  /** `auditLog`: entries after `since`, at most `limit`, with the checkpoints among them. */
  async page(since: number, limit: number): Promise<AuditLogPage> {
    const head = await this.#store.head();
    const from = Math.max(since + 1, head.firstSeq);
    const to = Math.min(head.seq, from + limit - 1);
    const entries = await this.#store.entries(from, to);
    const checkpoints = await this.#store.checkpoints(from - 1, to);
    return {
      entries,
      checkpoints: checkpoints.map(signedOf),
      head: { seq: head.seq, hash: head.hash },
      firstSeq: head.firstSeq,
      publicJwk: { ...(await this.#auditKey()).publicJwk },
    };
  }

  /** `verifyAuditLog`: the whole kept chain, its checkpoints and their signatures. */
  async verify(): Promise<AuditVerification> {
    const [{ head, checkpoints, entries: chunks }, { publicJwk }] = await Promise.all([
      this.#store.snapshot(),
      this.#auditKey(),
    ]);
    const publicKey = await crypto.subtle.importKey(
      'jwk',
      { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x, ext: true },
      'Ed25519',
      true,
      ['verify'],
    );
    // Every checkpoint's signature, checked concurrently off this thread while the chain is.
    const signatures = Promise.all(
      checkpoints.map((c) =>
        crypto.subtle.verify(
          'Ed25519',
          publicKey,
          Uint8Array.from(atob(c.signature.replace(/-/g, '+').replace(/_/g, '/')), (ch) =>
            ch.charCodeAt(0),
          ),
          checkpointBytes(signedOf(c).checkpoint),
        ),
      ),
    );
    // Where the kept chain starts: after the genesis, or after the checkpoint of pruned entries.
    const base = checkpoints.find((c) => c.seq === head.firstSeq - 1);
    let prev = head.firstSeq > 1 ? (base?.hash ?? null) : ZERO_HASH;
    // The chain, a chunk at a time as each is read (the next ones are read meanwhile).
    const entries: AuditEntry[] = [];
    let problem: string | null = null;
    for (const chunk of chunks) {
      const read = await chunk;
      if (problem === null && prev !== null) {
        problem = chainProblem(read, head.firstSeq - 1 + entries.length, prev);
        prev = read.at(-1)?.hash ?? prev;
      }
      for (const entry of read) entries.push(entry);
    }
    const valid = await signatures;
    const summary = {
      firstSeq: head.firstSeq,
      lastSeq: head.seq,
      entries: entries.length,
      checkpoints: checkpoints.length,
    };
    const fail = (problem: string): AuditVerification => ({ ok: false, problem, ...summary });
    const bad = checkpoints.find((_, i) => !valid[i]);
    if (bad) return fail(`the checkpoint at entry ${bad.seq} has a bad signature`);
    if (prev === null) return fail(`no checkpoint covers the entries before ${head.firstSeq}`);
    if (problem) return fail(problem);
    const last = entries[entries.length - 1];
    const start = head.firstSeq > 1 ? (base?.hash ?? ZERO_HASH) : ZERO_HASH;
    if ((last?.seq ?? head.firstSeq - 1) !== head.seq || (last?.hash ?? start) !== head.hash) {
      return fail('the head does not match the last entry');
    }
    for (const c of checkpoints) {
      if (c.seq < head.firstSeq - 1 || c.seq > head.seq)
        return fail(`the checkpoint at ${c.seq} is outside the log`);
      if (c.seq >= head.firstSeq && entries[c.seq - head.firstSeq]?.hash !== c.hash) {
        return fail(`the checkpoint at entry ${c.seq} does not match the entry`);
      }
    }
    return { ok: true, ...summary };
  }
}

/** Sign the checkpoint of the chain at `at` (its `seq` and `hash`), made at `time`. */
async function signCheckpoint(
  privateKey: CryptoKey,
  origin: string,
  at: { readonly seq: number; readonly hash: string },
  time: number,
): Promise<StoredCheckpoint> {
  const checkpoint: AuditCheckpoint = { v: 1, origin, seq: at.seq, hash: at.hash, time };
  const signature = new Uint8Array(
    await crypto.subtle.sign('Ed25519', privateKey, checkpointBytes(checkpoint)),
  );
  return { origin, seq: at.seq, hash: at.hash, time, signature: base64url(signature) };
}
