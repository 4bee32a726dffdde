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
