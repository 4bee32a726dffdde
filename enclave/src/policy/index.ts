/**
 * The choke point. Every call on a channel passes `enforce` once: it is where purpose, state,
 * provenance, token policy, rate limits and (later) consent and audit are decided. An
 * operation never loads a key itself: it asks its {@link Call} for the key it names, and the
 * call applies this operation's rules before handing the record over. Operations stay thin;
 * the whole policy is this folder:
 *
 * - `purposes.ts`: which operations may use a key of each purpose;
 * - `key-options.ts`: a new key's purpose and policy, and `restrictKey`'s narrowing;
 * - `token-policy.ts`: token lifetime and `aud`/`iss`/`sub`/push-service allowlists;
 * - `lifecycle.ts`: rotation, revocation, scheduled deletion;
 * - `provenance.ts`: what a page-knowable key may not do;
 * - `rate-limit.ts`: token buckets per key, per origin, for creations and refused requests;
 * - `audit.ts`: one entry per call, allowed or refused, in a signed hash chain, written before
 *   the result is returned; the commit re-checks the keys a call used (other tabs);
 * - `consent.ts`: the person's answer, asked in the enclave's own dialog, for the acts that
 *   cannot be undone or that let material out (docs/consent.md);
 * - `clock.ts`: the policy clock (with a dev-only test seam).
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type {
  ConsentRequestInfo,
  KeyInfo,
  OperationName,
  RateLimits,
} from '@strongroom/bridge/protocol';
import { DEV } from '../build-info';
import type { OpContext } from '../context';
import type { NewKeyOptions } from '../keystore/material';
import type { KeyRecord, StoredKeyRecord, StoredProvenance } from '../keystore/schema';
import type { AlgorithmSpec } from '../lib/algorithms';
import type { AuditRecord, AuditTrail, KeyUse } from './audit';
import { BackupGate } from './backup';
import { approvedConnectionName, type ConsentBroker, DEV_FIRST_CONNECTION_NAME } from './consent';
import { toKeyInfo } from './key-info';
import { newKeyPolicy } from './key-options';
import { assertActive, isDue } from './lifecycle';
import { assertExportAllowed, assertImportAllowed } from './provenance';
import { assertPurposeAllows } from './purposes';
import { RateLimiter, VIOLATIONS } from './rate-limit';
import { assertTokenAllowed, type TokenRequest } from './token-policy';
import { VaultGate } from './vault';

export { now } from './clock';

/** What an operation gets: its context and the policy's gatekeepers for this one call. */
export interface Call {
  readonly operation: OperationName;
  readonly ctx: OpContext;
  /** The deployment's rate limits. */
  readonly rateLimits: RateLimits;
  /** The policy clock, in milliseconds since the epoch. */
  now(): number;
  /**
   * The key this operation uses: it must exist for the caller, be `active`, have a purpose
   * that allows this operation, allow `token` (for token operations), and be within its rate
   * limits (which this takes one use of). Counted as one use when the call succeeds.
   */
  use(keyId: string, token?: TokenRequest): Promise<KeyRecord>;
  /** For `wrapKey`: the key to export under `kek` (exportable, active, `kek` device-bound). */
  exportTarget(keyId: string, kek: KeyRecord): Promise<KeyRecord>;
  /** Remember what `wrapKey` produced, so that it cannot be re-imported as another kind of key. */
  exported(wrapped: Uint8Array, target: KeyRecord): Promise<void>;
  /**
   * For `unwrapKey`, once the material has been unwrapped (in memory) and before anything is
   * stored: a private key is imported only with the person's consent.
   */
  approveImport(spec: AlgorithmSpec, options: NewKeyOptions): Promise<void>;
  /** For `unwrapKey`: refuse an import the provenance rules forbid. */
  assertImport(
    kek: KeyRecord,
    spec: AlgorithmSpec,
    options: NewKeyOptions,
    wrapped: Uint8Array,
  ): Promise<void>;
  /** A key of the caller to describe (any state; a key past its deletion date is destroyed). */
  read(keyId: string): Promise<KeyRecord>;
  /** Every key of the caller (keys past their deletion date are destroyed first). */
  list(): Promise<StoredKeyRecord[]>;
  /**
   * A new key's options (purpose, policy, label, exportable) validated for `spec`, with its
   * provenance; takes one key creation from the rate limit (this tab's and every tab's).
   */
  newKey(
    spec: AlgorithmSpec,
    options: Record<string, unknown>,
    field: string,
    provenance: StoredProvenance,
  ): Promise<NewKeyOptions>;
  /** Take one key creation (for `rotateKey`, after its own checks). */
  creating(): Promise<void>;
  /** Apply a life-cycle or policy change to a key atomically; returns its new description. */
  change(
    keyId: string,
    transition: (stored: StoredKeyRecord, now: number) => StoredKeyRecord,
  ): Promise<KeyInfo>;
  /** The public description of a record. */
  describe(record: KeyRecord | StoredKeyRecord): KeyInfo;
  /** The origin's audit trail (`STORAGE_UNAVAILABLE` without storage). */
  audit(): AuditTrail;
  /** The entry this call will append (for `auditAnchor`, which appends it itself). */
  auditRecord(outcome: 'ok'): AuditRecord;
  /** `destroyKey`: with the person's consent, destroy a key of the caller now. */
  destroy(keyId: string): Promise<void>;
  /** `resetEnclave`: with the person's consent, destroy every key of the caller now. */
  reset(): Promise<number>;
  /** The origin's vault: unlock, lock, enable, disable, unlock methods (`./vault.ts`). */
  vault(): VaultGate;
  /** Backup and restore (`./backup.ts`). */
  backup(): BackupGate;
}

