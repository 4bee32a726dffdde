/**
 * The one source of truth for how the enclave is deployed: the origin allowlist compiled into
 * the build, and the response headers every server must send with it. The dev/test server,
 * the generated nginx, Caddy and `_headers` files all derive from the functions here.
 */

/** Build configuration of the enclave. */
export interface EnclaveBuildConfig {
  /** Exact origins (scheme://host[:port]) allowed to embed and call the enclave. */
  readonly allowedOrigins: readonly string[];
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
  return { allowedOrigins: [...new Set(config.allowedOrigins)].sort() };
}

/** The Content-Security-Policy of the enclave document (DESIGN, "Trust boundaries"). */
export function contentSecurityPolicy(allowedOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "worker-src 'self' blob:",
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
  'publickey-credentials-get',
  'screen-wake-lock',
  'usb',
  'xr-spatial-tracking',
];

/** Headers for every response of the enclave origin. */
export function enclaveHeaders(allowedOrigins: readonly string[]): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(allowedOrigins),
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Permissions-Policy': DENIED_FEATURES.map((f) => `${f}=()`).join(', '),
    'X-Content-Type-Options': 'nosniff',
  };
}

/** Cache-Control for a file: content-addressed assets are immutable, the rest revalidate. */
export function cacheControl(path: string): string {
  return path.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
}
