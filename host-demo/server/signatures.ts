/**
 * Verification of signed API requests: HTTP Message Signatures (RFC 9421) with Ed25519, through
 * the `http-message-signatures` library, plus what the library leaves to the application:
 * the registered key lookup, the `Content-Digest` of the body (RFC 9530), and replay protection
 * (a `created` window and a one-time `nonce` per key, stored in SQLite), and the key's state
 * (a rotated-out, revoked or pending-deletion key is refused even with a valid signature).
 */
import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';
import { ExpiredError, httpbis, type VerifyingKey } from 'http-message-signatures';
import type { IdentityKeyRecord, ServerKeyState, Store } from './db';

/** Seconds a signature's `created` may be in the past, or in the future (clock skew). */
export const SIGNATURE_WINDOW_S = 300;
export const CLOCK_SKEW_S = 30;

/** A refusal, answered as `{ error: { code, message } }` with `status`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The Ed25519 verifier of a public JWK (`kty: OKP`, `crv: Ed25519`). */
export function ed25519Verifier(
  jwk: { kty: string; crv: string; x: string },
  id?: string,
): VerifyingKey {
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  return {
    ...(id ? { id } : {}),
    algs: ['ed25519'],
    verify: async (data, signature) => edVerify(null, data, key, signature),
  };
}

/** `sha-256=:…:` of `body` (RFC 9530). */
export function contentDigest(body: Buffer): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

export interface SignedRequest {
  method: string;
  /** The URL as the client addressed it (scheme, host, path and query). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** The refusal of a valid signature by a key in each state but `active`. */
const STATE_REFUSALS: Record<Exclude<ServerKeyState, 'active'>, [string, string]> = {
  rotated: ['KEY_ROTATED', 'this key was rotated out: sign with its newer version'],
  revoked: ['KEY_REVOKED', 'this key was revoked'],
  'pending-deletion': ['KEY_PENDING_DELETION', 'this key is scheduled for deletion'],
};

/**
 * Verify a signed request; resolves with the registered key that signed it, or throws
 * {@link ApiError} (401 for a missing, malformed, unknown-key, wrong, stale or replayed
 * signature; 403 for a valid signature of a rotated-out, revoked or pending-deletion key,
 * unless `allowStates` lists that state).
 */
export async function verifyRequest(
  store: Store,
  req: SignedRequest,
  now = Date.now(),
  allowStates: readonly ServerKeyState[] = ['active'],
): Promise<IdentityKeyRecord> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined)
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (!headers.signature || !headers['signature-input']) {
    throw new ApiError(
      401,
      'SIGNATURE_MISSING',
      'this request must be signed (Signature, Signature-Input)',
    );
  }
  if (/,\s*[A-Za-z*][\w*.-]*=\(/.test(headers['signature-input'])) {
    throw new ApiError(401, 'SIGNATURE_INVALID', 'exactly one signature is accepted');
  }
  const hasBody = req.body.length > 0;
  if (hasBody) {
    if (!headers['content-digest']) {
      throw new ApiError(401, 'DIGEST_MISSING', 'a request with a body needs a Content-Digest');
    }
    if (headers['content-digest'] !== contentDigest(req.body)) {
      throw new ApiError(401, 'DIGEST_MISMATCH', 'Content-Digest does not match the body');
    }
  }
  let params: { keyid?: string; nonce?: string; created?: Date } = {};
  let result: boolean | null;
  try {
    result = await httpbis.verifyMessage(
      {
        keyLookup: async (p) => {
          params = p as typeof params;
          const key = typeof p.keyid === 'string' ? store.getKey(p.keyid) : null;
          if (!key) throw new ApiError(401, 'UNKNOWN_KEY', 'the signing key is not registered');
          return ed25519Verifier(key.publicJwk, key.keyId);
        },
        requiredParams: ['created', 'nonce', 'keyid'],
        requiredFields: ['@method', '@target-uri', ...(hasBody ? ['content-digest'] : [])],
        maxAge: SIGNATURE_WINDOW_S,
        notAfter: Math.floor(now / 1000) + CLOCK_SKEW_S,
      },
      { method: req.method, url: req.url, headers },
    );
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof ExpiredError) {
      throw new ApiError(
        401,
        'SIGNATURE_EXPIRED',
        `signature outside the ${SIGNATURE_WINDOW_S}s window`,
      );
    }
    throw new ApiError(401, 'SIGNATURE_INVALID', `malformed or unacceptable signature: ${message}`);
  }
  if (result !== true)
    throw new ApiError(401, 'SIGNATURE_INVALID', 'the signature does not verify');
  const { keyid, nonce, created } = params;
  if (typeof keyid !== 'string' || typeof nonce !== 'string' || !(created instanceof Date)) {
    throw new ApiError(401, 'SIGNATURE_INVALID', 'created, nonce and keyid are required');
  }
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) {
    throw new ApiError(401, 'SIGNATURE_INVALID', 'nonce must be 16-64 base64url characters');
  }
  const key = store.getKey(keyid);
  if (!key) throw new ApiError(401, 'UNKNOWN_KEY', 'the signing key is not registered');
  if (key.state !== 'active' && !allowStates.includes(key.state)) {
    const [code, message] = STATE_REFUSALS[key.state];
    throw new ApiError(403, code, message);
  }
  const expiresAt = created.getTime() + (SIGNATURE_WINDOW_S + CLOCK_SKEW_S) * 1000;
  if (!store.useNonce(keyid, nonce, expiresAt, now)) {
    throw new ApiError(401, 'REPLAYED', 'this signature (nonce) was already used');
  }
  return key;
}
