import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('serialises the RFC 8785 §3.2.2 sample as §3.2.4 shows', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Read the order from the text: JSON.parse would move the integer-like key "1" first.
    const order = [...canonicalJson(input).matchAll(/:"([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
  });

  it('writes no whitespace and sorts nested objects', () => {
    expect(canonicalJson({ b: { d: 1, c: [true, { f: null, e: 'x' }] }, a: [] })).toBe(
      '{"a":[],"b":{"c":[true,{"e":"x","f":null}],"d":1}}',
    );
  });

  describe('when a value has no exact JSON form', () => {
    it.each([
      ['undefined', { a: undefined }, '$.a'],
      ['NaN', [Number.NaN], '$[0]'],
      ['Infinity', { x: [1, Number.POSITIVE_INFINITY] }, '$.x[1]'],
      ['a bigint', { n: 1n }, '$.n'],
      ['a Date', { d: new Date(0) }, '$.d'],
      ['a function', [() => 1], '$[0]'],
    ])('refuses %s and names the path', (_name, value, path) => {
      expect(() => canonicalJson(value)).toThrow(TypeError);
      expect(() => canonicalJson(value)).toThrow(path);
    });
  });
});
