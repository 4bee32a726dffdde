import { describe, expect, it } from 'vitest';
import { checkMessage } from './comlink-guard';

const OPS = new Set(['sign', 'listKeys']);
const raw = (value: unknown) => ({ type: 'RAW', value });

describe('checkMessage', () => {
  it('lets through APPLY on exactly one operation name with RAW arguments, and RELEASE', () => {
    expect(
      checkMessage(
        { id: 'a', type: 'APPLY', path: ['sign'], argumentList: [raw('k'), raw(1)] },
        OPS,
      ),
    ).toBeNull();
    expect(checkMessage({ id: 'a', type: 'APPLY', path: ['listKeys'] }, OPS)).toBeNull();
    expect(checkMessage({ id: 'a', type: 'RELEASE' }, OPS)).toBeNull();
  });

  describe('when the message is a Comlink escape', () => {
    it.each([
      ['GET', { id: 'a', type: 'GET', path: ['sign'] }],
      ['SET', { id: 'a', type: 'SET', path: ['__proto__', 'x'], value: raw(1) }],
      [
        'CONSTRUCT',
        { id: 'a', type: 'CONSTRUCT', path: ['constructor', 'constructor'], argumentList: [] },
      ],
      ['ENDPOINT', { id: 'a', type: 'ENDPOINT' }],
      ['nested path', { id: 'a', type: 'APPLY', path: ['sign', 'call'] }],
      ['prototype path', { id: 'a', type: 'APPLY', path: ['__proto__'] }],
      ['constructor path', { id: 'a', type: 'APPLY', path: ['constructor'] }],
      ['unknown name', { id: 'a', type: 'APPLY', path: ['exportKey'] }],
      ['empty path', { id: 'a', type: 'APPLY', path: [] }],
      ['non-string path', { id: 'a', type: 'APPLY', path: [1] }],
      [
        'proxy argument',
        {
          id: 'a',
          type: 'APPLY',
          path: ['sign'],
          argumentList: [{ type: 'HANDLER', name: 'proxy' }],
        },
      ],
      ['argument list not an array', { id: 'a', type: 'APPLY', path: ['sign'], argumentList: {} }],
    ])('refuses %s', (_, message) => {
      expect(checkMessage(message, OPS)).toEqual(expect.any(String));
    });
  });

  it('refuses messages without a usable id, even well-formed calls', () => {
    for (const id of [undefined, '', 7, 'x'.repeat(257)]) {
      expect(checkMessage({ id, type: 'APPLY', path: ['listKeys'] }, OPS)).toEqual(
        expect.any(String),
      );
    }
    for (const junk of [null, 'APPLY', 42, []])
      expect(checkMessage(junk, OPS)).toEqual(expect.any(String));
  });
});
