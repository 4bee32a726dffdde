/**
 * Backup and restore, the policy side (docs/backup.md). Which keys may leave in a backup
 * (those created with `backup: true`, in a state other than pending deletion), that the person
 * chooses and enters the backup's secret in the enclave's own dialog (a passphrase typed twice,
 * or a 24-word recovery phrase shown there and confirmed by typing back chosen words), and that
 * a restore is verified in full before anything is written and then written all at once.
 *
 * Restored keys keep their ids, kids, purposes, policies and versions; their provenance is
 * `restored` (with the source they had), which counts as page-knowable: whoever made the file
 * may know the material, so a restored key never exports another key and never rotates.
 * The file format is `../lib/backup-file.ts`.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { JsonObject, KeySource, TokenPolicy } from '@strongroom/bridge/protocol';
import type { KeyRecord, StoredKeyRecord } from '../keystore/schema';
import type { Keystore } from '../keystore/store';
import { algorithm } from '../lib/algorithms';
import {
  type BackupSecret,
  calibratePbkdf2,
  deriveBackupKeys,
  newKdf,
  openBackup,
  parseBackup,
  type SealKey,
  sealBackup,
} from '../lib/backup-file';
import { confirmPositions, newRecoveryPhrase, phraseToEntropy } from '../lib/recovery-phrase';
import type { ConsentBroker } from './consent';
import { MIN_PASSPHRASE_LENGTH } from './vault';

/** What `importBackup` did. */
export interface ImportResult {
  readonly imported: string[];
  readonly skipped: string[];
  readonly replaced: string[];
}

/** The policy fields a backup carries for a key (the file treats them as opaque JSON). */
function policyOf(record: StoredKeyRecord): JsonObject {
  return {
    state: record.state,
    maxTokenLifetime: record.maxTokenLifetime,
    usesPerMinute: record.usesPerMinute,
    presence: record.presence,
    presenceEveryMinutes: record.presenceEveryMinutes,
    exportable: record.exportable,
    backup: true,
    tokenPolicy: {
      audiences: record.tokenPolicy.audiences ? [...record.tokenPolicy.audiences] : null,
      issuers: record.tokenPolicy.issuers ? [...record.tokenPolicy.issuers] : null,
      subjects: record.tokenPolicy.subjects ? [...record.tokenPolicy.subjects] : null,
      vapidAudiences: record.tokenPolicy.vapidAudiences
        ? [...record.tokenPolicy.vapidAudiences]
        : null,
    },
  };
}

function invalid(path: string, what: string): StrongroomError {
  return new StrongroomError('BACKUP_INVALID', `${path}: ${what}`);
}

function stringList(value: unknown, path: string): string[] | null {
  if (value === null) return null;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw invalid(path, 'expected a list of strings or null');
  }
  return [...value];
}

/** The stored policy fields from a backup's (authenticated, but still checked) policy. */
function policyFrom(
  policy: JsonObject,
  path: string,
): Pick<
  StoredKeyRecord,
  | 'state'
  | 'maxTokenLifetime'
  | 'usesPerMinute'
  | 'presence'
  | 'presenceEveryMinutes'
  | 'exportable'
  | 'tokenPolicy'
> {
  const p = policy as Record<string, unknown>;
  const state = p.state === 'active' || p.state === 'revoked' ? p.state : null;
  if (!state) throw invalid(`${path}.state`, 'expected "active" or "revoked"');
  const int = (name: string, nullable = false): number | null => {
    const v = p[name];
    if (nullable && v === null) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw invalid(`${path}.${name}`, 'expected a non-negative integer');
    }
    return v;
  };
  const bool = (name: string): boolean => {
    const v = p[name];
    if (typeof v !== 'boolean') throw invalid(`${path}.${name}`, 'expected a boolean');
    return v;
  };
  const tp = p.tokenPolicy;
  if (typeof tp !== 'object' || tp === null || Array.isArray(tp)) {
    throw invalid(`${path}.tokenPolicy`, 'expected an object');
  }
  const t = tp as Record<string, unknown>;
  const tokenPolicy: TokenPolicy = {
    audiences: stringList(t.audiences, `${path}.tokenPolicy.audiences`),
    issuers: stringList(t.issuers, `${path}.tokenPolicy.issuers`),
    subjects: stringList(t.subjects, `${path}.tokenPolicy.subjects`),
    vapidAudiences: stringList(t.vapidAudiences, `${path}.tokenPolicy.vapidAudiences`),
  };
  return {
    state,
    maxTokenLifetime: int('maxTokenLifetime') ?? 0,
    usesPerMinute: int('usesPerMinute', true),
    presence: bool('presence'),
    presenceEveryMinutes: int('presenceEveryMinutes') ?? 0,
    exportable: bool('exportable'),
    tokenPolicy,
  };
}

/** Backup and restore for one channel's origin. */
export class BackupGate {
  readonly #keystore: () => Keystore;
  readonly #consent: ConsentBroker;
  readonly #clock: () => number;

