/**
 * Keystores written by every earlier schema (1 and 2) open under schema 3: each record gets
 * the purpose of the documented rule (docs/policy.md, `MIGRATED_PURPOSE` in
 * enclave/src/keystore/store.ts), provenance `migrated` (page-knowable), no allowlists, one
 * version; a state other than `active` becomes `revoked`. The old records are written by hand
 * from inside a bare enclave frame (no worker runs), exactly in their schema's shape.
 */
import type { BrowserPage } from '../webkit/browser-page';
import { call, callError, connectHarness, frameSelector, openHarness, waitFor } from './harness';
import { type CoreSuite, expect } from './suite';

interface Seeded {
  es: string;
  hs: string;
  kw: string;
  old: string;
}

/** Frame the enclave page without connecting: its worker, and so the keystore, never start. */
async function bareEnclave(page: BrowserPage, enclaveUrl: string) {
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
      const jwk = async (k: CryptoKey) => {
        const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', k);
        return { kty, crv, x, y, kid: 'k', alg: 'ES256' };
      };
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
          publicJwk: await jwk(es.publicKey),
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
          publicJwk: await jwk(old.publicKey),
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
      ];
      const tx = db.transaction('keys', 'readwrite');
      for (const record of records) tx.objectStore('keys').put(record);
      tx.oncomplete = () => {
        db.close();
        resolve({
          es: 'esAAAAAAAAAAAAAAAAAAAA',
          hs: 'hsAAAAAAAAAAAAAAAAAAAA',
          kw: 'kwAAAAAAAAAAAAAAAAAAAA',
          old: 'oldAAAAAAAAAAAAAAAAAAA',
        });
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

function migrationTest(version: number) {
  return {
    name: `a schema ${version} keystore opens at schema 3 with purposes, provenance and states by the documented rule`,
    async run({ page, urls }: Parameters<CoreSuite['tests'][number]['run']>[0]) {
      await openHarness(page, urls.app);
      const bare = await bareEnclave(page, urls.enclave);
      const ids = await bare.evaluate(seed, { version, owner: urls.app });
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
