/**
 * RFC 7638 JWK thumbprints: SHA-256 over the JSON of the required members in lexicographic
 * order, with no whitespace, base64url-encoded.
 */
import { base64url, utf8 } from './encoding';

/**
 * Compute the RFC 7638 thumbprint of a public JWK.
 * @param members the required members for the key type, already in lexicographic order
 */
export async function jwkThumbprint(jwk: JsonWebKey, members: readonly string[]): Promise<string> {
  const record = jwk as Record<string, unknown>;
  const parts = members.map((name) => {
    const value = record[name];
    if (typeof value !== 'string') throw new TypeError(`JWK member "${name}" missing`);
    return `${JSON.stringify(name)}:${JSON.stringify(value)}`;
  });
  const digest = await crypto.subtle.digest('SHA-256', utf8(`{${parts.join(',')}}`));
  return base64url(new Uint8Array(digest));
}
