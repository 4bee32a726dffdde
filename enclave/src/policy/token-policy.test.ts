import { describe, expect, it } from 'vitest';
import type { KeyRecord } from '../keystore/schema';
import { assertTokenAllowed, type TokenRequest } from './token-policy';

function key(tokenPolicy: Partial<KeyRecord['tokenPolicy']>, maxTokenLifetime = 600): KeyRecord {
  return {
    maxTokenLifetime,
    tokenPolicy: {
      audiences: null,
      issuers: null,
      subjects: null,
      vapidAudiences: null,
      ...tokenPolicy,
    },
  } as KeyRecord;
}

function verdict(record: KeyRecord, request: TokenRequest): string {
  try {
    assertTokenAllowed(record, request);
    return 'ok';
  } catch (err) {
    return (err as { code: string }).code;
  }
}

describe('the token policy', () => {
  it('caps the lifetime (and VAPID at 24 h)', () => {
    expect(verdict(key({}), { kind: 'jwt', expiresIn: 600, claims: {} })).toBe('ok');
    expect(verdict(key({}), { kind: 'jwt', expiresIn: 601, claims: {} })).toBe(
      'OPERATION_NOT_ALLOWED',
    );
    const long = key({}, 7 * 86400);
    expect(verdict(long, { kind: 'vapid', expiresIn: 86401, claims: {} })).toBe(
      'OPERATION_NOT_ALLOWED',
    );
  });

  it('requires aud within the audiences, as a string or an array', () => {
    const k = key({ audiences: ['a', 'b'] });
    const jwt = (claims: Record<string, unknown>) =>
      verdict(k, { kind: 'jwt', expiresIn: 1, claims });
    expect(jwt({ aud: 'a' })).toBe('ok');
    expect(jwt({ aud: ['a', 'b'] })).toBe('ok');
    expect(jwt({ aud: ['a', 'c'] })).toBe('OPERATION_NOT_ALLOWED');
    expect(jwt({ aud: [] })).toBe('OPERATION_NOT_ALLOWED');
    expect(jwt({})).toBe('OPERATION_NOT_ALLOWED');
    expect(jwt({ aud: 1 })).toBe('OPERATION_NOT_ALLOWED');
  });

  it('requires iss and sub within their lists, and VAPID aud and sub within theirs', () => {
    const k = key({ issuers: ['i'], subjects: ['s'], vapidAudiences: ['https://p.example'] });
    expect(verdict(k, { kind: 'jwt', expiresIn: 1, claims: { iss: 'i', sub: 's' } })).toBe('ok');
    expect(verdict(k, { kind: 'jwt', expiresIn: 1, claims: { iss: 'x', sub: 's' } })).toBe(
      'OPERATION_NOT_ALLOWED',
    );
    expect(verdict(k, { kind: 'jwt', expiresIn: 1, claims: { iss: 'i' } })).toBe(
      'OPERATION_NOT_ALLOWED',
    );
    const vapid = (aud: string, sub: string) =>
      verdict(k, { kind: 'vapid', expiresIn: 1, claims: { aud, sub } });
    expect(vapid('https://p.example', 's')).toBe('ok');
    expect(vapid('https://q.example', 's')).toBe('OPERATION_NOT_ALLOWED');
    expect(vapid('https://p.example', 't')).toBe('OPERATION_NOT_ALLOWED');
  });
});
