/**
 * The enclave URL of each connection: the app's URL with a fresh random `sr` query parameter
 * merged in (never replacing the app's query), 22 base64url characters of 128 random bits,
 * another value each time; the origin and the document's folder unchanged.
 */
import { describe, expect, it } from 'vitest';
import { FRESH_PARAM, freshEnclaveUrl, freshToken } from './fresh-url';

const TOKEN = /^[A-Za-z0-9_-]{22}$/;

/** The bytes of a base64url token. */
function bytesOf(token: string): Uint8Array {
  const binary = atob(token.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

describe('freshEnclaveUrl', () => {
  it('adds sr=<22 base64url characters> to a URL without a query', () => {
    const fresh = freshEnclaveUrl(new URL('https://kms.app.example/'));
    expect(fresh.search).toMatch(/^\?sr=[A-Za-z0-9_-]{22}$/);
    expect(fresh.origin).toBe('https://kms.app.example');
    expect(fresh.pathname).toBe('/');
  });

  it("merges with the app's query, keeping it as written, and keeps the fragment", () => {
    const given = new URL('https://kms.app.example/enclave/?tenant=a%20b&x=1#top');
    const fresh = freshEnclaveUrl(given);
    expect(fresh.search).toMatch(/^\?tenant=a%20b&x=1&sr=[A-Za-z0-9_-]{22}$/);
    expect(fresh.hash).toBe('#top');
    expect(fresh.pathname).toBe('/enclave/');
    // What the enclave resolves its files and its release paths against: unchanged.
    expect(new URL('./', fresh).href).toBe('https://kms.app.example/enclave/');
    expect(given.href, 'the URL passed in is not changed').toBe(
      'https://kms.app.example/enclave/?tenant=a%20b&x=1#top',
    );
  });

  it("never replaces a parameter of the app's, even one named sr", () => {
    const fresh = freshEnclaveUrl(new URL('https://kms.app.example/?sr=mine&'));
    const values = fresh.searchParams.getAll(FRESH_PARAM);
    expect(values[0]).toBe('mine');
    expect(values).toHaveLength(2);
    expect(values[1]).toMatch(TOKEN);
    expect(fresh.search.startsWith('?sr=mine&sr=')).toBe(true);
  });

  it('gives another value on every call', () => {
    const url = new URL('https://kms.app.example/');
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(freshEnclaveUrl(url).searchParams.get('sr') ?? '');
    expect(seen.size).toBe(1000);
  });
});

describe('freshToken', () => {
  it('is 128 random bits as 22 base64url characters, without padding', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const token = freshToken();
      expect(token).toMatch(TOKEN);
      expect(bytesOf(token)).toHaveLength(16);
      for (const c of token.slice(0, 21)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    // Every one of the 64 characters shows up (the last one carries only 2 bits): the alphabet
    // is base64url's, '-' and '_' included, and the values are not a small fixed set.
    expect(counts.size).toBe(64);
    expect(counts.has('-') && counts.has('_')).toBe(true);
  });
});
