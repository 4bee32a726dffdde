/**
 * The one message the enclave document sends its key worker, with the channel's port.
 */

/** Sent once by `main.ts` to the key worker, with the channel's `MessagePort` transferred. */
export interface WorkerInit {
  readonly callerOrigin: string;
  readonly enclaveOrigin: string;
  readonly crossSite: boolean;
  /** The handshake nonce, echoed to the bridge in the `accepted` message. */
  readonly nonce: string;
  /**
   * The release digest of the running code, computed by the page from the integrity pins it
   * enforced (`release-digest.ts`); `null` when something was loaded without a sha384 pin.
   */
  readonly releaseDigest: string | null;
}
