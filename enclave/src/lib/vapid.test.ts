import { StrongroomError } from '@strongroom/bridge/errors';
import { describe, expect, it } from 'vitest';
import { assertVapidAudience, assertVapidSubject } from './vapid';

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof StrongroomError ? err.code : 'not a StrongroomError';
  }
}

describe('assertVapidAudience (RFC 8292 §2)', () => {
  describe('when the build is a release build', () => {
    it('accepts only https origins', () => {
      expect(codeOf(() => assertVapidAudience('https://fcm.googleapis.com', 'aud', false))).toBe(
        null,
      );
      for (const aud of [
        'http://localhost:8080',
        'http://127.0.0.1:9',
        'http://push.example',
        'https://push.example/',
        'https://push.example/path',
        'https://push.example?q',
        'https://u:p@push.example',
        'https://push.example:443',
        'wss://push.example',
        'nonsense',
        42,
      ]) {
        expect(
          codeOf(() => assertVapidAudience(aud, 'aud', false)),
          String(aud),
        ).toBe('INVALID_ARGUMENT');
      }
    });
  });

  describe('when the build is a development build', () => {
    it('also accepts loopback http origins, and nothing else over http', () => {
      for (const aud of ['http://localhost:8080', 'http://127.0.0.1:9', 'http://push.localhost']) {
        expect(
          codeOf(() => assertVapidAudience(aud, 'aud', true)),
          aud,
        ).toBe(null);
      }
      expect(codeOf(() => assertVapidAudience('http://push.example', 'aud', true))).toBe(
        'INVALID_ARGUMENT',
      );
    });
  });
});

describe('assertVapidSubject (RFC 8292 §2.1)', () => {
  it('accepts mailto: addresses and https: URLs only', () => {
    expect(codeOf(() => assertVapidSubject('mailto:ops@app.example', 'sub'))).toBe(null);
    expect(codeOf(() => assertVapidSubject('https://app.example/contact', 'sub'))).toBe(null);
    for (const sub of ['mailto:', 'mailto:nobody', 'http://app.example', 'ops@app.example', '']) {
      expect(
        codeOf(() => assertVapidSubject(sub, 'sub')),
        sub,
      ).toBe('INVALID_ARGUMENT');
    }
    expect(codeOf(() => assertVapidSubject(`mailto:${'a'.repeat(600)}@x`, 'sub'))).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });
});
