/**
 * Verification of signed API requests: HTTP Message Signatures (RFC 9421) with Ed25519, through
 * the `http-message-signatures` library, plus what the library leaves to the application:
 * the registered key lookup, the `Content-Digest` of the body (RFC 9530), and replay protection
 * (a `created` window and a one-time `nonce` per key, stored in SQLite), exactly one signature per
 * request, and the key's state (a rotated-out, revoked or pending-deletion key is refused even
 * with a valid signature; a key whose scheduled deletion date has passed is deleted).
 */
import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';
import {
  ExpiredError,
  httpbis,
  MalformedSignatureError,
  type VerifyingKey,
} from 'http-message-signatures';
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

/** A key's state at `now`: a pending deletion whose date has passed is `deleted`. */
export function keyStateAt(
  key: { state: ServerKeyState; destroyAt: number | null },
  now: number,
): ServerKeyState | 'deleted' {
  return key.state === 'pending-deletion' && key.destroyAt !== null && key.destroyAt <= now
    ? 'deleted'
    : key.state;
}

/**
 * The member keys of a structured-field dictionary (RFC 8941 §3.2), as the top-level members
 * of `value` (commas inside strings, inner lists and byte sequences do not count); `null` if
 * `value` is not well formed enough to tell. Untrusted header text: only counted here, parsed
 * by the library.
 */
export function dictionaryKeys(value: string): string[] | null {
  const members: string[] = [];
  let current = '';
  let depth = 0;
  let inString = false;
  let inBytes = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (inString) {
      if (c === '\\') {
        current += c + (value[++i] ?? '');
        continue;
      }
      if (c === '"') inString = false;
    } else if (inBytes) {
      if (c === ':') inBytes = false;
    } else if (c === '"') inString = true;
    else if (c === ':') inBytes = true;
    else if (c === '(') depth++;
    else if (c === ')') {
      if (--depth < 0) return null;
    } else if (c === ',' && depth === 0) {
      members.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (inString || inBytes || depth !== 0) return null;
  members.push(current);
  const keys: string[] = [];
  for (const member of members) {
    const key = /^\s*([a-z*][a-z0-9_.*-]*)(?=[=;]|\s*$)/.exec(member)?.[1];
    if (!key) return null;
    keys.push(key);
  }
  return keys;
}

/** The refusal of a valid signature by a key in each state but `active`. */
const STATE_REFUSALS: Record<Exclude<ServerKeyState, 'active'>, [string, string]> = {
  rotated: ['KEY_ROTATED', 'this key was rotated out: sign with its newer version'],
  revoked: ['KEY_REVOKED', 'this key was revoked'],
  'pending-deletion': ['KEY_PENDING_DELETION', 'this key is scheduled for deletion'],
};

/** The `created`, `nonce` and `keyid` parameters, checked before any signature is. */
function checkParams(p: Record<string, unknown>, now: number): void {
  if (typeof p.keyid !== 'string') {
    throw new ApiError(401, 'SIGNATURE_INVALID', '"keyid" is required (a string)');
  }
  if (typeof p.nonce !== 'string') {
    throw new ApiError(401, 'SIGNATURE_INVALID', '"nonce" is required (a string)');
  }
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(p.nonce)) {
    throw new ApiError(401, 'SIGNATURE_INVALID', '"nonce" must be 16-64 base64url characters');
  }
  if (!(p.created instanceof Date) || Number.isNaN(p.created.getTime())) {
    throw new ApiError(401, 'SIGNATURE_INVALID', '"created" is required (an integer)');
  }
  const age = (now - p.created.getTime()) / 1000;
  if (age > SIGNATURE_WINDOW_S) {
    throw new ApiError(
      401,
      'SIGNATURE_EXPIRED',
      `signature outside the ${SIGNATURE_WINDOW_S}s window`,
    );
  }
  if (age < -CLOCK_SKEW_S) {
    throw new ApiError(
      401,
      'SIGNATURE_NOT_YET_VALID',
      `"created" is more than ${CLOCK_SKEW_S}s in the future`,
    );
  }
}

