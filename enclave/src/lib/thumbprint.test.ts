import { describe, expect, it } from 'vitest';
import { jwkThumbprint } from './thumbprint';

describe('jwkThumbprint', () => {
  describe('when given the RFC 7638 §3.1 example RSA key', () => {
    it('computes the thumbprint of RFC 7638 §3.1', async () => {
      const jwk = {
        kty: 'RSA',
        n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
        e: 'AQAB',
        alg: 'RS256',
        kid: '2011-04-29',
      };
      expect(await jwkThumbprint(jwk, ['e', 'kty', 'n'])).toBe(
        'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
      );
    });
  });

  describe('when given the RFC 8037 §A.3 Ed25519 key', () => {
    it('computes the thumbprint of RFC 8037 §A.3', async () => {
      const jwk = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' };
      expect(await jwkThumbprint(jwk, ['crv', 'kty', 'x'])).toBe(
        'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
      );
    });
  });

  describe('when a required member is missing', () => {
    it('throws', async () => {
      await expect(jwkThumbprint({ kty: 'OKP' }, ['crv', 'kty', 'x'])).rejects.toThrow(TypeError);
    });
  });
});
