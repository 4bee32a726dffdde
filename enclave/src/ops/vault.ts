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
import { DEFAULT_IDLE_MINUTES } from '../policy/vault';

/** `enableVault({ idleMinutes?, label? })`. */
export async function enableVault(call: Call, args: unknown[]): Promise<VaultInfo> {
  assertArity(args, 0, 1);
  const options = args[0] ?? {};
  assertPlainObject(options, 'options', ['idleMinutes', 'label']);
  const { idleMinutes = DEFAULT_IDLE_MINUTES, label = 'passphrase' } = options;
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
  return call.vault().enable({ idleMinutes, label });
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

/** `addUnlockMethod({ label? })`. */
export async function addUnlockMethod(call: Call, args: unknown[]): Promise<VaultInfo> {
  assertArity(args, 0, 1);
  const options = args[0] ?? {};
  assertPlainObject(options, 'options', ['label']);
  const { label = 'passphrase' } = options;
  assertString(label, 'options.label', LIMITS.maxLabelLength);
  return call.vault().addMethod(label);
}

/** `removeUnlockMethod(methodId)`. */
export async function removeUnlockMethod(call: Call, args: unknown[]): Promise<VaultInfo> {
  assertArity(args, 1, 1);
  const [methodId] = args;
  assertKeyId(methodId, 'methodId');
  return call.vault().removeMethod(methodId);
}
