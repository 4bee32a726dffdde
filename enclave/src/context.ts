/**
 * What every operation receives: the caller's origin bound at the handshake, and the keystore
 * scoped to that origin. Built once per channel by the key worker.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { PersistRequest, RateLimits } from '@strongroom/bridge/protocol';
import type { Keystore } from './keystore/store';
import type { BootMark } from './lib/boot-marks';

/** Start-up marks of the enclave document and key worker (dev builds only, `lib/boot-marks.ts`). */
export interface DevBoot {
  readonly document: readonly BootMark[];
  readonly worker: readonly BootMark[];
}

/** The per-channel context of the operations. */
export interface OpContext {
  /** The app origin that completed the handshake; owner of every key made on this channel. */
  readonly callerOrigin: string;
  /** The enclave's own origin. */
  readonly enclaveOrigin: string;
  /** Whether the caller is on another site than the enclave. */
  readonly crossSite: boolean;
  /**
   * The release digest of the running code (see `release-digest.ts`), reported by `info()`.
   * The enclave document may finish it after the handshake: this waits until it is known.
   */
  releaseDigest(): Promise<string | null>;
  /** The deployment's rate limits (reported by `info()`). */
  readonly rateLimits: RateLimits;
  /** The keystore of the caller; throws `STORAGE_UNAVAILABLE` when IndexedDB could not open. */
  keystore(): Keystore;
  /** How the enclave document's `navigator.storage.persist()` ended (`persistence.ts`). */
  persistRequest(): Promise<PersistRequest>;
  /** Dev builds only: the start-up marks `info()` reports as `devBoot` (absent in release). */
  readonly devBoot?: () => DevBoot;
}

/** Build a context; `keystore` is `null` when IndexedDB could not be opened. */
export function createContext(options: {
  callerOrigin: string;
  enclaveOrigin: string;
  crossSite: boolean;
  releaseDigest: Promise<string | null>;
  rateLimits: RateLimits;
  keystore: Keystore | null;
  /** Default: `unavailable` (no enclave document asked, as in unit tests). */
  persistRequest?: () => Promise<PersistRequest>;
  /** Dev builds only (`lib/boot-marks.ts`). */
  devBoot?: () => DevBoot;
}): OpContext {
  const { keystore, persistRequest, releaseDigest, ...rest } = options;
  return {
    ...rest,
    releaseDigest: () => releaseDigest,
    persistRequest: persistRequest ?? (() => Promise.resolve('unavailable')),
    keystore() {
      if (!keystore) {
        throw new StrongroomError('STORAGE_UNAVAILABLE', 'IndexedDB is not available');
      }
      return keystore;
    },
  };
}
