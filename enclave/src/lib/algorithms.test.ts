import { KEY_ALGORITHMS } from '@strongroom/bridge/protocol';
import { describe, expect, it } from 'vitest';
import { algorithm, isKeyAlgorithm } from './algorithms';

describe('the algorithm table', () => {
  it('has an entry for every algorithm of the protocol and nothing else', () => {
    for (const alg of KEY_ALGORITHMS) expect(algorithm(alg).alg).toBe(alg);
    for (const bad of ['RS256', '__proto__', 'constructor', 'toString', '', 7])
      expect(isKeyAlgorithm(bad)).toBe(false);
  });

  it('pairs have what a thumbprint and a public import need; signers have signature parameters', () => {
    for (const alg of KEY_ALGORITHMS) {
      const spec = algorithm(alg);
      if (spec.kind === 'pair') {
        expect(spec.thumbprintMembers, alg).toBeDefined();
        expect(spec.importPublicParams, alg).toBeDefined();
      }
      if (spec.capabilities.has('sign')) {
        expect(spec.signParams, alg).toBeDefined();
        expect(spec.signatureBytes, alg).toBeGreaterThan(0);
      }
    }
  });

  it('generates every algorithm non-extractable with Node WebCrypto (same API as the browsers)', async () => {
    for (const alg of KEY_ALGORITHMS) {
      const spec = algorithm(alg);
      const key = await crypto.subtle.generateKey(spec.generateParams, false, [
        ...spec.generateUsages,
      ]);
      const secret = 'privateKey' in key ? key.privateKey : key;
      expect(secret.extractable, alg).toBe(false);
    }
  });
});