  constructor(keystore: () => Keystore, consent: ConsentBroker, clock: () => number) {
    this.#keystore = keystore;
    this.#consent = consent;
    this.#clock = clock;
  }

  /**
   * `exportBackup`: the keys named (default: every key created with `backup: true`), sealed
   * under a secret the person chooses in the enclave. Returns the file's bytes.
   */
  async export(options: {
    keyIds: readonly string[] | null;
    secret: 'passphrase' | 'recovery-phrase';
  }): Promise<Uint8Array> {
    const keystore = this.#keystore();
    const all = await keystore.list();
    let chosen: StoredKeyRecord[];
    if (options.keyIds) {
      chosen = options.keyIds.map((id) => {
        const record = all.find((r) => r.id === id);
        if (!record) throw new StrongroomError('KEY_NOT_FOUND', 'no such key');
        if (record.backup !== true) {
          throw new StrongroomError(
            'OPERATION_NOT_ALLOWED',
            `key ${id} was not created with backup: true; it never leaves in a backup`,
          );
        }
        if (record.state === 'pending-deletion') {
          throw new StrongroomError(
            'OPERATION_NOT_ALLOWED',
            `key ${id} is scheduled for deletion; cancel the deletion to back it up`,
          );
        }
        return record;
      });
    } else {
      chosen = all.filter((r) => r.backup === true && r.state !== 'pending-deletion');
    }
    if (chosen.length === 0) {
      throw new StrongroomError(
        'OPERATION_NOT_ALLOWED',
        'no key of this origin may be backed up (create keys with backup: true)',
      );
    }
    if ((await keystore.vault()) && !keystore.unlocked) {
      throw new StrongroomError('LOCKED', 'the vault is locked: unlock() first');
    }
    const request = { operation: 'exportBackup' as const, irreversible: true };
    // Both dialogs name the origin (in their title) and every key that leaves.
    const leaving = chosen.map((r) => (r.label ? `${r.id} (“${r.label}”)` : r.id));
    let secret: BackupSecret;
    if (options.secret === 'recovery-phrase') {
      const phrase = newRecoveryPhrase();
      await this.#consent.askSecret(request, 'recovery-phrase', {
        words: phrase.words,
        confirm: confirmPositions(3),
        keys: leaving,
      });
      secret = { kind: 'phrase', entropy: phrase.entropy };
    } else {
      const answer = await this.#consent.askSecret(request, 'new-passphrase', { keys: leaving });
      const passphrase = answer.passphrase;
      if (typeof passphrase !== 'string' || passphrase.length < MIN_PASSPHRASE_LENGTH) {
        throw new StrongroomError(
          'INVALID_ARGUMENT',
          `a passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`,
        );
      }
      secret = { kind: 'passphrase', passphrase };
    }
    const kdf =
      secret.kind === 'phrase' ? newKdf('phrase') : newKdf('passphrase', await calibratePbkdf2());
    const keys: SealKey[] = [];
    for (const record of chosen) {
      const spec = algorithm(record.alg);
      const versions = [];
      for (const v of [
        {
          version: record.version,
          kid: record.kid,
          createdAt: record.versionCreatedAt,
          publicJwk: record.publicJwk,
          atRest: record.atRest,
          atRestKey: record.atRestKey,
        },
        ...record.retired,
      ]) {
        if (!v.atRest) throw new StrongroomError('INTERNAL_ERROR', 'internal error');
        versions.push({
          version: v.version,
          kid: v.kid,
          createdAt: v.createdAt,
          publicJwk: v.publicJwk,
          key: await keystore.unwrapAtRest(v.atRestKey, spec, v.atRest, true),
        });
      }
      keys.push({
        id: record.id,
        kid: record.kid,
        alg: record.alg,
        label: record.label,
        purpose: record.purpose,
        policy: policyOf(record),
        createdAt: record.createdAt,
        provenance: {
          source: record.provenance.source,
          ...(record.provenance.from ? { from: { ...record.provenance.from } } : {}),
        },
        versions,
      });
    }
    const sealed = await sealBackup(
      { origin: keystore.owner, createdAt: this.#clock(), kdf, keys },
      await deriveBackupKeys(secret, kdf),
    );
    if (secret.kind === 'phrase') secret.entropy.fill(0);
    return sealed;
  }

  /**
   * `importBackup`: verify the whole file (after the person entered its secret in the
   * enclave), then write every key at once. Keys that exist here are skipped or replaced as the
   * person chooses in the enclave's dialog (`onExisting: 'ask'`), skipped (`'skip'`), or, with
   * the person's consent, replaced (`'replace'`): the app can never replace a key alone.
   */
  async import(
    bytes: Uint8Array,
    options: { onExisting: 'ask' | 'skip' | 'replace' },
  ): Promise<ImportResult> {
    const keystore = this.#keystore();
    const file = parseBackup(bytes);
    if (file.origin !== keystore.owner) {
      throw invalid('origin', `this backup was made for ${file.origin}, not this app's origin`);
    }
    if ((await keystore.vault()) && !keystore.unlocked) {
      throw new StrongroomError('LOCKED', 'the vault is locked: unlock() first');
    }
    const answer = await this.#consent.askSecret(
      { operation: 'importBackup', irreversible: false },
      'backup-secret',
    );
    let secret: BackupSecret;
    if (answer.words && answer.words.length > 0) {
      let entropy: Uint8Array;
      try {
        entropy = phraseToEntropy(answer.words);
      } catch (cause) {
        throw new StrongroomError(
          'BACKUP_DECRYPT_FAILED',
          cause instanceof StrongroomError ? cause.message : 'not a recovery phrase',
        );
      }
      secret = { kind: 'phrase', entropy };
    } else if (typeof answer.passphrase === 'string') {
      secret = { kind: 'passphrase', passphrase: answer.passphrase };
    } else {
      throw new StrongroomError('BACKUP_DECRYPT_FAILED', 'no secret was entered');
    }
    const opened = await openBackup(file, secret, { extractable: true });
    if (secret.kind === 'phrase') secret.entropy.fill(0);

    const here = new Map((await keystore.list()).map((r) => [r.id, r.version]));
    const existing = new Set(here.keys());
    const clashing = opened.keys.filter((k) => existing.has(k.id));
    const conflicts = clashing.map((k) => k.id);
    const named = clashing.map((k) => {
      const name = k.label ? `${k.id} (“${k.label}”)` : k.id;
      // A replayed older backup: say that replacing goes back to an older version.
      const backupVersion = k.versions[0]?.version ?? 0;
      const hereVersion = here.get(k.id) ?? 0;
      return backupVersion < hereVersion
        ? `${name} [the backup's version ${backupVersion} is older than version ${hereVersion} here]`
        : name;
    });
    let onExisting: 'skip' | 'replace' = options.onExisting === 'replace' ? 'replace' : 'skip';
    if (conflicts.length > 0 && options.onExisting === 'ask') {
      // The person chooses, in the enclave: replacing destroys the keys here.
      const chosen = await this.#consent.askSecret(
        { operation: 'importBackup', irreversible: false },
        'existing-keys',
        { existing: named },
      );
      if (chosen.choice !== 'skip' && chosen.choice !== 'replace') {
        throw new StrongroomError('INTERNAL_ERROR', 'internal error');
      }
      onExisting = chosen.choice;
    } else if (conflicts.length > 0 && options.onExisting === 'replace') {
      await this.#consent.ask(
        { operation: 'importBackup', irreversible: true },
        `${conflicts.length} key(s) here are destroyed and replaced by the backup's: ${named.join(', ')}.`,
      );
    }
    const replace = onExisting === 'replace' ? conflicts : [];
    const records: KeyRecord[] = [];
    for (const [i, key] of opened.keys.entries()) {
      if (existing.has(key.id) && onExisting === 'skip') continue;
      const spec = algorithm(key.alg);
      const policy = policyFrom(key.policy, `keys[${i}].policy`);
      const sealed = [];
      for (const version of key.versions) {
        const { blob, atRestKey } = await keystore.sealAtRest(spec, version.key);
        sealed.push({ version, blob, atRestKey });
      }
      const [primary, ...older] = sealed;
      if (!primary) throw invalid(`keys[${i}].versions`, 'empty');
      const from: { keyId: string; source: KeySource } = {
        keyId: key.id,
        source: key.provenance.source,
      };
      records.push({
        id: key.id,
        kid: primary.version.kid,
        alg: key.alg,
        label: key.label,
        owner: keystore.owner,
        createdAt: key.createdAt,
        version: primary.version.version,
        versionCreatedAt: primary.version.createdAt,
        purpose: key.purpose,
        provenance: { source: 'restored', from },
        ...policy,
        deletion: null,
        usage: { count: 0, lastUsedAt: null },
        key: await keystore.unwrapAtRest(primary.atRestKey, spec, primary.blob),
        publicKey: primary.version.publicKey,
        publicJwk: primary.version.publicJwk,
        exportMaterial: policy.exportable ? primary.blob : null,
        // A restored key may be backed up again: its material stays wrapped at rest.
        atRest: primary.blob,
        atRestKey: primary.atRestKey,
        backup: true,
        retired: await Promise.all(
          older.map(async (v) => ({
            version: v.version.version,
            kid: v.version.kid,
            createdAt: v.version.createdAt,
            key: await keystore.unwrapAtRest(v.atRestKey, spec, v.blob),
            publicKey: v.version.publicKey,
            publicJwk: v.version.publicJwk,
            atRest: v.blob,
            atRestKey: v.atRestKey,
          })),
        ),
      });
    }
    await keystore.restore(records, replace);
    return {
      imported: records.filter((r) => !replace.includes(r.id)).map((r) => r.id),
      skipped: onExisting === 'skip' ? conflicts : [],
      replaced: replace,
    };
  }
}
