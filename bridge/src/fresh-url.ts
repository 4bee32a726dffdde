/**
 * The URL each connection loads the enclave document from: the app's URL with a fresh random
 * query parameter added, so that no cached copy of the document is ever reused — not a copy in
 * the HTTP cache (even one stored with a long lifetime, by a misconfigured server or by a host
 * that served other code for a while), not a back/forward-cache copy. The enclave serves
 * `index.html` with `Cache-Control: no-store` too (build/enclave-config.ts); the query keeps the
 * guarantee where a server or a cache on the way ignores that header. The enclave ignores the
 * query: asset URLs, the release digest and its self-fetch resolve against the document's folder
 * (enclave/src/release-digest.ts).
 */

/** The name of the query parameter the bridge adds to the enclave URL. */
export const FRESH_PARAM = 'sr';

/** Random bytes of each value: 128 bits, 22 base64url characters. */
const FRESH_BYTES = 16;

/** 22 base64url characters (no padding) from `crypto.getRandomValues`. */
export function freshToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(FRESH_BYTES));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * `url` with `sr=<22 random base64url characters>` appended to its query: the query the app
 * gave stays as written (a parameter of the same name included), the fragment stays, and each
 * call gives another value. `url` itself is not changed.
 *
 * @example
 * ```ts
 * freshEnclaveUrl(new URL('https://kms.app.example/?tenant=a')).href;
 * // 'https://kms.app.example/?tenant=a&sr=q3Z0N1m8Xr2T5uVwYb7KcA'
 * ```
 */
export function freshEnclaveUrl(url: URL): URL {
  const fresh = new URL(url.href);
  const given = fresh.search.slice(1);
  fresh.search = `${given}${given === '' || given.endsWith('&') ? '' : '&'}${FRESH_PARAM}=${freshToken()}`;
  return fresh;
}
