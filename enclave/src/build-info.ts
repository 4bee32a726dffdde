/**
 * Values compiled into the enclave by the build (`build/vite-enclave.ts`): the origin
 * allowlist, the package version and the dev flag. They are constants of the bundle,
 * never read from the URL or the embedding page, so they are covered by the bundle's hashes.
 */
import type { RateLimits } from '@strongroom/bridge/protocol';

declare const __STRONGROOM_ALLOWED_ORIGINS__: readonly string[];
declare const __STRONGROOM_VERSION__: string;
declare const __STRONGROOM_DEV__: boolean;
declare const __STRONGROOM_BENCH_AUDIT_OFF__: boolean;
declare const __STRONGROOM_RATE_LIMITS__: RateLimits;
declare const __STRONGROOM_CONSENT_TIMEOUT_MS__: number;
declare const __STRONGROOM_CONSENT_FIRST_CONNECTION__: boolean;

/** The deployment's rate limits (build configuration `rateLimits`, defaults filled in). */
export const RATE_LIMITS: RateLimits = Object.freeze({ ...__STRONGROOM_RATE_LIMITS__ });

/** How long a consent dialog waits for an answer, in ms (build configuration). */
export const CONSENT_TIMEOUT_MS: number = __STRONGROOM_CONSENT_TIMEOUT_MS__;

/** Whether the first connection of each origin needs the person's approval (build option). */
export const CONSENT_FIRST_CONNECTION: boolean = __STRONGROOM_CONSENT_FIRST_CONNECTION__;

/** Exact origins allowed to embed and call this enclave. */
export const ALLOWED_ORIGINS: ReadonlySet<string> = new Set(__STRONGROOM_ALLOWED_ORIGINS__);

/** The enclave's version. */
export const VERSION: string = __STRONGROOM_VERSION__;

/**
 * `true` only in development and test builds: loopback `http:` VAPID audiences and the
 * dev-only test seams are compiled in. Release builds set it `false` and the bundler drops
 * every branch guarded by it.
 */
export const DEV: boolean = __STRONGROOM_DEV__;

/**
 * `true` only in the bench's "audit off" variant (`npm run bench`, `buildEnclave(…, { auditOff:
 * true })`): the key worker runs without its audit log, to measure what the log costs. No build
 * configuration can set it, and release builds drop every branch guarded by it.
 */
export const BENCH_AUDIT_OFF: boolean = __STRONGROOM_BENCH_AUDIT_OFF__;
