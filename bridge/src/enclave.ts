/// <reference lib="esnext.disposable" preserve="true" />
/**
 * The typed `Enclave`: one method per enclave operation, over the Comlink channel set up by
 * `connect()`. The connection behind it (`connection.ts`) tracks pending calls with their
 * timeouts and abort signals, notices when the channel ends, reconnects, and disposes.
 */

import { Connection, type ConnectionConfig } from './connection';
import type { ConsentEventDetail, LockEventDetail } from './consent-frame';
import type {
  CallOptions,
  ConnectionState,
  DisconnectDetail,
  Link,
  StateChangeDetail,
} from './lifecycle';
import type {
  AddUnlockMethodOptions,
  AgreeOptions,
  AuditAnchor,
  AuditLogOptions,
  AuditLogPage,
  AuditVerification,
  DecryptJweResult,
  EnableVaultOptions,
  EnclaveApi,
  EnclaveInfo,
  ExportBackupOptions,
  GenerateKeyOptions,
  ImportBackupOptions,
  ImportBackupResult,
  KeyInfo,
  OpenOptions,
  OperationName,
  PublicJwk,
  PublicKeyFormat,
  RestrictKeyOptions,
  ScheduleDeletionOptions,
  SealOptions,
  SignJwtOptions,
  UnwrapKeyOptions,
  VapidAuthOptions,
  VaultInfo,
} from './protocol';

/**
 * Copy a view into its own exactly sized buffer before it crosses: structured clone of a
 * `subarray` would otherwise send (and disclose) the whole underlying buffer.
 */
function exactBytes(value: Uint8Array): Uint8Array {
  if (!(value instanceof Uint8Array)) return value;
  if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) return value;
  return value.slice();
}

/** Options of a call to {@link Enclave.reconnect}. */
export interface ReconnectCallOptions {
  /** Abort the new connection attempt: `ABORTED`, and the new frame is removed. */
  readonly signal?: AbortSignal;
}

/** Bridge-side options of `seal` and `open` that never cross the wire. */
export interface TransferOption {
  /**
   * Transfer the input's buffer to the enclave instead of copying it: faster for large data,
   * but the caller's `Uint8Array` is detached (empty) afterwards. Only for a `Uint8Array`
   * that spans its whole `ArrayBuffer`; anything else is copied. Default `false`.
   */
  readonly transfer?: boolean;
}

/** The input as it crosses, and what to transfer with it. */
function outgoing(value: Uint8Array, move: boolean | undefined): [Uint8Array, Transferable[]] {
  const exact = exactBytes(value);
  return move === true && exact === value && value.buffer instanceof ArrayBuffer
    ? [exact, [value.buffer]]
    : [exact, []];
}

/** Options without the bridge-only `transfer` member. */
function wireOptions<T extends object>(options: (T & TransferOption) | undefined): T {
  const { transfer: _transfer, ...rest } = options ?? ({} as T & TransferOption);
  return rest as T;
}

/**
 * `Symbol.dispose`; where the engine has none (WebKitGTK 2.50 here), the
 * `Symbol.for('Symbol.dispose')` that transpiled `using` looks for (esbuild, Babel, SWC, Oxc).
 */
const DISPOSE: typeof Symbol.dispose = (Symbol.dispose ??
  Symbol.for('Symbol.dispose')) as typeof Symbol.dispose;
/** `Symbol.asyncDispose`, with the same fallback. */
const ASYNC_DISPOSE: typeof Symbol.asyncDispose = (Symbol.asyncDispose ??
  Symbol.for('Symbol.asyncDispose')) as typeof Symbol.asyncDispose;

/**
 * A connection to an enclave. Obtain one with `connect()`; call `dispose()` when done.
 *
 * @example
 * ```ts
 * const enclave = await connect({ url: 'https://kms.example.com/' });
 * const key = await enclave.generateKey({ alg: 'EdDSA', purpose: 'sign', label: 'identity' });
 * const signature = await enclave.sign(key.id, new TextEncoder().encode('hello'));
 * ```
 */
