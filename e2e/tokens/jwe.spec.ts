/**
 * JWE (compact, ECDH-ES+A256KW / A256GCM) interoperating with `jose` in Node both ways, for
 * X25519 and P-256 keys held in the enclave; anything else gives DECRYPTION_FAILED.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { call, callError, connectHarness, expect, openHarness, test } from '../support/test';
import { isCode, type KeyView } from '../support/tokens';

const te = new TextEncoder();
const td = new TextDecoder();

test.describe('when JWEs are exchanged with jose in Node', () => {
  test.beforeEach(async ({ page, urls }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
  });

  for (const [alg, nodeType] of [
    ['X25519', 'x25519'],
    ['ECDH-ES', 'ec'],
  ] as const) {
    test(`${alg}: Node encrypts, the enclave decrypts; the enclave encrypts, Node decrypts`, async ({
      page,
    }) => {
      const key = await call<KeyView>(page, 'generateKey', { alg, purpose: 'jwe' });
      const jwk = key.publicJwk as JsonWebKey & { kid: string };
      const { kty, crv, x, y } = jwk;
      const jwe = await new CompactEncrypt(te.encode('to the enclave'))
        .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: jwk.kid })
        .encrypt(createPublicKey({ key: { kty, crv, x, y } as never, format: 'jwk' }));
      const out = await call<{ plaintext: Uint8Array; protectedHeader: Record<string, unknown> }>(
        page,
        'decryptJwe',
        key.id,
        jwe,
      );
      expect(td.decode(out.plaintext)).toBe('to the enclave');
      expect(out.protectedHeader).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' });

      const node =
        nodeType === 'ec'
          ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
          : generateKeyPairSync('x25519');
      const recipient = { ...node.publicKey.export({ format: 'jwk' }), kid: 'node-1' };
      const back = await call<string>(page, 'encryptJwe', recipient, te.encode('to node'));
      expect(decodeProtectedHeader(back)).toMatchObject({
        alg: 'ECDH-ES+A256KW',
        enc: 'A256GCM',
        kid: 'node-1',
      });
      const { plaintext } = await compactDecrypt(back, node.privateKey, {
        keyManagementAlgorithms: ['ECDH-ES+A256KW'],
      });
      expect(td.decode(plaintext)).toBe('to node');

      // Round trip inside the enclave too.
      const self = await call<string>(page, 'encryptJwe', jwk, te.encode('me'));
      const mine = await call<{ plaintext: Uint8Array }>(page, 'decryptJwe', key.id, self);
      expect(td.decode(mine.plaintext)).toBe('me');
    });
  }

  test('tampered, foreign and unsupported JWEs give DECRYPTION_FAILED', async ({ page }) => {
    const key = await call<KeyView>(page, 'generateKey', { alg: 'X25519', purpose: 'jwe' });
    const other = await call<KeyView>(page, 'generateKey', { alg: 'X25519', purpose: 'jwe' });
    const jwe = await call<string>(page, 'encryptJwe', key.publicJwk, te.encode('secret'));
    const parts = jwe.split('.');
    const flip = (s: string) => (s[0] === 'A' ? `B${s.slice(1)}` : `A${s.slice(1)}`);
    const bad = [
      [parts[0], parts[1], parts[2], flip(parts[3] as string), parts[4]].join('.'),
      [parts[0], parts[1], parts[2], parts[3], flip(parts[4] as string)].join('.'),
      [parts[0], flip(parts[1] as string), parts[2], parts[3], parts[4]].join('.'),
      'not.a.jwe',
      '',
    ];
    for (const text of bad) {
      expect(isCode(await callError(page, 'decryptJwe', key.id, text), 'DECRYPTION_FAILED')).toBe(
        true,
      );
    }
    // Made for another key (its kid in the header).
    expect(isCode(await callError(page, 'decryptJwe', other.id, jwe), 'DECRYPTION_FAILED')).toBe(
      true,
    );
    // Another key-management algorithm than ECDH-ES+A256KW.
    const { kty, crv, x } = key.publicJwk as JsonWebKey;
    const direct = await new CompactEncrypt(te.encode('x'))
      .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM' })
      .encrypt(
        createPublicKey({
          key: { kty, crv, x } as never,
          format: 'jwk',
        }),
      );
    expect(isCode(await callError(page, 'decryptJwe', key.id, direct), 'DECRYPTION_FAILED')).toBe(
      true,
    );
    // Keys and recipients that are not for JWE.
    const es = await call<KeyView>(page, 'generateKey', { alg: 'ES256', purpose: 'sign' });
    expect(isCode(await callError(page, 'decryptJwe', es.id, jwe), 'OPERATION_NOT_ALLOWED')).toBe(
      true,
    );
    expect(
      isCode(
        await callError(page, 'encryptJwe', es.publicJwk, te.encode('x')),
        'UNSUPPORTED_ALGORITHM',
      ),
    ).toBe(true);
    const priv = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
    expect(
      isCode(await callError(page, 'encryptJwe', priv, te.encode('x')), 'INVALID_ARGUMENT'),
    ).toBe(true);
  });
});
