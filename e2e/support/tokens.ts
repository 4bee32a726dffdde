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
import { unwrap } from '../core/harness';
import { tryExportEveryKey } from '../core/keystore';
import { encode, type Json } from '../fixtures/src/wire-json';
import { playwrightPage } from '../webkit/playwright-page';
import type { ErrorView } from './test';

/** `KeyInfo` as the specs read it (bridge/src/protocol.ts). */
export interface KeyView {
  id: string;
  kid: string;
  alg: string;
  /** `sign`, `jwt`, `vapid`, `mac`, `seal`, `wrap`, `agree` or `jwe`. */
  purpose: string;
  state: 'active' | 'revoked' | 'pending-deletion';
  label: string;
  owner: string;
  createdAt: number;
  version: number;
  versions: {
    version: number;
    kid: string;
    state: 'primary' | 'retired';
    createdAt: number;
    publicJwk: (JsonWebKey & { kid?: string }) | null;
  }[];
  provenance: {
    source: 'generated' | 'derived' | 'imported' | 'migrated';
    from?: { keyId: string; source: string };
    pageKnowable: boolean;
  };
  policy: {
    maxTokenLifetime: number;
    usesPerMinute: number;
    audiences: string[] | null;
    issuers: string[] | null;
    subjects: string[] | null;
    vapidAudiences: string[] | null;
  };
  deletion: { scheduledAt: number; destroyAt: number } | null;
  exportable: boolean;
  extractable: false;
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

/**
 * TEST FIXTURE. Put a `wrap` KEK whose raw bytes the test knows into the enclave's keystore of
 * `page`, written straight into IndexedDB from inside the enclave frame (schema v3 record shape,
 * enclave/src/keystore/schema.ts) with provenance `generated`; returns its id.
 *
 * No enclave operation can make such a key, on purpose: a KEK whose value may be known outside
 * the enclave (derived by `agree`, imported by `unwrapKey`) never exports keys and never imports
 * key pairs (enclave/src/policy/provenance.ts), and a generated KEK's bytes are known to nobody.
 * The published vectors of `wrapKey` and of private keys need exactly such a KEK, so the vector
 * spec plants one; every operation on it still goes through the enclave's real code.
 */
export async function plantKnownKek(
  page: Page,
  enclaveUrl: string,
  owner: string,
  alg: 'A256KW' | 'A256GCM',
  raw: Uint8Array,
): Promise<string> {
  const frame = playwrightPage(page).frame(`iframe[src^="${enclaveUrl}"]`);
  return frame.evaluate(
    (input: { owner: string; alg: string; raw: number[] }) =>
      new Promise<string>((resolve, reject) => {
        const idBytes = crypto.getRandomValues(new Uint8Array(16));
        const id = btoa(String.fromCharCode(...idBytes))
          .replace(/\+/g, '-')
          .replace(/\//g, '_')
          .replace(/=+$/, '');
        const gcm = input.alg === 'A256GCM';
        const imported = crypto.subtle.importKey(
          'raw',
          new Uint8Array(input.raw),
          { name: gcm ? 'AES-GCM' : 'AES-KW' },
          false,
          gcm ? ['encrypt', 'decrypt', 'wrapKey', 'unwrapKey'] : ['wrapKey', 'unwrapKey'],
        );
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = async () => {
          const db = req.result;
          const key = await imported;
          const now = Date.now();
          const tx = db.transaction('keys', 'readwrite');
          tx.objectStore('keys').add({
            id,
            kid: id,
            alg: input.alg,
            label: 'planted known KEK',
            owner: input.owner,
            createdAt: now,
            version: 1,
            versionCreatedAt: now,
            state: 'active',
            purpose: 'wrap',
            provenance: { source: 'generated' },
            tokenPolicy: { audiences: null, issuers: null, subjects: null, vapidAudiences: null },
            usesPerMinute: null,
            deletion: null,
            retired: [],
            usage: { count: 0, lastUsedAt: null },
            key,
            publicKey: null,
            publicJwk: null,
            maxTokenLifetime: 24 * 60 * 60,
            exportable: false,
            exportMaterial: null,
            atRest: null,
          });
          tx.oncomplete = () => {
            db.close();
            resolve(id);
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    { owner, alg, raw: Array.from(raw) },
  );
}

/**
 * Why a test that must answer the enclave's consent dialog is skipped in Firefox cross-site:
 * stock Firefox ESR does not route Playwright's input into an out-of-process frame (see
 * e2e/core/consent.ts, where Firefox same-site runs the same clicks).
 */
export const NO_INPUT_IN_FIREFOX_OOP =
  'stock Firefox ESR does not route Playwright input into out-of-process frames; the same-site project runs this test';

/**
 * Call an operation that asks for consent, and approve it as a person would: wait for the
 * enclave's dialog, wait past its minimum time, click "Allow" inside the enclave frame.
 * Returns the call's value; throws the page's error view if it failed.
 */
export async function approved<T = unknown>(
  page: Page,
  enclaveUrl: string,
  op: string,
  ...args: unknown[]
): Promise<T> {
  const browserPage = playwrightPage(page);
  const frame = browserPage.frame(`iframe[src^="${enclaveUrl}"]`);
  const ticket = await page.evaluate(
    (input: { op: string; args: unknown[] }) => window.sr.start(input.op, input.args as never),
    { op, args: args.map(encode) as unknown[] },
  );
  for (let i = 0; i < 100; i++) {
    if ((await frame.evaluate(() => document.documentElement.dataset.consent ?? null)) === 'open')
      break;
    await page.waitForTimeout(100);
  }
  await page.waitForTimeout(900);
  await frame.click('#consent-allow');
  for (let i = 0; i < 150; i++) {
    const s = (await page.evaluate((t: number) => window.sr.settled(t), ticket)) as {
      pending: boolean;
      result?: Json;
    };
    if (!s.pending) return unwrap(s.result as Json) as T;
    await page.waitForTimeout(100);
  }
  throw new Error(`${op} did not settle after approval`);
}
