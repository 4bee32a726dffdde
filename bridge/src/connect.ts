/**
 * `connect()`: create the enclave's sandboxed iframe, run the handshake and return a typed
 * {@link Enclave}.
 */
import type { ConnectionConfig } from './connection';
import { HIDDEN_FRAME_STYLE } from './consent-frame';
import { Enclave } from './enclave';
import { StrongroomError } from './errors';
import { freshEnclaveUrl } from './fresh-url';
import { type Connected, handshake } from './handshake';
import {
  abortError,
  type CallOptions,
  checkDuration,
  checkSignal,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_LIVENESS_MS,
  frameLink,
  type Link,
  type ReconnectOptions,
  resolveReconnect,
} from './lifecycle';
import type { EnclaveInfo } from './protocol';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /**
   * URL of the enclave page. Must be on another origin than the app (https, or http on
   * loopback). Each connection (this one, and each reconnect) loads it with a fresh random
   * `sr` query parameter added to any query it has, so that no cached copy of the enclave
   * document is reused.
   */
  readonly url: string;
  /** How long the handshake may take before `HANDSHAKE_TIMEOUT`, in ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Element the hidden iframe is appended to. Default `document.body`. */
  readonly container?: HTMLElement;
  /**
   * Pin a release: the release digest (64 lowercase hex characters, the signed manifest's
   * `releaseDigest`) the enclave must report in `info()`. After the handshake `connect()` asks,
   * and on any other value (or `null`) disposes of the enclave and rejects with
   * `DIGEST_MISMATCH`. This catches a deployment that serves other files than the release you
   * audited — a stale or partial deploy, one altered file or `index.html` — but not a server
   * bent on deceiving you, whose code could report any value; auditing the deployment against
   * the signed manifest covers that (docs/verification.md). Checked again after every reconnect.
   */
  readonly expectDigest?: string;
  /**
   * Abort the connection attempt: `connect()` rejects with `ABORTED` and removes the iframe.
   * Only the attempt: once `connect()` has resolved, the signal no longer matters (end a
   * connection with `dispose()`).
   */
  readonly signal?: AbortSignal;
  /**
   * Default timeout of each call, in ms, after which it rejects with `CALL_TIMEOUT`; a call's
   * own `timeoutMs` overrides it. Default 90 000: longer than the enclave's default consent
   * timeout (60 s), so that a call waiting for the person's answer ends with the enclave's
   * `CONSENT_TIMEOUT`. `Infinity`: no timeout.
   */
  readonly callTimeoutMs?: number;
  /**
   * Reconnect by itself when the channel ends (`disconnect` event with `willReconnect: true`):
   * `true` for the defaults, or the attempts and backoff. Default `false`. During the gap, calls
   * fail at once with `ENCLAVE_DISCONNECTED`; they are not queued.
   */
  readonly reconnect?: boolean | ReconnectOptions;
  /**
   * When a call has waited this long (ms) without any message from the enclave (while a consent
   * dialog is open: 60 s, or this if longer), the bridge checks that the enclave is alive with an
   * `info()` call (which the enclave's audit log records). No answer within 5 s (or
   * `livenessMs`, if shorter) ends the connection (`unresponsive`). Default 10 000; `Infinity`
   * turns the check off.
   */
  readonly livenessMs?: number;
}

/** Default handshake timeout in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;

const DIGEST = /^[0-9a-f]{64}$/;

const LOOPBACK = /^(localhost|127\.0\.0\.1|\[::1\]|([a-z0-9-]+\.)+localhost)$/;

/** Throw unless this is a browser window, where the enclave's iframe can be created. */
function assertBrowserWindow(): void {
  const g = globalThis as { window?: unknown; document?: { createElement?: unknown } };
  if (
    typeof g.window !== 'object' ||
    g.window === null ||
    typeof g.document !== 'object' ||
    g.document === null ||
    typeof g.document.createElement !== 'function'
  ) {
    throw new StrongroomError(
      'ENCLAVE_UNAVAILABLE',
      'connect() needs a browser window (it creates the enclave iframe); there is no ' +
        '`window`/`document` here: call it in the page, not during server-side rendering, ' +
        'in Node or in a worker',
    );
  }
}

