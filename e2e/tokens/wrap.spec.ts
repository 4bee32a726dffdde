/**
 * wrapKey/unwrapKey: only keys created exportable (the DESIGN's backup opt-in) can be
 * wrapped out; unwrapped keys are new non-extractable keys of the caller whose material
 * never comes back; round trips under A256KW (RFC 3394) and A256GCM KEKs; refusals typed.
 */
import { randomBytes } from 'node:crypto';
import { call, callError, connectHarness, expect, openHarness, test } from '../support/test';
import {
  aesKw,
  approved,
  isCode,
  type KeyView,
  NO_INPUT_IN_FIREFOX_OOP,
  storedKeys,
} from '../support/tokens';

const te = new TextEncoder();
const td = new TextDecoder();

test.describe('when keys are wrapped and unwrapped', () => {
  test.beforeEach(async ({ page, urls }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
  });

  for (const kekAlg of ['A256KW', 'A256GCM'] as const) {
    test(`${kekAlg} KEK: an exportable key round trips (with consent) and still opens its data`, async ({
      page,
      urls,
      browserName,
      topology,
    }) => {
      test.skip(browserName === 'firefox' && topology === 'cross-site', NO_INPUT_IN_FIREFOX_OOP);
      const kek = await call<KeyView>(page, 'generateKey', { alg: kekAlg, purpose: 'wrap' });
      const dataKey = await call<KeyView>(page, 'generateKey', {
        alg: 'A256GCM',
        purpose: 'seal',
        exportable: true,
      });
      expect(dataKey).toMatchObject({ exportable: true, extractable: false });
      const env = await call<Uint8Array>(page, 'seal', dataKey.id, te.encode('backed up'));
      const wrapped = await approved<Uint8Array>(page, urls.enclave, 'wrapKey', kek.id, dataKey.id);
      expect(wrapped.length).toBe(kekAlg === 'A256KW' ? 40 : 1 + 12 + 32 + 16);
      const restored = await call<KeyView>(page, 'unwrapKey', kek.id, wrapped, {
        alg: 'A256GCM',
        purpose: 'seal',
        label: 'restored',
      });
      expect(restored).toMatchObject({
        alg: 'A256GCM',
        purpose: 'seal',
        label: 'restored',
        exportable: false,
      });
      expect(td.decode(await call(page, 'open', env, { keyId: restored.id }))).toBe('backed up');
      // Not exportable unless asked again.
      expect(
        isCode(await callError(page, 'wrapKey', kek.id, restored.id), 'OPERATION_NOT_ALLOWED'),
      ).toBe(true);
      // Nothing the enclave stores can be exported, exportable keys included.
      const verdicts = await storedKeys(page, urls.enclave);
      expect(verdicts.filter((v) => v.exported || v.extractable)).toEqual([]);
    });
  }

  test('keys created without the opt-in can never be wrapped out', async ({ page }) => {
    const kek = await call<KeyView>(page, 'generateKey', { alg: 'A256KW', purpose: 'wrap' });
    for (const [alg, purpose] of [
      ['A256GCM', 'seal'],
      ['A256KW', 'seal'],
      ['A256KW', 'wrap'],
      ['HS256', 'mac'],
      ['ES256', 'sign'],
      ['X25519', 'agree'],
    ] as const) {
      const key = await call<KeyView>(page, 'generateKey', { alg, purpose });
      expect(key.exportable).toBe(false);
      const err = await callError(page, 'wrapKey', kek.id, key.id);
      expect(isCode(err, 'OPERATION_NOT_ALLOWED'), `${alg} → ${err.code}`).toBe(true);
    }
    // The opt-in exists for secret keys only.
    for (const [alg, purpose] of [
      ['ES256', 'sign'],
      ['EdDSA', 'jwt'],
      ['X25519', 'agree'],
      ['ECDH-ES', 'jwe'],
    ] as const) {
      const err = await callError(page, 'generateKey', { alg, purpose, exportable: true });
      expect(isCode(err, 'INVALID_ARGUMENT'), `${alg} → ${err.code}`).toBe(true);
      expect(err.message, alg).toContain('exportable');
    }
  });

  test('bad KEKs, bad wrapped bytes and bad options are refused with typed errors', async ({
    page,
    urls,
    browserName,
    topology,
  }) => {
    test.skip(browserName === 'firefox' && topology === 'cross-site', NO_INPUT_IN_FIREFOX_OOP);
    const kw = await call<KeyView>(page, 'generateKey', { alg: 'A256KW', purpose: 'wrap' });
    const other = await call<KeyView>(page, 'generateKey', { alg: 'A256KW', purpose: 'wrap' });
    const mac = await call<KeyView>(page, 'generateKey', {
      alg: 'HS256',
      purpose: 'mac',
      exportable: true,
    });
    const wrapped = await approved<Uint8Array>(page, urls.enclave, 'wrapKey', kw.id, mac.id);
    // RFC 3394 output that this enclave's `wrapKey` did not produce (its own output imports
    // only as the algorithm and purpose it was exported as: the policy suite tests that).
    const foreign = aesKw(randomBytes(32), randomBytes(32));
    const hs = { alg: 'HS256', purpose: 'mac' };
    const cases: [string, unknown, unknown, string][] = [
      // Wrong KEK: the RFC 3394 integrity check fails.
      [other.id, wrapped, hs, 'DECRYPTION_FAILED'],
      [kw.id, wrapped.subarray(0, 39), hs, 'DECRYPTION_FAILED'],
      // A256KW unwraps secrets only.
      [kw.id, foreign, { alg: 'ES256', purpose: 'sign' }, 'UNSUPPORTED_ALGORITHM'],
      [kw.id, wrapped, { alg: 'RS256', purpose: 'sign' }, 'UNSUPPORTED_ALGORITHM'],
      [kw.id, wrapped, {}, 'UNSUPPORTED_ALGORITHM'],
      [kw.id, 'bytes', hs, 'INVALID_ARGUMENT'],
      [kw.id, wrapped, { ...hs, extractable: true }, 'INVALID_ARGUMENT'],
      [kw.id, new Uint8Array(5000), hs, 'PAYLOAD_TOO_LARGE'],
      // Not a KEK.
      [mac.id, wrapped, hs, 'OPERATION_NOT_ALLOWED'],
    ];
    for (const [kekId, bytes, options, code] of cases) {
      const err = await callError(page, 'unwrapKey', kekId, bytes, options);
      expect(isCode(err, code), `${JSON.stringify(options)} → ${err.code}: ${err.message}`).toBe(
        true,
      );
    }
    const unwrapped = await call<KeyView>(page, 'unwrapKey', kw.id, wrapped, hs);
    const data = te.encode('same key');
    expect(await call(page, 'sign', unwrapped.id, data)).toEqual(
      await call(page, 'sign', mac.id, data),
    );
  });
});
