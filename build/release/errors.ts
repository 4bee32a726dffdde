/**
 * Errors of the release tooling (manifest, signing, verification). Every failure is a
 * {@link ReleaseVerificationError} with a stable `code`; callers switch on the code, never on
 * the message. Messages about signatures are fixed and uninformative on purpose.
 */

/** Every code a release check can fail with. */
export const RELEASE_ERROR_CODES = [
  /** The manifest is not valid JSON or does not have the documented shape; the message names the field. */
  'MANIFEST_MALFORMED',
  /** The bundle is not a v0.3 Sigstore message-signature bundle. */
  'BUNDLE_MALFORMED',
  /** The bundle's messageDigest is not sha256 of the manifest bytes given. */
  'DIGEST_MISMATCH',
  /** The signature does not verify over the manifest bytes. */
  'SIGNATURE_INVALID',
  /** The signature is valid but made by another key or identity than the one required. */
  'IDENTITY_MISMATCH',
  /** The certificate chain, transparency-log entry or timestamp does not chain to the trusted root. */
  'UNTRUSTED_MATERIAL',
  /** The trusted root or the public key given to the verifier cannot be read. */
  'TRUST_INPUT_INVALID',
  /**
   * Sigstore's trusted root could not be fetched through TUF (offline, proxy, DNS): nothing is
   * known about the bundle yet. Give the trusted root as a file to verify offline.
   */
  'TRUSTED_ROOT_UNAVAILABLE',
  /** Signing could not complete (no identity token, unreachable service, bad key). */
  'SIGNING_FAILED',
] as const;

/** The stable code of a {@link ReleaseVerificationError}. */
export type ReleaseErrorCode = (typeof RELEASE_ERROR_CODES)[number];

/**
 * The one error class of the release tooling. Check `code`, never the message.
 *
 * @example
 * ```ts
 * try {
 *   await verifyBundle(bundleJson, manifestBytes, { kind: 'key', publicKeyPem });
 * } catch (err) {
 *   if (err instanceof ReleaseVerificationError && err.code === 'DIGEST_MISMATCH') refuse();
 * }
 * ```
 */
export class ReleaseVerificationError extends Error {
  /** The stable code. */
  readonly code: ReleaseErrorCode;

  constructor(code: ReleaseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReleaseVerificationError';
    this.code = code;
  }
}