export class Enclave extends EventTarget implements EnclaveApi, Disposable, AsyncDisposable {
  readonly #connection: Connection;

  /** @internal Use `connect()`. */
  constructor(link: Link, config: ConnectionConfig) {
    super();
    this.#connection = new Connection(link, config, this);
  }

  /**
   * Listen for `consent` events: the enclave shows (`detail.phase === 'open'`, with
   * `detail.request`: the operation, key and whether it is irreversible) or hides its dialog.
   * The frame is shown and hidden by the bridge; this is for the app's own UI (docs/consent.md).
   */
  override addEventListener(
    type: 'consent',
    listener: ((event: CustomEvent<ConsentEventDetail>) => void) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /**
   * Listen for `statechange` events: {@link Enclave.state} changed (`detail.state`,
   * `detail.previous`, and with `disconnected` the `detail.error` that caused it).
   * docs/api.md, "Connection lifecycle".
   */
  override addEventListener(
    type: 'statechange',
    listener: ((event: CustomEvent<StateChangeDetail>) => void) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /**
   * Listen for `disconnect` events: the channel ended by itself (`detail.reason`: the frame was
   * reloaded, moved or removed, or the enclave stopped answering); every pending call was
   * rejected with `detail.error` (`ENCLAVE_DISCONNECTED`); `detail.willReconnect` tells whether
   * the bridge now reconnects by itself.
   */
  override addEventListener(
    type: 'disconnect',
    listener: ((event: CustomEvent<DisconnectDetail>) => void) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  /**
   * Listen for `lock` events (vault mode): the keys were locked (`detail.locked`, with
   * `detail.reason` `lock` or `idle`) or unlocked. Calls that need a key fail with `LOCKED`
   * while locked; offer the person `unlock()`. docs/vault.md.
   */
  override addEventListener(
    type: 'lock',
    listener: ((event: CustomEvent<LockEventDetail>) => void) | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | ((event: CustomEvent) => void) | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    super.addEventListener(type, listener as EventListenerOrEventListenerObject | null, options);
  }

  /**
   * The iframe that holds the enclave (hidden; do not move it, moving reloads it). After a
   * reconnect, the new one; after a disconnect or `dispose()`, the last one (removed).
   */
  get iframe(): HTMLIFrameElement {
    return this.#connection.iframe;
  }

  /**
   * The connection's state: `connected`; `disconnected` (the channel ended, calls fail with
   * `ENCLAVE_DISCONNECTED` until `reconnect()`); `reconnecting` (calls fail at once, they are
   * not queued); or `disposed`. Each change is announced by a `statechange` event.
   */
  get state(): ConnectionState {
    return this.#connection.state;
  }

  /** Whether `dispose()` has been called (`state === 'disposed'`). */
  get disposed(): boolean {
    return this.#connection.state === 'disposed';
  }

  #call<T>(
    name: OperationName,
    args: unknown[],
    callOptions?: CallOptions,
    transfers: Transferable[] = [],
  ): Promise<T> {
    return this.#connection.call<T>(name, args, callOptions, transfers);
  }

  /**
   * Connect again: a fresh frame and handshake with the options given to `connect()` (and its
   * `expectDigest` check). Calls pending on the old channel are rejected, never replayed. While
   * connected, the current channel is closed first; while a reconnection is under way (also an
   * automatic one), this joins it and cuts its backoff delay short. Rejects as `connect()` does
   * (`HANDSHAKE_TIMEOUT`, `PROTOCOL_MISMATCH`, …; `ABORTED` when `signal` aborts, which removes
   * the new frame), leaving the state `disconnected`; `ENCLAVE_UNAVAILABLE` once disposed.
   * @example
   * ```ts
   * enclave.addEventListener('disconnect', () => void enclave.reconnect().catch(report));
   * ```
   */
  reconnect(options?: ReconnectCallOptions): Promise<void> {
    return this.#connection.reconnect(options?.signal);
  }

  /** What the enclave is and what it knows about this channel and its storage. */
  info(callOptions?: CallOptions): Promise<EnclaveInfo> {
    return this.#call('info', [], callOptions);
  }

  /**
   * Generate a non-extractable key owned by this app's origin, for one `purpose` (which
   * operations may use it; see docs/policy.md) with an optional policy.
   * @example
   * ```ts
   * const { id, publicJwk } = await enclave.generateKey({ alg: 'ES256', purpose: 'vapid' });
   * ```
   */
  generateKey(options: GenerateKeyOptions, callOptions?: CallOptions): Promise<KeyInfo> {
    return this.#call('generateKey', [options], callOptions);
  }

  /** Every key of this app's origin, oldest first. */
  listKeys(callOptions?: CallOptions): Promise<KeyInfo[]> {
    return this.#call('listKeys', [], callOptions);
  }

  /** One key's public description; `KEY_NOT_FOUND` if it does not exist for this origin. */
  getKey(keyId: string, callOptions?: CallOptions): Promise<KeyInfo> {
    return this.#call('getKey', [keyId], callOptions);
  }

  /**
   * The public key of a key pair.
   * @example
   * ```ts
   * const jwk = await enclave.publicKey(id, 'jwk');
   * const point = await enclave.publicKey(id, 'raw'); // 65 bytes for ES256
   * ```
   */
  publicKey(keyId: string, format?: 'jwk', callOptions?: CallOptions): Promise<PublicJwk>;
  publicKey(keyId: string, format: 'spki' | 'raw', callOptions?: CallOptions): Promise<Uint8Array>;
  publicKey(
    keyId: string,
    format: PublicKeyFormat = 'jwk',
    callOptions?: CallOptions,
  ): Promise<PublicJwk | Uint8Array> {
    return this.#call('publicKey', [keyId, format], callOptions);
  }

  /**
   * Sign `data` (at most `info().limits.maxDataBytes`). ES256 signatures are IEEE P1363
   * (r‖s, 64 bytes), as JOSE uses them; EdDSA 64 bytes; HS256 a 32-byte HMAC.
   */
  sign(keyId: string, data: Uint8Array, callOptions?: CallOptions): Promise<Uint8Array> {
    return this.#call('sign', [keyId, exactBytes(data)], callOptions);
  }

  /** Check a signature made by `sign`; `false` when it does not verify. */
  verify(
    keyId: string,
    data: Uint8Array,
    signature: Uint8Array,
    callOptions?: CallOptions,
  ): Promise<boolean> {
    return this.#call('verify', [keyId, exactBytes(data), exactBytes(signature)], callOptions);
  }

  /**
   * Schedule a key's deletion with the default window (`LIMITS.defaultDeletionDays`, 7 days),
   * as `scheduleDeletion(keyId)` does. The key refuses every operation at once; its material
   * is destroyed at the deletion date unless `cancelDeletion` comes first.
   */
  deleteKey(keyId: string, callOptions?: CallOptions): Promise<KeyInfo> {
    return this.#call('deleteKey', [keyId], callOptions);
  }

  /**
   * Make a new version of the key primary (same `id`); older versions are retired: they
   * still verify, open, unwrap and decrypt, and their public keys stay in `versions`. Only
   * `active` keys generated in the enclave rotate.
   * @example
   * ```ts
   * const rotated = await enclave.rotateKey(key.id); // rotated.version === key.version + 1
   * ```
   */
  rotateKey(keyId: string, callOptions?: CallOptions): Promise<KeyInfo> {
    return this.#call('rotateKey', [keyId], callOptions);
  }

  /** Revoke a key: it refuses every operation, for ever, and stays listed. */
  revokeKey(keyId: string, callOptions?: CallOptions): Promise<KeyInfo> {
    return this.#call('revokeKey', [keyId], callOptions);
  }

  /**
   * Schedule a key's deletion `days` from now (default 7, from `LIMITS.minDeletionDays` to
   * `LIMITS.maxDeletionDays`). It refuses every operation until then; `cancelDeletion`
   * restores it; at the date its material is destroyed and the key is gone.
   */
  scheduleDeletion(
    keyId: string,
    options?: ScheduleDeletionOptions,
    callOptions?: CallOptions,
  ): Promise<KeyInfo> {
    return this.#call(
      'scheduleDeletion',
      options === undefined ? [keyId] : [keyId, options],
      callOptions,
    );
  }

  /** Cancel a scheduled deletion: the key returns to its state before it. */
  cancelDeletion(keyId: string, callOptions?: CallOptions): Promise<KeyInfo> {
    return this.#call('cancelDeletion', [keyId], callOptions);
  }

  /**
   * Narrow a key's policy (a shorter token lifetime, fewer allowed audiences, fewer uses per
   * minute, …). Never widens: a wider value is `OPERATION_NOT_ALLOWED` and nothing changes.
   * @example
   * ```ts
   * await enclave.restrictKey(key.id, { maxTokenLifetime: 300, audiences: ['https://relay.example'] });
   * ```
   */
  restrictKey(
    keyId: string,
    options: RestrictKeyOptions,
    callOptions?: CallOptions,
  ): Promise<KeyInfo> {
    return this.#call('restrictKey', [keyId, options], callOptions);
  }

  /**
   * Destroy a key now, skipping the deletion window. The enclave asks the person in its own
   * dialog (the bridge shows the frame); `CONSENT_DECLINED`, `CONSENT_TIMEOUT` or
   * `CONSENT_NOT_VISIBLE` if they do not approve, and nothing changes. What it protected is lost.
   */
  destroyKey(keyId: string, callOptions?: CallOptions): Promise<void> {
    return this.#call('destroyKey', [keyId], callOptions);
  }

  /**
   * Erase every key of this app's origin, with the person's consent in the enclave's dialog.
   * What the keys protected is lost.
   */
  resetEnclave(callOptions?: CallOptions): Promise<void> {
    return this.#call('resetEnclave', [], callOptions);
  }

  /**
   * A page of this origin's audit log: every call, allowed or refused, in a signed hash chain
   * (docs/audit.md). Never payloads, tokens or secrets.
   * @example
   * ```ts
   * const { entries, head } = await enclave.auditLog({ since: lastSeenSeq, limit: 100 });
   * ```
   */
  auditLog(options?: AuditLogOptions, callOptions?: CallOptions): Promise<AuditLogPage> {
    return this.#call('auditLog', options === undefined ? [] : [options], callOptions);
  }

  /** Check the whole kept audit chain inside the enclave: hashes, sequence, checkpoints, signatures. */
  verifyAuditLog(callOptions?: CallOptions): Promise<AuditVerification> {
    return this.#call('verifyAuditLog', [], callOptions);
  }

  /**
   * A signed checkpoint of the audit chain as it is now, and the audit public key: keep it
   * outside the enclave (your server) to detect later truncation, rewriting, a replaced audit
   * key or a reset (docs/audit.md).
   */
  auditAnchor(callOptions?: CallOptions): Promise<AuditAnchor> {
    return this.#call('auditAnchor', [], callOptions);
  }

  /**
   * Sign a JWT (compact JWS) with a `jwt` key (`ES256` or `EdDSA`). The enclave sets `alg`, `kid`,
   * `iat` (its clock) and `exp = iat + expiresIn`; `expiresIn` beyond the key's
   * `maxTokenLifetime` (default 24 h, fixed at creation), or claims outside the key's
   * `audiences`/`issuers`/`subjects`, are refused with `OPERATION_NOT_ALLOWED` and nothing is
   * signed.
   * @example
   * ```ts
   * const key = await enclave.generateKey({ alg: 'EdDSA', purpose: 'jwt', maxTokenLifetime: 3600 });
   * const jwt = await enclave.signJwt(key.id, {
   *   header: { typ: 'JWT' },
   *   claims: { iss: 'https://app.example', sub: 'user-42', aud: 'https://relay.example' },
   *   expiresIn: 600,
   * });
   * ```
   */
  signJwt(keyId: string, options: SignJwtOptions, callOptions?: CallOptions): Promise<string> {
    return this.#call('signJwt', [keyId, options], callOptions);
  }

  /**
   * The RFC 8292 `Authorization` header value (`vapid t=…, k=…`) for a push message, signed
   * with an `ES256` key. `audience` is the push service's https origin, `subject` a `mailto:`
   * or https contact, `expiresIn` at most 24 h (default 12 h).
   * @example
   * ```ts
   * const vapid = await enclave.generateKey({ alg: 'ES256', purpose: 'vapid' });
   * const applicationServerKey = await enclave.applicationServerKey(vapid.id); // 65 bytes
   * const sub = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
   * const authorization = await enclave.vapidAuth(vapid.id, {
   *   audience: new URL(sub.endpoint).origin,
   *   subject: 'mailto:ops@app.example',
   * });
   * ```
   */
  vapidAuth(keyId: string, options: VapidAuthOptions, callOptions?: CallOptions): Promise<string> {
    return this.#call('vapidAuth', [keyId, options], callOptions);
  }

  /**
   * The `applicationServerKey` of a push subscription: the 65-byte uncompressed P-256 point of a
   * `vapid` key (the `k` of its `vapidAuth` header). Only `vapid` keys (`OPERATION_NOT_ALLOWED`
   * otherwise), only while active; a use of the key like any other (rate limit, audit).
   * @example
   * ```ts
   * const applicationServerKey = await enclave.applicationServerKey(vapid.id);
   * await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey });
   * ```
   */
  applicationServerKey(keyId: string, callOptions?: CallOptions): Promise<Uint8Array> {
    return this.#call('applicationServerKey', [keyId], callOptions);
  }

  /**
   * Envelope-encrypt `plaintext` under an `A256KW` or `A256GCM` KEK: a fresh AES-256-GCM key
   * per message, wrapped under the KEK. Returns a self-describing envelope (docs/formats.md)
   * that `open` decrypts. `aad` is authenticated, not stored: pass it again to `open`.
   * @example
   * ```ts
   * const kek = await enclave.generateKey({ alg: 'A256KW', purpose: 'seal', label: 'notes' });
   * const envelope = await enclave.seal(kek.id, new TextEncoder().encode('secret'), {
   *   aad: new TextEncoder().encode('note:42'),
   * });
   * ```
   */
  seal(
    kekId: string,
    plaintext: Uint8Array,
    options?: SealOptions & TransferOption,
    callOptions?: CallOptions,
  ): Promise<Uint8Array> {
    const [data, transfers] = outgoing(plaintext, options?.transfer);
    const wire = wireOptions<SealOptions>(options);
    if (wire.aad) (wire as { aad: Uint8Array }).aad = exactBytes(wire.aad);
    return this.#call('seal', [kekId, data, wire], callOptions, transfers);
  }

  /**
   * Decrypt an envelope made by `seal`. Any change to the envelope, a wrong `aad` or a wrong
   * key gives `DECRYPTION_FAILED`, and nothing else about why.
   * @example
   * ```ts
   * const plaintext = await enclave.open(envelope, { aad: new TextEncoder().encode('note:42') });
   * ```
   */
  open(
    envelope: Uint8Array,
    options?: OpenOptions & TransferOption,
    callOptions?: CallOptions,
  ): Promise<Uint8Array> {
    const [data, transfers] = outgoing(envelope, options?.transfer);
    const wire = wireOptions<OpenOptions>(options);
    if (wire.aad) (wire as { aad: Uint8Array }).aad = exactBytes(wire.aad);
    return this.#call('open', [data, wire], callOptions, transfers);
  }

  /**
   * Export a key wrapped under a KEK (`A256KW`: RFC 3394; `A256GCM`: docs/formats.md). Only
   * keys created with `exportable: true` can leave; others give `OPERATION_NOT_ALLOWED`.
   * @example
   * ```ts
   * const dataKey = await enclave.generateKey({ alg: 'A256GCM', purpose: 'seal', exportable: true });
   * const wrapped = await enclave.wrapKey(kek.id, dataKey.id);
   * ```
   */
  wrapKey(kekId: string, keyId: string, callOptions?: CallOptions): Promise<Uint8Array> {
    return this.#call('wrapKey', [kekId, keyId], callOptions);
  }

  /**
   * Import a wrapped key into the enclave as a new non-extractable key; returns its
   * description. The key material never comes back to the app.
   * @example
   * ```ts
   * const imported = await enclave.unwrapKey(kek.id, wrapped, { alg: 'A256GCM', label: 'restored' });
   * ```
   */
  unwrapKey(
    kekId: string,
    wrapped: Uint8Array,
    options: UnwrapKeyOptions,
    callOptions?: CallOptions,
  ): Promise<KeyInfo> {
    return this.#call('unwrapKey', [kekId, exactBytes(wrapped), options], callOptions);
  }

  /**
   * ECDH with an `X25519` or `ECDH-ES` key and a peer's public JWK, then HKDF-SHA-256 into a
   * new non-extractable `A256GCM` or `A256KW` key kept in the enclave; returns its
   * description. The shared secret is never returned.
   * @example
   * ```ts
   * const mine = await enclave.generateKey({ alg: 'X25519', purpose: 'agree' });
   * const shared = await enclave.agree(mine.id, peerJwk, { info: 'chat v1', alg: 'A256GCM' });
   * const envelope = await enclave.seal(shared.id, message);
   * ```
   */
  agree(
    keyId: string,
    peerPublicJwk: PublicJwk,
    options: AgreeOptions,
    callOptions?: CallOptions,
  ): Promise<KeyInfo> {
    const wire =
      options?.info instanceof Uint8Array
        ? { ...options, info: exactBytes(options.info) }
        : options;
    return this.#call('agree', [keyId, peerPublicJwk, wire], callOptions);
  }

  /**
   * Encrypt to a P-256 or X25519 public JWK as a compact JWE (`ECDH-ES+A256KW`, `A256GCM`).
   * @example
   * ```ts
   * const jwe = await enclave.encryptJwe(recipientJwk, new TextEncoder().encode('hi'));
   * ```
   */
  encryptJwe(
    recipientPublicJwk: PublicJwk,
    plaintext: Uint8Array,
    callOptions?: CallOptions,
  ): Promise<string> {
    return this.#call('encryptJwe', [recipientPublicJwk, exactBytes(plaintext)], callOptions);
  }

  /**
   * Decrypt a compact JWE (`ECDH-ES+A256KW`, `A256GCM`) made for an `X25519` or `ECDH-ES` key
   * of this origin. Any failure gives `DECRYPTION_FAILED`.
   * @example
   * ```ts
   * const { plaintext, protectedHeader } = await enclave.decryptJwe(key.id, jwe);
   * ```
   */
  decryptJwe(keyId: string, jwe: string, callOptions?: CallOptions): Promise<DecryptJweResult> {
    return this.#call('decryptJwe', [keyId, jwe], callOptions);
  }

  /**
   * Turn vault mode on for this origin: the enclave asks the person, in its own dialog, to
   * choose a passphrase; every key's material is then kept sealed under a master key that only
   * that passphrase opens, and the keys are unlocked. Refused (`OPERATION_NOT_ALLOWED`) while
   * the origin holds keys created non-extractable in plain mode. docs/vault.md.
   * @example
   * ```ts
   * await enclave.enableVault({ idleMinutes: 15 });
   * ```
   */
  enableVault(options?: EnableVaultOptions, callOptions?: CallOptions): Promise<VaultInfo> {
    return this.#call('enableVault', options === undefined ? [] : [options], callOptions);
  }

  /** Turn vault mode off (unlocked, with the person's consent); every key moves back. */
  disableVault(callOptions?: CallOptions): Promise<VaultInfo> {
    return this.#call('disableVault', [], callOptions);
  }

  /**
   * Ask the person to unlock the vault: they enter the passphrase, or use their passkey, in the
   * enclave's dialog (the app never sees either). `UNLOCK_FAILED` for a wrong one; after repeated failures,
   * `RATE_LIMITED` with `retryAfterMs`.
   */
  unlock(callOptions?: CallOptions): Promise<VaultInfo> {
    return this.#call('unlock', [], callOptions);
  }

  /** Lock the vault now, in every tab of this origin: the keys are forgotten until `unlock()`. */
  lock(callOptions?: CallOptions): Promise<VaultInfo> {
    return this.#call('lock', [], callOptions);
  }

  /**
   * Add an unlock method: the person unlocks with an existing one, then chooses a new
   * passphrase, or (`method: 'passkey'`) creates a passkey in the enclave's dialog whose
   * WebAuthn PRF output unlocks. `OPERATION_NOT_ALLOWED` when the authenticator has no PRF or
   * passkeys cannot run in the enclave's frame in this browser (nothing changes). docs/vault.md.
   */
  addUnlockMethod(options?: AddUnlockMethodOptions, callOptions?: CallOptions): Promise<VaultInfo> {
    return this.#call('addUnlockMethod', options === undefined ? [] : [options], callOptions);
  }

  /** Remove an unlock method (unlock and consent in the enclave); never the last one. */
  removeUnlockMethod(methodId: string, callOptions?: CallOptions): Promise<VaultInfo> {
    return this.#call('removeUnlockMethod', [methodId], callOptions);
  }

  /**
   * An encrypted backup of this origin's keys that were created with `backup: true`: the person
   * chooses a passphrase, or writes down a 24-word recovery phrase, in the enclave's dialog (the
   * app never sees either). Returns the file's bytes; store them as they are. docs/backup.md.
   * @example
   * ```ts
   * const file = await enclave.exportBackup({ secret: 'recovery-phrase' });
   * ```
   */
  exportBackup(options?: ExportBackupOptions, callOptions?: CallOptions): Promise<Uint8Array> {
    return this.#call('exportBackup', options === undefined ? [] : [options], callOptions);
  }

  /**
   * Restore keys from a backup file: the person enters its passphrase or recovery phrase in the
   * enclave's dialog; the whole file is verified before anything is written, then every key is
   * written at once (`BACKUP_INVALID`, `BACKUP_DECRYPT_FAILED` otherwise, and nothing changes).
   */
  importBackup(
    file: Uint8Array,
    options?: ImportBackupOptions,
    callOptions?: CallOptions,
  ): Promise<ImportBackupResult> {
    return this.#call(
      'importBackup',
      options === undefined ? [exactBytes(file)] : [exactBytes(file), options],
      callOptions,
    );
  }

  /**
   * Close the channel, remove the iframe, stop any reconnection, and reject every pending call
   * with `ENCLAVE_UNAVAILABLE`. Later calls reject the same way. The state becomes `disposed`.
   */
  dispose(): void {
    this.#connection.dispose();
  }

  /**
   * `dispose()`, for `using`.
   * @example
   * ```ts
   * {
   *   using enclave = await connect({ url });
   *   await enclave.sign(keyId, data);
   * } // disposed here, also when the block throws
   * ```
   */
  [DISPOSE](): void {
    this.dispose();
  }

  /** `dispose()`, for `await using`. */
  [ASYNC_DISPOSE](): Promise<void> {
    this.dispose();
    return Promise.resolve();
  }
}
