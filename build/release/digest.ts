/**
 * Digests used by the release tooling: sha256 as lowercase hex (what `sha256sum` prints), sha384
 * in Subresource Integrity form (`sha384-` + base64, what browsers check), the public-key hint of
 * key-signed bundles, and a constant-time comparison for digests.
 */
import { createHash, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * sha256 of `data` as 64 lowercase hex characters.
 *
 * @example
 * ```ts
 * sha256Hex(new TextEncoder().encode('abc')); // 'ba7816bf…15ad' (FIPS 180-2, B.1)
 * ```
 */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * sha384 of `data` in SRI form: `sha384-` followed by standard base64 with padding.
 *
 * @example
 * ```ts
 * sha384Sri(bytes); // 'sha384-…' (64 base64 characters)
 * ```
 */
export function sha384Sri(data: Uint8Array): string {
  return `sha384-${createHash('sha384').update(data).digest('base64')}`;
}

/**
 * Compare two digest strings in constant time (for equal lengths; the length is not secret).
 *
 * @example
 * ```ts
 * if (!digestEquals(expected, sha256Hex(bytes))) fail();
 * ```
 */
export function digestEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The public-key hint of key-based bundles: sha256 (hex) of the key's DER SubjectPublicKeyInfo
 * (`openssl pkey -pubin -in pub.pem -outform DER | sha256sum`).
 *
 * @example
 * ```ts
 * publicKeyHint(createPublicKey(pem)); // '0d24e7ee…'
 * ```
 */
export function publicKeyHint(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ format: 'der', type: 'spki' }));
}
