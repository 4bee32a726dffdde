/**
 * The one source of truth for how the enclave is deployed: the origin allowlist compiled into
 * the build, and the response headers every server must send with it. The dev/test server,
 * the generated nginx, Caddy and `_headers` files all derive from the functions here.
 */

import { DEFAULT_RATE_LIMITS, type RateLimits } from '../bridge/src/protocol';

/** Build configuration of the enclave. */
export interface EnclaveBuildConfig {
  /** Exact origins (scheme://host[:port]) allowed to embed and call the enclave. */
  readonly allowedOrigins: readonly string[];
  /**
   * Rate limits compiled into the enclave (docs/policy.md); each omitted one keeps its
   * default (`DEFAULT_RATE_LIMITS`). Integers from 1 to 1,000,000 per minute.
   */
  readonly rateLimits?: Partial<RateLimits>;
  /**
   * How long the enclave's consent dialog waits for an answer before `CONSENT_TIMEOUT`, in ms
   * (docs/consent.md): 5 000 to 600 000; default 60 000.
   */
  readonly consentTimeoutMs?: number;
  /**
   * Ask the person, in the enclave's dialog, to approve the first connection from each
   * allowlisted origin (remembered in the enclave's storage). Default `false`. docs/consent.md.
   */
  readonly consentOnFirstConnection?: boolean;
}

/** The consent timeout of a build that does not set one. */
export const DEFAULT_CONSENT_TIMEOUT_MS = 60_000;

/** A boolean build option: `given` checked, or `false`. */
export function resolveFlag(given: unknown, name: string): boolean {
  if (given === undefined) return false;
  if (typeof given !== 'boolean') throw new Error(`${name} must be true or false`);
  return given;
}

/** The consent timeout of a build: `given` checked, or the default. */
export function resolveConsentTimeout(given: number | undefined): number {
  if (given === undefined) return DEFAULT_CONSENT_TIMEOUT_MS;
  if (!Number.isSafeInteger(given) || given < 5_000 || given > 600_000) {
    throw new Error('consentTimeoutMs must be an integer from 5000 to 600000');
  }
  return given;
}

/** Largest rate limit a build accepts (per minute). */
const MAX_RATE_LIMIT = 1_000_000;

/** The rate limits of a build: the defaults with `given` applied, each checked. */
export function resolveRateLimits(given: Partial<RateLimits> | undefined): RateLimits {
  const out: Record<string, number> = { ...DEFAULT_RATE_LIMITS };
  for (const [name, value] of Object.entries(given ?? {})) {
    if (!Object.hasOwn(DEFAULT_RATE_LIMITS, name)) throw new Error(`unknown rate limit ${name}`);
    if (
      !Number.isSafeInteger(value) ||
      (value as number) < 1 ||
      (value as number) > MAX_RATE_LIMIT
    ) {
      throw new Error(`rate limit ${name} must be an integer from 1 to ${MAX_RATE_LIMIT}`);
    }
    out[name] = value as number;
  }
  return out as unknown as RateLimits;
}

const LOOPBACK_HOST = /^(localhost|127\.0\.0\.1|\[::1\]|([a-z0-9-]+\.)+localhost)$/;

/**
 * Check one allowlist entry: a serialised origin, https (or http on a loopback host), no
 * wildcard, no path. Throws an `Error` naming the entry otherwise.
 */
export function assertOrigin(origin: string): void {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new Error(`allowed origin ${JSON.stringify(origin)} is not a URL`);
  }
  if (origin.includes('*')) throw new Error(`allowed origin ${origin} contains a wildcard`);
  if (url.origin !== origin) {
    throw new Error(`allowed origin ${origin} is not a serialised origin (expected ${url.origin})`);
  }
  const loopback = LOOPBACK_HOST.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`allowed origin ${origin} must use https (http only on loopback hosts)`);
  }
}

