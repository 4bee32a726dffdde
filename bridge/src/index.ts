/**
 * `@strongroom/bridge`: the library an app embeds to use a Strongroom enclave.
 *
 * @example
 * ```ts
 * import { connect, StrongroomError } from '@strongroom/bridge';
 *
 * const enclave = await connect({ url: 'https://kms.app.example/' });
 * const key = await enclave.generateKey({ alg: 'EdDSA', purpose: 'sign' });
 * const sig = await enclave.sign(key.id, new TextEncoder().encode('hello'));
 * ```
 */
export { type ConnectOptions, connect, DEFAULT_TIMEOUT_MS } from './connect';
export { Enclave } from './enclave';
export {
  ERROR_CODES,
  isStrongroomError,
  StrongroomError,
  type StrongroomErrorCode,
} from './errors';
export {
  DEFAULT_RATE_LIMITS,
  type EnclaveInfo,
  type GenerateKeyOptions,
  KEY_ALGORITHMS,
  KEY_PURPOSES,
  type KeyAlgorithm,
  type KeyDeletion,
  type KeyInfo,
  type KeyPolicy,
  type KeyPolicyOptions,
  type KeyProvenance,
  type KeyPurpose,
  type KeySource,
  type KeyState,
  type KeyVersionInfo,
  type KeyVersionState,
  LIMITS,
  PURPOSE_ALGORITHMS,
  type PublicJwk,
  type PublicKeyFormat,
  type RateLimits,
  type RestrictKeyOptions,
  type ScheduleDeletionOptions,
  type StorageInfo,
  type TokenPolicy,
} from './protocol';
