/**
 * Vault mode, the policy side: when the origin's keys are unlocked, for how long, and what it
 * takes to change the vault. The secret is always entered in the enclave's own dialog (the
 * consent broker's `askSecret`), never passed in by the app; what is derived from it stays in
 * this worker. The cryptography and the stored form are `../keystore/vault.ts`.
 *
 * - `unlock`: the person enters a passphrase, or uses a passkey whose PRF output the enclave
 *   document obtains (WebAuthn, in the enclave's own document); the master key is unwrapped and
 *   kept in memory. A PRF output that does not open the vault counts as a wrong passphrase.
 *   Failed attempts are counted in the keystore (every tab, across reloads); from the
 *   {@link FREE_ATTEMPTS}th on, each further attempt waits twice as long as the last
 *   (`RATE_LIMITED` with `retryAfterMs`).
 * - `lock`, and the idle timeout (no operation for `idleMinutes`): the master key and every key
 *   unwrapped under it are forgotten, in every tab for `lock`.
 * - `enable` (plain → vault) and `disable` (vault → plain) move every key atomically, each with
 *   the person's consent; `enable` refuses while any key's material cannot be moved (a key
 *   created non-extractable in plain mode: WebCrypto cannot wrap it).
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { ConsentRequestInfo, OperationName } from '@strongroom/bridge/protocol';
import { LIMITS, type VaultInfo } from '@strongroom/bridge/protocol';
import type { SecretAnswer } from '../consent/messages';
import type { StoredKeyRecord } from '../keystore/schema';
import type { Keystore, StoredVersion } from '../keystore/store';
import {
  deriveKek,
  type Enrollment,
  type EnrollmentKdf,
  newMasterKey,
  randomSalt,
  unwrapMaster,
  type VaultState,
  wrapMaster,
} from '../keystore/vault';
import { algorithm } from '../lib/algorithms';
import { randomId } from '../lib/encoding';
import { calibratePbkdf2 } from '../lib/pbkdf2';
import type { ConsentBroker } from './consent';

/** Failed unlocks allowed before attempts are spaced out. */
export const FREE_ATTEMPTS = 5;
/** The wait after the first failure past {@link FREE_ATTEMPTS}, doubled for each further one. */
export const FIRST_BACKOFF_MS = 30_000;
/** The longest wait between attempts. */
export const MAX_BACKOFF_MS = 60 * 60_000;
/** The idle timeout when `enableVault` does not set one. */
export const DEFAULT_IDLE_MINUTES = 15;
/** Shortest passphrase the dialog accepts. */
export const MIN_PASSPHRASE_LENGTH = 10;

/** How long the next unlock attempt must wait, given the failures so far. */
export function unlockWaitMs(failures: VaultState['failures'], now: number): number {
  if (failures.count < FREE_ATTEMPTS) return 0;
  const wait = Math.min(FIRST_BACKOFF_MS * 2 ** (failures.count - FREE_ATTEMPTS), MAX_BACKOFF_MS);
  return Math.max(0, failures.lastAt + wait - now);
}

/** Keys as a dialog or an error names them: id, and label where there is one. */
function namesOf(records: readonly StoredKeyRecord[]): string {
  return records.map((r) => (r.label ? `${r.id} (“${r.label}”)` : r.id)).join(', ');
}

/**
 * Whether `record` keeps wrapped material in plain mode (exportable, may be backed up, or this
 * browser cannot keep its type as a CryptoKey), so that it can move under a vault again.
 */
async function keepsMaterial(keystore: Keystore, record: StoredKeyRecord): Promise<boolean> {
  return record.exportable || record.backup === true || keystore.probeWrapAtRest(record.alg);
}

function notEnabled(): StrongroomError {
  return new StrongroomError('OPERATION_NOT_ALLOWED', 'vault mode is off for this origin');
}

/** The kinds of unlock method an enrollment can be. */
export type UnlockMethodKind = Enrollment['method'];

/** Bytes of a passkey enrollment's PRF input and of its HKDF salt. */
export const PRF_SALT_BYTES = 32;

