/**
 * Errors: every failure the bridge or the enclave reports is a {@link StrongroomError} whose
 * `code` comes from one string-literal union, so `switch (err.code)` narrows and the code
 * survives the postMessage boundary (the enclave serialises only `code` and `message`).
 *
 * Messages of crypto failures are fixed and uninformative on purpose (`'decryption failed'`);
 * argument errors name the field and what was expected.
 */

/** Every error code, in one list: the wire format and the type are both derived from it. */
export const ERROR_CODES = [
  /** The enclave could not be reached, refused to start, or the connection was disposed. */
  'ENCLAVE_UNAVAILABLE',
  /** The enclave did not complete the handshake within `timeoutMs`. */
  'HANDSHAKE_TIMEOUT',
  /**
   * The bridge and the enclave speak different protocol versions (either side noticed it during
   * the handshake). Update the older side; docs/compatibility.md.
   */
  'PROTOCOL_MISMATCH',
  /**
   * The connection ended: the enclave's frame was reloaded, moved or removed, or the enclave
   * stopped answering. Calls in flight and calls made until a reconnect fail with this code.
   */
  'ENCLAVE_DISCONNECTED',
  /** The call got no answer within its timeout (`callTimeoutMs`, or the call's `timeoutMs`). */
  'CALL_TIMEOUT',
  /** The caller's `AbortSignal` aborted the call or the connection attempt (`cause`: its reason). */
  'ABORTED',
  /** The calling origin is not in the enclave's allowlist. */
  'ORIGIN_NOT_ALLOWED',
  /** No key with that id exists for the calling origin (a key of another origin looks the same). */
  'KEY_NOT_FOUND',
  /** An argument has the wrong type, shape or value; the message names the field. */
  'INVALID_ARGUMENT',
  /** The algorithm is not one the enclave supports, or not one this operation accepts. */
  'UNSUPPORTED_ALGORITHM',
  /** The key exists but its algorithm, state or policy does not allow this operation. */
  'OPERATION_NOT_ALLOWED',
  /** Data or a JSON value exceeds the documented size bound. */
  'PAYLOAD_TOO_LARGE',
  /** A message on the channel is not an allowed call (Comlink GET/SET/CONSTRUCT, a bad path…). */
  'PROTOCOL_VIOLATION',
  /** Authenticated decryption failed: tampering, wrong key or wrong AAD (deliberately opaque). */
  'DECRYPTION_FAILED',
  /** The enclave reported another release digest than the one `connect()` was asked to expect. */
  'DIGEST_MISMATCH',
  /** The per-origin key quota is exhausted. */
  'QUOTA_EXCEEDED',
  /**
   * A rate limit was reached (a key's or the origin's uses, key creations, or a channel that
   * sent too many refused requests); `retryAfterMs` says when a retry can succeed.
   */
  'RATE_LIMITED',
  /** The person declined the act in the enclave's dialog. Nothing changed. */
  'CONSENT_DECLINED',
  /** Nobody answered the enclave's dialog in time. Nothing changed. */
  'CONSENT_TIMEOUT',
  /**
   * The approval was refused because the enclave could not tell that its dialog was visible
   * (hidden, too small, covered or transparent where the browser tells, just shown or moved),
   * or another dialog was open. Nothing changed.
   */
  'CONSENT_NOT_VISIBLE',
  /**
   * Vault mode: the origin's keys are locked (never unlocked in this tab, `lock()`, or the idle
   * timeout). Ask for `unlock()`; the person enters the secret in the enclave. Nothing changed.
   */
  'LOCKED',
  /** The secret entered in the enclave's unlock dialog did not open the vault. Nothing changed. */
  'UNLOCK_FAILED',
  /**
   * A backup file is not one this enclave can read: truncated, edited, of another format or
   * version; the message names what is wrong. Nothing was imported.
   */
  'BACKUP_INVALID',
  /** The passphrase or recovery phrase entered does not open this backup. Nothing was imported. */
  'BACKUP_DECRYPT_FAILED',
  /** IndexedDB is unavailable in this context (blocked, partitioned away, or failed). */
  'STORAGE_UNAVAILABLE',
  /** An unexpected failure inside the enclave; details are not disclosed to the caller. */
  'INTERNAL_ERROR',
] as const;

/** The stable code of a {@link StrongroomError}. */
export type StrongroomErrorCode = (typeof ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

/** True when `value` is one of the {@link ERROR_CODES}. */
export function isErrorCode(value: unknown): value is StrongroomErrorCode {
  return typeof value === 'string' && CODE_SET.has(value);
}

/**
 * The one error class of Strongroom. Check `code`, never the message.
 *
 * @example
 * ```ts
 * try {
 *   await enclave.sign(keyId, data);
 * } catch (err) {
 *   if (err instanceof StrongroomError && err.code === 'KEY_NOT_FOUND') {
 *     // the key was deleted, or belongs to another origin
 *   }
 * }
 * ```
 */
export class StrongroomError<C extends StrongroomErrorCode = StrongroomErrorCode> extends Error {
  /** The stable, documented error code. */
  readonly code: C;
  /**
   * For `RATE_LIMITED`: milliseconds after which the same call can succeed (the bucket has a
   * token again). `undefined` for every other code.
   */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: C,
    message: string,
    options?: { cause?: unknown; retryAfterMs?: number | undefined },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryAfterMs = options?.retryAfterMs;
  }

  override get name(): string {
    return 'StrongroomError';
  }
}

/** The fixed message of every authenticated-decryption failure. */
export const DECRYPTION_FAILED_MESSAGE = 'decryption failed';

/** True when `err` is a {@link StrongroomError}, optionally with the given code. */
export function isStrongroomError<C extends StrongroomErrorCode>(
  err: unknown,
  code?: C,
): err is StrongroomError<C> {
  return err instanceof StrongroomError && (code === undefined || err.code === code);
}

/** The shape in which an error crosses the channel. */
export interface SerializedError {
  readonly code: StrongroomErrorCode;
  readonly message: string;
  /** Only for `RATE_LIMITED`. */
  readonly retryAfterMs?: number;
}

/**
 * Serialise an error for the wire. Only a {@link StrongroomError} keeps its code and message;
 * anything else becomes `INTERNAL_ERROR` with a fixed message, so no internal detail leaks.
 */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof StrongroomError) {
    return err.retryAfterMs === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, retryAfterMs: err.retryAfterMs };
  }
  return { code: 'INTERNAL_ERROR', message: 'internal error' };
}

/**
 * Rebuild an error from the wire. The value comes from the other side of a channel and is
 * treated as untrusted: an unknown code or a non-string message becomes `INTERNAL_ERROR`.
 */
export function deserializeError(value: unknown): StrongroomError {
  if (typeof value === 'object' && value !== null) {
    const { code, message, retryAfterMs } = value as {
      code?: unknown;
      message?: unknown;
      retryAfterMs?: unknown;
    };
    if (isErrorCode(code) && typeof message === 'string') {
      const retry =
        code === 'RATE_LIMITED' &&
        typeof retryAfterMs === 'number' &&
        Number.isFinite(retryAfterMs) &&
        retryAfterMs >= 0
          ? Math.ceil(retryAfterMs)
          : undefined;
      return new StrongroomError(code, message.slice(0, 500), { retryAfterMs: retry });
    }
  }
  return new StrongroomError('INTERNAL_ERROR', 'malformed error from the enclave');
}
