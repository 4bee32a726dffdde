/**
 * The envelope format of `seal`/`open`, version 1 (docs/formats.md). Pure byte layout:
 *
 * ```
 * offset     size  field
 * 0          2     magic "SR" (0x53 0x52)
 * 2          1     format version (1)
 * 3          1     KEK mechanism: 1 = A256KW (RFC 3394), 2 = A256GCM
 * 4          1     n: length of the key id (1–64)
 * 5          n     key id of the KEK (ASCII, base64url alphabet)
 * 5+n        4     key version (unsigned, big-endian)
 * 9+n        1     m: length of the wrapped DEK
 * 10+n       m     wrapped DEK (A256KW: 40 bytes; A256GCM: 12-byte IV ‖ 32 ‖ 16-byte tag)
 * 10+n+m     12    IV of the content encryption
 * 22+n+m     …     AES-256-GCM ciphertext ‖ 16-byte tag
 * ```
 *
 * The header (offsets 0 to 9+n) is the AAD of an A256GCM key wrap; everything before the
 * ciphertext, followed by the caller's AAD, is the AAD of the content encryption, so a change
 * to any byte makes `open` fail.
 */

/** The magic bytes "SR". */
export const ENVELOPE_MAGIC = [0x53, 0x52] as const;
/** The format version this code writes and reads. */
export const ENVELOPE_VERSION = 1;
/** Bytes of an AES-GCM IV. */
export const GCM_IV_BYTES = 12;
/** Bytes of an AES-GCM tag. */
export const GCM_TAG_BYTES = 16;

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** What the header names. */
export interface EnvelopeHeader {
  /** The KEK mechanism's id byte (from the algorithm table). */
  readonly mechanism: number;
  readonly keyId: string;
  readonly keyVersion: number;
}

/** A parsed envelope: views into the input. */
export interface ParsedEnvelope extends EnvelopeHeader {
  /** Bytes 0 to 9+n: the AAD of an A256GCM key wrap. */
  readonly header: Uint8Array<ArrayBuffer>;
  readonly wrappedKey: Uint8Array<ArrayBuffer>;
  readonly iv: Uint8Array<ArrayBuffer>;
  /** Everything before the ciphertext: the first part of the content AAD. */
  readonly prefix: Uint8Array<ArrayBuffer>;
  readonly ciphertext: Uint8Array<ArrayBuffer>;
}

/** Encode the header (offsets 0 to 9+n). */
export function encodeHeader(header: EnvelopeHeader): Uint8Array<ArrayBuffer> {
  if (!KEY_ID.test(header.keyId)) throw new TypeError('bad key id');
  if (!Number.isInteger(header.mechanism) || header.mechanism < 1 || header.mechanism > 255) {
    throw new TypeError('bad mechanism');
  }
  if (
    !Number.isInteger(header.keyVersion) ||
    header.keyVersion < 0 ||
    header.keyVersion > 0xffffffff
  ) {
    throw new TypeError('bad key version');
  }
  const n = header.keyId.length;
  const out = new Uint8Array(9 + n);
  out.set(ENVELOPE_MAGIC, 0);
  out[2] = ENVELOPE_VERSION;
  out[3] = header.mechanism;
  out[4] = n;
  for (let i = 0; i < n; i++) out[5 + i] = header.keyId.charCodeAt(i);
  new DataView(out.buffer).setUint32(5 + n, header.keyVersion);
  return out;
}

/** Everything before the ciphertext: header ‖ m ‖ wrapped DEK ‖ IV. */
export function encodePrefix(
  header: Uint8Array,
  wrappedKey: Uint8Array,
  iv: Uint8Array,
): Uint8Array<ArrayBuffer> {
  if (wrappedKey.length < 1 || wrappedKey.length > 255) throw new TypeError('bad wrapped key');
  if (iv.length !== GCM_IV_BYTES) throw new TypeError('bad iv');
  return concat(header, Uint8Array.of(wrappedKey.length), wrappedKey, iv);
}

/** Concatenate byte strings into a fresh buffer. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Parse an envelope; `null` when it is not a well-formed version 1 envelope. */
export function parseEnvelope(bytes: Uint8Array<ArrayBuffer>): ParsedEnvelope | null {
  if (bytes.length < 10) return null;
  if (bytes[0] !== ENVELOPE_MAGIC[0] || bytes[1] !== ENVELOPE_MAGIC[1]) return null;
  if (bytes[2] !== ENVELOPE_VERSION) return null;
  const mechanism = bytes[3] as number;
  const n = bytes[4] as number;
  if (n < 1 || n > 64 || bytes.length < 10 + n) return null;
  let keyId = '';
  for (let i = 0; i < n; i++) keyId += String.fromCharCode(bytes[5 + i] as number);
  if (!KEY_ID.test(keyId)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const keyVersion = view.getUint32(5 + n);
  const m = bytes[9 + n] as number;
  const ivStart = 10 + n + m;
  const ctStart = ivStart + GCM_IV_BYTES;
  if (m < 1 || bytes.length < ctStart + GCM_TAG_BYTES) return null;
  return {
    mechanism,
    keyId,
    keyVersion,
    header: bytes.subarray(0, 9 + n),
    wrappedKey: bytes.subarray(10 + n, ivStart),
    iv: bytes.subarray(ivStart, ctStart),
    prefix: bytes.subarray(0, ctStart),
    ciphertext: bytes.subarray(ctStart),
  };
}