/** An operation: validates its own arguments, which are untrusted, and asks its call for keys. */
export type Operation = (call: Call, args: unknown[]) => Promise<unknown>;

/** Operations that create something with a key's primary version (see `KeyUse.creating`). */
const CREATING: ReadonlySet<OperationName> = new Set([
  'sign',
  'signJwt',
  'vapidAuth',
  'seal',
  'wrapKey',
  'agree',
]);

/** Bytes of the binary arguments of a call (top level and one level into option objects). */
function bytesIn(args: readonly unknown[]): number {
  let total = 0;
  for (const arg of args) {
    if (arg instanceof Uint8Array) total += arg.byteLength;
    else if (typeof arg === 'object' && arg !== null && !Array.isArray(arg)) {
      for (const value of Object.values(arg))
        if (value instanceof Uint8Array) total += value.byteLength;
    }
  }
  return total;
}

/** Bytes of a binary result (or of its `plaintext`). */
function bytesOut(result: unknown): number {
  if (result instanceof Uint8Array) return result.byteLength;
  const plaintext = (result as { plaintext?: unknown } | null)?.plaintext;
  return plaintext instanceof Uint8Array ? plaintext.byteLength : 0;
}

/** Describe a key in a consent question. */
function about(
  record: Pick<KeyRecord, 'id' | 'label' | 'kid'>,
  operation: OperationName,
  irreversible: boolean,
): ConsentRequestInfo {
  return { operation, keyId: record.id, label: record.label, kid: record.kid, irreversible };
}

/** The policy state of one channel: its rate limiter and consent broker. One per channel. */
export class ChannelPolicy {
  readonly ctx: OpContext;
  readonly limiter: RateLimiter;
  readonly #clock: () => number;
  readonly #consent: ConsentBroker;
  /** Presence keys: when the person last approved a use (policy clock). */
  readonly #presence = new Map<string, number>();
  /** Whether this channel still has to have its first connection approved. */
  #connection: Promise<boolean> | null = null;
  readonly #firstConnection: boolean;
  readonly #audit: AuditTrail | null;
  readonly #vault: VaultGate;
  readonly #backup: BackupGate;

