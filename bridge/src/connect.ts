/**
 * `connect()`: create the enclave's sandboxed iframe, run the handshake and return a typed
 * {@link Enclave}.
 */
import { HIDDEN_FRAME_STYLE } from './consent-frame';
import { Enclave } from './enclave';
import { StrongroomError } from './errors';
import { handshake } from './handshake';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** URL of the enclave page. Must be on another origin than the app (https, or http on loopback). */
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
   * the signed manifest covers that (docs/verification.md).
   */
  readonly expectDigest?: string;
}

/** Default handshake timeout in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 10_000;

const DIGEST = /^[0-9a-f]{64}$/;

const LOOPBACK = /^(localhost|127\.0\.0\.1|\[::1\]|([a-z0-9-]+\.)+localhost)$/;

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
 * Connect to an enclave: creates a hidden iframe with
 * `sandbox="allow-scripts allow-same-origin"`, performs the handshake, and resolves with an
 * {@link Enclave}. Rejects with `HANDSHAKE_TIMEOUT` if the enclave does not answer in time
 * (the iframe is removed), `ENCLAVE_UNAVAILABLE` if it refuses to start (for example because
 * one of its files failed its integrity check), `DIGEST_MISMATCH` if `expectDigest` is set and
 * the enclave reports another release digest, `INVALID_ARGUMENT` for a bad or same-origin URL.
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
 * ```
 */
export async function connect(options: ConnectOptions): Promise<Enclave> {
  if (typeof options !== 'object' || options === null) {
    throw new StrongroomError('INVALID_ARGUMENT', '"options" expected object');
  }
  const url = enclaveUrl(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new StrongroomError('INVALID_ARGUMENT', '"timeoutMs" expected a positive number');
  }
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

  const iframe = document.createElement('iframe');
  iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin');
  iframe.setAttribute('allow', '');
  iframe.referrerPolicy = 'no-referrer';
  iframe.title = 'Strongroom enclave';
  // Hidden without `display: none`: Firefox does not style a display-none frame that shares the
  // app's process (a same-site enclave), and the enclave checks that its stylesheets applied.
  iframe.style.cssText = HIDDEN_FRAME_STYLE;
  iframe.setAttribute('aria-hidden', 'true');
  iframe.tabIndex = -1;
  iframe.src = url.href;

  const connected = handshake(iframe, url.origin, timeoutMs);
  (options.container ?? document.body).append(iframe);
  let enclave: Enclave;
  try {
    enclave = new Enclave(await connected, iframe, url.origin);
  } catch (err) {
    iframe.remove();
    throw err;
  }
  if (expectDigest !== undefined) await checkDigest(enclave, expectDigest, timeoutMs);
  return enclave;
}

/**
 * Ask the enclave for its release digest; dispose of it and reject unless it is `expected`.
 * An enclave that does not answer within `timeoutMs` is disposed (`ENCLAVE_UNAVAILABLE`).
 */
async function checkDigest(enclave: Enclave, expected: string, timeoutMs: number): Promise<void> {
  let reported: unknown;
  const timer = setTimeout(() => enclave.dispose(), timeoutMs);
  try {
    reported = (await enclave.info()).releaseDigest;
  } catch (err) {
    enclave.dispose();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  if (reported !== expected) {
    enclave.dispose();
    const got = typeof reported === 'string' ? reported.slice(0, 64) : String(reported);
    throw new StrongroomError(
      'DIGEST_MISMATCH',
      `the enclave reports release digest ${got}, expected ${expected}`,
    );
  }
}
