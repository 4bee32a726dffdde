/**
 * The examples of RFC 9421 appendix B.2 (HTTP Message Signatures), typed from the RFC: its
 * `test-request` (appendix B.2), the keys of appendix B.1 that can verify or reproduce them
 * (B.1.2 test-key-rsa-pss, public; B.1.4 test-key-ed25519; B.1.5 test-shared-secret), and for
 * each example its covered components, parameters, Signature-Input, signature base and
 * signature. B.2.4 (a response, ecdsa-p256-sha256) is left out: the demo signs requests only.
 * Shared by the client's tests (`src/signing.test.ts`) and the server's (`server/server.test.ts`).
 */
import type { Component, MessageRequest } from '../src/signing';

// RFC 9421 appendix B.2: test-request (POST /foo?param=Value&Pet=dog, Host: example.com).
export const BODY = '{"hello": "world"}';
export const CONTENT_DIGEST =
  'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:';
export const TEST_REQUEST: MessageRequest = {
  method: 'POST',
  url: 'http://example.com/foo?param=Value&Pet=dog',
  headers: {
    host: 'example.com',
    date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'content-type': 'application/json',
    'content-digest': CONTENT_DIGEST,
    'content-length': '18',
  },
};

// Appendix B.1.2 test-key-rsa-pss (public key).
export const RSA_PSS_PUBLIC = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----`;
// Appendix B.1.4 test-key-ed25519 (as a JWK) and B.1.5 test-shared-secret.
export const ED25519_JWK = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs',
  d: 'n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU',
};
export const SHARED_SECRET = Buffer.from(
  'uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==',
  'base64',
);

/** One example of appendix B.2, as the RFC prints it (RFC 8792 line wrapping undone). */
export interface Rfc9421Example {
  readonly section: string;
  readonly label: string;
  readonly alg: 'rsa-pss-sha512' | 'hmac-sha256' | 'ed25519';
  readonly components: readonly Component[];
  readonly params: Readonly<Record<string, string | number>>;
  /** The Signature-Input member's value, as printed. */
  readonly signatureInput: string;
  readonly base: string;
  /** The Signature member's value (base64), as printed. */
  readonly signature: string;
}

export const EXAMPLES: readonly Rfc9421Example[] = [
  {
    section: 'B.2.1 minimal (rsa-pss-sha512)',
    label: 'sig-b21',
    signatureInput: '();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
    alg: 'rsa-pss-sha512',
    components: [],
    params: { created: 1618884473, keyid: 'test-key-rsa-pss', nonce: 'b3k2pp5k7z-50gnwp.yemd' },
    base: '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
    signature:
      'd2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==',
  },
  {
    section: 'B.2.2 selective components (rsa-pss-sha512)',
    label: 'sig-b22',
    signatureInput:
      '("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
    alg: 'rsa-pss-sha512',
    components: ['@authority', 'content-digest', { queryParam: 'Pet' }],
    params: { created: 1618884473, keyid: 'test-key-rsa-pss', tag: 'header-example' },
    base: [
      '"@authority": example.com',
      `"content-digest": ${CONTENT_DIGEST}`,
      '"@query-param";name="Pet": dog',
      '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
    ].join('\n'),
    signature:
      'LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==',
  },
  {
    section: 'B.2.3 full coverage (rsa-pss-sha512)',
    label: 'sig-b23',
    signatureInput:
      '("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    alg: 'rsa-pss-sha512',
    components: [
      'date',
      '@method',
      '@path',
      '@query',
      '@authority',
      'content-type',
      'content-digest',
      'content-length',
    ],
    params: { created: 1618884473, keyid: 'test-key-rsa-pss' },
    base: [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@method": POST',
      '"@path": /foo',
      '"@query": ?param=Value&Pet=dog',
      '"@authority": example.com',
      '"content-type": application/json',
      `"content-digest": ${CONTENT_DIGEST}`,
      '"content-length": 18',
      '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    ].join('\n'),
    signature:
      'bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==',
  },
  {
    section: 'B.2.5 hmac-sha256',
    label: 'sig-b25',
    signatureInput:
      '("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
    alg: 'hmac-sha256',
    components: ['date', '@authority', 'content-type'],
    params: { created: 1618884473, keyid: 'test-shared-secret' },
    base: [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@authority": example.com',
      '"content-type": application/json',
      '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
    ].join('\n'),
    signature: 'pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=',
  },
  {
    section: 'B.2.6 ed25519',
    label: 'sig-b26',
    signatureInput:
      '("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    alg: 'ed25519',
    components: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
    params: { created: 1618884473, keyid: 'test-key-ed25519' },
    base: [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@method": POST',
      '"@path": /foo',
      '"@authority": example.com',
      '"content-type": application/json',
      '"content-length": 18',
      '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    ].join('\n'),
    signature:
      'wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==',
  },
];
