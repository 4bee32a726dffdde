/**
 * `@strongroom/bridge`: the library an app embeds to use a Strongroom enclave.
 *
 * @example
 * ```ts
 * import { connect, StrongroomError } from '@strongroom/bridge';
 *
 * const enclave = await connect({ url: 'https://kms.app.example/' });
 * const key = await enclave.generateKey({ alg: 'EdDSA' });
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
  type EnclaveInfo,
  type GenerateKeyOptions,
  KEY_ALGORITHMS,
  type KeyAlgorithm,
  type KeyInfo,
  type KeyState,
  LIMITS,
  type PublicJwk,
  type PublicKeyFormat,
  type StorageInfo,
} from './protocol';