function enclaveUrl(url: unknown): URL {
  if (typeof url !== 'string') {
    throw new StrongroomError('INVALID_ARGUMENT', '"url" expected string');
  }
  let parsed: URL;
  try {
    parsed = new URL(url, location.href);
  } catch {
    throw new StrongroomError('INVALID_ARGUMENT', '"url" is not a valid URL');
  }
  const secure =
    parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK.test(parsed.hostname));
  if (!secure) {
    throw new StrongroomError('INVALID_ARGUMENT', '"url" must be https (http only on loopback)');
  }
  if (parsed.origin === location.origin) {
    // allow-scripts + allow-same-origin on a same-origin frame would let it remove its own sandbox.
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      '"url" must be on another origin than the app: a same-origin enclave is no enclave',
    );
  }
  return parsed;
}

/**
 * The iframe's `allow` attribute: WebAuthn (a passkey's PRF as a vault unlock method,
 * docs/vault.md) delegated to the enclave's origin only, never `*`; every other feature keeps
 * its default for a cross-origin frame (not delegated). The enclave's own `Permissions-Policy`
 * allows these two for itself and denies the rest.
 */
export function enclaveAllow(enclaveOrigin: string): string {
  return ['publickey-credentials-get', 'publickey-credentials-create']
    .map((feature) => `${feature} ${enclaveOrigin}`)
    .join('; ');
}

/**
 * The enclave's hidden, sandboxed iframe (not inserted yet), loading `url` with a fresh query
 * (`fresh-url.ts`): a network fetch of the document each time, never a cached copy.
 */
function enclaveFrame(url: URL): HTMLIFrameElement {
  const iframe = document.createElement('iframe');
  iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin');
  iframe.setAttribute('allow', enclaveAllow(url.origin));
  iframe.referrerPolicy = 'no-referrer';
  iframe.title = 'Strongroom enclave';
  // Hidden without `display: none`: Firefox does not style a display-none frame that shares the
  // app's process (a same-site enclave), and the enclave checks that its stylesheets applied.
  iframe.style.cssText = HIDDEN_FRAME_STYLE;
  iframe.setAttribute('aria-hidden', 'true');
  iframe.tabIndex = -1;
  iframe.src = freshEnclaveUrl(url).href;
  return iframe;
}

/**
 * Create the frame in `container`, run the handshake, and return the channel. On failure (or
 * when `signal` aborts) the frame is removed.
 */
async function openLink(
  url: URL,
  timeoutMs: number,
  container: HTMLElement | undefined,
  signal: AbortSignal | undefined,
): Promise<Link> {
  if (signal?.aborted) throw abortError(signal, 'connect()');
  const iframe = enclaveFrame(url);
  let loaded = false;
  const onLoad = () => {
    loaded = true;
  };
  iframe.addEventListener('load', onLoad, { once: true });
  const connected = handshake(iframe, url.origin, timeoutMs, signal);
  (container ?? document.body).append(iframe);
  let link: Connected;
  try {
    link = await connected;
  } catch (err) {
    iframe.remove();
    throw err;
  } finally {
    iframe.removeEventListener('load', onLoad);
  }
  return frameLink(link, iframe, url.origin, loaded);
}

