/**
 * Published test vectors, through the enclave's real operations: vector keys are brought in with
 * `unwrapKey` under a KEK whose bytes the test knows, as any key would be.
 *
 * Secret keys come in under a KEK established with `agree` (X25519 + HKDF, computed again in
 * Node). Such a derived KEK is page-knowable, so the policy lets it import secret keys only:
 * never key pairs, and it never exports (enclave/src/policy/provenance.ts). Only a KEK generated
 * in the enclave may do those, and nobody knows its bytes; so for the private-key vectors and
 * the `wrapKey` direction of RFC 3394 the test plants a KEK with known bytes, recorded as
 * generated, straight into the enclave's IndexedDB (`plantKnownKek`, a test fixture).
 *
 * - RFC 3394 §4.6: AES-256 key wrap of 256 bits of key data with a 256-bit KEK, both ways.
 * - RFC 7515 §A.1: HS256 JWS (deterministic): the enclave's HMAC equals the RFC's.
 * - RFC 8037 §A.3/§A.4: Ed25519 JWK thumbprint and JWS (deterministic): equal to the RFC's.
 * - RFC 7638 §3: the thumbprint of an imported P-256 key equals the one jose computes.
 * - RFC 7748 §6.1: X25519 shared secret of Alice and Bob, observed through HKDF + open.
 */
import { createHmac, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, jwtVerify } from 'jose';
import {
  type test as baseTest,
  call,
  callError,
  connectHarness,
  expect,
  openHarness,
  test,
} from '../support/test';
import {
  aesKw,
  approved,
  b64u,
  gcmWrapNode,
  hex,
  hkdf32,
  isCode,
  type KeyView,
  NO_INPUT_IN_FIREFOX_OOP,
  nodeEcdh,
  plantKnownKek,
  sealEnvelopeNode,
} from '../support/tokens';

type Page = Parameters<Parameters<typeof baseTest>[2]>[0]['page'];
type Urls = Parameters<Parameters<typeof baseTest>[2]>[0]['urls'];

const te = new TextEncoder();

/** An A256KW `wrap` key in the enclave, agreed with Node, whose raw bytes the test knows. */
async function agreedKek(page: Page) {
  const node = generateKeyPairSync('x25519');
  const mine = await call<KeyView>(page, 'generateKey', { alg: 'X25519', purpose: 'agree' });
  const peer = node.publicKey.export({ format: 'jwk' });
  const shared = nodeEcdh(node.privateKey, mine.publicJwk as JsonWebKey);
  const kw = await call<KeyView>(page, 'agree', mine.id, peer, {
    info: 'vectors kw',
    alg: 'A256KW',
    purpose: 'wrap',
  });
  expect(kw).toMatchObject({ purpose: 'wrap', provenance: { source: 'derived' } });
  return { id: kw.id, raw: hkdf32(shared, new Uint8Array(0), 'vectors kw') };
}

/** A `wrap` KEK planted in the enclave as generated there, whose raw bytes the test knows. */
async function plantedKek(page: Page, urls: Urls, alg: 'A256KW' | 'A256GCM', raw?: Uint8Array) {
  const bytes = raw ?? new Uint8Array(randomBytes(32));
  const id = await plantKnownKek(page, urls.enclave, urls.app, alg, bytes);
  expect(await call<KeyView>(page, 'getKey', id)).toMatchObject({
    alg,
    purpose: 'wrap',
    state: 'active',
    provenance: { source: 'generated', pageKnowable: false },
  });
  return { id, raw: bytes };
}

