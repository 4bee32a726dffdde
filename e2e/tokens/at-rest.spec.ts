/**
 * Keys at rest: the keystore's migration from v1 (a database written by the v1 schema opens,
 * migrated through v2 to the current schema, and its keys keep working with the v1 defaults and
 * the purpose and provenance the v3 migration gives them), and the wrapped-at-rest path that the
 * start-up probe chooses where IndexedDB cannot keep a key type (WebKit and X25519). Chromium
 * and Firefox keep every type, so the probe's verdict is overridden through a dev-build-only
 * seam (`dev:force-wrap-at-rest` in the `meta` store, compiled out of release builds).
 */
import type { Frame, Page } from '@playwright/test';
import { importJWK, jwtVerify } from 'jose';
import {
  call,
  callError,
  connectHarness,
  enclaveFrame,
  expect,
  openHarness,
  test,
} from '../support/test';
import { isCode, type KeyView, storedKeys } from '../support/tokens';

const te = new TextEncoder();
const td = new TextDecoder();

/**
 * Frame a document of the enclave's origin that is not the enclave (the server's 404 page), to
 * seed an older schema: the enclave document itself starts its key worker at load, which opens
 * (and upgrades) the keystore before a seed could write one.
 */
async function bareEnclave(page: Page, enclaveUrl: string): Promise<Frame> {
  const src = new URL('at-rest-seed-not-found', enclaveUrl).href;
  await page.evaluate((src) => {
    const iframe = document.createElement('iframe');
    iframe.id = 'bare';
    iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin');
    iframe.src = src;
    document.body.append(iframe);
  }, src);
  const frame = await enclaveFrame(page, src);
  await frame.waitForLoadState();
  return frame;
}

async function reconnect(page: Page): Promise<void> {
  await page.reload();
  await page.waitForFunction(() => document.documentElement.dataset.harness === 'ready');
  await connectHarness(page);
}

test.describe('when a v1 keystore is opened by this version', () => {
  test('it is migrated (v2, v3, then v4) and its keys keep working with the v1 defaults', async ({
    page,
    urls,
  }) => {
    await openHarness(page, urls.app);
    const frame = await bareEnclave(page, urls.enclave);
    const seeded = await frame.evaluate(
      (owner) =>
        new Promise<{ id: string; publicJwk: JsonWebKey }>((resolve, reject) => {
          const req = indexedDB.open('strongroom', 1);
          req.onupgradeneeded = () => {
            const keys = req.result.createObjectStore('keys', { keyPath: 'id' });
            keys.createIndex('byOwner', 'owner');
          };
          req.onerror = () => reject(req.error);
          req.onsuccess = async () => {
            const db = req.result;
            const pair = await crypto.subtle.generateKey(
              { name: 'ECDSA', namedCurve: 'P-256' },
              false,
              ['sign', 'verify'],
            );
            const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
            const publicJwk = { kty, crv, x, y, kid: 'v1-kid', alg: 'ES256' };
            // Exactly the v1 record shape: no maxTokenLifetime, exportable, atRest …
            const record = {
              id: 'v1AAAAAAAAAAAAAAAAAAAA',
              kid: 'v1-kid',
              alg: 'ES256',
              label: 'from v1',
              owner,
              createdAt: Date.now(),
              version: 1,
              state: 'active',
              usage: { count: 3, lastUsedAt: null },
              key: pair.privateKey,
              publicKey: pair.publicKey,
              publicJwk,
            };
            const tx = db.transaction('keys', 'readwrite');
            tx.objectStore('keys').put(record);
            tx.oncomplete = () => {
              db.close();
              resolve({ id: record.id, publicJwk });
            };
            tx.onerror = () => reject(tx.error);
          };
        }),
      urls.app,
    );
    await page.evaluate(() => document.getElementById('bare')?.remove());

    await connectHarness(page);
    const key = await call<KeyView>(page, 'getKey', seeded.id);
    expect(key).toMatchObject({
      label: 'from v1',
      maxTokenLifetime: 86400,
      exportable: false,
      usage: { count: 3 },
      // v3: an ES256 record gets the purpose `jwt` (MIGRATED_PURPOSE in enclave/src/keystore/
      // store.ts), provenance `migrated` (page-knowable), and keeps its state.
      purpose: 'jwt',
      provenance: { source: 'migrated', pageKnowable: true },
      state: 'active',
      deletion: null,
    });
    const token = await call<string>(page, 'signJwt', seeded.id, { claims: {}, expiresIn: 60 });
    const { kty, crv, x, y } = seeded.publicJwk;
    await jwtVerify(token, await importJWK({ kty, crv, x, y } as never, 'ES256'));
    const tooLong = await callError(page, 'signJwt', seeded.id, { claims: {}, expiresIn: 86401 });
    expect(isCode(tooLong, 'OPERATION_NOT_ALLOWED')).toBe(true);
    // A `jwt` key signs tokens, not raw bytes.
    const raw = await callError(page, 'sign', seeded.id, te.encode('raw bytes'));
    expect(isCode(raw, 'OPERATION_NOT_ALLOWED')).toBe(true);

    // The database went through v2 (the meta store, the v2 fields) to v3 (the v3 fields).
    const enclave = await enclaveFrame(page, urls.enclave);
    const shape = await enclave.evaluate(
      (id) =>
        new Promise<{
          version: number;
          stores: string[];
          fields: string[];
          purpose: unknown;
          provenance: unknown;
          state: unknown;
        }>((resolve) => {
          const req = indexedDB.open('strongroom');
          req.onsuccess = () => {
            const db = req.result;
            const get = db.transaction('keys').objectStore('keys').get(id);
            get.onsuccess = () => {
              resolve({
                version: db.version,
                stores: [...db.objectStoreNames].sort(),
                fields: Object.keys(get.result).sort(),
                purpose: get.result.purpose,
                provenance: get.result.provenance,
                state: get.result.state,
              });
              db.close();
            };
          };
        }),
      seeded.id,
    );
    expect(shape.version).toBe(4);
    expect(shape.stores).toEqual([
      'auditBatches',
      'auditCheckpoints',
      'auditHeads',
      'keys',
      'meta',
    ]);
    expect(shape.fields).toEqual(
      expect.arrayContaining(['atRest', 'exportMaterial', 'exportable', 'maxTokenLifetime']),
    );
    expect(shape.fields).toEqual(
      expect.arrayContaining([
        'deletion',
        'provenance',
        'purpose',
        'retired',
        'tokenPolicy',
        'usesPerMinute',
        'versionCreatedAt',
      ]),
    );
    expect(shape).toMatchObject({
      purpose: 'jwt',
      provenance: { source: 'migrated' },
      state: 'active',
    });
  });
});

