import { describe, expect, it } from 'vitest';
import {
  deserializeError,
  ERROR_CODES,
  isStrongroomError,
  StrongroomError,
  serializeError,
} from './errors';

describe('StrongroomError', () => {
  it('keeps its code and reports its name', () => {
    const err = new StrongroomError('KEY_NOT_FOUND', 'no such key');
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('KEY_NOT_FOUND');
    expect(err.name).toBe('StrongroomError');
    expect(isStrongroomError(err, 'KEY_NOT_FOUND')).toBe(true);
    expect(isStrongroomError(err, 'INVALID_ARGUMENT')).toBe(false);
    expect(isStrongroomError(new Error('x'))).toBe(false);
  });
});

describe('when an error crosses the channel', () => {
  it('a StrongroomError keeps code and message', () => {
    for (const code of ERROR_CODES) {
      const back = deserializeError(serializeError(new StrongroomError(code, `m-${code}`)));
      expect(back).toBeInstanceOf(StrongroomError);
      expect(back.code).toBe(code);
      expect(back.message).toBe(`m-${code}`);
    }
  });

  it('any other error becomes INTERNAL_ERROR with a fixed message, leaking nothing', () => {
    const secret = new TypeError('key material 0xdeadbeef at /src/worker.ts:42');
    expect(serializeError(secret)).toEqual({ code: 'INTERNAL_ERROR', message: 'internal error' });
    expect(serializeError('a string')).toEqual({
      code: 'INTERNAL_ERROR',
      message: 'internal error',
    });
  });

  it('a malformed or unknown error from the other side becomes INTERNAL_ERROR', () => {
    for (const value of [
      null,
      42,
      'x',
      {},
      { code: 'NOPE', message: 'x' },
      { code: 'KEY_NOT_FOUND', message: 7 },
    ]) {
      const err = deserializeError(value);
      expect(err.code).toBe('INTERNAL_ERROR');
    }
  });

  it('an overlong message is cut', () => {
    expect(
      deserializeError({ code: 'INVALID_ARGUMENT', message: 'x'.repeat(10_000) }).message,
    ).toHaveLength(500);
  });
});