  /** The policy of the channel `ctx`, with the deployment's `rateLimits`. */
  constructor(
    ctx: OpContext,
    rateLimits: RateLimits,
    clock: () => number,
    consent: ConsentBroker,
    audit: AuditTrail | null,
    firstConnection = false,
  ) {
    this.#audit = audit;
    this.ctx = ctx;
    this.#clock = clock;
    this.limiter = new RateLimiter(rateLimits, clock());
    this.#consent = consent;
    this.#firstConnection = firstConnection;
    this.#vault = new VaultGate(() => ctx.keystore(), consent, clock);
    this.#backup = new BackupGate(() => ctx.keystore(), consent, clock);
    try {
      this.#vault.listen();
    } catch {
      // No storage: no vault either.
    }
  }

  /**
   * With `consentOnFirstConnection`: before the first operation of an origin that was never
   * approved here, ask the person; remember the approval in the keystore. `info` is exempt.
   */
  async #approveConnection(): Promise<void> {
    const keystore = this.ctx.keystore();
    this.#connection ??= (async () => {
      const required =
        this.#firstConnection || (DEV && (await keystore.hasMeta(DEV_FIRST_CONNECTION_NAME)));
      if (!required) return false;
      return !(await keystore.hasMeta(approvedConnectionName(this.ctx.callerOrigin)));
    })().catch((err: unknown) => {
      this.#connection = null;
      throw err;
    });
    if (!(await this.#connection)) return;
    await this.#consent.ask({ operation: 'connect', irreversible: false });
    await keystore.putMeta(approvedConnectionName(this.ctx.callerOrigin));
    this.#connection = Promise.resolve(false);
  }

  /** A presence key: ask unless an approval within its window covers this use. */
  async #presenceFor(record: KeyRecord, operation: OperationName): Promise<void> {
    if (!record.presence) return;
    const approvedAt = this.#presence.get(record.id);
    const window = record.presenceEveryMinutes * 60_000;
    if (approvedAt !== undefined && window > 0 && this.#clock() - approvedAt < window) return;
    await this.#consent.ask(about(record, operation, false));
    this.#presence.set(record.id, this.#clock());
  }

  /** Count a message the channel's guard refused (it may throttle the channel), and log it. */
  violation(): void {
    this.limiter.violation(this.#clock());
    void this.#audit
      ?.record({
        op: 'guard',
        keyId: null,
        keyVersion: null,
        purpose: null,
        outcome: 'PROTOCOL_VIOLATION',
        inBytes: 0,
        outBytes: 0,
        uses: [],
      })
      .catch(() => undefined);
  }

  /** Run `operation` through the policy. */
  async enforce(name: OperationName, operation: Operation, args: unknown[]): Promise<unknown> {
    const clock = this.#clock;
    const limiter = this.limiter;
    const ctx = this.ctx;
    const consent = this.#consent;
    const presence = (record: KeyRecord) => this.#presenceFor(record, name);
    const used: KeyUse[] = [];
    /** The key the call named first (loaded or not): what its audit entry records. */
    let named: { id: string; record: KeyRecord | null } | null = null;
    const trail = this.#audit;
    const keystore = () => ctx.keystore();

    /** Load a key of the caller; a key past its deletion date is destroyed now. */
    const load = async (keyId: string): Promise<KeyRecord> => {
      named ??= { id: keyId, record: null };
      const record = await keystore().get(keyId);
      if (named.id === keyId) named.record = record;
      if (isDue(record, clock())) {
        await keystore().destroyDue(clock());
        throw new StrongroomError('KEY_NOT_FOUND', 'no such key');
      }
      return record;
    };

    const call: Call = {
      operation: name,
      ctx,
      rateLimits: limiter.limits,
      now: clock,
      async use(keyId, token) {
        const record = await load(keyId);
        assertPurposeAllows(record.purpose, name);
        assertActive(record);
        if (token) assertTokenAllowed(record, token);
        limiter.use([record], clock());
        await presence(record);
        used.push({ id: record.id, version: record.version, creating: CREATING.has(name) });
        return record;
      },
      async exportTarget(keyId, kek) {
        const record = await load(keyId);
        assertActive(record);
        assertExportAllowed(kek, record);
        limiter.use([record], clock());
        // An export lets material out: a copy, once made, cannot be taken back.
        await consent.ask(about(record, name, true));
        await presence(record);
        used.push({ id: record.id, version: record.version, creating: true });
        return record;
      },
      async exported(wrapped, target) {
        await keystore().rememberWrapped(wrapped, target.alg, target.purpose);
      },
      async assertImport(kek, spec, options, wrapped) {
        assertImportAllowed(kek, spec, options.purpose, await keystore().exportedAs(wrapped));
      },
      async approveImport(spec, options) {
        // Importing a private key plants an identity: the person decides.
        if (spec.kind === 'pair') {
          await consent.ask({ operation: name, label: options.label, irreversible: false });
        }
      },
      read: load,
      async list() {
        await keystore().destroyDue(clock());
        return keystore().list();
      },
      async newKey(spec, options, field, provenance) {
        const policy = newKeyPolicy(spec, options, field, limiter.limits);
        limiter.create(clock());
        await trail?.create(clock());
        return { ...policy, provenance, createdAt: clock() };
      },
      async creating() {
        limiter.create(clock());
        await trail?.create(clock());
      },
      async change(keyId, transition) {
        await load(keyId);
        const stored = await keystore().update(keyId, (s) => transition(s, clock()));
        return toKeyInfo(stored, limiter.limits);
      },
      describe: (record) => toKeyInfo(record, limiter.limits),
      audit() {
        if (!trail) throw new StrongroomError('STORAGE_UNAVAILABLE', 'IndexedDB is not available');
        return trail;
      },
      auditRecord: (outcome) => entryOf(outcome, 0),
      async destroy(keyId) {
        const record = await load(keyId);
        await consent.ask(about(record, name, true));
        await keystore().destroy(keyId);
      },
      vault: () => this.#vault,
      backup: () => this.#backup,
      async reset() {
        await consent.ask({ operation: name, irreversible: true });
        return keystore().destroyAll();
      },
    };

    const entryOf = (outcome: AuditRecord['outcome'], outBytes: number): AuditRecord => {
      const record = named?.record ?? null;
      return {
        op: name,
        keyId: named?.id ?? null,
        keyVersion: record?.version ?? null,
        purpose: record?.purpose ?? null,
        outcome,
        inBytes: bytesIn(args),
        outBytes,
        uses: outcome === 'ok' ? used : [],
      };
    };

    let result: unknown;
    let failure: StrongroomError | null = null;
    try {
      limiter.assertNotThrottled(clock());
      trail?.assertNotThrottled(clock());
      if (name !== 'info') await this.#approveConnection();
      // Vault mode: an idle vault locks before the call (which then fails `LOCKED` if it
      // needs a key's material); any call counts as activity.
      await this.#vault.beforeCall(name !== 'info');
      result = await operation(call, args);
    } catch (err) {
      failure =
        err instanceof StrongroomError
          ? err
          : new StrongroomError('INTERNAL_ERROR', 'internal error', { cause: err });
      if (VIOLATIONS.has(failure.code)) limiter.violation(clock());
    }
    // `auditAnchor` appended its own entry (with the checkpoint it returns).
    if (trail && !(name === 'auditAnchor' && failure === null)) {
      const { outcome, retryAfterMs } = await trail.record(
        entryOf(failure ? failure.code : 'ok', failure ? 0 : bytesOut(result)),
      );
      if (failure === null && outcome !== 'ok') {
        // A key this call used changed in another tab before the call could be committed.
        throw new StrongroomError(
          outcome as StrongroomError['code'],
          outcome === 'KEY_NOT_FOUND'
            ? 'no such key'
            : outcome === 'RATE_LIMITED'
              ? 'a rate limit counted over every tab was reached'
              : 'the key changed (revoked, rotated or scheduled for deletion) while the call ran',
          outcome === 'RATE_LIMITED' ? { retryAfterMs } : undefined,
        );
      }
    }
    if (failure) throw failure;
    return result;
  }
}
