/**
 * The messages between the key worker and the enclave document about consent. They travel on
 * the dedicated worker's own channel (`worker.postMessage` / `self.postMessage`), which only
 * the enclave document that started the worker holds: the app has the port of the operations
 * and the iframe's window, never this channel, so nothing it sends can stand in for an answer.
 */
import type { ConsentRequestInfo } from '@strongroom/bridge/protocol';

/** Worker → document: ask the person. */
export interface ConsentAsk {
  readonly type: 'strongroom:consent-ask';
  /** 128 random bits, base64url: the answer must echo it. */
  readonly id: string;
  /** The app origin bound to the channel, shown in the dialog. */
  readonly origin: string;
  readonly request: ConsentRequestInfo;
  /**
   * What else the person must know, in plain words (shown under the consequence): which keys an
   * act touches, or cannot undo. Stays in the enclave: the app's `consent` event has `request`.
   */
  readonly detail?: string;
}

/** Worker → document: the question is no longer open (answered, timed out). */
export interface ConsentEnd {
  readonly type: 'strongroom:consent-end';
  readonly id: string;
}

/** How a dialog ended, as the document reports it. */
export type ConsentOutcome = 'approved' | 'declined' | 'not-visible';

/** Document → worker: the person's answer. */
export interface ConsentAnswer {
  readonly type: 'strongroom:consent-answer';
  readonly id: string;
  readonly outcome: ConsentOutcome;
}

/** Whether `value` is a well-formed {@link ConsentAnswer}. */
export function isConsentAnswer(value: unknown): value is ConsentAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    m.type === 'strongroom:consent-answer' &&
    typeof m.id === 'string' &&
    (m.outcome === 'approved' || m.outcome === 'declined' || m.outcome === 'not-visible')
  );
}

/** Whether `value` is a well-formed {@link ConsentAsk} or {@link ConsentEnd}. */
export function isConsentAsk(value: unknown): value is ConsentAsk {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    m.type === 'strongroom:consent-ask' &&
    typeof m.id === 'string' &&
    typeof m.origin === 'string' &&
    typeof m.request === 'object' &&
    m.request !== null
  );
}

/** Whether `value` is a {@link ConsentEnd}. */
export function isConsentEnd(value: unknown): value is ConsentEnd {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return m.type === 'strongroom:consent-end' && typeof m.id === 'string';
}

/**
 * What a secret dialog asks for. `unlock`: the passphrase of an enrollment, or its passkey
 * (`passkeys`); `new-passphrase`: a new passphrase, typed twice (vault enrollment, backup);
 * `new-passkey`: create a passkey and obtain its PRF output (`newPasskey`); `recovery-phrase`:
 * show 24 words and have the person type back the ones at `confirm`; `backup-secret`: the
 * passphrase or the recovery phrase of a backup being imported; `existing-keys`: whether to
 * skip or replace the keys of a backup that exist here (`existing`), no secret.
 */
export type SecretKind =
  | 'unlock'
  | 'new-passphrase'
  | 'new-passkey'
  | 'recovery-phrase'
  | 'backup-secret'
  | 'existing-keys';

/** A passkey enrollment as the unlock dialog needs it: which credential, which PRF input. */
export interface PasskeyRef {
  /** The credential id (`allowCredentials`). */
  readonly credentialId: Uint8Array;
  /** The PRF input of this enrollment (`prf.eval.first`), 32 bytes. */
  readonly prfSalt: Uint8Array;
}

/** What the `new-passkey` dialog needs to create a passkey. */
export interface NewPasskeyRequest {
  /** The PRF input the new enrollment will use (`prf.eval.first`), 32 random bytes. */
  readonly prfSalt: Uint8Array;
  /** The enrollment's label, shown in the dialog and used as the passkey's user name. */
  readonly label: string;
}

/** What a passkey gave: the credential used and its PRF output for the asked input. */
export interface PasskeyResult {
  readonly credentialId: Uint8Array;
  /** `prf.results.first`: 32 bytes. */
  readonly prf: Uint8Array;
}

/**
 * Why a passkey gave no PRF output: `no-prf`, the authenticator (or browser) does not support
 * the PRF extension; `unavailable`, WebAuthn cannot run in the enclave's document here (no API,
 * or refused by a permissions policy or by the browser for a cross-origin frame).
 */
export type PasskeyFailure = 'no-prf' | 'unavailable';

