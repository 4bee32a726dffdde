/**
 * Whether an enclave dialog is there to be seen, as far as the browser can tell: the checks a
 * person's answer must pass in the consent dialog (`dialog.ts`) and the secret dialog
 * (`secret-dialog.ts`) alike. docs/consent.md has what each engine can tell.
 *
 * - the event is trusted, and came at least {@link MIN_VISIBLE_MS} after the dialog appeared
 *   and after the frame last changed size or position (as far as the browser reports it);
 * - the document is visible, the frame at least {@link MIN_WIDTH}×{@link MIN_HEIGHT}, and the
 *   dialog entirely inside the top-level viewport (IntersectionObserver, every engine);
 * - where the browser computes it (IntersectionObserver v2 in Chromium), the dialog is
 *   unobscured, opaque and untransformed (`isVisible`).
 */

/** Least time between the dialog appearing (or moving) and an answer, in ms. */
export const MIN_VISIBLE_MS = 600;
/** Smallest frame in which an answer counts, in CSS pixels. */
export const MIN_WIDTH = 240;
export const MIN_HEIGHT = 140;

/** Watches one dialog element while it is shown. */
export class VisibilityWatch {
  #shownAt = 0;
  #changedAt = 0;
  /** The frame's size when it last settled (a resize event not yet dispatched still counts). */
  #size = { width: 0, height: 0 };
  #entry: IntersectionObserverEntry | null = null;
  #observer: IntersectionObserver | null = null;

  constructor() {
    window.addEventListener('resize', () => {
      this.#changedAt = performance.now();
      this.#size = { width: window.innerWidth, height: window.innerHeight };
    });
  }

  /** The dialog `root` was just shown: start watching it. */
  start(root: HTMLElement): void {
    const now = performance.now();
    this.#shownAt = now;
    this.#changedAt = now;
    this.#size = { width: window.innerWidth, height: window.innerHeight };
    this.#entry = null;
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
    this.#observer.observe(root);
  }

  /** The dialog was hidden. */
  stop(): void {
    this.#observer?.disconnect();
    this.#observer = null;
  }

  /**
   * Why an answer given by `event` does not count now, or `null` if it does. `focusedAt`:
   * for an activation from the keyboard, when the answering control got focus.
   */
  refusal(event: Event, focusedAt = Number.NEGATIVE_INFINITY): string | null {
    if (!event.isTrusted) return 'untrusted event';
    const now = performance.now();
    if (now - this.#shownAt < MIN_VISIBLE_MS) return 'too soon after the dialog appeared';
    if (now - this.#changedAt < MIN_VISIBLE_MS) return 'too soon after the frame moved';
    // Resized, but the resize event has not been dispatched yet.
    if (window.innerWidth !== this.#size.width || window.innerHeight !== this.#size.height) {
      return 'the frame was just resized';
    }
    // `detail` is 0 for an activation from the keyboard.
    const keyboard = !(event instanceof MouseEvent) || event.detail === 0;
    if (keyboard && now - focusedAt < MIN_VISIBLE_MS) {
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
}
