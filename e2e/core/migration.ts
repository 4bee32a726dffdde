/**
 * Keystores written by the schemas before the key policy (1 and 2) open under the current one
 * (the step to 3 is theirs; 3 → 4 is in e2e/core/audit.ts): each record gets
 * the purpose of the documented rule (docs/policy.md, `MIGRATED_PURPOSE` in
 * enclave/src/keystore/store.ts), provenance `migrated` (page-knowable), no allowlists, one
 * version; a state other than `active` becomes `revoked`. The old records — one of each
 * algorithm (ES256, EdDSA, HS256, A256GCM, A256KW, ECDH-ES, X25519 where the engine can store
 * it) — are written by hand from inside a bare enclave frame (no worker runs), exactly in their
 * schema's shape.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { BrowserPage } from '../webkit/browser-page';
import { call, callError, connectHarness, frameSelector, openHarness, waitFor } from './harness';
import { type CoreSuite, expect } from './suite';

interface Seeded {
  es: string;
  hs: string;
  kw: string;
  old: string;
  ed: string;
  gcm: string;
  ecdh: string;
  /** `null` where the engine's IndexedDB cannot store an X25519 `CryptoKey` (WebKitGTK). */
  x: string | null;
}

/** Public keys of a peer (here: Node) for `agree` with the migrated ECDH-ES and X25519 keys. */
const PEERS = (() => {
  const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
    format: 'jwk',
  });
  const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
  return {
    p256: { kty: p256.kty, crv: p256.crv, x: p256.x, y: p256.y } as JsonWebKey,
    x25519: { kty: x25519.kty, crv: x25519.crv, x: x25519.x } as JsonWebKey,
  };
})();

/** Frame the enclave page without connecting: its worker, and so the keystore, never start. */
export async function bareEnclave(page: BrowserPage, enclaveUrl: string) {
  // A document of the enclave's origin that is not the enclave: the enclave document starts its
  // key worker at once, which opens (and upgrades) the keystore before a seed could write an
  // older schema. The server's 404 page is such a document.
  const src = new URL('migration-seed-not-found', enclaveUrl).href;
  await page.evaluate((src: string) => {
    const iframe = document.createElement('iframe');
    iframe.id = 'bare';
    iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin');
    iframe.src = src;
    document.body.append(iframe);
  }, src);
  const frame = page.frame(frameSelector(src));
  const ready = await waitFor(() => frame.evaluate(() => document.readyState), 'complete');
  if (ready !== 'complete') throw new Error('the bare enclave frame did not load');
  return frame;
}

/**
 * Write records of schema `version` (1 or 2) for `owner`; returns their ids. Runs inside the
 * enclave frame, so it is self-contained.
 */