/** Worker → document: ask the person for a secret, in the enclave's own document. */
export interface SecretAsk {
  readonly type: 'strongroom:secret-ask';
  readonly id: string;
  readonly origin: string;
  readonly request: ConsentRequestInfo;
  readonly kind: SecretKind;
  /** `recovery-phrase`: the words to show. */
  readonly words?: readonly string[];
  /** `exportBackup`: the keys that leave in the file, as the dialog names them. */
  readonly keys?: readonly string[];
  /** `existing-keys`: the keys of the backup that exist here, as the dialog names them. */
  readonly existing?: readonly string[];
  /** `recovery-phrase`: the positions (0-based) the person must type back. */
  readonly confirm?: readonly number[];
  /** `unlock`: the passkey enrollments, offered as "Use passkey" (none: passphrase only). */
  readonly passkeys?: readonly PasskeyRef[];
  /** `unlock`: whether a passphrase enrollment exists (default `true`: ask for one). */
  readonly passphrase?: boolean;
  /** `new-passkey`: what to create. */
  readonly newPasskey?: NewPasskeyRequest;
}

/**
 * Document → worker: what the person entered (on this channel only, never to the app).
 * `passphrase` for `unlock`, `new-passphrase` and a passphrase `backup-secret`; `words` for a
 * recovery-phrase `backup-secret`; `passkey` (the PRF output) for a passkey `unlock` and for
 * `new-passkey`, or `passkeyFailure` when the passkey could not give one. `recovery-phrase`
 * answers `approved` once the words at the asked positions were typed back correctly.
 * `choice` for `existing-keys`: what the person chose for the keys that exist here.
 */
export interface SecretAnswer {
  readonly type: 'strongroom:secret-answer';
  readonly id: string;
  readonly outcome: ConsentOutcome;
  readonly passphrase?: string;
  readonly words?: readonly string[];
  readonly passkey?: PasskeyResult;
  readonly passkeyFailure?: PasskeyFailure;
  readonly choice?: 'skip' | 'replace';
}

/** Longest credential id WebAuthn allows (bytes). */
const MAX_CREDENTIAL_ID_BYTES = 1023;
/** Length of a PRF output (bytes). */
export const PRF_OUTPUT_BYTES = 32;

function isPasskeyResult(value: unknown): value is PasskeyResult {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    m.credentialId instanceof Uint8Array &&
    m.credentialId.byteLength > 0 &&
    m.credentialId.byteLength <= MAX_CREDENTIAL_ID_BYTES &&
    m.prf instanceof Uint8Array &&
    m.prf.byteLength === PRF_OUTPUT_BYTES
  );
}

/** Whether `value` is a well-formed {@link SecretAsk}. */
export function isSecretAsk(value: unknown): value is SecretAsk {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    m.type === 'strongroom:secret-ask' &&
    typeof m.id === 'string' &&
    typeof m.origin === 'string' &&
    (m.kind === 'unlock' ||
      m.kind === 'new-passphrase' ||
      m.kind === 'new-passkey' ||
      m.kind === 'recovery-phrase' ||
      m.kind === 'backup-secret' ||
      m.kind === 'existing-keys') &&
    typeof m.request === 'object' &&
    m.request !== null
  );
}

/** Whether `value` is a well-formed {@link SecretAnswer}. */
export function isSecretAnswer(value: unknown): value is SecretAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    m.type === 'strongroom:secret-answer' &&
    typeof m.id === 'string' &&
    (m.outcome === 'approved' || m.outcome === 'declined' || m.outcome === 'not-visible') &&
    (m.passphrase === undefined || typeof m.passphrase === 'string') &&
    (m.words === undefined ||
      (Array.isArray(m.words) && m.words.every((w) => typeof w === 'string'))) &&
    (m.passkey === undefined || isPasskeyResult(m.passkey)) &&
    (m.passkeyFailure === undefined ||
      m.passkeyFailure === 'no-prf' ||
      m.passkeyFailure === 'unavailable') &&
    (m.choice === undefined || m.choice === 'skip' || m.choice === 'replace')
  );
}

/** Worker → document: the vault was locked or unlocked (the document tells the app). */
export interface VaultStateNotice {
  readonly type: 'strongroom:vault-state';
  readonly locked: boolean;
  readonly reason: 'unlock' | 'lock' | 'idle' | 'enabled' | 'disabled';
}

/** Whether `value` is a {@link VaultStateNotice}. */
export function isVaultStateNotice(value: unknown): value is VaultStateNotice {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    m.type === 'strongroom:vault-state' &&
    typeof m.locked === 'boolean' &&
    (m.reason === 'unlock' ||
      m.reason === 'lock' ||
      m.reason === 'idle' ||
      m.reason === 'enabled' ||
      m.reason === 'disabled')
  );
}
