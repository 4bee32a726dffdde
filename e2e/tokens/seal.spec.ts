/**
 * seal/open: round trips under A256KW and A256GCM KEKs (small and large payloads); one-bit
 * flips in every byte of every field of an envelope, a wrong or missing AAD, a wrong key and
 * truncation all give the one opaque DECRYPTION_FAILED; envelopes sealed in a profile open
 * after a reload; the envelope matches the documented layout (docs/formats.md).
 */

import { call, callError, connectHarness, expect, openHarness, test } from '../support/test';
import { isCode, type KeyView, parseEnvelopeDoc } from '../support/tokens';

const te = new TextEncoder();

test.describe('when data is sealed and opened', () => {
  test.beforeEach(async ({ page, urls }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
  });

  for (const alg of ['A256KW', 'A256GCM'] as const) {
    test(`${alg}: round trips, and the envelope has the documented layout`, async ({ page }) => {
      const kek = await call<KeyView>(page, 'generateKey', { alg, purpose: 'seal' });
      const plaintext = te.encode('attack at dawn');
      const aad = te.encode('note:42');
      const env = await call<Uint8Array>(page, 'seal', kek.id, plaintext, { aad });
      const f = parseEnvelopeDoc(env);
      expect(Buffer.from(f.magic).toString('latin1')).toBe('SR');
      expect(f.version).toBe(1);
      expect(f.mechanism).toBe(alg === 'A256KW' ? 1 : 2);
      expect(f.keyId).toBe(kek.id);
      expect(f.keyVersion).toBe(1);
      expect(f.wrappedKey.length).toBe(alg === 'A256KW' ? 40 : 60);
      expect(f.ciphertext.length).toBe(plaintext.length + 16);
      expect(await call(page, 'open', env, { aad })).toEqual(plaintext);
      // A fresh DEK and IV per message.
      const again = await call<Uint8Array>(page, 'seal', kek.id, plaintext, { aad });
      expect(Buffer.from(again).equals(Buffer.from(env))).toBe(false);
      // Empty plaintext, no AAD.
      const empty = await call<Uint8Array>(page, 'seal', kek.id, new Uint8Array(0));
      expect(await call(page, 'open', empty)).toEqual(new Uint8Array(0));
    });

    test(`${alg}: a one-bit flip in any byte of any field gives DECRYPTION_FAILED`, async ({
      page,
    }) => {
      const kek = await call<KeyView>(page, 'generateKey', { alg, purpose: 'seal' });
      const aad = te.encode('ctx');
      const env = await call<Uint8Array>(page, 'seal', kek.id, te.encode('sixteen bytes!!!'), {
        aad,
      });
      const { ranges } = parseEnvelopeDoc(env);
      const covered = new Set<string>();
      for (let i = 0; i < env.length; i++) {
        const bad = env.slice();
        bad[i] = (bad[i] as number) ^ (1 << (i % 8));
        const err = await callError(page, 'open', bad, { aad });
        const field = Object.entries(ranges).find(([, [s, e]]) => i >= s && i < e)?.[0];
        expect(isCode(err, 'DECRYPTION_FAILED'), `byte ${i} (${field}) → ${err.code}`).toBe(true);
        expect(err.message).toBe('decryption failed');
        if (field) covered.add(field);
      }
      expect([...covered].sort()).toEqual(Object.keys(ranges).sort());
    });
  }

  test('wrong AAD, missing AAD, wrong key, truncation and garbage all give DECRYPTION_FAILED', async ({
    page,
  }) => {
    const kek = await call<KeyView>(page, 'generateKey', { alg: 'A256KW', purpose: 'seal' });
    const other = await call<KeyView>(page, 'generateKey', { alg: 'A256KW', purpose: 'seal' });
    const gcm = await call<KeyView>(page, 'generateKey', { alg: 'A256GCM', purpose: 'seal' });
    const aad = te.encode('right');
    const env = await call<Uint8Array>(page, 'seal', kek.id, te.encode('data'), { aad });
    const failures: [Uint8Array, Record<string, unknown>][] = [
      [env, { aad: te.encode('wrong') }],
      [env, {}],
      [env, { aad, keyId: other.id }],
      [env, { aad, keyId: gcm.id }],
      [env.subarray(0, env.length - 1), { aad }],
      [env.subarray(0, 20), { aad }],
      [new Uint8Array(0), {}],
      [te.encode('not an envelope at all, not at all'), {}],
    ];
    for (const [bytes, options] of failures) {
      const err = await callError(page, 'open', bytes, options);
      expect(isCode(err, 'DECRYPTION_FAILED'), `${JSON.stringify(options)} → ${err.code}`).toBe(
        true,
      );
    }
    // The key named by the envelope, deleted (scheduled for deletion, so refusing every use):
    // still the same opaque answer.
    const deleted = await call<KeyView>(page, 'deleteKey', kek.id);
    expect(deleted.state).toBe('pending-deletion');
    expect(isCode(await callError(page, 'open', env, { aad }), 'DECRYPTION_FAILED')).toBe(true);
  });

  test('arguments and keys that cannot seal are refused with typed errors', async ({ page }) => {
    const sig = await call<KeyView>(page, 'generateKey', { alg: 'ES256', purpose: 'sign' });
    const kek = await call<KeyView>(page, 'generateKey', { alg: 'A256GCM', purpose: 'seal' });
    expect(
      isCode(await callError(page, 'seal', sig.id, new Uint8Array(1)), 'OPERATION_NOT_ALLOWED'),
    ).toBe(true);
    expect(isCode(await callError(page, 'seal', kek.id, 'text'), 'INVALID_ARGUMENT')).toBe(true);
    expect(
      isCode(
        await callError(page, 'seal', kek.id, new Uint8Array(1), { aad: 'x' }),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isCode(
        await callError(page, 'seal', kek.id, new Uint8Array(1), { aad: new Uint8Array(70_000) }),
        'PAYLOAD_TOO_LARGE',
      ),
    ).toBe(true);
    expect(isCode(await callError(page, 'open', 'text'), 'INVALID_ARGUMENT')).toBe(true);
  });

  test('large payloads round trip (the bridge transfers them when asked)', async ({ page }) => {
    const kek = await call<KeyView>(page, 'generateKey', { alg: 'A256GCM', purpose: 'seal' });
    const big = new Uint8Array(2 * 1024 * 1024).map((_, i) => i & 0xff);
    const env = await call<Uint8Array>(page, 'seal', kek.id, big, { transfer: true });
    // header (9 + 22-character id) ‖ length ‖ A256GCM-wrapped DEK (60) ‖ IV (12) ‖ … ‖ tag (16)
    expect(env.length).toBe(big.length + 31 + 1 + 60 + 12 + 16);
    const back = await call<Uint8Array>(page, 'open', env, { transfer: true });
    expect(Buffer.from(back).equals(Buffer.from(big))).toBe(true);
  });

  test('an envelope sealed in this profile opens after a reload', async ({ page }) => {
    const kek = await call<KeyView>(page, 'generateKey', { alg: 'A256KW', purpose: 'seal' });
    const env = await call<Uint8Array>(page, 'seal', kek.id, te.encode('kept'));
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.harness === 'ready');
    await connectHarness(page);
    expect(new TextDecoder().decode(await call<Uint8Array>(page, 'open', env))).toBe('kept');
  });
});
