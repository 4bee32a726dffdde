/**
 * RFC 9421 HTTP Message Signatures on the client side, with the signature made in the enclave:
 * the page builds the signature base (@method, @target-uri, content-digest when there is a body,
 * and @signature-params with created, nonce, keyid, alg), the enclave signs it with the
 * non-extractable Ed25519 identity key, and the page sends Signature-Input and Signature.
 */

function b64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function b64url(bytes: Uint8Array): string {
  return b64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromB64url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** `sha-256=:…:` (RFC 9530) of `body`. */
export async function contentDigest(body: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(body)));
  return `sha-256=:${b64(hash)}:`;
}

/** What the enclave is asked to sign. */
export type SignBytes = (data: Uint8Array) => Promise<Uint8Array>;

/** Headers that sign `method url [body]` with `keyId` (RFC 9421, label `sig1`). */
export async function signatureHeaders(
  method: string,
  url: string,
  body: Uint8Array | null,
  keyId: string,
  sign: SignBytes,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  const components = ['"@method"', '"@target-uri"'];
  const lines = [`"@method": ${method.toUpperCase()}`, `"@target-uri": ${url}`];
  if (body && body.length > 0) {
    headers['Content-Digest'] = await contentDigest(body);
    components.push('"content-digest"');
    lines.push(`"content-digest": ${headers['Content-Digest']}`);
  }
  const created = Math.floor(Date.now() / 1000);
  const nonce = b64url(crypto.getRandomValues(new Uint8Array(18)));
  const params = `(${components.join(' ')});created=${created};nonce="${nonce}";keyid="${keyId}";alg="ed25519"`;
  lines.push(`"@signature-params": ${params}`);
  const signature = await sign(new TextEncoder().encode(lines.join('\n')));
  headers['Signature-Input'] = `sig1=${params}`;
  headers.Signature = `sig1=:${b64(signature)}:`;
  return headers;
}