/** The typed error for a passkey that gave no PRF output (`passkeyFailure`). */
function passkeyFailure(failure: SecretAnswer['passkeyFailure']): StrongroomError {
  return failure === 'no-prf'
    ? new StrongroomError(
        'OPERATION_NOT_ALLOWED',
        'this authenticator does not support PRF (the WebAuthn extension a passkey unlock needs); nothing was changed',
      )
    : new StrongroomError(
        'OPERATION_NOT_ALLOWED',
        "passkeys cannot be used in the enclave's frame in this browser (docs/vault.md); nothing was changed",
      );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

/** The master key `answer` opens among `enrollments`, and which enrollment, or `null`. */
async function openWith(
  enrollments: readonly Enrollment[],
  answer: SecretAnswer,
  extractable: boolean,
): Promise<{ master: CryptoKey; enrollment: Enrollment } | null> {
  const { passphrase, passkey } = answer;
  for (const enrollment of enrollments) {
    const kdf: EnrollmentKdf = enrollment.kdf;
    let kek: CryptoKey;
    if (kdf.name === 'PBKDF2-SHA-256') {
      if (typeof passphrase !== 'string') continue;
      kek = await deriveKek(kdf, { method: 'passphrase', passphrase });
    } else {
      // The passkey of this enrollment only: its own credential, its own PRF input.
      if (!passkey || !sameBytes(passkey.credentialId, kdf.credentialId)) continue;
      kek = await deriveKek(kdf, { method: 'passkey', prf: passkey.prf });
    }
    const master = await unwrapMaster(enrollment.wrappedMaster, kek, extractable);
    if (master) return { master, enrollment };
  }
  return null;
}

/** The vault of one channel's origin, as the policy drives it. */
export class VaultGate {
  readonly #keystore: () => Keystore;
  readonly #consent: ConsentBroker;
  readonly #clock: () => number;
  #lastUse = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(keystore: () => Keystore, consent: ConsentBroker, clock: () => number) {
    this.#keystore = keystore;
    this.#consent = consent;
    this.#clock = clock;
  }

  /** Subscribe to locks made in other tabs (call once the keystore exists). */
  listen(): void {
    this.#keystore().onVaultLocked(() => {
      this.#consent.notifyVault({ locked: true, reason: 'lock' });
    });
  }

  /** What `info()` reports. */
  async info(): Promise<VaultInfo> {
    const keystore = this.#keystore();
    const state = await keystore.vault();
    if (!state) return { enabled: false, locked: false, idleMinutes: null, methods: [] };
    return {
      enabled: true,
      locked: !keystore.unlocked,
      idleMinutes: state.idleMinutes,
      methods: state.enrollments.map((e) => ({
        id: e.id,
        method: e.method,
        label: e.label,
        createdAt: e.createdAt,
      })),
    };
  }

  /**
   * Before every operation: lock if the vault sat idle past its timeout, then (`activity`:
   * every operation but `info`) count this operation as activity.
   */
  async beforeCall(activity: boolean): Promise<void> {
    let keystore: Keystore;
    try {
      keystore = this.#keystore();
    } catch {
      return; // no storage: nothing to lock
    }
    if (!keystore.unlocked) return;
    const state = await keystore.vault();
    if (!state) return;
    const now = this.#clock();
    if (now - this.#lastUse >= state.idleMinutes * 60_000) {
      this.#lock(keystore, 'idle', false);
      return;
    }
    if (activity) this.#touch(keystore, state, now);
  }

  #touch(keystore: Keystore, state: VaultState, now: number): void {
    this.#lastUse = now;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (keystore.unlocked) this.#lock(keystore, 'idle', false);
    }, state.idleMinutes * 60_000);
  }

  #lock(keystore: Keystore, reason: 'lock' | 'idle', everyTab: boolean): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const was = keystore.unlocked;
    keystore.forgetMaster(everyTab);
    if (was || reason === 'lock') this.#consent.notifyVault({ locked: true, reason });
  }

  /** `lock()`: forget the keys in every tab of this origin. */
  async lock(): Promise<VaultInfo> {
    const keystore = this.#keystore();
    if (!(await keystore.vault())) throw notEnabled();
    this.#lock(keystore, 'lock', true);
    return this.info();
  }

  /**
   * Ask for a passphrase of the vault, or its passkey, and return the master key it unwraps
   * (`extractable` only to add an enrollment). Counts failures — a PRF output that opens
   * nothing like a wrong passphrase; `RATE_LIMITED` while attempts must wait.
   */
  async #askUnlock(
    operation: OperationName,
    extractable: boolean,
  ): Promise<{ master: CryptoKey; enrollment: Enrollment }> {
    const keystore = this.#keystore();
    const state = await keystore.vault();
    if (!state) throw notEnabled();
    const wait = unlockWaitMs(state.failures, this.#clock());
    if (wait > 0) {
      throw new StrongroomError(
        'RATE_LIMITED',
        `too many failed unlocks; try again in ${Math.ceil(wait / 1000)} s`,
        { retryAfterMs: wait },
      );
    }
    const passkeys = state.enrollments.flatMap((e) =>
      e.kdf.name === 'PRF-HKDF-SHA-256'
        ? [{ credentialId: e.kdf.credentialId, prfSalt: e.kdf.prfSalt }]
        : [],
    );
    const answer = await this.#consent.askSecret({ operation, irreversible: false }, 'unlock', {
      passkeys,
      passphrase: state.enrollments.some((e) => e.kdf.name === 'PBKDF2-SHA-256'),
    });
    if (answer.passkeyFailure) throw passkeyFailure(answer.passkeyFailure);
    if (typeof answer.passphrase !== 'string' && !answer.passkey) {
      throw new StrongroomError('UNLOCK_FAILED', 'no passphrase');
    }
    const what = answer.passkey ? 'that passkey' : 'that passphrase';
    const current = (await keystore.vault()) ?? state;
    const opened = await openWith(current.enrollments, answer, extractable);
    if (opened) {
      if (current.failures.count > 0) {
        await keystore.putVault({ ...current, failures: { count: 0, lastAt: 0 } });
      }
      return opened;
    }
    const failures = { count: current.failures.count + 1, lastAt: this.#clock() };
    await keystore.putVault({ ...current, failures });
    const left = FREE_ATTEMPTS - failures.count;
    throw new StrongroomError(
      'UNLOCK_FAILED',
      left > 0
        ? `${what} does not open the vault (${left} more attempts before they are spaced out)`
        : `${what} does not open the vault; further attempts must wait`,
    );
  }

  /**
   * `unlock()`: the person enters a passphrase, or uses a passkey, in the enclave; the keys
   * become usable.
   */
  async unlock(): Promise<VaultInfo> {
    const keystore = this.#keystore();
    const state = await keystore.vault();
    if (!state) throw notEnabled();
    if (keystore.unlocked) return this.info();
    const { master } = await this.#askUnlock('unlock', false);
    keystore.setMaster(master);
    this.#touch(keystore, state, this.#clock());
    this.#consent.notifyVault({ locked: false, reason: 'unlock' });
    return this.info();
  }

  /** A new passphrase enrollment wrapping `master` (the person types it twice in the dialog). */
  async #newPassphrase(
    operation: OperationName,
    master: CryptoKey,
    label: string,
  ): Promise<{ enrollment: Enrollment; kek: CryptoKey }> {
    const request: ConsentRequestInfo = { operation, irreversible: false };
    const answer = await this.#consent.askSecret(request, 'new-passphrase');
    const passphrase = answer.passphrase;
    if (typeof passphrase !== 'string' || passphrase.length < MIN_PASSPHRASE_LENGTH) {
      throw new StrongroomError(
        'INVALID_ARGUMENT',
        `a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`,
      );
    }
    const kdf = {
      name: 'PBKDF2-SHA-256' as const,
      iterations: await calibratePbkdf2(),
      salt: randomSalt(),
    };
    const kek = await deriveKek(kdf, { method: 'passphrase', passphrase });
    const enrollment: Enrollment = {
      id: randomId(),
      method: 'passphrase',
      label,
      createdAt: this.#clock(),
      kdf,
      wrappedMaster: await wrapMaster(master, kek),
    };
    return { enrollment, kek };
  }

  /**
   * A new passkey enrollment wrapping `master`: on the person's click in the enclave's dialog
   * the enclave document creates a passkey (WebAuthn, rp.id the enclave's host) and obtains
   * its PRF output for a fresh random input; the KEK is HKDF over that output. A passkey
   * without PRF gives `OPERATION_NOT_ALLOWED` and nothing is stored.
   */
  async #newPasskey(
    operation: OperationName,
    master: CryptoKey,
    label: string,
  ): Promise<{ enrollment: Enrollment; kek: CryptoKey }> {
    const request: ConsentRequestInfo = { operation, irreversible: false };
    const prfSalt = randomSalt(PRF_SALT_BYTES);
    const answer = await this.#consent.askSecret(request, 'new-passkey', {
      newPasskey: { prfSalt, label },
    });
    if (answer.passkeyFailure) throw passkeyFailure(answer.passkeyFailure);
    if (!answer.passkey) throw passkeyFailure('no-prf');
    const kdf = {
      name: 'PRF-HKDF-SHA-256' as const,
      credentialId: answer.passkey.credentialId.slice(),
      prfSalt,
      salt: randomSalt(PRF_SALT_BYTES),
    };
    const kek = await deriveKek(kdf, { method: 'passkey', prf: answer.passkey.prf });
    const enrollment: Enrollment = {
      id: randomId(),
      method: 'passkey',
      label,
      createdAt: this.#clock(),
      kdf,
      wrappedMaster: await wrapMaster(master, kek),
    };
    return { enrollment, kek };
  }

  /** A new enrollment of `method` wrapping `master` (the person acts in the dialog). */
  #newEnrollment(
    method: UnlockMethodKind,
    operation: OperationName,
    master: CryptoKey,
    label: string,
  ): Promise<{ enrollment: Enrollment; kek: CryptoKey }> {
    return method === 'passkey'
      ? this.#newPasskey(operation, master, label)
      : this.#newPassphrase(operation, master, label);
  }

  /**
   * `enableVault`: with the person's consent (they choose the passphrase, or create a passkey,
   * in the enclave), create the vault and move every key under it, atomically. Leaves the
   * vault unlocked.
   */
  async enable(options: {
    idleMinutes: number;
    label: string;
    method?: UnlockMethodKind;
  }): Promise<VaultInfo> {
    const keystore = this.#keystore();
    if (await keystore.vault()) {
      throw new StrongroomError('OPERATION_NOT_ALLOWED', 'vault mode is already on');
    }
    const unmovable = (await keystore.list()).filter(
      (r) => (!r.atRest && !r.exportMaterial) || r.retired.some((v) => !v.atRest),
    );
    if (unmovable.length > 0) {
      throw new StrongroomError(
        'OPERATION_NOT_ALLOWED',
        `${unmovable.length} key(s) of this origin are non-extractable CryptoKeys, whose ` +
          `material WebCrypto cannot wrap under a vault: ${namesOf(unmovable)}. Rotate to keys ` +
          'created with backup: true (or destroy these) first (docs/vault.md)',
      );
    }
    const extractableMaster = await newMasterKey();
    const { enrollment, kek } = await this.#newEnrollment(
      options.method ?? 'passphrase',
      'enableVault',
      extractableMaster,
      options.label,
    );
    // From here on only a non-extractable copy of the master key is kept.
    const master = await unwrapMaster(enrollment.wrappedMaster, kek);
    if (!master) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
    const state: VaultState = {
      createdAt: this.#clock(),
      idleMinutes: options.idleMinutes,
      enrollments: [enrollment],
      failures: { count: 0, lastAt: 0 },
    };
    await keystore.migrate(async (record, version, primary) => {
      const spec = algorithm(record.alg);
      const blob = version.atRest ?? (primary ? version.exportMaterial : null) ?? null;
      if (!blob) throw new StrongroomError('OPERATION_NOT_ALLOWED', 'a key cannot be moved');
      const transient = await keystore.unwrapAtRest(version.atRestKey, spec, blob, true);
      const sealed = await keystore.sealUnder('vault', spec, transient, master);
      return {
        key: null,
        publicKey: null,
        publicJwk: version.publicJwk,
        atRest: sealed,
        atRestKey: 'vault',
        exportMaterial: primary && record.exportable ? sealed : null,
      } satisfies StoredVersion;
    }, state);
    keystore.setMaster(master);
    this.#touch(keystore, state, this.#clock());
    this.#consent.notifyVault({ locked: false, reason: 'enabled' });
    return this.info();
  }

  /**
   * `disableVault`: unlocked, and with the person's consent, move every key back to plain
   * mode (non-extractable `CryptoKey`s in IndexedDB; wrapped under the storage key where the
   * key is exportable, may be backed up, or this browser cannot keep its type) and delete the
   * vault, atomically.
   */
  async disable(): Promise<VaultInfo> {
    const keystore = this.#keystore();
    if (!(await keystore.vault())) throw notEnabled();
    if (!keystore.unlocked)
      throw new StrongroomError('LOCKED', 'the vault is locked: unlock() first');
    // Keys neither exportable nor backed up become non-extractable CryptoKeys in plain mode
    // (the safer plain form), whose material nothing can wrap again: they can never go back
    // into a vault. The person is told how many, and which, before consenting.
    const staysPlain: StoredKeyRecord[] = [];
    for (const record of await keystore.list()) {
      if (!(await keepsMaterial(keystore, record))) staysPlain.push(record);
    }
    await this.#consent.ask(
      { operation: 'disableVault', irreversible: staysPlain.length > 0 },
      staysPlain.length > 0
        ? `${staysPlain.length} key(s) cannot go back into a vault once it is off (not created ` +
            `with backup: true): ${namesOf(staysPlain)}.`
        : undefined,
    );
    await keystore.migrate(async (record, version, primary) => {
      const spec = algorithm(record.alg);
      if (!version.atRest) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
      if (await keepsMaterial(keystore, record)) {
        const transient = await keystore.unwrapAtRest('vault', spec, version.atRest, true);
        const blob = await keystore.sealUnder('storage-gcm', spec, transient, null);
        const atRest = record.backup === true || (await keystore.probeWrapAtRest(record.alg));
        return {
          key: atRest ? null : await keystore.unwrapAtRest('storage-gcm', spec, blob),
          publicKey: atRest ? null : await keystore.publicKeyOf(record.alg, version.publicJwk),
          publicJwk: version.publicJwk,
          atRest: atRest ? blob : null,
          atRestKey: 'storage-gcm',
          exportMaterial: primary && record.exportable ? blob : null,
        } satisfies StoredVersion;
      }
      return {
        key: await keystore.unwrapAtRest('vault', spec, version.atRest, false),
        publicKey: await keystore.publicKeyOf(record.alg, version.publicJwk),
        publicJwk: version.publicJwk,
        atRest: null,
        atRestKey: undefined,
        exportMaterial: null,
      } satisfies StoredVersion;
    }, null);
    keystore.forgetMaster(false);
    if (this.#timer) clearTimeout(this.#timer);
    this.#consent.notifyVault({ locked: false, reason: 'disabled' });
    return this.info();
  }

  /**
   * `addUnlockMethod`: unlock with an existing method, then choose a new passphrase or create
   * a passkey (`method`).
   */
  async addMethod(label: string, method: UnlockMethodKind = 'passphrase'): Promise<VaultInfo> {
    const keystore = this.#keystore();
    const state = await keystore.vault();
    if (!state) throw notEnabled();
    if (state.enrollments.length >= LIMITS.maxUnlockMethods) {
      throw new StrongroomError(
        'OPERATION_NOT_ALLOWED',
        `a vault has at most ${LIMITS.maxUnlockMethods} unlock methods`,
      );
    }
    const { master } = await this.#askUnlock('addUnlockMethod', true);
    const { enrollment } = await this.#newEnrollment(method, 'addUnlockMethod', master, label);
    await keystore.updateVault((current) => {
      if (!current) throw notEnabled();
      if (current.enrollments.length >= LIMITS.maxUnlockMethods) {
        throw new StrongroomError(
          'OPERATION_NOT_ALLOWED',
          `a vault has at most ${LIMITS.maxUnlockMethods} unlock methods`,
        );
      }
      return { ...current, enrollments: [...current.enrollments, enrollment] };
    });
    return this.info();
  }

  /** `removeUnlockMethod`: unlock with an existing one and consent; never the last one. */
  async removeMethod(id: string): Promise<VaultInfo> {
    const keystore = this.#keystore();
    const state = await keystore.vault();
    if (!state) throw notEnabled();
    if (!state.enrollments.some((e) => e.id === id)) {
      throw new StrongroomError('INVALID_ARGUMENT', '"methodId" names no unlock method');
    }
    if (state.enrollments.length === 1) {
      throw new StrongroomError(
        'OPERATION_NOT_ALLOWED',
        'the last unlock method cannot be removed (disableVault turns vault mode off)',
      );
    }
    await this.#askUnlock('removeUnlockMethod', false);
    await this.#consent.ask({ operation: 'removeUnlockMethod', irreversible: true });
    // Checked again on the stored state, in the transaction that writes: another tab may have
    // removed the other methods while this one asked (never leave a vault no method opens).
    await keystore.updateVault((current) => {
      if (!current) throw notEnabled();
      const kept = current.enrollments.filter((e) => e.id !== id);
      if (kept.length === current.enrollments.length) {
        throw new StrongroomError('INVALID_ARGUMENT', '"methodId" names no unlock method');
      }
      if (kept.length === 0) {
        throw new StrongroomError(
          'OPERATION_NOT_ALLOWED',
          'the last unlock method cannot be removed (disableVault turns vault mode off)',
        );
      }
      return { ...current, enrollments: kept };
    });
    return this.info();
  }
}