function seed({ version, owner }: { version: number; owner: string }): Promise<Seeded> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open('strongroom', version);
    req.onupgradeneeded = () => {
      const keys = req.result.createObjectStore('keys', { keyPath: 'id' });
      keys.createIndex('byOwner', 'owner');
      if (version >= 2) req.result.createObjectStore('meta', { keyPath: 'name' });
    };
    req.onerror = () => reject(req.error);
    req.onsuccess = async () => {
      const db = req.result;
      const es = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'sign',
        'verify',
      ]);
      const old = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'sign',
        'verify',
      ]);
      const hs = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
        'verify',
      ]);
      const kw = await crypto.subtle.generateKey({ name: 'AES-KW', length: 256 }, false, [
        'wrapKey',
        'unwrapKey',
      ]);
      const ed = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      const gcm = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
        'encrypt',
        'decrypt',
        'wrapKey',
        'unwrapKey',
      ]);
      const ecdh = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, [
        'deriveBits',
      ]);
      const xd = (await crypto.subtle.generateKey({ name: 'X25519' }, false, [
        'deriveBits',
      ])) as CryptoKeyPair;
      const jwk = async (k: CryptoKey, alg?: string) => {
        const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', k);
        return { kty, crv, x, ...(y ? { y } : {}), kid: 'k', ...(alg ? { alg } : {}) };
      };
      const pair = async (
        id: string,
        alg: string,
        made: CryptoKeyPair,
        jwkAlg?: string,
      ): Promise<Record<string, unknown>> =>
        v2({
          ...base,
          id,
          kid: 'k',
          alg,
          label: alg,
          state: 'active',
          key: made.privateKey,
          publicKey: made.publicKey,
          publicJwk: await jwk(made.publicKey, jwkAlg),
        });
      const v2 = (record: Record<string, unknown>) =>
        version >= 2
          ? {
              ...record,
              maxTokenLifetime: 3600,
              exportable: false,
              exportMaterial: null,
              atRest: null,
            }
          : record;
      const base = {
        owner,
        createdAt: Date.now(),
        version: 1,
        usage: { count: 2, lastUsedAt: null },
      };
      const records = [
        v2({
          ...base,
          id: 'esAAAAAAAAAAAAAAAAAAAA',
          kid: 'k',
          alg: 'ES256',
          label: 'es',
          state: 'active',
          key: es.privateKey,
          publicKey: es.publicKey,
          publicJwk: await jwk(es.publicKey, 'ES256'),
        }),
        v2({
          ...base,
          id: 'oldAAAAAAAAAAAAAAAAAAA',
          kid: 'k',
          alg: 'ES256',
          label: 'retired in v1',
          state: 'retired',
          key: old.privateKey,
          publicKey: old.publicKey,
          publicJwk: await jwk(old.publicKey, 'ES256'),
        }),
        v2({
          ...base,
          id: 'hsAAAAAAAAAAAAAAAAAAAA',
          kid: 'hsAAAAAAAAAAAAAAAAAAAA',
          alg: 'HS256',
          label: 'hs',
          state: 'active',
          key: hs,
          publicKey: null,
          publicJwk: null,
        }),
        v2({
          ...base,
          id: 'kwAAAAAAAAAAAAAAAAAAAA',
          kid: 'kwAAAAAAAAAAAAAAAAAAAA',
          alg: 'A256KW',
          label: 'kw',
          state: 'active',
          key: kw,
          publicKey: null,
          publicJwk: null,
        }),
        await pair('edAAAAAAAAAAAAAAAAAAAA', 'EdDSA', ed, 'EdDSA'),
        v2({
          ...base,
          id: 'gcmAAAAAAAAAAAAAAAAAAA',
          kid: 'gcmAAAAAAAAAAAAAAAAAAA',
          alg: 'A256GCM',
          label: 'gcm',
          state: 'active',
          key: gcm,
          publicKey: null,
          publicJwk: null,
        }),
        await pair('ecdhAAAAAAAAAAAAAAAAAA', 'ECDH-ES', ecdh),
      ];
      const xRecord = await pair('xAAAAAAAAAAAAAAAAAAAAA', 'X25519', xd);
      const tx = db.transaction('keys', 'readwrite');
      for (const record of records) tx.objectStore('keys').put(record);
      // WebKitGTK's IndexedDB cannot store an X25519 CryptoKey (DataCloneError, thrown by put):
      // an enclave of either earlier schema could not have kept one there, so no such record.
      let xId: string | null = 'xAAAAAAAAAAAAAAAAAAAAA';
      try {
        tx.objectStore('keys').put(xRecord);
      } catch {
        xId = null;
      }
      tx.oncomplete = () => {
        db.close();
        resolve({
          es: 'esAAAAAAAAAAAAAAAAAAAA',
          hs: 'hsAAAAAAAAAAAAAAAAAAAA',
          kw: 'kwAAAAAAAAAAAAAAAAAAAA',
          old: 'oldAAAAAAAAAAAAAAAAAAA',
          ed: 'edAAAAAAAAAAAAAAAAAAAA',
          gcm: 'gcmAAAAAAAAAAAAAAAAAAA',
          ecdh: 'ecdhAAAAAAAAAAAAAAAAAA',
          x: xId,
        });
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

function migrationTest(version: number) {
  return {
    name: `a schema ${version} keystore opens at the current schema with purposes, provenance and states by the documented rule`,
    async run({ page, urls, browserName }: Parameters<CoreSuite['tests'][number]['run']>[0]) {
      await openHarness(page, urls.app);
      const bare = await bareEnclave(page, urls.enclave);
      const ids = await bare.evaluate(seed, { version, owner: urls.app });
      // Only WebKitGTK cannot store an X25519 CryptoKey; elsewhere the row is seeded.
      if (browserName !== 'webkit') expect(ids.x).not.toBeNull();
      await page.evaluate(() => document.getElementById('bare')?.remove());
      await connectHarness(page);

      const te = new TextEncoder();
      type K = {
        purpose: string;
        state: string;
        provenance: unknown;
        version: number;
        usage: { count: number };
      };
      const es = await call<K>(page, 'getKey', ids.es);
      expect(es).toMatchObject({
        purpose: 'jwt',
        state: 'active',
        provenance: { source: 'migrated', pageKnowable: true },
        version: 1,
        usage: { count: 2 },
      });
      await call(page, 'signJwt', ids.es, { claims: {}, expiresIn: 60 });
      expect((await callError(page, 'sign', ids.es, te.encode('x'))).code).toBe(
        'OPERATION_NOT_ALLOWED',
      );
      expect(await call<K>(page, 'getKey', ids.hs)).toMatchObject({
        purpose: 'mac',
        state: 'active',
      });
      await call(page, 'sign', ids.hs, te.encode('x'));
      expect(await call<K>(page, 'getKey', ids.kw)).toMatchObject({ purpose: 'seal' });
      await call(page, 'seal', ids.kw, te.encode('x'));
      expect(await call<K>(page, 'getKey', ids.old)).toMatchObject({ state: 'revoked' });
      expect((await callError(page, 'signJwt', ids.old, { claims: {}, expiresIn: 60 })).code).toBe(
        'OPERATION_NOT_ALLOWED',
      );

      // Every algorithm of the earlier schemas: the purpose of the rule, provenance migrated.
      const migrated = { source: 'migrated', pageKnowable: true };
      const rows: [string | null, string][] = [
        [ids.es, 'jwt'],
        [ids.hs, 'mac'],
        [ids.kw, 'seal'],
        [ids.ed, 'jwt'],
        [ids.gcm, 'seal'],
        [ids.ecdh, 'agree'],
        [ids.x, 'agree'],
      ];
      for (const [id, purpose] of rows) {
        if (id === null) continue; // no X25519 record where the engine cannot store one
        expect(await call<K>(page, 'getKey', id), id).toMatchObject({
          purpose,
          state: 'active',
          provenance: migrated,
          version: 1,
        });
      }
      // EdDSA: a jwt key — it signs tokens, not raw bytes.
      await call(page, 'signJwt', ids.ed, { claims: {}, expiresIn: 60 });
      expect((await callError(page, 'sign', ids.ed, te.encode('x'))).code).toBe(
        'OPERATION_NOT_ALLOWED',
      );
      // A256GCM: a seal key — it seals and opens, and is no KEK.
      const envelope = await call<Uint8Array>(page, 'seal', ids.gcm, te.encode('kept'));
      expect(new TextDecoder().decode(await call<Uint8Array>(page, 'open', envelope))).toBe('kept');
      expect((await callError(page, 'wrapKey', ids.gcm, ids.kw)).code).toBe(
        'OPERATION_NOT_ALLOWED',
      );
      // ECDH-ES and X25519: agree keys — they agree (the derived key is page-knowable too), and
      // decrypt no JWE.
      const peers: [string | null, JsonWebKey][] = [
        [ids.ecdh, PEERS.p256],
        [ids.x, PEERS.x25519],
      ];
      for (const [id, peer] of peers) {
        if (id === null) continue;
        const derived = await call<K>(page, 'agree', id, peer, {
          info: 'migrated',
          alg: 'A256GCM',
        });
        expect(derived).toMatchObject({
          purpose: 'seal',
          provenance: { source: 'derived', pageKnowable: true },
        });
        expect((await callError(page, 'decryptJwe', id, 'a.b.c.d.e')).code).toBe(
          'OPERATION_NOT_ALLOWED',
        );
      }
    },
  };
}

/** The migration suites. */
export const MIGRATION: readonly CoreSuite[] = [
  {
    describe: 'when a keystore of an earlier schema is opened',
    tests: [migrationTest(1), migrationTest(2)],
  },
];
