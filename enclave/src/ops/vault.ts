/**
 * The vault operations (docs/vault.md): `enableVault`, `disableVault`, `unlock`, `lock`,
 * `addUnlockMethod`, `removeUnlockMethod`. They validate their arguments and hand over to the
 * policy's vault gate (`../policy/vault.ts`), which asks the person in the enclave's own dialog;
 * no secret is ever an argument.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import { LIMITS, type VaultInfo } from '@strongroom/bridge/protocol';
import { assertArity, assertKeyId, assertPlainObject, assertString } from '../lib/validate';
import type { Call } from '../policy/index';
import { DEFAULT_IDLE_MINUTES, type UnlockMethodKind } from '../policy/vault';

/** `options.method`: `'passphrase'` (the default) or `'passkey'`. */
function unlockMethod(method: unknown): UnlockMethodKind {
  if (method === undefined || method === 'passphrase') return 'passphrase';
  if (method === 'passkey') return 'passkey';
  throw new StrongroomError(
    'INVALID_ARGUMENT',
    '"options.method" expected "passphrase" or "passkey"',
  );
}

/** `enableVault({ idleMinutes?, label?, method? })`. */
export async function enableVault(call: Call, args: unknown[]): Promise<VaultInfo> {
  assertArity(args, 0, 1);
  const options = args[0] ?? {};
  assertPlainObject(options, 'options', ['idleMinutes', 'label', 'method']);
  const method = unlockMethod(options.method);
  const { idleMinutes = DEFAULT_IDLE_MINUTES, label = method } = options;
  if (
    typeof idleMinutes !== 'number' ||
    !Number.isSafeInteger(idleMinutes) ||
    idleMinutes < 1 ||
    idleMinutes > LIMITS.maxIdleMinutes
  ) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"options.idleMinutes" expected an integer from 1 to ${LIMITS.maxIdleMinutes}`,
    );
  }
  assertString(label, 'options.label', LIMITS.maxLabelLength);
  return call.vault().enable({ idleMinutes, label, method });
}

/** `disableVault()`. */
export async function disableVault(call: Call, args: unknown[]): Promise<VaultInfo> {
  assertArity(args, 0, 0);
  return call.vault().disable();
}

/** `unlock()`. */
export async function unlock(call: Call, args: unknown[]): Promise<VaultInfo> {
  assertArity(args, 0, 0);
  return call.vault().unlock();
}

/** `lock()`. */
export async function lock(call: Call, args: unknown[]): Promise<VaultInfo> {
  assertArity(args, 0, 0);
  return call.vault().lock();
}

/** `addUnlockMethod({ label?, method? })`. */
export async function addUnlockMethod(call: Call, args: unknown[]): Promise<VaultInfo> {
  assertArity(args, 0, 1);
  const options = args[0] ?? {};
  assertPlainObject(options, 'options', ['label', 'method']);
  const method = unlockMethod(options.method);
  const { label = method } = options;
  assertString(label, 'options.label', LIMITS.maxLabelLength);
  return call.vault().addMethod(label, method);
}

/** `removeUnlockMethod(methodId)`. */
export async function removeUnlockMethod(call: Call, args: unknown[]): Promise<VaultInfo> {
  assertArity(args, 1, 1);
  const [methodId] = args;
  assertKeyId(methodId, 'methodId');
  return call.vault().removeMethod(methodId);
}
