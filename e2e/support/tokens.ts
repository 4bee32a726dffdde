/**
 * Node-side counterparts for the token and data-protection specs: an independent
 * implementation of the envelope format of docs/formats.md on `node:crypto` (so the format is
 * checked against its documentation, not against the enclave's own code), HKDF and X25519 /
 * P-256 helpers, and the shapes the harness returns.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import type { Page } from '@playwright/test';
import { tryExportEveryKey } from '../core/keystore';
import { playwrightPage } from '../webkit/playwright-page';
import type { ErrorView } from './test';

/** `KeyInfo` as the specs read it. */
export interface KeyView {
  id: string;
  kid: string;
  alg: string;
  state: string;
  label: string;
  exportable: boolean;
  maxTokenLifetime: number;
  usage: { count: number; lastUsedAt: number | null };
  publicJwk: (JsonWebKey & { kid?: string }) | null;
}

/** Assert the view is a `StrongroomError` with `code` (class and code, as CONVENTIONS ask). */
export function isCode(view: ErrorView, code: string): boolean {
  return view.isStrongroomError && view.name === 'StrongroomError' && view.code === code;
}

export const b64u = {
  encode: (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url'),
  decode: (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url')),
};

/** Bytes from hex (test vectors). */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

/** HKDF-SHA-256 (RFC 5869) to 32 bytes. */
export function hkdf32(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array | string): Buffer {
  const infoBytes = typeof info === 'string' ? Buffer.from(info, 'utf8') : Buffer.from(info);
  return Buffer.from(hkdfSync('sha256', ikm, salt, infoBytes, 32));
}

/** ECDH in Node between a private key object and a public JWK (P-256 or X25519). */
export function nodeEcdh(privateKey: KeyObject, peerJwk: JsonWebKey): Buffer {
  const { kty, crv, x, y } = peerJwk;
  const publicKey = createPublicKey({ key: { kty, crv, x, y } as never, format: 'jwk' });
  return diffieHellman({ privateKey, publicKey });
}

/** AES-256 key wrap (RFC 3394) in Node. */
export function aesKw(kek: Uint8Array, keyData: Uint8Array): Buffer {
  const c = createCipheriv('id-aes256-wrap', kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
  return Buffer.concat([c.update(keyData), c.final()]);
}

/** AES-256 key unwrap (RFC 3394) in Node. */
export function aesKwUnwrap(kek: Uint8Array, wrapped: Uint8Array): Buffer {
  const d = createDecipheriv('id-aes256-wrap', kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
  return Buffer.concat([d.update(wrapped), d.final()]);
}

function gcmEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad: Uint8Array): Buffer {
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
}

function gcmDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(aad);
  d.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
}

/** The envelope's fields, as docs/formats.md lays them out. */
export interface EnvelopeFields {
  magic: Uint8Array;
  version: number;
  mechanism: number;
  keyId: string;
  keyVersion: number;
  wrappedKey: Uint8Array;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  /** Byte ranges of every field, for bit-flip tests. */
  ranges: Record<string, [start: number, end: number]>;
}

/** Parse an envelope by the documentation (docs/formats.md, version 1). */
export function parseEnvelopeDoc(env: Uint8Array): EnvelopeFields {
  const n = env[4] as number;
  const m = env[9 + n] as number;
  const ranges: EnvelopeFields['ranges'] = {
    magic: [0, 2],
    version: [2, 3],
    mechanism: [3, 4],
    keyIdLength: [4, 5],
    keyId: [5, 5 + n],
    keyVersion: [5 + n, 9 + n],
    wrappedKeyLength: [9 + n, 10 + n],
    wrappedKey: [10 + n, 10 + n + m],
    iv: [10 + n + m, 22 + n + m],
    ciphertext: [22 + n + m, env.length - 16],
    tag: [env.length - 16, env.length],
  };
  return {
    magic: env.subarray(0, 2),
    version: env[2] as number,
    mechanism: env[3] as number,
    keyId: Buffer.from(env.subarray(5, 5 + n)).toString('latin1'),
    keyVersion: Buffer.from(env.subarray(5 + n, 9 + n)).readUInt32BE(0),
    wrappedKey: env.subarray(10 + n, 10 + n + m),
    iv: env.subarray(10 + n + m, 22 + n + m),
    ciphertext: env.subarray(22 + n + m),
    ranges,
  };
}

/** Open an envelope in Node with the raw KEK (docs/formats.md, version 1). */
export function openEnvelopeNode(
  env: Uint8Array,
  kek: Uint8Array,
  aad = new Uint8Array(0),
): Buffer {
  const f = parseEnvelopeDoc(env);
  const n = f.keyId.length;
  const header = env.subarray(0, 9 + n);
  const prefix = env.subarray(0, f.ranges.iv?.[1]);
  let dek: Buffer;
  if (f.mechanism === 1) dek = aesKwUnwrap(kek, f.wrappedKey);
  else if (f.mechanism === 2) {
    dek = gcmDecrypt(kek, f.wrappedKey.subarray(0, 12), f.wrappedKey.subarray(12), header);
  } else throw new Error(`unknown mechanism ${f.mechanism}`);
  return gcmDecrypt(dek, f.iv, f.ciphertext, Buffer.concat([prefix, aad]));
}

/** Seal an envelope in Node with a raw KEK (docs/formats.md, version 1). */
export function sealEnvelopeNode(options: {
  kek: Uint8Array;
  mechanism: 1 | 2;
  keyId: string;
  keyVersion?: number;
  plaintext: Uint8Array;
  aad?: Uint8Array;
}): Uint8Array {
  const { kek, mechanism, keyId, plaintext } = options;
  const header = Buffer.alloc(9 + keyId.length);
  header.write('SR', 0, 'latin1');
  header[2] = 1;
  header[3] = mechanism;
  header[4] = keyId.length;
  header.write(keyId, 5, 'latin1');
  header.writeUInt32BE(options.keyVersion ?? 1, 5 + keyId.length);
  const dek = randomBytes(32);
  let wrapped: Buffer;
  if (mechanism === 1) wrapped = aesKw(kek, dek);
  else {
    const wrapIv = randomBytes(12);
    wrapped = Buffer.concat([wrapIv, gcmEncrypt(kek, wrapIv, dek, header)]);
  }
  const iv = randomBytes(12);
  const prefix = Buffer.concat([header, Buffer.of(wrapped.length), wrapped, iv]);
  const ct = gcmEncrypt(
    dek,
    iv,
    plaintext,
    Buffer.concat([prefix, options.aad ?? Buffer.alloc(0)]),
  );
  return new Uint8Array(Buffer.concat([prefix, ct]));
}

/** The A256GCM wrapped-key form (docs/formats.md) of `material` for a key of `alg`. */
export function gcmWrapNode(kek: Uint8Array, alg: string, material: Uint8Array): Uint8Array {
  const iv = randomBytes(12);
  const aad = Buffer.from(`strongroom/wrapped-key/v1 ${alg}`, 'utf8');
  return new Uint8Array(Buffer.concat([Buffer.of(1), iv, gcmEncrypt(kek, iv, material, aad)]));
}

/** One stored key record as seen from inside the enclave frame (no material leaves it). */
export interface StoredView {
  id: string;
  alg: string;
  /** Whether IndexedDB holds a `CryptoKey` for it (`false`: kept wrapped at rest). */
  hasCryptoKey: boolean;
  /** Whether IndexedDB holds a public `CryptoKey` for it. */
  hasPublicCryptoKey: boolean;
  /** Whether the record has wrapped-at-rest material. */
  atRest: boolean;
  /** Whether `exportKey` succeeded in any format on the stored `CryptoKey`. */
  exported: boolean;
  extractable: boolean;
}

/**
 * Every key record of the enclave's IndexedDB, read from inside the enclave frame of `page` by
 * the core suites' probe (`e2e/core/keystore.ts`), in the shape the token specs assert on.
 */
export async function storedKeys(page: Page, enclaveUrl: string): Promise<StoredView[]> {
  const frame = playwrightPage(page).frame(`iframe[src^="${enclaveUrl}"]`);
  return (await tryExportEveryKey(frame)).map((v) => ({
    id: v.id,
    alg: v.alg,
    hasCryptoKey: v.stored === 'cryptokey',
    hasPublicCryptoKey: v.hasPublicCryptoKey,
    atRest: v.atRestBytes > 0,
    exported: v.exported,
    extractable: v.extractable,
  }));
}
