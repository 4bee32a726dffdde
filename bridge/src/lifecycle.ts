/**
 * The life of a connection, as the app sees it: its `state`, the `statechange` and `disconnect`
 * events, per-call options (`timeoutMs`, `signal`), automatic reconnection, and how the bridge
 * notices that a channel has ended (docs/api.md, "Connection lifecycle").
 *
 * How an ended channel is noticed, measured in Chromium 156, Firefox ESR 153 and WebKitGTK 2.50
 * (both topologies, e2e/core/lifecycle.ts):
 *
 * - **reloaded** (`iframe.src = iframe.src`, or the enclave navigating itself): the old document,
 *   its key worker and the worker's end of the port are gone. The iframe fires `load` again
 *   (30–180 ms later here) and the new document posts `strongroom:ready`. The first `load` always
 *   came before the handshake completed, so any later `load` means a new document.
 * - **moved** (removed and inserted again in one task): a new browsing context; the iframe's
 *   `contentWindow` is another object as soon as the mutation is delivered, and `load` follows.
 *   `Element.moveBefore()` (Chromium, Firefox; not WebKitGTK 2.50) keeps the document and the
 *   channel alive, and keeps `contentWindow`: that is not a disconnect.
 * - **removed** (the iframe or an ancestor leaves the document): `isConnected` is `false` when
 *   the `MutationObserver` callback runs, `contentWindow` is `null`.
 * - **the enclave's end of the port closed** (its worker ended, or its guard closed the port
 *   after a `RELEASE`): no engine tells. `MessagePort` has no `close` event in any of the three,
 *   and messages to a closed port are dropped silently. Only a liveness check notices: a call
 *   that waits `livenessMs` with no message at all from the enclave (60 s while a consent dialog
 *   is open) makes the bridge ask `info()`, which must answer within {@link PROBE_TIMEOUT_MS}.
 */
import { type ConsentEventDetail, watchConsent } from './consent-frame';
import { StrongroomError } from './errors';
import type { Connected } from './handshake';

/**
 * The state of a connection:
 * - `connected`: calls go to the enclave;
 * - `disconnected`: the channel ended (see {@link DisconnectReason}) or a reconnect failed; calls
 *   fail at once with `ENCLAVE_DISCONNECTED` until `reconnect()` succeeds;
 * - `reconnecting`: a new frame and handshake are under way (`reconnect()`, or automatically with
 *   `connect({ reconnect: true })`); calls fail at once with `ENCLAVE_DISCONNECTED`, they are not
 *   queued;
 * - `disposed`: `dispose()` was called; calls fail with `ENCLAVE_UNAVAILABLE`, for ever.
 */
export type ConnectionState = 'connected' | 'disconnected' | 'reconnecting' | 'disposed';

/**
 * Why a connection ended:
 * - `frame-reloaded`: the enclave's frame loaded a new document (the app set its `src`, or it
 *   navigated);
 * - `frame-moved`: the frame was removed and inserted again, which starts a new document;
 * - `frame-removed`: the frame, or an element around it, left the document;
 * - `unresponsive`: a call waited `livenessMs` without a message from the enclave, and the
 *   liveness check (`info()`) got no answer either: the enclave's end of the channel is closed
 *   or its key worker is gone.
 */
export type DisconnectReason = 'frame-reloaded' | 'frame-moved' | 'frame-removed' | 'unresponsive';

/** The `detail` of the {@link Enclave}'s `statechange` event. */
export interface StateChangeDetail {
  /** The new state (also `enclave.state`). */
  readonly state: ConnectionState;
  /** The state before. */
  readonly previous: ConnectionState;
  /**
   * With `disconnected`: why — the `ENCLAVE_DISCONNECTED` error of a lost connection, or the
   * error of the reconnect attempt that failed last (`HANDSHAKE_TIMEOUT`, `PROTOCOL_MISMATCH`, …).
   */
  readonly error?: StrongroomError;
}

/** The `detail` of the {@link Enclave}'s `disconnect` event. */
export interface DisconnectDetail {
  readonly reason: DisconnectReason;
  /** The error every pending call was rejected with (`ENCLAVE_DISCONNECTED`). */
  readonly error: StrongroomError;
  /** Whether the bridge will now reconnect by itself (`connect({ reconnect })`). */
  readonly willReconnect: boolean;
}

/**
 * Bridge-side options of one call, accepted as the last argument of every `Enclave` method
 * (after the operation's own arguments). They never cross the wire.
 *
 * @example
 * ```ts
 * const keys = await enclave.listKeys({ timeoutMs: 5000 });
 * await enclave.sign(key.id, data, { signal: AbortSignal.timeout(2000) });
 * await enclave.scheduleDeletion(key.id, { days: 7 }, { signal });
 * ```
 */
export interface CallOptions {
  /**
   * Reject with `CALL_TIMEOUT` when no answer came within this many ms. Default: the
   * connection's `callTimeoutMs` (90 s unless set). `Infinity`: no timeout.
   */
  readonly timeoutMs?: number;
  /** Reject with `ABORTED` (its `cause` is the signal's `reason`) when this signal aborts. */
  readonly signal?: AbortSignal;
}