/** Validate a whole build configuration; returns it with origins deduplicated and sorted. */
export function normalizeConfig(config: EnclaveBuildConfig): EnclaveBuildConfig {
  if (config.allowedOrigins.length === 0) throw new Error('allowedOrigins must not be empty');
  for (const origin of config.allowedOrigins) assertOrigin(origin);
  return {
    allowedOrigins: [...new Set(config.allowedOrigins)].sort(),
    rateLimits: resolveRateLimits(config.rateLimits),
    consentTimeoutMs: resolveConsentTimeout(config.consentTimeoutMs),
    consentOnFirstConnection: resolveFlag(
      config.consentOnFirstConnection,
      'consentOnFirstConnection',
    ),
  };
}

/** The Content-Security-Policy of the enclave document (DESIGN, "Trust boundaries"). */
export function contentSecurityPolicy(allowedOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // The key worker starts only from a blob: URL of verified bytes (load-worker.ts). No
    // 'self': it would let code that runs here once register a service worker from this
    // origin, which outlives the page and could answer every later request.
    'worker-src blob:',
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self'",
    `frame-ancestors ${allowedOrigins.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "require-trusted-types-for 'script'",
    'trusted-types strongroom',
  ].join('; ');
}

/** Features the enclave never needs: all denied. */
const DENIED_FEATURES = [
  'accelerometer',
  'autoplay',
  'camera',
  'display-capture',
  'fullscreen',
  'geolocation',
  'gyroscope',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'screen-wake-lock',
  'usb',
  'xr-spatial-tracking',
];

/**
 * Features the enclave's own document may use, never a document it would embed: WebAuthn, for
 * a passkey's PRF as a vault unlock method (docs/vault.md). In a cross-origin iframe a feature
 * also needs the embedder's delegation, which the bridge gives to the enclave's origin only
 * (the iframe's `allow` attribute, `bridge/src/connect.ts`).
 */
export const SELF_FEATURES = ['publickey-credentials-create', 'publickey-credentials-get'] as const;

/** The enclave's `Permissions-Policy`: {@link SELF_FEATURES} for `self`, every other feature denied. */
export function permissionsPolicy(): string {
  return [
    ...DENIED_FEATURES.map((f) => `${f}=()`),
    ...SELF_FEATURES.map((f) => `${f}=(self)`),
  ].join(', ');
}

/**
 * Headers for every response of the enclave origin. `Origin-Agent-Cluster: ?1` asks for an
 * origin-keyed agent cluster, so a same-site app (`app.example` for `kms.app.example`) never
 * shares an agent (event loop, `document.domain`, shared memory) with the enclave; whether that
 * also means a separate process is up to the engine (docs/deployment.md, "Process isolation").
 */
export function enclaveHeaders(allowedOrigins: readonly string[]): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(allowedOrigins),
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Origin-Agent-Cluster': '?1',
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': permissionsPolicy(),
    'X-Content-Type-Options': 'nosniff',
    // Chromium (138+): refuse any script this document loads without an integrity, so a
    // script injected into index.html without SRI does not run. Browsers that do not know the
    // header ignore it; SRI on every tag still applies there.
    'Integrity-Policy': 'blocked-destinations=(script)',
  };
}

/**
 * Headers that only an https response may carry: HSTS. Sent by the https configurations
 * (nginx, Caddy, `_headers`), not by the loopback http servers (browsers ignore HSTS over http).
 * Two years, this host and its subdomains; no `preload` (a deployer's decision, hard to undo).
 */
export function httpsHeaders(): Record<string, string> {
  return { 'Strict-Transport-Security': 'max-age=63072000; includeSubDomains' };
}

/**
 * Cache-Control of every response but an existing content-addressed asset: never stored, by
 * the browser or by any cache on the way.
 */
export const NO_STORE = 'no-store';

/**
 * Cache-Control for a response: an existing content-addressed asset (200 or 304 under
 * `assets/`) is immutable; everything else is `no-store`. That is `index.html` (and `/`): the
 * root of the SRI chain, fetched from the server on every load and kept nowhere, so no copy —
 * one a browser stored while another file was served, above all — is ever reused (the bridge
 * adds a fresh query to each load too: bridge/src/fresh-url.ts); and it is every error — a 404
 * under `assets/` above all, which would otherwise be cached for a year and mask the file once
 * it is deployed.
 */
export function cacheControl(path: string, status = 200): string {
  if (status !== 200 && status !== 304) return NO_STORE;
  return path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : NO_STORE;
}
