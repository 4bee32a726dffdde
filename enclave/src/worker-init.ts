/**
 * The messages the enclave document sends its key worker: the one init message with the
 * channel's port, and the release digest, which the document may finish computing after the
 * handshake (`main.ts`); the worker's `info()` waits for it, so nothing reports a digest before
 * it is known.
 */

/** Sent once by `main.ts` to the key worker, with the channel's `MessagePort` transferred. */
export interface WorkerInit {
  readonly callerOrigin: string;
  readonly enclaveOrigin: string;
  readonly crossSite: boolean;
  /** The handshake nonce, echoed to the bridge in the `accepted` message. */
  readonly nonce: string;
  /**
   * The most messages the bridge said it reads in one batch (`connect`'s `batch`), or `null`:
   * it never gets one, and sends none.
   */
  readonly batch: number | null;
}

/**
 * Sent once by `main.ts`, before or after {@link WorkerInit}: the release digest of the running
 * code, computed by the page from the integrity pins it enforced (`release-digest.ts`); `null`
 * when something was loaded without a sha384 pin or `index.html` could not be fetched again.
 */
export interface ReleaseDigestNotice {
  readonly type: 'strongroom:release-digest';
  readonly digest: string | null;
}

const DIGEST = /^[0-9a-f]{64}$/;

/** Whether `data` is a {@link ReleaseDigestNotice}. */
export function isReleaseDigestNotice(data: unknown): data is ReleaseDigestNotice {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  return (
    m.type === 'strongroom:release-digest' &&
    (m.digest === null || (typeof m.digest === 'string' && DIGEST.test(m.digest)))
  );
}

/** Whether `data` is a {@link WorkerInit}. */
export function isWorkerInit(data: unknown): data is WorkerInit {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  return (
    typeof m.callerOrigin === 'string' &&
    typeof m.enclaveOrigin === 'string' &&
    typeof m.crossSite === 'boolean' &&
    typeof m.nonce === 'string'
  );
}
