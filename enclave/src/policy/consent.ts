/**
 * Consent, on the worker's side: the policy asks the person through the enclave document
 * (`consent/dialog.ts`), over the dedicated worker's own channel (`consent/messages.ts`), and
 * waits for the answer. One question at a time per channel; a second one while a dialog is
 * open is refused at once (`CONSENT_NOT_VISIBLE`: no dialog can be shown for it). Declined,
 * timed out and not-visible are distinct codes; in every case the act does not happen.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { ConsentRequestInfo } from '@strongroom/bridge/protocol';
import {
  type ConsentAnswer,
  type ConsentAsk,
  type ConsentEnd,
  isConsentAnswer,
  isSecretAnswer,
  type SecretAnswer,
  type SecretAsk,
  type SecretKind,
  type VaultStateNotice,
} from '../consent/messages';
import { randomId } from '../lib/encoding';

/** Where consent questions go: the enclave document. */
export interface ConsentChannel {
  post(message: ConsentAsk | ConsentEnd | SecretAsk | VaultStateNotice): void;
  listen(handler: (message: ConsentAnswer | SecretAnswer) => void): void;
}

/** The consent broker of one channel. */
export class ConsentBroker {
  readonly #channel: ConsentChannel;
  readonly #origin: string;
  readonly #timeoutMs: number;
  #pending: { id: string; settle: (answer: ConsentAnswer | SecretAnswer) => void } | null = null;

  /** Ask through `channel` on behalf of `origin`; unanswered questions end after `timeoutMs`. */
  constructor(channel: ConsentChannel, origin: string, timeoutMs: number) {
    this.#channel = channel;
    this.#origin = origin;
    this.#timeoutMs = timeoutMs;
    channel.listen((answer) => {
      if (this.#pending && answer.id === this.#pending.id) this.#pending.settle(answer);
    });
  }

  /**
   * Ask the person (`detail`: more the dialog shows, see `ConsentAsk.detail`); resolves when
   * approved, throws a typed `CONSENT_*` error otherwise.
   */
  async ask(request: ConsentRequestInfo, detail?: string): Promise<void> {
    await this.#question((id) => ({
      type: 'strongroom:consent-ask',
      id,
      origin: this.#origin,
      request,
      ...(detail === undefined ? {} : { detail }),
    }));
  }

  /**
   * Ask the person for a secret in the enclave's dialog (`kind`); resolves with what they
   * entered (it travels on the worker's own channel only), throws a typed `CONSENT_*` error
   * when they decline, do not answer, or the dialog was not verifiably visible.
   */
  async askSecret(
    request: ConsentRequestInfo,
    kind: SecretKind,
    extra: Pick<
      SecretAsk,
      'words' | 'confirm' | 'passkeys' | 'passphrase' | 'newPasskey' | 'keys' | 'existing'
    > = {},
  ): Promise<SecretAnswer> {
    const answer = await this.#question((id) => ({
      type: 'strongroom:secret-ask',
      id,
      origin: this.#origin,
      request,
      kind,
      ...extra,
    }));
    if (answer.type !== 'strongroom:secret-answer') {
      throw new StrongroomError('INTERNAL_ERROR', 'internal error');
    }
    return answer;
  }

  /** Tell the enclave document (and through it the app) that the vault locked or unlocked. */
  notifyVault(notice: Omit<VaultStateNotice, 'type'>): void {
    this.#channel.post({ type: 'strongroom:vault-state', ...notice });
  }

  async #question(
    build: (id: string) => ConsentAsk | SecretAsk,
  ): Promise<ConsentAnswer | SecretAnswer> {
    if (this.#pending) {
      throw new StrongroomError(
        'CONSENT_NOT_VISIBLE',
        'another consent dialog is open; ask again when it is answered',
      );
    }
    const id = randomId();
    const answer = await new Promise<ConsentAnswer | SecretAnswer | 'timeout'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), this.#timeoutMs);
      this.#pending = {
        id,
        settle: (given) => {
          clearTimeout(timer);
          resolve(given);
        },
      };
      this.#channel.post(build(id));
    });
    this.#pending = null;
    this.#channel.post({ type: 'strongroom:consent-end', id });
    const outcome = answer === 'timeout' ? 'timeout' : answer.outcome;
    if (outcome === 'approved' && answer !== 'timeout') return answer;
    if (outcome === 'declined') {
      throw new StrongroomError('CONSENT_DECLINED', 'the person declined; nothing was done');
    }
    if (outcome === 'timeout') {
      throw new StrongroomError(
        'CONSENT_TIMEOUT',
        `nobody answered within ${Math.round(this.#timeoutMs / 1000)} s; nothing was done`,
      );
    }
    throw new StrongroomError(
      'CONSENT_NOT_VISIBLE',
      'the approval was refused: the dialog was not verifiably visible; nothing was done',
    );
  }
}

/** The `meta` entry that remembers an origin's approved first connection. */
export function approvedConnectionName(origin: string): string {
  return `connection-approved:${origin}`;
}

/** Dev builds only: the `meta` entry that turns the first-connection approval on for tests. */
export const DEV_FIRST_CONNECTION_NAME = 'dev:consent-first-connection';

/** The consent channel of a dedicated worker: its own global scope's messages. */
export function workerConsentChannel(scope: {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}): ConsentChannel {
  return {
    post: (message) => scope.postMessage(message),
    listen: (handler) =>
      scope.addEventListener('message', (event) => {
        if (isConsentAnswer(event.data) || isSecretAnswer(event.data)) handler(event.data);
      }),
  };
}