test.describe('when published test vectors are run through the enclave', () => {
  test.beforeEach(async ({ page, urls }) => {
    await openHarness(page, urls.app);
    await connectHarness(page);
  });

  test('RFC 3394 §4.6: unwrapKey and wrapKey match the vector both ways', async ({
    page,
    urls,
    browserName,
    topology,
  }) => {
    test.skip(browserName === 'firefox' && topology === 'cross-site', NO_INPUT_IN_FIREFOX_OOP);
    const kek = hex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
    const keyData = hex('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F');
    const ciphertext = hex(
      '28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21',
    );
    const known = await agreedKek(page);
    // The vector's KEK into the enclave, wrapped under the agreed KEK.
    const vectorKek = await call<KeyView>(page, 'unwrapKey', known.id, aesKw(known.raw, kek), {
      alg: 'A256KW',
      purpose: 'wrap',
    });
    // Unwrap the vector's ciphertext: the integrity check (RFC 3394 §2.2.3) must pass …
    const hs = { alg: 'HS256', purpose: 'mac' };
    const data = await call<KeyView>(page, 'unwrapKey', vectorKek.id, ciphertext, {
      ...hs,
      exportable: true,
    });
    // … and the key data must be the vector's: compare an HMAC under it with Node's.
    const nodeMac = createHmac('sha256', keyData).update('abc').digest('base64url');
    const mac = await call<Uint8Array>(page, 'sign', data.id, te.encode('abc'));
    expect(b64u.encode(mac)).toBe(nodeMac);
    // Wrapping it again gives exactly the vector's ciphertext. The imported vector KEK is
    // page-knowable and exports nothing, so the vector's KEK is planted as a generated one.
    const planted = await plantedKek(page, urls, 'A256KW', kek);
    expect(await approved(page, urls.enclave, 'wrapKey', planted.id, data.id)).toEqual(ciphertext);
    // The round trip as an app makes it, under a KEK really generated in the enclave.
    const backup = await call<KeyView>(page, 'generateKey', { alg: 'A256KW', purpose: 'wrap' });
    const wrapped = await approved<Uint8Array>(page, urls.enclave, 'wrapKey', backup.id, data.id);
    expect(wrapped).toHaveLength(40);
    const restored = await call<KeyView>(page, 'unwrapKey', backup.id, wrapped, hs);
    const again = await call<Uint8Array>(page, 'sign', restored.id, te.encode('abc'));
    expect(b64u.encode(again)).toBe(nodeMac);
    // One flipped bit fails the integrity check.
    const bad = ciphertext.slice();
    bad[39] = (bad[39] as number) ^ 1;
    const err = await callError(page, 'unwrapKey', vectorKek.id, bad, hs);
    expect(isCode(err, 'DECRYPTION_FAILED')).toBe(true);
  });

  test('RFC 7515 §A.1: the HS256 signature equals the RFC', async ({ page }) => {
    const k = b64u.decode(
      'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow',
    );
    const input =
      'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ';
    const known = await agreedKek(page);
    const key = await call<KeyView>(page, 'unwrapKey', known.id, aesKw(known.raw, k), {
      alg: 'HS256',
      purpose: 'mac',
    });
    const sig = await call<Uint8Array>(page, 'sign', key.id, te.encode(input));
    expect(b64u.encode(sig)).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
  });

  test('RFC 8037 §A.3/§A.4: the Ed25519 thumbprint and JWS equal the RFC', async ({
    page,
    urls,
    browserName,
    topology,
  }) => {
    test.skip(browserName === 'firefox' && topology === 'cross-site', NO_INPUT_IN_FIREFOX_OOP);
    const jwk = {
      kty: 'OKP',
      crv: 'Ed25519',
      d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
    };
    const pkcs8 = createPrivateKey({ key: jwk, format: 'jwk' }).export({
      type: 'pkcs8',
      format: 'der',
    });
    const known = await plantedKek(page, urls, 'A256GCM');
    const key = await approved<KeyView>(
      page,
      urls.enclave,
      'unwrapKey',
      known.id,
      gcmWrapNode(known.raw, 'EdDSA', pkcs8),
      { alg: 'EdDSA', purpose: 'sign' },
    );
    expect(key.provenance).toEqual({
      source: 'imported',
      from: { keyId: known.id, source: 'generated' },
      pageKnowable: true,
    });
    expect(key.kid).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
    expect(key.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', x: jwk.x });
    const input = 'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc';
    const sig = await call<Uint8Array>(page, 'sign', key.id, te.encode(input));
    expect(b64u.encode(sig)).toBe(
      'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
    );
    // Wrapped for another algorithm, the AAD does not match: refused.
    const err = await callError(
      page,
      'unwrapKey',
      known.id,
      gcmWrapNode(known.raw, 'X25519', pkcs8),
      { alg: 'EdDSA', purpose: 'sign' },
    );
    expect(isCode(err, 'DECRYPTION_FAILED')).toBe(true);
  });

  test('a P-256 key imported with unwrapKey keeps its RFC 7638 thumbprint and signs JWTs', async ({
    page,
    urls,
    browserName,
    topology,
  }) => {
    test.skip(browserName === 'firefox' && topology === 'cross-site', NO_INPUT_IN_FIREFOX_OOP);
    // ES256 signatures are randomized, so there is no signature vector to match: the check is
    // that the imported key is the one Node holds (same public key, same RFC 7638 kid as jose
    // computes) and that its JWTs verify with that public key in Node.
    const node = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pkcs8 = node.privateKey.export({ type: 'pkcs8', format: 'der' });
    const jwk = node.publicKey.export({ format: 'jwk' });
    const known = await plantedKek(page, urls, 'A256GCM');
    const key = await approved<KeyView>(
      page,
      urls.enclave,
      'unwrapKey',
      known.id,
      gcmWrapNode(known.raw, 'ES256', pkcs8),
      { alg: 'ES256', purpose: 'jwt' },
    );
    expect(key.publicJwk).toMatchObject({ x: jwk.x, y: jwk.y });
    expect(key.kid).toBe(await calculateJwkThumbprint(jwk as never));
    const token = await call<string>(page, 'signJwt', key.id, {
      claims: { iss: 'joe' },
      expiresIn: 60,
    });
    await jwtVerify(token, node.publicKey, { issuer: 'joe' });
  });

  test('RFC 7748 §6.1: the enclave computes Alice and Bob’s shared secret', async ({
    page,
    urls,
    browserName,
    topology,
  }) => {
    test.skip(browserName === 'firefox' && topology === 'cross-site', NO_INPUT_IN_FIREFOX_OOP);
    const alicePkcs8 = Buffer.concat([
      hex('302e020100300506032b656e04220420'),
      hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'),
    ]);
    const bobPublic = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    const known = await plantedKek(page, urls, 'A256GCM');
    const alice = await approved<KeyView>(
      page,
      urls.enclave,
      'unwrapKey',
      known.id,
      gcmWrapNode(known.raw, 'X25519', alicePkcs8),
      { alg: 'X25519', purpose: 'agree' },
    );
    expect(b64u.decode(alice.publicJwk?.x as string)).toEqual(
      hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'),
    );
    const bob = { kty: 'OKP', crv: 'X25519', x: b64u.encode(bobPublic) };
    const key = await call<KeyView>(page, 'agree', alice.id, bob, {
      info: 'rfc7748',
      alg: 'A256GCM',
    });
    const env = sealEnvelopeNode({
      kek: hkdf32(shared, new Uint8Array(0), 'rfc7748'),
      mechanism: 2,
      keyId: key.id,
      plaintext: te.encode('K'),
    });
    expect(await call(page, 'open', env)).toEqual(te.encode('K'));
  });
});
