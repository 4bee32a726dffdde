import { StrongroomError } from '@strongroom/bridge/errors';
import { describe, expect, it } from 'vitest';
import { assertJsonObject } from './json';

function errorOf(value: unknown): StrongroomError | null {
  try {
    assertJsonObject(value, 'claims', 1000, 4);
    return null;
  } catch (err) {
    if (err instanceof StrongroomError) return err;
    throw err;
  }
}

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

  describe('when a member has a reserved name', () => {
    // As structured clone delivers them: `__proto__` as an own data member, not a prototype.
    it.each([
      ['__proto__ at the top level', '{"__proto__":{"admin":true}}', '"claims.__proto__"'],
      ['constructor at the top level', '{"sub":"x","constructor":1}', '"claims.constructor"'],
      ['prototype at the top level', '{"prototype":{}}', '"claims.prototype"'],
      ['__proto__ nested', '{"a":{"__proto__":{"x":1}}}', '"claims.a.__proto__"'],
      ['constructor nested', '{"a":{"b":{"constructor":"x"}}}', '"claims.a.b.constructor"'],
      ['prototype in an array', '{"a":[1,{"prototype":null}]}', '"claims.a[1].prototype"'],
      ['__proto__ in an array', '{"a":[{"__proto__":[]}]}', '"claims.a[0].__proto__"'],
    ])('refuses %s with INVALID_ARGUMENT naming its path', (_, json, path) => {
      const value: unknown = JSON.parse(json);
      const err = errorOf(value);
      expect(err?.code).toBe('INVALID_ARGUMENT');
      expect(err?.message).toContain(path);
    });

    it('refuses an own __proto__ member made by structured clone', () => {
      const value = structuredClone({ a: 1, ['__proto__']: { polluted: true } });
      expect(Object.keys(value)).toContain('__proto__');
      expect(errorOf(value)?.code).toBe('INVALID_ARGUMENT');
    });

    it('still accepts those names as values and as parts of longer names', () => {
      expect(
        codeOf({ a: '__proto__', b: ['constructor', 'prototype'], __proto_x: 1, constructors: 2 }),
      ).toBe(null);
    });
  });
});
