/**
 * Wrapped-key formats of `wrapKey`/`unwrapKey`, version 1 (docs/formats.md):
 *
 * - under an `A256KW` KEK: exactly the RFC 3394 output over the raw secret (secret keys only),
 *   so that any RFC 3394 implementation interoperates;
 * - under an `A256GCM` KEK: `0x01 ‖ IV (12) ‖ AES-256-GCM ciphertext ‖ tag (16)` over the raw
 *   secret (secret keys) or the PKCS #8 private key (pairs), with the AAD
 *   `"strongroom/wrapped-key/v1 " + alg` (UTF-8), which binds the algorithm the key will get.
 */
import type { KeyAlgorithm } from '@strongroom/bridge/protocol';
import { utf8 } from './encoding';
import { concat, GCM_IV_BYTES, GCM_TAG_BYTES } from './envelope';

/** The version byte of the A256GCM form. */
export const WRAPPED_KEY_VERSION = 1;

/** The AAD of the A256GCM form for a key of `alg`. */
export function wrappedKeyAad(alg: KeyAlgorithm): Uint8Array<ArrayBuffer> {
  return utf8(`strongroom/wrapped-key/v${WRAPPED_KEY_VERSION} ${alg}`);
}

/** Assemble the A256GCM form. */
export function encodeGcmWrapped(iv: Uint8Array, ciphertext: Uint8Array): Uint8Array<ArrayBuffer> {
  return concat(Uint8Array.of(WRAPPED_KEY_VERSION), iv, ciphertext);
}

/** Split the A256GCM form; `null` when malformed. */
export function parseGcmWrapped(
  bytes: Uint8Array<ArrayBuffer>,
): { iv: Uint8Array<ArrayBuffer>; ciphertext: Uint8Array<ArrayBuffer> } | null {
  if (bytes.length < 1 + GCM_IV_BYTES + GCM_TAG_BYTES + 1) return null;
  if (bytes[0] !== WRAPPED_KEY_VERSION) return null;
  return {
    iv: bytes.subarray(1, 1 + GCM_IV_BYTES),
    ciphertext: bytes.subarray(1 + GCM_IV_BYTES),
  };
}
