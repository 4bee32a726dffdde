/**
 * `exportBackup({ keys?, secret? })` and `importBackup(file, { onExisting? })`
 * (docs/backup.md): they validate their arguments and hand over to the policy's backup gate
 * (`../policy/backup.ts`), which asks the person for the backup's secret in the enclave's own
 * dialog. No secret is ever an argument.
 */

import { StrongroomError } from '@strongroom/bridge/errors';
import { type ImportBackupResult, LIMITS } from '@strongroom/bridge/protocol';
import { MAX_BACKUP_BYTES } from '../lib/backup-file';
import {
  assertArity,
  assertBytes,
  assertKeyId,
  assertOneOf,
  assertPlainObject,
} from '../lib/validate';
import type { Call } from '../policy/index';

/** The `exportBackup` operation. */
export async function exportBackup(call: Call, args: unknown[]): Promise<Uint8Array> {
  assertArity(args, 0, 1);
  const options = args[0] ?? {};
  assertPlainObject(options, 'options', ['keys', 'secret']);
  const { keys, secret = 'passphrase' } = options;
  assertOneOf(secret, 'options.secret', ['passphrase', 'recovery-phrase'] as const);
  let keyIds: string[] | null = null;
  if (keys !== undefined) {
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > LIMITS.maxKeysPerOrigin) {
      throw new StrongroomError(
        'INVALID_ARGUMENT',
        `"options.keys" expected a non-empty list of at most ${LIMITS.maxKeysPerOrigin} key ids`,
      );
    }
    const ids: string[] = [];
    for (const [i, id] of (keys as unknown[]).entries()) {
      assertKeyId(id, `options.keys[${i}]`);
      ids.push(id);
    }
    keyIds = [...new Set(ids)];
  }
  return call.backup().export({ keyIds, secret });
}

/** The `importBackup` operation. */
export async function importBackup(call: Call, args: unknown[]): Promise<ImportBackupResult> {
  assertArity(args, 1, 2);
  const [file, options = {}] = args;
  assertBytes(file, 'file', MAX_BACKUP_BYTES);
  assertPlainObject(options, 'options', ['onExisting']);
  const { onExisting } = options;
  // Absent: the person chooses in the enclave's dialog if keys clash. `replace` still needs
  // their consent there; only `skip` is decided by the app alone (it replaces nothing).
  if (onExisting === undefined) return call.backup().import(file, { onExisting: 'ask' });
  assertOneOf(onExisting, 'options.onExisting', ['skip', 'replace'] as const);
  return call.backup().import(file, { onExisting });
}
