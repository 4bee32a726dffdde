/**
 * The consent dialog, drawn by the enclave document in its own DOM, where the app's scripts
 * cannot click, read or type. The key worker asks (`consent/messages.ts`); this shows the
 * question in plain words — which origin, which act, which key, what follows — and answers
 * with what the person did.
 *
 * An approval counts only when the enclave can tell that its dialog was there to be seen
 * (docs/consent.md has what each engine can tell):
 * - the click is a trusted event, and the "Allow" button was activated at least
 *   {@link MIN_VISIBLE_MS} after the dialog appeared, after the frame last changed size or
 *   position (as far as the browser reports it), and — from the keyboard — after the button
 *   got focus;
 * - the document is visible, the frame at least {@link MIN_WIDTH}×{@link MIN_HEIGHT}, and the
 *   dialog entirely inside the top-level viewport (IntersectionObserver, every engine);
 * - where the browser computes it (IntersectionObserver v2 in Chromium), the dialog is
 *   unobscured, opaque and untransformed (`isVisible`).
 * Any other approval ends the question as `not-visible`: the act does not happen.
 */
import type { ConsentRequestInfo } from '@strongroom/bridge/protocol';
import type { ConsentAsk, ConsentOutcome } from './messages';

/** Least time between the dialog appearing (or moving) and an approval, in ms. */
export const MIN_VISIBLE_MS = 600;
/** Smallest frame in which an approval counts, in CSS pixels. */
export const MIN_WIDTH = 240;
export const MIN_HEIGHT = 140;

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
  readonly shownAt: number;
}

/** The dialog of one enclave document. */
export class ConsentDialog {
  readonly #root: HTMLElement;
  readonly #title: HTMLElement;
  readonly #consequence: HTMLElement;
  readonly #key: HTMLElement;
  #open: Open | null = null;
  #changedAt = 0;
  /** The frame's size when it last settled (a resize event not yet dispatched still counts). */
  #size = { width: 0, height: 0 };
  #allowFocusedAt = Number.POSITIVE_INFINITY;
  #entry: IntersectionObserverEntry | null = null;
  #observer: IntersectionObserver | null = null;

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
    window.addEventListener('resize', () => {
      this.#changedAt = performance.now();
      this.#size = { width: window.innerWidth, height: window.innerHeight };
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
    this.#consequence.textContent = consequence;
    this.#key.textContent = ask.request.kid
      ? `Key: ${ask.request.label || '(no label)'} · ${ask.request.kid}`
      : '';
    this.#root.hidden = false;
    document.documentElement.dataset.consent = 'open';
    const now = performance.now();
    this.#open = { id: ask.id, answer, shownAt: now };
    this.#changedAt = now;
    this.#size = { width: window.innerWidth, height: window.innerHeight };
    this.#entry = null;
    this.#observe();
    this.#root.focus();
  }

  /** Hide the question `id` (answered elsewhere or timed out). */
  close(id: string): void {
    if (this.#open?.id === id) this.#hide();
  }

  #observe(): void {
    this.#observer?.disconnect();
    // `trackVisibility` and `delay` are IntersectionObserver v2 (Chromium); other engines
    // ignore them and report geometry only.
    const options = {
      threshold: [0, 0.25, 0.5, 0.75, 0.99, 1],
      trackVisibility: true,
      delay: 100,
    } as IntersectionObserverInit;
    this.#observer = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const before = this.#entry;
        const moved =
          !before ||
          before.boundingClientRect.x !== entry.boundingClientRect.x ||
          before.boundingClientRect.y !== entry.boundingClientRect.y ||
          before.intersectionRect.x !== entry.intersectionRect.x ||
          before.intersectionRect.y !== entry.intersectionRect.y ||
          before.intersectionRect.width !== entry.intersectionRect.width ||
          before.intersectionRect.height !== entry.intersectionRect.height ||
          (before as { isVisible?: boolean }).isVisible !==
            (entry as { isVisible?: boolean }).isVisible;
        if (moved) this.#changedAt = performance.now();
        this.#entry = entry;
      }
    }, options);
    this.#observer.observe(this.#root);
  }

  /** Why an approval does not count now, or `null` if it does. */
  #refusal(event: MouseEvent): string | null {
    const open = this.#open;
    if (!open) return 'no question';
    if (!event.isTrusted) return 'untrusted event';
    const now = performance.now();
    if (now - open.shownAt < MIN_VISIBLE_MS) return 'too soon after the dialog appeared';
    if (now - this.#changedAt < MIN_VISIBLE_MS) return 'too soon after the frame moved';
    // Resized, but the resize event has not been dispatched yet.
    if (window.innerWidth !== this.#size.width || window.innerHeight !== this.#size.height) {
      return 'the frame was just resized';
    }
    // `detail` is 0 for an activation from the keyboard.
    if (event.detail === 0 && now - this.#allowFocusedAt < MIN_VISIBLE_MS) {
      return 'too soon after the button got focus';
    }
    if (document.visibilityState !== 'visible') return 'document hidden';
    if (window.innerWidth < MIN_WIDTH || window.innerHeight < MIN_HEIGHT) return 'frame too small';
    const entry = this.#entry;
    if (!entry?.isIntersecting || entry.intersectionRatio < 0.99) {
      return 'dialog not entirely in the viewport';
    }
    const v2 = (entry as { isVisible?: unknown }).isVisible;
    if (typeof v2 === 'boolean' && !v2) return 'dialog covered, transparent or transformed';
    return null;
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
    this.#observer?.disconnect();
    this.#observer = null;
    this.#root.hidden = true;
    this.#allowFocusedAt = Number.POSITIVE_INFINITY;
    document.documentElement.dataset.consent = 'closed';
  }
}
