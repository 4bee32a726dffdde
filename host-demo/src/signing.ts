/**
 * RFC 9421 HTTP Message Signatures on the client side, with the signature made in the enclave:
 * the page builds the signature base (@method, @target-uri, content-digest when there is a body,
 * and @signature-params with created, nonce, keyid, alg), the enclave signs it with the
 * non-extractable Ed25519 identity key, and the page sends Signature-Input and Signature.
 *
 * The base builder ({@link signatureBase}) covers the request components of RFC 9421 §2.2 that
 * the appendix B examples use, and is tested against them (`signing.test.ts`).
 */

function b64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Base64url without padding (RFC 4648 §5). */
export function b64url(bytes: Uint8Array): string {
  return b64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of a base64url string. */
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

/** A request as its signature base sees it: header names in lower case. */
export interface MessageRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A covered component (RFC 9421 §2): a derived component (`@method`, `@target-uri`,
 * `@authority`, `@scheme`, `@request-target`, `@path`, `@query`), `@query-param` with its
 * `name`, or an HTTP field name.
 */
export type Component = string | { readonly queryParam: string };

/**
 * Signature parameters (RFC 9421 §2.3), serialized in the order given (`created`, `expires`:
 * integers; the others: strings).
 */
export type SignatureParams = Readonly<Record<string, string | number>>;

/** An sf-string (RFC 8941 §3.3.3); refuses what it cannot hold. */
function sfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new TypeError('not an sf-string');
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function identifier(component: Component): string {
  return typeof component === 'string'
    ? sfString(component.toLowerCase())
    : `"@query-param";name=${sfString(component.queryParam)}`;
}

/** The value of one component of `req` (RFC 9421 §2.1, §2.2). */
export function componentValue(req: MessageRequest, component: Component): string {
  const url = new URL(req.url);
  if (typeof component !== 'string') {
    const values = new URLSearchParams(url.search).getAll(component.queryParam);
    if (values.length !== 1) throw new TypeError(`query parameter ${component.queryParam}`);
    return encodeURIComponent(values[0] ?? '');
  }
  switch (component) {
    // fetch upper-cases the standard methods, so the base does too.
    case '@method':
      return req.method.toUpperCase();
    case '@target-uri':
      return url.href;
    case '@authority':
      return url.host.toLowerCase();
    case '@scheme':
      return url.protocol.slice(0, -1).toLowerCase();
    case '@request-target':
      return `${url.pathname}${url.search}`;
    case '@path':
      return url.pathname || '/';
    case '@query':
      return url.search || '?';
    default: {
      if (component.startsWith('@')) throw new TypeError(`unsupported component ${component}`);
      const value = req.headers[component.toLowerCase()];
      if (value === undefined) throw new TypeError(`no ${component} field`);
      return value.trim();
    }
  }
}

/** The `@signature-params` value: the inner list of components and the parameters. */
export function signatureParamsValue(
  components: readonly Component[],
  params: SignatureParams,
): string {
  const list = `(${components.map(identifier).join(' ')})`;
  return (
    list +
    Object.entries(params)
      .map(([name, value]) =>
        typeof value === 'number' ? `;${name}=${Math.trunc(value)}` : `;${name}=${sfString(value)}`,
      )
      .join('')
  );
}

/** The signature base of `req` (RFC 9421 §2.5): one line per component, then the params. */
export function signatureBase(
  req: MessageRequest,
  components: readonly Component[],
  params: SignatureParams,
): string {
  const lines = components.map((c) => `${identifier(c)}: ${componentValue(req, c)}`);
  lines.push(`"@signature-params": ${signatureParamsValue(components, params)}`);
  return lines.join('\n');
}

/** Options of {@link signatureHeaders}: fixed values instead of now and a random nonce. */
export interface SignatureOptions {
  readonly created?: number;
  readonly nonce?: string;
}

/** Headers that sign `method url [body]` with `keyId` (RFC 9421, label `sig1`). */
export async function signatureHeaders(
  method: string,
  url: string,
  body: Uint8Array | null,
  keyId: string,
  sign: SignBytes,
  options: SignatureOptions = {},
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  const components: Component[] = ['@method', '@target-uri'];
  if (body && body.length > 0) {
    headers['Content-Digest'] = await contentDigest(body);
    components.push('content-digest');
  }
  const params = {
    created: options.created ?? Math.floor(Date.now() / 1000),
    nonce: options.nonce ?? b64url(crypto.getRandomValues(new Uint8Array(18))),
    keyid: keyId,
    alg: 'ed25519',
  };
  const fields: Record<string, string> = {};
  if (headers['Content-Digest']) fields['content-digest'] = headers['Content-Digest'];
  const req = { method, url, headers: fields };
  const base = signatureBase(req, components, params);
  const signature = await sign(new TextEncoder().encode(base));
  headers['Signature-Input'] = `sig1=${signatureParamsValue(components, params)}`;
  headers.Signature = `sig1=:${b64(signature)}:`;
  return headers;
}
