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
 * What a secret dialog asks for. `unlock`: the passphrase of an enrollment; `new-passphrase`:
 * a new passphrase, typed twice (vault enrollment, backup); `recovery-phrase`: show 24 words
 * and have the person type back the ones at `confirm`; `backup-secret`: the passphrase or the
 * recovery phrase of a backup being imported.
 */
export type SecretKind = 'unlock' | 'new-passphrase' | 'recovery-phrase' | 'backup-secret';

/** Worker → document: ask the person for a secret, in the enclave's own document. */
export interface SecretAsk {
  readonly type: 'strongroom:secret-ask';
  readonly id: string;
  readonly origin: string;
  readonly request: ConsentRequestInfo;
  readonly kind: SecretKind;
  /** `recovery-phrase`: the words to show. */
  readonly words?: readonly string[];
  /** `recovery-phrase`: the positions (0-based) the person must type back. */
  readonly confirm?: readonly number[];
}

/**
 * Document → worker: what the person entered (on this channel only, never to the app).
 * `passphrase` for `unlock`, `new-passphrase` and a passphrase `backup-secret`; `words` for a
 * recovery-phrase `backup-secret`. `recovery-phrase` answers `approved` once the words at the
 * asked positions were typed back correctly.
 */
export interface SecretAnswer {
  readonly type: 'strongroom:secret-answer';
  readonly id: string;
  readonly outcome: ConsentOutcome;
  readonly passphrase?: string;
  readonly words?: readonly string[];
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
      m.kind === 'recovery-phrase' ||
      m.kind === 'backup-secret') &&
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
      (Array.isArray(m.words) && m.words.every((w) => typeof w === 'string')))
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