/** Options of the automatic reconnection, `connect({ reconnect })`. */
export interface ReconnectOptions {
  /** Attempts after each disconnect before giving up (state `disconnected`). Default 8. */
  readonly maxAttempts?: number;
  /** Delay before the second attempt, doubled for each further one, in ms. Default 500. */
  readonly initialDelayMs?: number;
  /** Longest delay between two attempts, in ms. Default 30 000. */
  readonly maxDelayMs?: number;
}

/** The reconnection policy with every default filled in. */
export type ReconnectPolicy = Required<ReconnectOptions>;

/**
 * Default timeout of one call, in ms: longer than the enclave's default consent timeout
 * (`consentTimeoutMs`, 60 s), so that a call waiting for the person's answer ends with the
 * enclave's own `CONSENT_TIMEOUT`, not with `CALL_TIMEOUT`. A deployment with a longer consent
 * timeout wants a longer `callTimeoutMs`.
 */
export const DEFAULT_CALL_TIMEOUT_MS = 90_000;

/** Default quiet time of a pending call before the bridge checks that the enclave is alive. */
export const DEFAULT_LIVENESS_MS = 10_000;

/** How long the liveness check (`info()`) may take, at most, in ms. */
export const PROBE_TIMEOUT_MS = 5_000;

/** The defaults of {@link ReconnectOptions}. */
export const DEFAULT_RECONNECT: ReconnectPolicy = {
  maxAttempts: 8,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
};

/** The longest delay `setTimeout` takes (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Whether `value` looks like an `AbortSignal` (also one of another realm). */
export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    isRecord(value) &&
    typeof value.aborted === 'boolean' &&
    typeof value.addEventListener === 'function' &&
    typeof value.removeEventListener === 'function'
  );
}

/** The `ABORTED` error for `signal`, with its reason as the `cause`. */
export function abortError(signal: AbortSignal, what: string): StrongroomError {
  return new StrongroomError('ABORTED', `${what} was aborted`, { cause: signal.reason });
}

/** Check a duration option: a positive number, or `Infinity` when `infinite` is allowed. */
export function checkDuration(name: string, value: unknown, infinite: boolean): number {
  const ok =
    typeof value === 'number' &&
    value > 0 &&
    (Number.isFinite(value) || (infinite && value === Infinity));
  if (!ok) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      `"${name}" expected a positive number of ms${infinite ? ' or Infinity' : ''}`,
    );
  }
  return value as number;
}

/** An optional `signal` option: `undefined`, or an `AbortSignal`. */
export function checkSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!isAbortSignal(value)) {
    throw new StrongroomError('INVALID_ARGUMENT', `"${name}" expected an AbortSignal`);
  }
  return value;
}

/** What {@link resolveCallOptions} returns. */
export interface ResolvedCallOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * Validate a call's {@link CallOptions} (unknown members are refused, as the enclave refuses
 * unknown options) and fill in the connection's timeout.
 */
export function resolveCallOptions(
  options: unknown,
  defaultTimeoutMs: number,
): ResolvedCallOptions {
  if (options === undefined) return { timeoutMs: defaultTimeoutMs, signal: undefined };
  if (!isRecord(options) || Array.isArray(options)) {
    throw new StrongroomError('INVALID_ARGUMENT', 'call options expected an object');
  }
  for (const name of Object.keys(options)) {
    if (name !== 'timeoutMs' && name !== 'signal') {
      throw new StrongroomError(
        'INVALID_ARGUMENT',
        `call options: unknown option "${name.slice(0, 64)}" (only timeoutMs and signal)`,
      );
    }
  }
  return {
    timeoutMs:
      options.timeoutMs === undefined
        ? defaultTimeoutMs
        : checkDuration('timeoutMs', options.timeoutMs, true),
    signal: checkSignal('signal', options.signal),
  };
}

/** The reconnection policy of `connect({ reconnect })`, or `null` for none. */
export function resolveReconnect(value: unknown): ReconnectPolicy | null {
  if (value === undefined || value === false) return null;
  if (value === true) return DEFAULT_RECONNECT;
  if (!isRecord(value) || Array.isArray(value)) {
    throw new StrongroomError('INVALID_ARGUMENT', '"reconnect" expected a boolean or an object');
  }
  for (const name of Object.keys(value)) {
    if (!(name in DEFAULT_RECONNECT)) {
      throw new StrongroomError(
        'INVALID_ARGUMENT',
        `"reconnect": unknown option "${name.slice(0, 64)}"`,
      );
    }
  }
  const policy = { ...DEFAULT_RECONNECT };
  if (value.maxAttempts !== undefined) {
    const n = value.maxAttempts;
    if (!(n === Infinity || (typeof n === 'number' && Number.isInteger(n) && n >= 1))) {
      throw new StrongroomError(
        'INVALID_ARGUMENT',
        '"reconnect.maxAttempts" expected an integer of at least 1, or Infinity',
      );
    }
    policy.maxAttempts = n;
  }
  if (value.initialDelayMs !== undefined) {
    policy.initialDelayMs = checkDuration('reconnect.initialDelayMs', value.initialDelayMs, false);
  }
  if (value.maxDelayMs !== undefined) {
    policy.maxDelayMs = checkDuration('reconnect.maxDelayMs', value.maxDelayMs, false);
  }
  return policy;
}

