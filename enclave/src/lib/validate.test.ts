import { StrongroomError } from '@strongroom/bridge/errors';
import { describe, expect, it } from 'vitest';
import {
  assertArity,
  assertBytes,
  assertKeyId,
  assertOneOf,
  assertPlainObject,
  assertString,
} from './validate';

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(StrongroomError);
    return (err as StrongroomError).code;
  }
}

describe('validators of untrusted arguments', () => {
  it('assertBytes accepts a Uint8Array within the bound and names the field otherwise', () => {
    expect(codeOf(() => assertBytes(new Uint8Array(4), 'data', 4))).toBeNull();
    expect(codeOf(() => assertBytes(new Uint8Array(5), 'data', 4))).toBe('PAYLOAD_TOO_LARGE');
    expect(codeOf(() => assertBytes([1, 2], 'data', 4))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assertBytes(new Uint16Array(1), 'data', 4))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assertBytes(new Uint8Array(new SharedArrayBuffer(2)), 'data', 4))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(() => assertBytes('x', 'data', 4)).toThrow('"data" expected Uint8Array, got string');
  });

  it('assertPlainObject refuses unknown fields, arrays, null and class instances', () => {
    expect(codeOf(() => assertPlainObject({ alg: 'x' }, 'options', ['alg']))).toBeNull();
    expect(() => assertPlainObject({ alg: 'x', extractable: true }, 'options', ['alg'])).toThrow(
      '"options" has unknown field "extractable"',
    );
    for (const bad of [null, [], new Date(), 'x', Object.create(null)]) {
      expect(codeOf(() => assertPlainObject(bad, 'options', ['alg']))).toBe('INVALID_ARGUMENT');
    }
  });

  it('assertKeyId, assertString, assertOneOf and assertArity', () => {
    expect(codeOf(() => assertKeyId('abc_-9'))).toBeNull();
    expect(codeOf(() => assertKeyId('../x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assertKeyId(''))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assertKeyId('a'.repeat(65)))).toBe('PAYLOAD_TOO_LARGE');
    expect(codeOf(() => assertString('abc', 'label', 2))).toBe('PAYLOAD_TOO_LARGE');
    expect(codeOf(() => assertOneOf('pem', 'format', ['jwk', 'raw']))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assertArity([1, 2, 3], 1, 2))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => assertArity([1], 1, 2))).toBeNull();
  });
});
