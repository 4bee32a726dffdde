/**
 * `@strongroom/bridge`: the library an app embeds to use a Strongroom enclave. Everything public
 * is exported from here, the package's only entry: `connect()`, the {@link Enclave},
 * {@link StrongroomError}, and every option and result type of the enclave's operations. The
 * wire format between bridge and enclave (messages, error serialisation) is internal.
 *
 * @example
 * ```ts
 * import { connect, StrongroomError } from '@strongroom/bridge';
 *
 * const enclave = await connect({ url: 'https://kms.app.example/' });
 * const key = await enclave.generateKey({ alg: 'EdDSA', purpose: 'sign' });
 * const sig = await enclave.sign(key.id, new TextEncoder().encode('hello'));
 * ```
 *
 * @packageDocumentation
 */
export { type ConnectOptions, connect, DEFAULT_TIMEOUT_MS } from './connect';
export type { ConsentEventDetail, LockEventDetail } from './consent-frame';
export { Enclave, type ReconnectCallOptions, type TransferOption } from './enclave';
export {
  ERROR_CODES,
  isStrongroomError,
  StrongroomError,
  type StrongroomErrorCode,
} from './errors';
export { type EnclaveRefusalReason, EnclaveRefusedError } from './handshake';
export {
  type CallOptions,
  type ConnectionState,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_LIVENESS_MS,
  type DisconnectDetail,
  type DisconnectReason,
  type ReconnectOptions,
  type StateChangeDetail,
} from './lifecycle';
export {
  type AddUnlockMethodOptions,
  type AgreedKeyAlgorithm,
  type AgreeOptions,
  type AuditAct,
  type AuditAnchor,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditLogOptions,
  type AuditLogPage,
  type AuditVerification,
  type ConsentRequestInfo,
  DEFAULT_RATE_LIMITS,
  type DecryptJweResult,
  type EnableVaultOptions,
  type EnclaveInfo,
  type ExportBackupOptions,
  type GenerateKeyOptions,
  type ImportBackupOptions,
  type ImportBackupResult,
  type JsonObject,
  type JsonValue,
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
  type Limits,
  type OpenOptions,
  type OperationName,
  PERSIST_INFO_WAIT_MS,
  PERSIST_TIMEOUT_MS,
  type PersistRequest,
  type PresenceOptions,
  PURPOSE_ALGORITHMS,
  type PublicJwk,
  type PublicKeyFormat,
  type RateLimits,
  type RestrictKeyOptions,
  type ScheduleDeletionOptions,
  type SealOptions,
  type SignedCheckpoint,
  type SignJwtOptions,
  type StorageInfo,
  type TokenPolicy,
  type UnlockMethodInfo,
  type UnwrapKeyOptions,
  type VapidAuthOptions,
  type VaultInfo,
} from './protocol';
