/**
 * Keys: generation per algorithm, persistence across a reload and a new bridge connection,
 * non-extractability checked inside the enclave, public key formats, sign/verify, delete.
 */

import { tryExportEveryKey } from './support/keystore-dump';
import {
  call,
  callError,
  connectHarness,
  enclaveFrame,
  expect,
  openHarness,
  test,
} from './support/test';

const ALGS = ['ES256', 'EdDSA', 'X25519', 'ECDH-ES', 'A256GCM', 'A256KW', 'HS256'] as const;

interface KeyInfo {
  id: string;
  kid: string;
  alg: string;
  owner: string;
  state: string;
  extractable: boolean;
  publicJwk: Record<string, string> | null;
}

test.describe('when keys are generated', () => {
  test('every algorithm yields a non-extractable key that survives a reload and a new connection', async ({
    page,
    urls,
    browserName,
  }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
    const made: KeyInfo[] = [];
    for (const alg of ALGS) {
      const key = await call<KeyInfo>(page, 'generateKey', { alg, label: `k-${alg}` });
      expect(key).toMatchObject({
        alg,
        owner: urls.app,
        state: 'active',
        extractable: false,
        label: `k-${alg}`,
      });
      made.push(key);
    }
    // A new bridge connection in the same document.
    await page.evaluate(() => window.sr.dispose());
    await connectHarness(page);
    expect((await call<KeyInfo[]>(page, 'listKeys')).map((k) => k.id)).toEqual(
      made.map((k) => k.id),
    );

    // A reload: a new document, a new enclave, the same IndexedDB.
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.harness === 'ready');
    await connectHarness(page);
    const listed = await call<KeyInfo[]>(page, 'listKeys');
    // X25519 keys may be stored wrapped where the engine cannot keep them; Chromium and Firefox keep all.
    expect(
      listed.map((k) => k.id),
      browserName,
    ).toEqual(made.map((k) => k.id));
    for (const key of made.filter((k) => ['ES256', 'EdDSA', 'HS256'].includes(k.alg))) {
      const data = new TextEncoder().encode(`after reload ${key.alg}`);
      const sig = await call<Uint8Array>(page, 'sign', key.id, data);
      expect(await call<boolean>(page, 'verify', key.id, data, sig)).toBe(true);
    }
  });

  test('exportKey of every private and secret key is refused inside the enclave', async ({
    page,
    urls,
  }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
    for (const alg of ALGS) await call(page, 'generateKey', { alg });
    const verdicts = await tryExportEveryKey(await enclaveFrame(page, urls.enclave));
    expect(verdicts.length).toBeGreaterThanOrEqual(ALGS.length);
    for (const v of verdicts) {
      expect(v, `${v.alg} ${v.id}`).toMatchObject({
        exported: false,
        extractable: false,
        error: 'InvalidAccessError',
      });
    }
  });

  test('kid is the RFC 7638 thumbprint of the public JWK, and public keys export in three formats', async ({
    page,
    urls,
  }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
    const es = await call<KeyInfo>(page, 'generateKey', { alg: 'ES256' });
    const jwk = await call<Record<string, string>>(page, 'publicKey', es.id, 'jwk');
    expect(jwk).toEqual({ ...es.publicJwk });
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'x', 'y']);
    const { createHash } = await import('node:crypto');
    const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
    expect(es.kid).toBe(createHash('sha256').update(canonical).digest('base64url'));
    expect(jwk.kid).toBe(es.kid);
    const raw = await call<Uint8Array>(page, 'publicKey', es.id, 'raw');
    expect(raw).toHaveLength(65);
    expect(raw[0]).toBe(4);
    const spki = await call<Uint8Array>(page, 'publicKey', es.id, 'spki');
    expect(spki).toHaveLength(91);
    const ed = await call<KeyInfo>(page, 'generateKey', { alg: 'EdDSA' });
    expect(await call<Uint8Array>(page, 'publicKey', ed.id, 'raw')).toHaveLength(32);
    const secret = await call<KeyInfo>(page, 'generateKey', { alg: 'HS256' });
    expect(secret.publicJwk).toBeNull();
    expect(secret.kid).toBe(secret.id);
    expect(await callError(page, 'publicKey', secret.id, 'jwk')).toMatchObject({
      code: 'OPERATION_NOT_ALLOWED',
      isStrongroomError: true,
    });
  });

  test('sign and verify: a changed message or signature does not verify', async ({
    page,
    urls,
  }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
    for (const alg of ['ES256', 'EdDSA', 'HS256']) {
      const key = await call<KeyInfo>(page, 'generateKey', { alg });
      const data = new TextEncoder().encode('message');
      const sig = await call<Uint8Array>(page, 'sign', key.id, data);
      expect(sig).toHaveLength(alg === 'HS256' ? 32 : 64);
      expect(await call(page, 'verify', key.id, data, sig)).toBe(true);
      expect(await call(page, 'verify', key.id, new TextEncoder().encode('messagf'), sig)).toBe(
        false,
      );
      const flipped = Uint8Array.from(sig);
      flipped[5] = (flipped[5] ?? 0) ^ 1;
      expect(await call(page, 'verify', key.id, data, flipped)).toBe(false);
      expect(await call(page, 'verify', key.id, data, sig.subarray(1))).toBe(false);
    }
    const agreement = await call<KeyInfo>(page, 'generateKey', { alg: 'X25519' });
    expect(await callError(page, 'sign', agreement.id, new Uint8Array(1))).toMatchObject({
      code: 'OPERATION_NOT_ALLOWED',
    });
  });

  test('deleteKey removes the key: later use is KEY_NOT_FOUND', async ({ page, urls }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
    const key = await call<KeyInfo>(page, 'generateKey', { alg: 'EdDSA' });
    await call(page, 'deleteKey', key.id);
    expect(await callError(page, 'getKey', key.id)).toMatchObject({
      code: 'KEY_NOT_FOUND',
      isStrongroomError: true,
    });
    expect(await callError(page, 'sign', key.id, new Uint8Array(1))).toMatchObject({
      code: 'KEY_NOT_FOUND',
    });
    expect(await callError(page, 'deleteKey', key.id)).toMatchObject({ code: 'KEY_NOT_FOUND' });
    expect((await call<KeyInfo[]>(page, 'listKeys')).map((k) => k.id)).not.toContain(key.id);
  });
});
