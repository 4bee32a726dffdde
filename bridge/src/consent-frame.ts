/**
 * Showing the enclave's consent dialog. When the enclave needs the person's answer it tells
 * the bridge (`strongroom:consent`, from the enclave's frame and origin only); the bridge turns
 * the hidden iframe into a modal over the app, and back when the question closes, and
 * dispatches a `consent` event on the {@link Enclave} so the app can react. The question and
 * the buttons are drawn by the enclave; the app only styles the frame (docs/consent.md):
 *
 * - CSS custom properties, inherited from any ancestor of the iframe:
 *   `--strongroom-consent-width` (default `420px`), `--strongroom-consent-height` (`280px`),
 *   `--strongroom-consent-backdrop` (`rgb(0 0 0 / 0.45)`), `--strongroom-consent-radius`
 *   (`12px`), `--strongroom-consent-shadow`;
 * - `iframe[data-strongroom-consent="open"]` and `[data-strongroom-backdrop]` selectors.
 *
 * Moving the iframe in the DOM reloads it (and ends the connection), so it is shown where it is,
 * with `position: fixed`.
 */
import type { ConsentMessage, ConsentRequestInfo, OperationName, VaultMessage } from './protocol';
import { OPERATION_NAMES, PROTOCOL_VERSION } from './protocol';

/** The iframe's style while no question is open: invisible, inert, but rendered. */
export const HIDDEN_FRAME_STYLE =
  'position:absolute;width:0;height:0;border:0;opacity:0;pointer-events:none';

// Centred without a transform: IntersectionObserver v2 does not count a transformed frame as
// visible, and the enclave would refuse the approval.
const OPEN_FRAME_STYLE = [
  'position:fixed',
  'z-index:2147483647',
  'width:var(--strongroom-consent-width, 420px)',
  'height:var(--strongroom-consent-height, 280px)',
  'max-width:calc(100vw - 16px)',
  'max-height:calc(100vh - 16px)',
  'left:max(8px, calc(50vw - var(--strongroom-consent-width, 420px) / 2))',
  'top:max(8px, calc(50vh - var(--strongroom-consent-height, 280px) / 2))',
  'border:0',
  'border-radius:var(--strongroom-consent-radius, 12px)',
  'box-shadow:var(--strongroom-consent-shadow, 0 12px 40px rgb(0 0 0 / 0.35))',
  'background:#fff',
  'opacity:1',
  'pointer-events:auto',
].join(';');

const BACKDROP_STYLE = [
  'position:fixed',
  'inset:0',
  'z-index:2147483646',
  'background:var(--strongroom-consent-backdrop, rgb(0 0 0 / 0.45))',
].join(';');

/** The `detail` of the {@link Enclave}'s `consent` event. */
/** The detail of the `lock` event: the vault was locked or unlocked (docs/vault.md). */
export interface LockEventDetail {
  /** Whether the keys are now locked in this tab. */
  readonly locked: boolean;
  /**
   * Why: `unlock` (the person entered the secret), `lock` (`lock()` here or in another tab),
   * `idle` (the idle timeout), `enabled` / `disabled` (vault mode turned on, unlocked / off).
   */
  readonly reason: 'unlock' | 'lock' | 'idle' | 'enabled' | 'disabled';
}

const LOCK_REASONS: ReadonlySet<unknown> = new Set([
  'unlock',
  'lock',
  'idle',
  'enabled',
  'disabled',
]);

export interface ConsentEventDetail {
  /** `open`: the enclave shows a question; `close`: it has been answered or has expired. */
  readonly phase: 'open' | 'close';
  /** What is asked (with `open`). */
  readonly request?: ConsentRequestInfo;
}

function text(value: unknown, max: number): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined;
}

/** A request as the enclave described it, reduced to known fields of the right types. */
function sanitize(value: unknown): ConsentRequestInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const operation = r.operation;
  const known =
    operation === 'connect' ||
    (typeof operation === 'string' && (OPERATION_NAMES as readonly string[]).includes(operation));
  if (!known) return undefined;
  const keyId = text(r.keyId, 64);
  const label = text(r.label, 128);
  const kid = text(r.kid, 128);
  return {
    operation: operation as OperationName | 'connect',
    irreversible: r.irreversible === true,
    ...(keyId === undefined ? {} : { keyId }),
    ...(label === undefined ? {} : { label }),
    ...(kid === undefined ? {} : { kid }),
  };
}

/**
 * Watch `iframe` for consent messages from `enclaveOrigin`; show and hide it, and dispatch
 * `consent` events on `target`. Returns a function that stops watching (and hides the frame).
 */
export function watchConsent(
  iframe: HTMLIFrameElement,
  enclaveOrigin: string,
  target: EventTarget,
): () => void {
  let backdrop: HTMLElement | null = null;

  const show = () => {
    iframe.style.cssText = OPEN_FRAME_STYLE;
    iframe.dataset.strongroomConsent = 'open';
    iframe.removeAttribute('aria-hidden');
    iframe.tabIndex = 0;
    if (!backdrop) {
      backdrop = document.createElement('div');
      backdrop.dataset.strongroomBackdrop = '';
      backdrop.style.cssText = BACKDROP_STYLE;
      iframe.before(backdrop);
    }
    iframe.focus();
  };
  const hide = () => {
    iframe.style.cssText = HIDDEN_FRAME_STYLE;
    iframe.dataset.strongroomConsent = 'closed';
    iframe.setAttribute('aria-hidden', 'true');
    iframe.tabIndex = -1;
    backdrop?.remove();
    backdrop = null;
  };

  const onMessage = (event: MessageEvent) => {
    if (event.source !== iframe.contentWindow || event.origin !== enclaveOrigin) return;
    const data = event.data as Partial<ConsentMessage> | null;
    if (typeof data !== 'object' || data === null) return;
    const vault = event.data as Partial<VaultMessage>;
    if (vault.type === 'strongroom:vault' && vault.protocol === PROTOCOL_VERSION) {
      if (typeof vault.locked !== 'boolean' || !LOCK_REASONS.has(vault.reason)) return;
      const detail: LockEventDetail = {
        locked: vault.locked,
        reason: vault.reason as LockEventDetail['reason'],
      };
      target.dispatchEvent(new CustomEvent<LockEventDetail>('lock', { detail }));
      return;
    }
    if (data.type !== 'strongroom:consent' || data.protocol !== PROTOCOL_VERSION) return;
    if (data.phase === 'open') {
      const request = sanitize(data.request);
      if (!request) return;
      show();
      target.dispatchEvent(
        new CustomEvent<ConsentEventDetail>('consent', { detail: { phase: 'open', request } }),
      );
    } else if (data.phase === 'close') {
      hide();
      target.dispatchEvent(
        new CustomEvent<ConsentEventDetail>('consent', { detail: { phase: 'close' } }),
      );
    }
  };
  window.addEventListener('message', onMessage);
  return () => {
    window.removeEventListener('message', onMessage);
    backdrop?.remove();
    backdrop = null;
  };
}
