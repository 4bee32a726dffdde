/**
 * wrapKey/unwrapKey: only keys created exportable (the DESIGN's backup opt-in) can be
 * wrapped out; unwrapped keys are new non-extractable keys of the caller whose material
 * never comes back; round trips under A256KW (RFC 3394) and A256GCM KEKs; refusals typed.
 */
import { call, callError, connectHarness, expect, openHarness, test } from '../support/test';
import { isCode, type KeyView, storedKeys } from '../support/tokens';

const te = new TextEncoder();
const td = new TextDecoder();

test.describe('when keys are wrapped and unwrapped', () => {
  test.beforeEach(async ({ page, urls }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
  });

  for (const kekAlg of ['A256KW', 'A256GCM'] as const) {
    test(`${kekAlg} KEK: an exportable key round trips and still opens its data`, async ({
      page,
      urls,
    }) => {
      const kek = await call<KeyView>(page, 'generateKey', { alg: kekAlg });
      const dataKey = await call<KeyView>(page, 'generateKey', {
        alg: 'A256GCM',
        exportable: true,
      });
      expect(dataKey).toMatchObject({ exportable: true, extractable: false });
      const env = await call<Uint8Array>(page, 'seal', dataKey.id, te.encode('backed up'));
      const wrapped = await call<Uint8Array>(page, 'wrapKey', kek.id, dataKey.id);
      expect(wrapped.length).toBe(kekAlg === 'A256KW' ? 40 : 1 + 12 + 32 + 16);
      const restored = await call<KeyView>(page, 'unwrapKey', kek.id, wrapped, {
        alg: 'A256GCM',
        label: 'restored',
      });
      expect(restored).toMatchObject({ alg: 'A256GCM', label: 'restored', exportable: false });
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
    const kek = await call<KeyView>(page, 'generateKey', { alg: 'A256KW' });
    for (const alg of ['A256GCM', 'A256KW', 'HS256', 'ES256', 'X25519'] as const) {
      const key = await call<KeyView>(page, 'generateKey', { alg });
      expect(key.exportable).toBe(false);
      const err = await callError(page, 'wrapKey', kek.id, key.id);
      expect(isCode(err, 'OPERATION_NOT_ALLOWED'), `${alg} → ${err.code}`).toBe(true);
    }
    // The opt-in exists for secret keys only.
    for (const alg of ['ES256', 'EdDSA', 'X25519', 'ECDH-ES'] as const) {
      const err = await callError(page, 'generateKey', { alg, exportable: true });
      expect(isCode(err, 'INVALID_ARGUMENT'), `${alg} → ${err.code}`).toBe(true);
    }
  });

  test('bad KEKs, bad wrapped bytes and bad options are refused with typed errors', async ({
    page,
  }) => {
    const kw = await call<KeyView>(page, 'generateKey', { alg: 'A256KW' });
    const other = await call<KeyView>(page, 'generateKey', { alg: 'A256KW' });
    const mac = await call<KeyView>(page, 'generateKey', { alg: 'HS256', exportable: true });
    const wrapped = await call<Uint8Array>(page, 'wrapKey', kw.id, mac.id);
    const cases: [string, unknown, unknown, string][] = [
      // Wrong KEK: the RFC 3394 integrity check fails.
      [other.id, wrapped, { alg: 'HS256' }, 'DECRYPTION_FAILED'],
      [kw.id, wrapped.subarray(0, 39), { alg: 'HS256' }, 'DECRYPTION_FAILED'],
      // A256KW unwraps secrets only.
      [kw.id, wrapped, { alg: 'ES256' }, 'UNSUPPORTED_ALGORITHM'],
      [kw.id, wrapped, { alg: 'RS256' }, 'UNSUPPORTED_ALGORITHM'],
      [kw.id, wrapped, {}, 'UNSUPPORTED_ALGORITHM'],
      [kw.id, 'bytes', { alg: 'HS256' }, 'INVALID_ARGUMENT'],
      [kw.id, wrapped, { alg: 'HS256', extractable: true }, 'INVALID_ARGUMENT'],
      [kw.id, new Uint8Array(5000), { alg: 'HS256' }, 'PAYLOAD_TOO_LARGE'],
      // Not a KEK.
      [mac.id, wrapped, { alg: 'HS256' }, 'OPERATION_NOT_ALLOWED'],
    ];
    for (const [kekId, bytes, options, code] of cases) {
      const err = await callError(page, 'unwrapKey', kekId, bytes, options);
      expect(isCode(err, code), `${JSON.stringify(options)} → ${err.code}: ${err.message}`).toBe(
        true,
      );
    }
    const unwrapped = await call<KeyView>(page, 'unwrapKey', kw.id, wrapped, { alg: 'HS256' });
    const data = te.encode('same key');
    expect(await call(page, 'sign', unwrapped.id, data)).toEqual(
      await call(page, 'sign', mac.id, data),
    );
  });
});