/**
 * Verify a signed request; resolves with the registered key that signed it, or throws
 * {@link ApiError} (401 for a missing, malformed, unknown-key, wrong, stale, future or replayed
 * signature, or a deleted key; 403 for a valid signature of a rotated-out, revoked or pending-deletion key,
 * unless `allowStates` lists that state).
 */
export async function verifyRequest(
  store: Store,
  req: SignedRequest,
  now = Date.now(),
  allowStates: readonly ServerKeyState[] = ['active'],
): Promise<IdentityKeyRecord> {
  const keyid = await verifySignature(store, req, now, (id) => {
    const key = store.getKey(id);
    return key ? ed25519Verifier(key.publicJwk, key.keyId) : null;
  });
  const key = store.getKey(keyid);
  if (!key) throw new ApiError(401, 'UNKNOWN_KEY', 'the signing key is not registered');
  if (keyStateAt(key, now) === 'deleted') {
    throw new ApiError(
      401,
      'KEY_DELETED',
      'this key was deleted (its scheduled deletion date passed)',
    );
  }
  if (key.state !== 'active' && !allowStates.includes(key.state)) {
    const [code, message] = STATE_REFUSALS[key.state];
    throw new ApiError(403, code, message);
  }
  return key;
}

/**
 * Verify a request signed by a key the server does not know yet: the new version of a rotated
 * key, which signs the request that completes the rotation with the public key it carries.
 * Throws {@link ApiError} as {@link verifyRequest} does; `SIGNATURE_INVALID` if another key
 * signed it.
 */
export async function verifyRequestBy(
  store: Store,
  req: SignedRequest,
  now: number,
  candidate: { keyId: string; publicJwk: { kty: string; crv: string; x: string } },
): Promise<void> {
  await verifySignature(store, req, now, (id) => {
    if (id !== candidate.keyId) {
      throw new ApiError(
        401,
        'SIGNATURE_INVALID',
        'this request must be signed by the key it carries (keyid: its RFC 7638 thumbprint)',
      );
    }
    return ed25519Verifier(candidate.publicJwk, candidate.keyId);
  });
}

/**
 * The checks of every signed request, up to and including the one-time nonce; resolves with
 * the signing key's id. `lookup` gives the verifier of a key id (null: unknown key).
 */
async function verifySignature(
  store: Store,
  req: SignedRequest,
  now: number,
  lookup: (keyId: string) => VerifyingKey | null,
): Promise<string> {
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
  const inputs = dictionaryKeys(headers['signature-input']);
  const values = dictionaryKeys(headers.signature);
  if (!inputs || !values) {
    throw new ApiError(
      401,
      'SIGNATURE_MALFORMED',
      'Signature-Input and Signature must be structured-field dictionaries (RFC 8941)',
    );
  }
  if (inputs.length !== 1 || values.length !== 1 || inputs[0] !== values[0]) {
    throw new ApiError(
      401,
      'SIGNATURE_INVALID',
      'exactly one signature is accepted: one Signature-Input and one Signature member, same label',
    );
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
        // The parameters are checked here, before any signature is verified, against the
        // server's clock (`now`), with a clear error for each.
        keyLookup: async (p) => {
          params = p as typeof params;
          checkParams(p, now);
          const verifier = lookup(p.keyid as string);
          if (!verifier) {
            throw new ApiError(401, 'UNKNOWN_KEY', 'the signing key is not registered');
          }
          return verifier;
        },
        requiredParams: ['created', 'nonce', 'keyid'],
        requiredFields: ['@method', '@target-uri', ...(hasBody ? ['content-digest'] : [])],
        // The window was checked in keyLookup on the server's clock.
        notAfter: Math.floor(now / 1000) + CLOCK_SKEW_S,
      },
      { method: req.method, url: req.url, headers },
    );
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (
      err instanceof MalformedSignatureError ||
      (err instanceof Error && err.name === 'ParseError')
    ) {
      throw new ApiError(401, 'SIGNATURE_MALFORMED', `malformed signature headers: ${message}`);
    }
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
  const expiresAt = created.getTime() + (SIGNATURE_WINDOW_S + CLOCK_SKEW_S) * 1000;
  if (!store.useNonce(keyid, nonce, expiresAt, now)) {
    throw new ApiError(401, 'REPLAYED', 'this signature (nonce) was already used');
  }
  return keyid;
}
