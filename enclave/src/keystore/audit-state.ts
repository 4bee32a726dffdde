/**
 * What a worker expects the audit state to be at its next commit: the state as its own last
 * commit wrote it. A commit planned on that guess queues its reads and its writes in one round
 * trip of one transaction, and goes through only if what the reads return is the guess exactly
 * (another tab's commit, a key change of any worker, anything at all that differs aborts it,
 * unwritten, and the commit is planned again on what was read). The guess only saves a round
 * trip: correctness never rests on it.
 */
import type { AuditState } from './audit-store';
import type { StoredKeyRecord } from './schema';

/** The stored form of a value, for comparing two reads of it (`CryptoKey`s compare as `{}`). */
function form(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

/** Whether `a` and `b` are the same stored state for the keys `ids`. */
export function sameState(a: AuditState, b: AuditState, ids: readonly string[]): boolean {
  const throttle = (t: AuditState['violations']) => form({ bucket: t.bucket, until: t.until });
  if (
    form(a.head) !== form(b.head) ||
    form(a.originBucket) !== form(b.originBucket) ||
    throttle(a.violations) !== throttle(b.violations) ||
    form(a.oldest) !== form(b.oldest)
  ) {
    return false;
  }
  // Every stored field of the keys, but the `CryptoKey`s themselves (JSON shows them as `{}`):
  // a key's material cannot change without its version or its at-rest fields changing too.
  for (const id of new Set(ids)) {
    if (form(a.keys.get(id)) !== form(b.keys.get(id))) return false;
  }
  return true;
}

/** The state after a commit: what its transaction wrote over what it read. */
export interface WrittenState {
  readonly head: AuditState['head'];
  readonly records: ReadonlyMap<string, StoredKeyRecord>;
  readonly originBucket: AuditState['originBucket'] | null;
  readonly violations: AuditState['violations'] | null;
  /** Entries were pruned (the oldest entry kept is not known without a read). */
  readonly pruned: boolean;
  /** The first entry the commit wrote, if any. */
  readonly firstWritten: AuditState['oldest'];
}

/** The last state a worker wrote, to guess the next commit's reads from. */
export class AuditStateGuess {
  #state: AuditState | null = null;

  /**
   * The guess for a commit that uses the keys `ids`: the state this worker last wrote, or
   * `null` when it has none or does not know one of the keys.
   */
  guess(ids: readonly string[]): AuditState | null {
    const state = this.#state;
    if (!state) return null;
    for (const id of ids) if (!state.keys.has(id)) return null;
    return state;
  }

  /** A commit over `read` wrote `written`: remember the state it left. */
  wrote(read: AuditState, written: WrittenState): void {
    if (written.pruned) {
      this.#state = null;
      return;
    }
    const keys = new Map(this.#state?.keys ?? []);
    for (const [id, record] of read.keys) keys.set(id, record);
    for (const [id, record] of written.records) keys.set(id, record);
    this.#state = {
      head: written.head,
      keys,
      originBucket: written.originBucket ?? read.originBucket,
      violations: written.violations ?? read.violations,
      oldest: read.oldest ?? written.firstWritten,
    };
  }

  /** Forget the guess (a commit failed, or its guess was wrong). */
  forget(): void {
    this.#state = null;
  }
}