test.describe('when the probe finds that IndexedDB cannot keep a key type', () => {
  test('X25519 and Ed25519 keys are stored wrapped and unwrapped non-extractable on load', async ({
    page,
    urls,
  }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
    // Tell the next worker's probe to treat these types as lost (dev builds only).
    const enclave = await enclaveFrame(page, urls.enclave);
    await enclave.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const req = indexedDB.open('strongroom');
          req.onsuccess = () => {
            const tx = req.result.transaction('meta', 'readwrite');
            tx.objectStore('meta').put({
              name: 'dev:force-wrap-at-rest',
              algorithms: ['X25519', 'EdDSA'],
            });
            tx.oncomplete = () => {
              req.result.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    await reconnect(page);

    // One key per purpose: X25519 to agree and to receive JWEs, EdDSA to sign and to sign JWTs.
    const a = await call<KeyView>(page, 'generateKey', { alg: 'X25519', purpose: 'agree' });
    const b = await call<KeyView>(page, 'generateKey', { alg: 'X25519', purpose: 'agree' });
    const xJwe = await call<KeyView>(page, 'generateKey', { alg: 'X25519', purpose: 'jwe' });
    const ed = await call<KeyView>(page, 'generateKey', { alg: 'EdDSA', purpose: 'sign' });
    const edJwt = await call<KeyView>(page, 'generateKey', { alg: 'EdDSA', purpose: 'jwt' });
    const es = await call<KeyView>(page, 'generateKey', { alg: 'ES256', purpose: 'sign' });
    const stored = await storedKeys(page, urls.enclave);
    const byId = new Map(stored.map((s) => [s.id, s]));
    for (const key of [a, b, xJwe, ed, edJwt]) {
      expect(byId.get(key.id)).toMatchObject({
        hasCryptoKey: false,
        hasPublicCryptoKey: false,
        atRest: true,
      });
    }
    expect(byId.get(es.id)).toMatchObject({
      hasCryptoKey: true,
      hasPublicCryptoKey: true,
      atRest: false,
    });
    expect(stored.filter((s) => s.exported || s.extractable)).toEqual([]);

    // After a reload the keys come back from their wrapped form (public keys from their JWK)
    // and work: verify needs the public key, publicKey('raw') exports it.
    await reconnect(page);
    const data = te.encode('signed');
    const sig = await call<Uint8Array>(page, 'sign', ed.id, data);
    expect(await call(page, 'verify', ed.id, data, sig)).toBe(true);
    expect((await call<Uint8Array>(page, 'publicKey', a.id, 'raw')).length).toBe(32);
    const options = { info: 'at rest', alg: 'A256GCM' };
    const ka = await call<KeyView>(page, 'agree', a.id, b.publicJwk, options);
    const kb = await call<KeyView>(page, 'agree', b.id, a.publicJwk, options);
    const env = await call<Uint8Array>(page, 'seal', ka.id, te.encode('still here'));
    expect(td.decode(await call(page, 'open', env, { keyId: kb.id }))).toBe('still here');
    const jwe = await call<string>(page, 'encryptJwe', xJwe.publicJwk, te.encode('jwe'));
    const out = await call<{ plaintext: Uint8Array }>(page, 'decryptJwe', xJwe.id, jwe);
    expect(td.decode(out.plaintext)).toBe('jwe');
    const token = await call<string>(page, 'signJwt', edJwt.id, { claims: {}, expiresIn: 60 });
    await jwtVerify(token, await importJWK(edJwt.publicJwk as never, 'EdDSA'));
  });
});
