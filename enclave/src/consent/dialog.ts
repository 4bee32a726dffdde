/**
 * The consent dialog, drawn by the enclave document in its own DOM, where the app's scripts
 * cannot click, read or type. The key worker asks (`consent/messages.ts`); this shows the
 * question in plain words — which origin, which act, which key, what follows — and answers
 * with what the person did.
 *
 * An approval counts only when the enclave can tell that its dialog was there to be seen
 * (`visibility.ts`: a trusted click, long enough after the dialog appeared or the frame moved —
 * from the keyboard, after the button got focus —, a visible document, a frame large enough,
 * the dialog entirely in the viewport and, where the browser tells, unobscured). Any other
 * approval ends the question as `not-visible`: the act does not happen.
 */
import type { ConsentRequestInfo } from '@strongroom/bridge/protocol';
import type { ConsentAsk, ConsentOutcome } from './messages';
import { VisibilityWatch } from './visibility';

export { MIN_HEIGHT, MIN_VISIBLE_MS, MIN_WIDTH } from './visibility';

/** What each act means, in plain words. */
function describe(request: ConsentRequestInfo): { act: string; consequence: string } {
  const key = request.label ? `the key “${request.label}”` : 'a key';
  switch (request.operation) {
    case 'destroyKey':
      return {
        act: `destroy ${key} now`,
        consequence:
          'This cannot be undone. Whatever the key protects can no longer be read, and it can no longer sign.',
      };
    case 'resetEnclave':
      return {
        act: 'erase every key it keeps here',
        consequence:
          'This cannot be undone. Whatever these keys protect can no longer be read, and they can no longer sign.',
      };
    case 'wrapKey':
      return {
        act: `export a copy of ${key}`,
        consequence: 'A copy, once made, cannot be taken back.',
      };
    case 'unwrapKey':
      return {
        act: `import a private key${request.label ? ` (“${request.label}”)` : ''}`,
        consequence: 'The imported key will act for this site like a key made here.',
      };
    case 'disableVault':
      return {
        act: 'turn off the vault that locks its keys',
        consequence: request.irreversible
          ? 'Its keys stay usable without unlocking; some of them cannot be locked again.'
          : 'Its keys stay usable without unlocking; the vault can be turned on again.',
      };
    case 'connect':
      return {
        act: 'use this key store for the first time',
        consequence: 'It will be able to ask for operations with its own keys.',
      };
    default:
      return {
        act: `use ${key} (${request.operation})`,
        consequence: request.irreversible ? 'This cannot be undone.' : 'Nothing else changes.',
      };
  }
}

interface Open {
  readonly id: string;
  readonly answer: (outcome: ConsentOutcome) => void;
}

/** The dialog of one enclave document. */
export class ConsentDialog {
  readonly #root: HTMLElement;
  readonly #title: HTMLElement;
  readonly #consequence: HTMLElement;
  readonly #key: HTMLElement;
  #open: Open | null = null;
  #allowFocusedAt = Number.POSITIVE_INFINITY;
  readonly #visibility = new VisibilityWatch();

  /** Build the (hidden) dialog in `document.body`. */
  constructor() {
    const root = document.createElement('div');
    root.id = 'consent';
    root.className = 'consent';
    root.hidden = true;
    root.setAttribute('role', 'alertdialog');
    root.setAttribute('aria-modal', 'true');
    root.setAttribute('aria-labelledby', 'consent-title');
    root.setAttribute('aria-describedby', 'consent-consequence consent-key');
    root.tabIndex = -1;
    const title = document.createElement('h1');
    title.id = 'consent-title';
    const consequence = document.createElement('p');
    consequence.id = 'consent-consequence';
    const key = document.createElement('p');
    key.id = 'consent-key';
    key.className = 'consent-key';
    const buttons = document.createElement('div');
    buttons.className = 'consent-buttons';
    // "Decline" comes first: a stray Tab and Enter decline.
    const decline = document.createElement('button');
    decline.type = 'button';
    decline.id = 'consent-decline';
    decline.textContent = 'Decline';
    const allow = document.createElement('button');
    allow.type = 'button';
    allow.id = 'consent-allow';
    allow.textContent = 'Allow';
    buttons.append(decline, allow);
    // The text scrolls; the buttons stay in view whatever the frame's size.
    const text = document.createElement('div');
    text.className = 'consent-text';
    text.append(title, consequence, key);
    root.append(text, buttons);
    document.body.append(root);
    this.#root = root;
    this.#title = title;
    this.#consequence = consequence;
    this.#key = key;

    allow.addEventListener('click', (event) => this.#onAllow(event));
    allow.addEventListener('focus', () => {
      this.#allowFocusedAt = performance.now();
    });
    allow.addEventListener('blur', () => {
      this.#allowFocusedAt = Number.POSITIVE_INFINITY;
    });
    decline.addEventListener('click', () => this.#finish('declined'));
    root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.#finish('declined');
    });
  }

  /** Whether a question is open. */
  get isOpen(): boolean {
    return this.#open !== null;
  }

  /** Show `ask`; `answer` gets the outcome once. */
  show(ask: ConsentAsk, answer: (outcome: ConsentOutcome) => void): void {
    if (this.#open) this.#finish('declined');
    const { act, consequence } = describe(ask.request);
    this.#title.textContent = `Allow ${ask.origin} to ${act}?`;
    this.#consequence.textContent =
      typeof ask.detail === 'string' ? `${consequence} ${ask.detail}` : consequence;
    this.#key.textContent = ask.request.kid
      ? `Key: ${ask.request.label || '(no label)'} · ${ask.request.kid}`
      : '';
    this.#root.hidden = false;
    document.documentElement.dataset.consent = 'open';
    this.#open = { id: ask.id, answer };
    this.#visibility.start(this.#root);
    this.#root.focus();
  }

  /** Hide the question `id` (answered elsewhere or timed out). */
  close(id: string): void {
    if (this.#open?.id === id) this.#hide();
  }

  /** Why an approval does not count now, or `null` if it does. */
  #refusal(event: MouseEvent): string | null {
    if (!this.#open) return 'no question';
    return this.#visibility.refusal(event, this.#allowFocusedAt);
  }

  #onAllow(event: MouseEvent): void {
    const refusal = this.#refusal(event);
    document.documentElement.dataset.consentRefusal = refusal ?? '';
    this.#finish(refusal === null ? 'approved' : 'not-visible');
  }

  #finish(outcome: ConsentOutcome): void {
    const open = this.#open;
    if (!open) return;
    this.#hide();
    open.answer(outcome);
  }

  #hide(): void {
    this.#open = null;
    this.#visibility.stop();
    this.#root.hidden = true;
    this.#allowFocusedAt = Number.POSITIVE_INFINITY;
    document.documentElement.dataset.consent = 'closed';
  }
}
