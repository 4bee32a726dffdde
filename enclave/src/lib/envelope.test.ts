import { describe, expect, it } from 'vitest';
import {
  concat,
  ENVELOPE_VERSION,
  encodeHeader,
  encodePrefix,
  GCM_IV_BYTES,
  parseEnvelope,
} from './envelope';

const KEY_ID = 'AbCdEfGhIjKlMnOpQrStUv';

function sample(): Uint8Array<ArrayBuffer> {
  const header = encodeHeader({ mechanism: 1, keyId: KEY_ID, keyVersion: 7 });
  const prefix = encodePrefix(header, new Uint8Array(40).fill(0xaa), new Uint8Array(12).fill(1));
  return concat(prefix, new Uint8Array(20).fill(0xcc));
}

describe('envelope format v1', () => {
  describe('when a header is encoded', () => {
    it('lays out magic, version, mechanism, key id and key version as documented', () => {
      const h = encodeHeader({ mechanism: 2, keyId: 'abc', keyVersion: 0x01020304 });
      expect([...h]).toEqual([0x53, 0x52, ENVELOPE_VERSION, 2, 3, 97, 98, 99, 1, 2, 3, 4]);
    });
    it('refuses a key id outside the base64url alphabet', () => {
      expect(() => encodeHeader({ mechanism: 1, keyId: 'a/b', keyVersion: 1 })).toThrow(TypeError);
    });
  });

  describe('when an envelope is parsed', () => {
    it('returns every field at its documented offset', () => {
      const env = sample();
      const parsed = parseEnvelope(env);
      expect(parsed).not.toBeNull();
      expect(parsed?.mechanism).toBe(1);
      expect(parsed?.keyId).toBe(KEY_ID);
      expect(parsed?.keyVersion).toBe(7);
      expect(parsed?.header.length).toBe(9 + KEY_ID.length);
      expect([...(parsed?.wrappedKey ?? [])]).toEqual(new Array(40).fill(0xaa));
      expect(parsed?.iv.length).toBe(GCM_IV_BYTES);
      expect(parsed?.prefix.length).toBe(9 + KEY_ID.length + 1 + 40 + 12);
      expect(parsed?.ciphertext.length).toBe(20);
    });

    it('returns null for a wrong magic, version, truncation or key id', () => {
      const env = sample();
      for (const i of [0, 1, 2]) {
        const bad = env.slice();
        bad[i] = (bad[i] as number) ^ 1;
        expect(parseEnvelope(bad)).toBeNull();
      }
      expect(parseEnvelope(env.slice(0, env.length - 5))).toBeNull();
      expect(parseEnvelope(new Uint8Array(0))).toBeNull();
      const badId = env.slice();
      badId[5] = 0x2f; // '/'
      expect(parseEnvelope(badId)).toBeNull();
      const zeroId = env.slice();
      zeroId[4] = 0;
      expect(parseEnvelope(zeroId)).toBeNull();
    });
  });
});