/**
 * Connect to an enclave: creates a hidden iframe with
 * `sandbox="allow-scripts allow-same-origin"`, performs the handshake, and resolves with an
 * {@link Enclave}. Rejects with `HANDSHAKE_TIMEOUT` if the enclave does not answer in time
 * (the iframe is removed), `ENCLAVE_UNAVAILABLE` if it refuses to start (an
 * `EnclaveRefusedError` whose `reason` says why) or outside a browser window,
 * `PROTOCOL_MISMATCH` if the enclave speaks another protocol version, `DIGEST_MISMATCH` if
 * `expectDigest` is set and the enclave reports another release digest, `ABORTED` if `signal`
 * aborts (the iframe is removed), and `INVALID_ARGUMENT` for a bad option or a same-origin URL.
 *
 * @example
 * ```ts
 * import { connect } from '@strongroom/bridge';
 *
 * const enclave = await connect({ url: 'https://kms.app.example/', timeoutMs: 5000 });
 * const info = await enclave.info();
 *
 * // Pinned to an audited release (the manifest's releaseDigest):
 * const pinned = await connect({ url: 'https://kms.app.example/', expectDigest: '3f9c…' });
 *
 * // Reconnects by itself when its frame is reloaded or removed:
 * const resilient = await connect({ url: 'https://kms.app.example/', reconnect: true });
 * ```
 */
export async function connect(options: ConnectOptions): Promise<Enclave> {
  assertBrowserWindow();
  if (typeof options !== 'object' || options === null) {
    throw new StrongroomError('INVALID_ARGUMENT', '"options" expected object');
  }
  const url = enclaveUrl(options.url);
  const timeoutMs =
    options.timeoutMs === undefined
      ? DEFAULT_TIMEOUT_MS
      : checkDuration('timeoutMs', options.timeoutMs, false);
  const { expectDigest } = options;
  if (
    expectDigest !== undefined &&
    (typeof expectDigest !== 'string' || !DIGEST.test(expectDigest))
  ) {
    throw new StrongroomError(
      'INVALID_ARGUMENT',
      '"expectDigest" expected 64 lowercase hex characters',
    );
  }
  const signal = checkSignal('signal', options.signal);
  const callTimeoutMs =
    options.callTimeoutMs === undefined
      ? DEFAULT_CALL_TIMEOUT_MS
      : checkDuration('callTimeoutMs', options.callTimeoutMs, true);
  const livenessMs =
    options.livenessMs === undefined
      ? DEFAULT_LIVENESS_MS
      : checkDuration('livenessMs', options.livenessMs, true);
  const reconnect = resolveReconnect(options.reconnect);
  const { container } = options;

  const config: ConnectionConfig = {
    open: (attempt) => openLink(url, timeoutMs, container, attempt),
    ...(expectDigest === undefined
      ? {}
      : { verify: (info) => checkDigest(info, expectDigest, timeoutMs) }),
    callTimeoutMs,
    livenessMs,
    reconnect,
  };
  const enclave = new Enclave(await openLink(url, timeoutMs, container, signal), config);
  if (expectDigest !== undefined) {
    try {
      await checkDigest(
        (callOptions) => enclave.info(callOptions),
        expectDigest,
        timeoutMs,
        signal,
      );
    } catch (err) {
      enclave.dispose();
      throw err;
    }
  }
  return enclave;
}

/**
 * Ask the enclave for its release digest; reject unless it is `expected`. An enclave that does
 * not answer within `timeoutMs` gives `ENCLAVE_UNAVAILABLE`. The caller disposes on rejection.
 */
async function checkDigest(
  info: (options: CallOptions) => Promise<EnclaveInfo>,
  expected: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  let reported: unknown;
  try {
    reported = (await info(signal ? { timeoutMs, signal } : { timeoutMs })).releaseDigest;
  } catch (err) {
    if (err instanceof StrongroomError && err.code === 'CALL_TIMEOUT') {
      throw new StrongroomError(
        'ENCLAVE_UNAVAILABLE',
        `the enclave did not answer info() within ${timeoutMs} ms`,
      );
    }
    throw err;
  }
  if (reported !== expected) {
    const got = typeof reported === 'string' ? reported.slice(0, 64) : String(reported);
    throw new StrongroomError(
      'DIGEST_MISMATCH',
      `the enclave reports release digest ${got}, expected ${expected}`,
    );
  }
}
