/**
 * agree: ECDH + HKDF-SHA-256 into a non-extractable key kept in the enclave. Both sides of a
 * pair of enclave keys, and Node's `crypto.diffieHellman` + `hkdfSync` against an enclave key,
 * derive keys that open each other's sealed data (Node implements the envelope format from
 * docs/formats.md on its own); bad peers and keys refused with typed errors.
 */
import { generateKeyPairSync } from 'node:crypto';
import { call, callError, connectHarness, expect, openHarness, test } from '../support/test';
import {
  hkdf32,
  isCode,
  type KeyView,
  nodeEcdh,
  openEnvelopeNode,
  sealEnvelopeNode,
} from '../support/tokens';

const te = new TextEncoder();
const td = new TextDecoder();

test.describe('when keys are agreed', () => {
  test.beforeEach(async ({ page, urls }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
  });

  for (const alg of ['X25519', 'ECDH-ES'] as const) {
    test(`${alg}: both sides of an enclave pair open each other's sealed data`, async ({
      page,
    }) => {
      const a = await call<KeyView>(page, 'generateKey', { alg, purpose: 'agree' });
      const b = await call<KeyView>(page, 'generateKey', { alg, purpose: 'agree' });
      const options = { info: 'chat v1', salt: te.encode('room-7'), alg: 'A256GCM' };
      const ka = await call<KeyView>(page, 'agree', a.id, b.publicJwk, options);
      const kb = await call<KeyView>(page, 'agree', b.id, a.publicJwk, options);
      expect(ka).toMatchObject({
        alg: 'A256GCM',
        purpose: 'seal',
        exportable: false,
        publicJwk: null,
      });
      expect(ka.id).not.toBe(kb.id);
      const fromA = await call<Uint8Array>(page, 'seal', ka.id, te.encode('hi from a'));
      const fromB = await call<Uint8Array>(page, 'seal', kb.id, te.encode('hi from b'));
      expect(td.decode(await call(page, 'open', fromA, { keyId: kb.id }))).toBe('hi from a');
      expect(td.decode(await call(page, 'open', fromB, { keyId: ka.id }))).toBe('hi from b');

      // Another `info` (or salt) is another key.
      const kc = await call<KeyView>(page, 'agree', b.id, a.publicJwk, { ...options, info: 'v2' });
      const err = await callError(page, 'open', fromA, { keyId: kc.id });
      expect(isCode(err, 'DECRYPTION_FAILED')).toBe(true);
      // The agreed key can never be exported.
      const kek = await call<KeyView>(page, 'generateKey', { alg: 'A256KW', purpose: 'wrap' });
      expect(isCode(await callError(page, 'wrapKey', kek.id, ka.id), 'OPERATION_NOT_ALLOWED')).toBe(
        true,
      );
    });
  }

  for (const [alg, nodeType] of [
    ['X25519', 'x25519'],
    ['ECDH-ES', 'ec'],
  ] as const) {
    for (const out of ['A256KW', 'A256GCM'] as const) {
      test(`${alg} → ${out}: interoperates with Node's crypto.diffieHellman and HKDF`, async ({
        page,
      }) => {
        const node =
          nodeType === 'ec'
            ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
            : generateKeyPairSync('x25519');
        const nodeJwk = node.publicKey.export({ format: 'jwk' });
        const mine = await call<KeyView>(page, 'generateKey', { alg, purpose: 'agree' });
        const salt = te.encode('salt!');
        const key = await call<KeyView>(page, 'agree', mine.id, nodeJwk, {
          info: te.encode('node interop'),
          salt,
          alg: out,
        });
        expect(key.alg).toBe(out);
        const shared = nodeEcdh(node.privateKey, mine.publicJwk as JsonWebKey);
        const kek = hkdf32(shared, salt, 'node interop');

        const env = await call<Uint8Array>(page, 'seal', key.id, te.encode('to node'), {
          aad: te.encode('a'),
        });
        expect(openEnvelopeNode(env, kek, te.encode('a')).toString()).toBe('to node');

        const fromNode = sealEnvelopeNode({
          kek,
          mechanism: out === 'A256KW' ? 1 : 2,
          keyId: key.id,
          plaintext: te.encode('from node'),
          aad: te.encode('b'),
        });
        expect(td.decode(await call(page, 'open', fromNode, { aad: te.encode('b') }))).toBe(
          'from node',
        );
      });
    }
  }

  test('bad peers, keys and options are refused with typed errors', async ({ page }) => {
    const x = await call<KeyView>(page, 'generateKey', { alg: 'X25519', purpose: 'agree' });
    const p = await call<KeyView>(page, 'generateKey', { alg: 'ECDH-ES', purpose: 'agree' });
    const es = await call<KeyView>(page, 'generateKey', { alg: 'ES256', purpose: 'sign' });
    const ok = { info: 'i', alg: 'A256GCM' };
    const nodeX = generateKeyPairSync('x25519');
    const privateJwk = nodeX.privateKey.export({ format: 'jwk' });
    const cases: [string, unknown, unknown, string][] = [
      // A private key is refused outright.
      [x.id, privateJwk, ok, 'INVALID_ARGUMENT'],
      // Another curve than the key's.
      [x.id, p.publicJwk, ok, 'INVALID_ARGUMENT'],
      [p.id, x.publicJwk, ok, 'INVALID_ARGUMENT'],
      // Not a point on P-256.
      [p.id, { ...p.publicJwk, y: p.publicJwk?.x }, ok, 'INVALID_ARGUMENT'],
      // Output algorithms other than A256GCM / A256KW.
      [x.id, x.publicJwk, { info: 'i', alg: 'HS256' }, 'INVALID_ARGUMENT'],
      [x.id, x.publicJwk, { alg: 'A256GCM' }, 'INVALID_ARGUMENT'],
      [x.id, x.publicJwk, { ...ok, info: new Uint8Array(2000) }, 'PAYLOAD_TOO_LARGE'],
      [x.id, x.publicJwk, { ...ok, extra: 1 }, 'INVALID_ARGUMENT'],
      // Keys that do not agree.
      [es.id, es.publicJwk, ok, 'OPERATION_NOT_ALLOWED'],
    ];
    for (const [keyId, peer, options, code] of cases) {
      const err = await callError(page, 'agree', keyId, peer, options);
      expect(isCode(err, code), `${JSON.stringify(options)} → ${err.code}: ${err.message}`).toBe(
        true,
      );
    }
  });
});
