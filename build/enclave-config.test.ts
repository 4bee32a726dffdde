import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../bridge/src/protocol';
import {
  assertOrigin,
  cacheControl,
  contentSecurityPolicy,
  enclaveHeaders,
  httpsHeaders,
  normalizeConfig,
  resolveRateLimits,
} from './enclave-config';

describe('the allowlist', () => {
  it('accepts https origins and http on loopback only', () => {
    for (const ok of [
      'https://app.example',
      'http://127.0.0.1:8080',
      'http://app.strongroom.localhost:1',
    ]) {
      expect(() => assertOrigin(ok)).not.toThrow();
    }
  });

  it.each([
    ['a wildcard', 'https://*.example.com'],
    ['a path', 'https://app.example/path'],
    ['a trailing slash', 'https://app.example/'],
    ['plain http off loopback', 'http://app.example'],
    ['not a URL', 'app.example'],
    ['the literal *', '*'],
  ])('refuses %s', (_, origin) => {
    expect(() => assertOrigin(origin)).toThrow();
  });

  it('refuses an empty allowlist and deduplicates and sorts', () => {
    expect(() => normalizeConfig({ allowedOrigins: [] })).toThrow();
    expect(
      normalizeConfig({
        allowedOrigins: ['https://b.example', 'https://a.example', 'https://b.example'],
      }),
    ).toEqual({
      allowedOrigins: ['https://a.example', 'https://b.example'],
      rateLimits: DEFAULT_RATE_LIMITS,
      consentTimeoutMs: 60_000,
      consentOnFirstConnection: false,
    });
  });
});

describe('the rate limits', () => {
  it('default each limit that is not set and keep the ones that are', () => {
    expect(resolveRateLimits(undefined)).toEqual(DEFAULT_RATE_LIMITS);
    expect(resolveRateLimits({ keyUsesPerMinute: 10 })).toEqual({
      ...DEFAULT_RATE_LIMITS,
      keyUsesPerMinute: 10,
    });
  });

  it('refuse unknown names and values that are not integers from 1 to 1,000,000', () => {
    expect(() => resolveRateLimits({ nope: 1 } as never)).toThrow(/unknown rate limit/);
    for (const bad of [0, -1, 1.5, 1_000_001, Number.NaN, '5']) {
      expect(() => resolveRateLimits({ keyUsesPerMinute: bad as never })).toThrow(/integer/);
    }
  });
});

describe('the headers', () => {
  it('carry the CSP of DESIGN with frame-ancestors set to the allowlist', () => {
    const csp = contentSecurityPolicy(['https://a.example', 'https://b.example']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    // Only blob: (the verified key worker): 'self' would let a moment of injected code
    // register a service worker that outlives it.
    expect(csp).toContain('worker-src blob:;');
    expect(csp).not.toMatch(/worker-src[^;]*'self'/);
    expect(csp).toContain('frame-ancestors https://a.example https://b.example');
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(csp).not.toContain('unsafe');
    expect(csp).not.toMatch(/\*/);
  });

  it('set CORP, COOP, Referrer-Policy and deny every feature but WebAuthn for self', () => {
    const h = enclaveHeaders(['https://a.example']);
    expect(h['Cross-Origin-Resource-Policy']).toBe('same-origin');
    expect(h['Cross-Origin-Opener-Policy']).toBe('same-origin');
    expect(h['Referrer-Policy']).toBe('no-referrer');
    const policy = h['Permissions-Policy'] ?? '';
    expect(policy).toContain('camera=()');
    expect(policy).not.toMatch(/\*/);
    // Only the passkey unlock's two features, and only for the enclave's own origin.
    const allowed = policy
      .split(', ')
      .filter((entry) => !entry.endsWith('=()'))
      .sort();
    expect(allowed).toEqual([
      'publickey-credentials-create=(self)',
      'publickey-credentials-get=(self)',
    ]);
  });

  it('block scripts without integrity (Integrity-Policy) and keep HSTS for https', () => {
    expect(enclaveHeaders(['https://a.example'])['Integrity-Policy']).toBe(
      'blocked-destinations=(script)',
    );
    expect(httpsHeaders()['Strict-Transport-Security']).toMatch(
      /^max-age=(\d+); includeSubDomains$/,
    );
    expect(
      Number(/max-age=(\d+)/.exec(httpsHeaders()['Strict-Transport-Security'] ?? '')?.[1]),
    ).toBeGreaterThanOrEqual(31_536_000);
  });

  it('cache content-addressed assets forever and store nothing else: index.html is no-store', () => {
    expect(cacheControl('assets/index-abc.js')).toContain('immutable');
    expect(cacheControl('assets/index-abc.js', 304)).toContain('immutable');
    // The root of the SRI chain: never a stored copy, only the server's answer of the moment.
    expect(cacheControl('index.html')).toBe('no-store');
    expect(cacheControl('')).toBe('no-store');
    expect(cacheControl('sub/index.html')).toBe('no-store');
  });

  it('never let an error be stored: a 404 under assets/ is no-store', () => {
    expect(cacheControl('assets/missing.js', 404)).toBe('no-store');
    expect(cacheControl('index.html', 404)).toBe('no-store');
    expect(cacheControl('assets/a.js', 500)).toBe('no-store');
  });
});
