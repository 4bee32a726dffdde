/**
 * The client's RFC 9421 signature-base builder against the examples of RFC 9421 appendix B.2
 * (over its `test-request`, appendix B.2 intro, with the keys of appendix B.1): each base is
 * rebuilt byte for byte, and the RFC's own signature value verifies over the rebuilt base —
 * rsa-pss-sha512 (B.2.1, B.2.2, B.2.3; non-deterministic, so verified, not recomputed),
 * hmac-sha256 (B.2.5) and ed25519 (B.2.6; both deterministic, so recomputed and compared).
 * B.2.4 signs a response (`@status`), which this request builder does not build.
 */
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BODY,
  CONTENT_DIGEST,
  ED25519_JWK,
  EXAMPLES,
  type Rfc9421Example,
  RSA_PSS_PUBLIC,
  SHARED_SECRET,
  TEST_REQUEST,
} from '../test/rfc9421-vectors';
import { signatureBase, signatureHeaders, signatureParamsValue } from './signing';

const rsaPss = (base: string, signature: Buffer) =>
  expect(
    nodeVerify(
      'sha512',
      Buffer.from(base),
      {
        key: createPublicKey(RSA_PSS_PUBLIC),
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 64,
      },
      signature,
    ),
  ).toBe(true);

/** How each example's signature is checked over a base. */
const CHECKS: Record<Rfc9421Example['alg'], (base: string, signature: Buffer) => void> = {
  'rsa-pss-sha512': rsaPss,
  'hmac-sha256': (base, signature) =>
    expect(createHmac('sha256', SHARED_SECRET).update(base).digest()).toEqual(signature),
  ed25519: (base, signature) =>
    expect(
      nodeSign(null, Buffer.from(base), createPrivateKey({ key: ED25519_JWK, format: 'jwk' })),
    ).toEqual(signature),
};

describe('the signature-base builder against RFC 9421 appendix B.2', () => {
  it("the test-request's Content-Digest is the sha-512 of its body (RFC 9530)", () => {
    const digest = createHash('sha512').update(BODY).digest('base64');
    expect(CONTENT_DIGEST).toBe(`sha-512=:${digest}:`);
  });
  for (const example of EXAMPLES) {
    describe(`when it builds ${example.section}`, () => {
      it('the Signature-Input value is the RFC’s', () => {
        expect(signatureParamsValue(example.components, example.params)).toBe(
          example.signatureInput,
        );
      });
      it('the base is the RFC’s, byte for byte', () => {
        expect(signatureBase(TEST_REQUEST, example.components, example.params)).toBe(example.base);
      });
      it('the RFC’s signature holds over the rebuilt base', () => {
        const base = signatureBase(TEST_REQUEST, example.components, example.params);
        CHECKS[example.alg](base, Buffer.from(example.signature, 'base64'));
      });
      it('a changed request gives another base, over which the signature fails', () => {
        const changed = { ...TEST_REQUEST, url: 'http://example.org/foo?param=Value&Pet=cat' };
        const base = signatureBase(changed, example.components, example.params);
        if (example.components.length === 0) {
          // B.2.1 covers no component: the same base for any request (RFC 9421 §7.2.1).
          expect(base).toBe(example.base);
          return;
        }
        expect(base).not.toBe(example.base);
        expect(() => CHECKS[example.alg](base, Buffer.from(example.signature, 'base64'))).toThrow();
      });
    });
  }
});

describe('the headers the app sends', () => {
  it('sign the base of @method, @target-uri, content-digest with created, nonce, keyid, alg', async () => {
    const signed: Uint8Array[] = [];
    const body = new TextEncoder().encode(BODY);
    const headers = await signatureHeaders(
      'POST',
      'http://127.0.0.1:8080/api/notes',
      body,
      'kid-1',
      async (data) => {
        signed.push(data);
        return new Uint8Array(64);
      },
      { created: 1618884473, nonce: 'nonce-0123456789abcdef' },
    );
    const digest = `sha-256=:${createHash('sha256').update(BODY).digest('base64')}:`;
    expect(headers['Content-Digest']).toBe(digest);
    const params =
      '("@method" "@target-uri" "content-digest");created=1618884473;nonce="nonce-0123456789abcdef";keyid="kid-1";alg="ed25519"';
    expect(headers['Signature-Input']).toBe(`sig1=${params}`);
    expect(new TextDecoder().decode(signed[0])).toBe(
      [
        '"@method": POST',
        '"@target-uri": http://127.0.0.1:8080/api/notes',
        `"content-digest": ${digest}`,
        `"@signature-params": ${params}`,
      ].join('\n'),
    );
    expect(headers.Signature).toBe(`sig1=:${Buffer.alloc(64).toString('base64')}:`);
  });
  it('refuses a key id that is not an sf-string', async () => {
    await expect(
      signatureHeaders('GET', 'http://a.example/', null, 'kid\n', async () => new Uint8Array(64)),
    ).rejects.toThrow(TypeError);
  });
});
