import { StrongroomError } from '@strongroom/bridge/errors';
import { describe, expect, it } from 'vitest';
import { assertJsonObject } from './json';

function codeOf(value: unknown, maxBytes = 1000, maxDepth = 4): string | null {
  try {
    assertJsonObject(value, 'claims', maxBytes, maxDepth);
    return null;
  } catch (err) {
    return err instanceof StrongroomError ? err.code : 'not a StrongroomError';
  }
}

describe('assertJsonObject', () => {
  describe('when the value is a JSON object within bounds', () => {
    it('accepts it', () => {
      expect(codeOf({ a: 1, b: 'x', c: [true, null, { d: 2.5 }] })).toBe(null);
    });
  });

  describe('when the value is not JSON', () => {
    it('refuses non-objects, arrays, class instances, non-finite numbers and holes', () => {
      for (const value of [
        null,
        [],
        'x',
        new Date(),
        new Map(),
        { a: new Date() },
        { a: Number.NaN },
        { a: Number.POSITIVE_INFINITY },
        { a: undefined },
        { a: 1n },
        { a: new Uint8Array(1) },
        // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
        { a: [1, , 2] },
      ]) {
        expect(codeOf(value), String(value)).toBe('INVALID_ARGUMENT');
      }
    });
  });

  describe('when the value is too large or too deep', () => {
    it('refuses it with PAYLOAD_TOO_LARGE', () => {
      expect(codeOf({ a: 'x'.repeat(2000) })).toBe('PAYLOAD_TOO_LARGE');
      expect(codeOf({ a: { b: { c: { d: { e: 1 } } } } })).toBe('PAYLOAD_TOO_LARGE');
      expect(codeOf({ a: new Array(5000).fill(0) })).toBe('PAYLOAD_TOO_LARGE');
    });
  });
});