/**
 * The delay before reconnect attempt `attempt` (1-based): none before the first; then
 * `initialDelayMs × 2^(attempt − 2)`, at most `maxDelayMs`, of which a random half is taken off
 * (so the delay is between half and all of that value).
 */
export function backoffDelay(
  attempt: number,
  policy: ReconnectPolicy,
  random: () => number = Math.random,
): number {
  if (attempt <= 1) return 0;
  const full = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 2));
  return Math.round(full / 2 + (random() * full) / 2);
}

/**
 * One channel to an enclave: the port of a completed handshake and the frame that holds it.
 * {@link Connection} uses it; {@link frameLink} is the real one, tests make their own.
 */
export interface Link {
  readonly port: MessagePort;
  /** The most calls the enclave reads in one batch, or `null`: it reads one call per message. */
  readonly batch: number | null;
  readonly iframe: HTMLIFrameElement;
  /**
   * Start watching: `consent` events go to `target`; `lost` is called at most once, when the
   * channel ends.
   */
  watch(target: EventTarget, lost: (reason: DisconnectReason) => void): void;
  /** Stop watching, close the port and remove the frame. Idempotent. */
  close(): void;
}

/**
 * Watch `iframe` (whose handshake has completed) for the end of its document: a `load` (or a
 * `ready`/`refused` from a new enclave document), a new browsing context, or its removal.
 * `initialLoadSeen`: whether the frame's first `load` has fired (it has, in every engine
 * measured, before the handshake completes); if not, that first `load` is not a reload.
 * Returns a function that stops watching.
 */
export function watchFrame(
  iframe: HTMLIFrameElement,
  enclaveOrigin: string,
  initialLoadSeen: boolean,
  lost: (reason: DisconnectReason) => void,
): () => void {
  const initialWindow = iframe.contentWindow;
  let skipLoad = !initialLoadSeen;
  let done = false;
  const roots: Node[] = [];
  const observer = new MutationObserver(() => check());

  const stop = () => {
    done = true;
    observer.disconnect();
    iframe.removeEventListener('load', onLoad);
    window.removeEventListener('message', onMessage);
  };
  const end = (reason: DisconnectReason) => {
    if (done) return;
    stop();
    lost(reason);
  };
  function check(): void {
    if (!iframe.isConnected) end('frame-removed');
    else if (iframe.contentWindow !== initialWindow) end('frame-moved');
    else observeRoots();
  }
  function onLoad(): void {
    if (skipLoad) {
      skipLoad = false;
      return;
    }
    check();
    end('frame-reloaded');
  }
  function onMessage(event: MessageEvent): void {
    if (event.origin !== enclaveOrigin || event.source !== iframe.contentWindow) return;
    const data: unknown = event.data;
    if (!isRecord(data)) return;
    // A new enclave document announces itself; the connected one never posts these again.
    if (data.type === 'strongroom:ready' || data.type === 'strongroom:refused') {
      check();
      end('frame-reloaded');
    }
  }
  /** Observe the document, and each shadow root between it and the frame. */
  function observeRoots(): void {
    let root = iframe.getRootNode();
    for (;;) {
      if (!roots.includes(root)) {
        roots.push(root);
        observer.observe(root, { childList: true, subtree: true });
      }
      if (typeof ShadowRoot !== 'undefined' && root instanceof ShadowRoot) {
        root = root.host.getRootNode();
      } else {
        break;
      }
    }
  }

  iframe.addEventListener('load', onLoad);
  window.addEventListener('message', onMessage);
  check();
  return stop;
}

/**
 * The {@link Link} of a frame whose handshake gave `port` (and `batch`): watches the frame
 * ({@link watchFrame}) and its consent dialog (`consent-frame.ts`).
 */
export function frameLink(
  { port, batch }: Connected,
  iframe: HTMLIFrameElement,
  enclaveOrigin: string,
  initialLoadSeen: boolean,
): Link {
  const stops: (() => void)[] = [];
  let closed = false;
  return {
    port,
    batch,
    iframe,
    watch(target, lost) {
      if (closed) return;
      stops.push(watchConsent(iframe, enclaveOrigin, target));
      stops.push(watchFrame(iframe, enclaveOrigin, initialLoadSeen, lost));
    },
    close() {
      if (closed) return;
      closed = true;
      for (const stop of stops) stop();
      port.close();
      iframe.remove();
    },
  };
}

/** Narrow a `consent` event's detail (dispatched by `consent-frame.ts`). */
export function consentPhase(event: Event): ConsentEventDetail['phase'] | null {
  const detail = (event as CustomEvent<ConsentEventDetail>).detail;
  return detail?.phase === 'open' || detail?.phase === 'close' ? detail.phase : null;
}
