/**
 * The demo's HTTP server: the built app (static files), `/strongroom-config.json`, and the API.
 *
 *   POST /api/challenge        { publicJwk } → { challengeId, challenge, expiresAt } (signed by that key)
 *   POST /api/register         { challengeId, publicJwk, signature } → { keyId }
 *                               (signed by the key it carries, which also proves possession)
 *   GET  /api/registry         → { keys: [{ keyId, registeredAt, version, state, … }] } (public)
 *   GET  /api/me               → { keyId, accountId, version, state, keys, notes, … } (signed)
 *   POST /api/identity/rotation → { rotationId, challenge, expiresAt }     (signed by the old key)
 *   POST /api/identity/rotation/complete { rotationId, publicJwk, signature } → { keyId, version }
 *                               (signed by the new version, which also proves possession)
 *   POST /api/identity/revoke  → { state: 'revoked' }                        (signed)
 *   POST /api/identity/deletion { days } → { state, destroyAt }              (signed)
 *   POST /api/identity/cancel-deletion → { state: 'active' }  (signed; a pending-deletion key may)
 *   GET  /api/notes            → { notes: [{ id, envelope, createdAt }] }     (signed)
 *   POST /api/notes            { id, envelope } → { id, createdAt }           (signed)
 *   POST /api/relay-keys       { publicJwk } → { kid } (one per account; 409 RELAY_KEY_EXISTS) (signed)
 *   POST /api/push/subscriptions { subscription, authorization } → { pushService } (signed)
 *   GET  /api/relay/ping       Authorization: Bearer <EdDSA JWT, aud relay, ≤ 5 min> → { ok, … } (and signed)
 *   POST /api/relay/push       Bearer relay JWT; { text } → { results: [{ pushService, status, code }] } (and signed)
 *
 * With a release manifest (`manifest`), it also publishes, byte for byte as given and unchecked
 * (the page's verification panel is the one that checks), `GET /strongroom-manifest.json` and,
 * when there is one, the Sigstore bundle at `GET /strongroom-manifest.sigstore.json`.
 *
 * Every error is `{ error: { code, message } }`. The log has method, path and status only:
 * never a body, a signature, a token or a ciphertext.
 */
import { createHash, createPublicKey, verify as edVerify, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { ServerKeyState, Store } from './db';
import { type PushSender, webPushSender } from './push';
import { ApiError, keyStateAt, verifyRequest, verifyRequestBy } from './signatures';

/** The audience relay tokens must name, and their longest accepted lifetime. */
export const RELAY_AUDIENCE = 'https://relay.example';
export const RELAY_MAX_LIFETIME_S = 300;

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Largest accepted sealed note envelope (decoded). */
export const MAX_ENVELOPE_BYTES = 32 * 1024;
export const CHALLENGE_TTL_MS = 2 * 60_000;
/** How long a rotation opened by the old key waits for the new version's proof. */
export const ROTATION_TTL_MS = 10 * 60_000;
/** Longest push message text. */
export const MAX_PUSH_TEXT = 1000;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
};

/** Where the demo server publishes the enclave's release manifest and its Sigstore bundle. */
export const MANIFEST_ROUTE = '/strongroom-manifest.json';
export const MANIFEST_BUNDLE_ROUTE = '/strongroom-manifest.sigstore.json';

/** Options of {@link startDemoServer} and {@link createHandler}. */
export interface DemoServerOptions {
  readonly store: Store;
  /**
   * The release manifest of the enclave this app embeds (`manifest.json`, as
   * `npm run release:manifest` writes it) and, if it was signed, its Sigstore bundle: served at
   * {@link MANIFEST_ROUTE} and {@link MANIFEST_BUNDLE_ROUTE}, read again on every request and
   * never validated here. None: both routes are 404.
   */
  readonly manifest?: { readonly file: string; readonly bundleFile?: string };
  /** The built app (`dist/start/host`); none: API only. */
  readonly staticDir?: string;
  /** Answer for `/strongroom-config.json`. */
  readonly config?: (req: IncomingMessage) => Record<string, unknown>;
  /** Origins allowed to call the API from another origin (CORS). Default none. */
  readonly corsOrigins?: readonly string[];
  readonly log?: (line: string) => void;
  /** Sends the relay's push messages; default `web-push` ({@link webPushSender}). */
  readonly push?: PushSender;
  /**
   * The server's clock (ms since the epoch); default `Date.now`. Everything the server dates
   * goes by it: challenges, rotations, signature windows, token expiry, scheduled deletions.
   * Tests move it to make a deletion date pass.
   */
  readonly now?: () => number;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function b64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** RFC 7638 thumbprint of an Ed25519 public JWK. */
export function thumbprint(jwk: { crv: string; kty: string; x: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return b64url(createHash('sha256').update(canonical).digest());
}

/** The bytes the enclave signs to prove it holds the key: bound to the challenge and the key. */
export function registrationMessage(challenge: string, keyId: string): Buffer {
  return Buffer.from(`strongroom-demo/register\n${challenge}\n${keyId}`, 'utf8');
}

/**
 * The bytes the new version of a rotated key signs: the challenge that a request signed by the
 * old version opened, the old key id and the new one.
 */
export function rotationMessage(challenge: string, oldKeyId: string, newKeyId: string): Buffer {
  return Buffer.from(`strongroom-demo/rotate\n${challenge}\n${oldKeyId}\n${newKeyId}`, 'utf8');
}

/** A VAPID `Authorization` value as `vapidAuth` makes it: `vapid t=<JWS>, k=<65-byte key>`. */
const VAPID_HEADER =
  /^vapid t=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+, k=[A-Za-z0-9_-]{87}$/;

function pushSubscription(value: unknown): { endpoint: string; p256dh: string; auth: string } {
  const sub = object(value);
  for (const key of Object.keys(sub)) {
    if (!['endpoint', 'expirationTime', 'keys'].includes(key)) {
      throw new ApiError(400, 'INVALID_FIELD', `unknown field "subscription.${key}"`);
    }
  }
  const endpoint = str(sub, 'endpoint', /^https:\/\/[^\s]+$/, 2048);
  try {
    new URL(endpoint);
  } catch {
    throw new ApiError(400, 'INVALID_FIELD', '"endpoint" must be an https URL');
  }
  const keys = object(sub.keys);
  const p256dh = str(keys, 'p256dh', B64URL, 87);
  const auth = str(keys, 'auth', B64URL, 22);
  if (
    Buffer.from(p256dh, 'base64url').length !== 65 ||
    Buffer.from(auth, 'base64url').length !== 16
  ) {
    throw new ApiError(400, 'INVALID_FIELD', '"keys" must hold a P-256 p256dh and a 16-byte auth');
  }
  return { endpoint, p256dh, auth };
}

function keyView(
  k: {
    keyId: string;
    version: number;
    state: ServerKeyState;
    registeredAt: number;
    replacedBy: string | null;
    changedAt: number | null;
    destroyAt: number | null;
  },
  now: number,
) {
  return {
    keyId: k.keyId,
    version: k.version,
    state: keyStateAt(k, now),
    registeredAt: k.registeredAt,
    replacedBy: k.replacedBy,
    changedAt: k.changedAt,
    destroyAt: k.destroyAt,
  };
}

function ed25519Jwk(value: unknown): { kty: 'OKP'; crv: 'Ed25519'; x: string } {
  const jwk = object(value);
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || 'd' in jwk) {
    throw new ApiError(400, 'INVALID_FIELD', '"publicJwk" must be an Ed25519 public JWK');
  }
  const x = str(jwk, 'x', B64URL, 43);
  if (Buffer.from(x, 'base64url').length !== 32) {
    throw new ApiError(400, 'INVALID_FIELD', '"publicJwk" must be an Ed25519 public JWK');
  }
  return { kty: 'OKP', crv: 'Ed25519', x };
}

/**
 * The relay's check of a bearer token: a compact EdDSA JWS from a registered relay key, for
 * {@link RELAY_AUDIENCE}, unexpired, with a lifetime of at most {@link RELAY_MAX_LIFETIME_S}.
 */
export function verifyRelayToken(
  store: Store,
  authorization: string | undefined,
  now = Date.now(),
): { owner: string; exp: number } {
  const token = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(
    authorization ?? '',
  )?.[1];
  if (!token) throw new ApiError(401, 'TOKEN_MISSING', 'send Authorization: Bearer <JWT>');
  const [h = '', p = '', sig = ''] = token.split('.');
  let header: { alg?: unknown; kid?: unknown };
  let claims: { aud?: unknown; exp?: unknown; iat?: unknown };
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw new ApiError(401, 'TOKEN_INVALID', 'the token is not a JWT');
  }
  if (header.alg !== 'EdDSA' || typeof header.kid !== 'string') {
    throw new ApiError(401, 'TOKEN_INVALID', 'an EdDSA token with a kid is required');
  }
  const key = store.getRelayKey(header.kid);
  if (!key) throw new ApiError(401, 'UNKNOWN_KEY', "the token's key is not registered");
  const publicKey = createPublicKey({ key: key.publicJwk, format: 'jwk' });
  if (!edVerify(null, Buffer.from(`${h}.${p}`), publicKey, Buffer.from(sig, 'base64url'))) {
    throw new ApiError(401, 'TOKEN_INVALID', "the token's signature does not verify");
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(RELAY_AUDIENCE)) {
    throw new ApiError(401, 'TOKEN_AUDIENCE', `the token is not for ${RELAY_AUDIENCE}`);
  }
  const nowS = Math.floor(now / 1000);
  if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || claims.exp <= nowS) {
    throw new ApiError(401, 'TOKEN_EXPIRED', 'the token has expired');
  }
  if (claims.exp - claims.iat > RELAY_MAX_LIFETIME_S || claims.iat > nowS + 30) {
    throw new ApiError(401, 'TOKEN_INVALID', `tokens live at most ${RELAY_MAX_LIFETIME_S} s`);
  }
  // The relay acts for an identity only while that identity is not revoked on the server.
  const current = store.accountKeys(key.ownerKeyId).at(-1);
  if (!current || current.state === 'revoked') {
    throw new ApiError(403, 'KEY_REVOKED', "the token's owner identity was revoked");
  }
  if (keyStateAt(current, now) === 'deleted') {
    throw new ApiError(401, 'KEY_DELETED', "the token's owner identity was deleted");
  }
  return { owner: key.ownerKeyId, exp: claims.exp };
}

function object(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError(400, 'INVALID_BODY', 'the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw new ApiError(400, 'INVALID_FIELD', `unknown field "${key}"`);
  }
}

function str(body: Record<string, unknown>, field: string, pattern: RegExp, max: number): string {
  const value = body[field];
  if (typeof value !== 'string') {
    throw new ApiError(400, 'INVALID_FIELD', `"${field}" must be a string`);
  }
  if (value.length === 0 || value.length > max || !pattern.test(value)) {
    throw new ApiError(400, 'INVALID_FIELD', `"${field}" is malformed`);
  }
  return value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `the body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `the body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer, req: IncomingMessage): unknown {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send Content-Type: application/json');
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError(400, 'INVALID_JSON', 'the body is not valid JSON');
  }
}

/** The handler of the demo server (exported for tests). */
export function createHandler(options: DemoServerOptions) {
  const { store, log = () => {}, now = Date.now } = options;
  const cors = new Set(options.corsOrigins ?? []);
  const push = options.push ?? webPushSender();

  async function api(req: IncomingMessage, url: URL, res: ServerResponse): Promise<unknown> {
    const route = `${req.method} ${url.pathname}`;
    const body = await readBody(req);
    const fullUrl = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
    const signed = (allow: readonly ServerKeyState[] = ['active']) =>
      verifyRequest(
        store,
        { method: req.method ?? 'GET', url: fullUrl, headers: req.headers, body },
        now(),
        allow,
      );
    /**
     * A relay call carries, besides its bearer token, an RFC 9421 signature by the identity the
     * token is for: a token alone (leaked, or replayed within its life) does not work.
     */
    const relaySigned = async (owner: string): Promise<void> => {
      const key = await signed();
      if (key.accountId !== owner) {
        throw new ApiError(
          401,
          'SIGNATURE_INVALID',
          "a relay call must be signed by the identity the token's relay key belongs to",
        );
      }
    };
    switch (route) {
      case 'POST /api/challenge': {
        // Signed (RFC 9421) by the key about to be registered, which the request carries.
        const input = object(parseJson(body, req));
        onlyFields(input, ['publicJwk']);
        const publicJwk = ed25519Jwk(input.publicJwk);
        await verifyRequestBy(
          store,
          { method: req.method ?? 'POST', url: fullUrl, headers: req.headers, body },
          now(),
          { keyId: thumbprint(publicJwk), publicJwk },
        );
        const id = b64url(randomBytes(16));
        const challenge = b64url(randomBytes(32));
        const expiresAt = now() + CHALLENGE_TTL_MS;
        store.addChallenge(id, challenge, expiresAt, now());
        return { challengeId: id, challenge, expiresAt };
      }
      case 'POST /api/register': {
        const input = object(parseJson(body, req));
        onlyFields(input, ['challengeId', 'publicJwk', 'signature']);
        const challengeId = str(input, 'challengeId', B64URL, 64);
        const signature = Buffer.from(str(input, 'signature', B64URL, 128), 'base64url');
        const publicJwk = ed25519Jwk(input.publicJwk);
        const keyId = thumbprint(publicJwk);
        // An RFC 9421 request signed by the key it registers, besides its proof over the challenge.
        await verifyRequestBy(
          store,
          { method: req.method ?? 'POST', url: fullUrl, headers: req.headers, body },
          now(),
          { keyId, publicJwk },
        );
        const challenge = store.takeChallenge(challengeId, now());
        if (!challenge) {
          throw new ApiError(400, 'CHALLENGE_INVALID', 'unknown, used or expired challenge');
        }
        const key = createPublicKey({ key: publicJwk, format: 'jwk' });
        if (
          signature.length !== 64 ||
          !edVerify(null, registrationMessage(challenge, keyId), key, signature)
        ) {
          throw new ApiError(
            401,
            'PROOF_INVALID',
            'the signature over the challenge does not verify',
          );
        }
        store.addKey({ keyId, publicJwk, registeredAt: now() });
        res.statusCode = 201;
        return { keyId };
      }
      case 'GET /api/registry':
        return { keys: store.listKeys().map((k) => keyView(k, now())) };
      case 'GET /api/me': {
        const key = await signed(['active', 'pending-deletion']);
        return {
          ...keyView(key, now()),
          accountId: key.accountId,
          keys: store.accountKeys(key.accountId).map((k) => keyView(k, now())),
          notes: store.listNotes(key.accountId).length,
          pushSubscriptions: store.listPushSubscriptions(key.accountId).length,
        };
      }
      case 'POST /api/identity/rotation': {
        const key = await signed();
        const id = b64url(randomBytes(16));
        const challenge = b64url(randomBytes(32));
        const expiresAt = now() + ROTATION_TTL_MS;
        store.addRotation(id, key.keyId, challenge, expiresAt, now());
        res.statusCode = 201;
        return { rotationId: id, challenge, expiresAt };
      }
      case 'POST /api/identity/rotation/complete': {
        const input = object(parseJson(body, req));
        onlyFields(input, ['rotationId', 'publicJwk', 'signature']);
        const rotationId = str(input, 'rotationId', B64URL, 64);
        const signature = Buffer.from(str(input, 'signature', B64URL, 128), 'base64url');
        const publicJwk = ed25519Jwk(input.publicJwk);
        const keyId = thumbprint(publicJwk);
        // An RFC 9421 request signed by the new version, with the key it carries (the old
        // version signed the request that opened the rotation: the enclave retires it here).
        await verifyRequestBy(
          store,
          { method: req.method ?? 'POST', url: fullUrl, headers: req.headers, body },
          now(),
          { keyId, publicJwk },
        );
        const rotation = store.takeRotation(rotationId, now());
        if (!rotation) {
          throw new ApiError(400, 'CHALLENGE_INVALID', 'unknown, used or expired rotation');
        }
        const key = createPublicKey({ key: publicJwk, format: 'jwk' });
        const message = rotationMessage(rotation.challenge, rotation.oldKeyId, keyId);
        if (signature.length !== 64 || !edVerify(null, message, key, signature)) {
          throw new ApiError(401, 'PROOF_INVALID', 'the new key did not sign the rotation');
        }
        if (!store.rotateKey(rotation.oldKeyId, { keyId, publicJwk, registeredAt: now() })) {
          throw new ApiError(
            409,
            'ROTATION_CONFLICT',
            'the old key is not active, or the new one is known',
          );
        }
        res.statusCode = 201;
        return { keyId, version: store.getKey(keyId)?.version };
      }
      case 'POST /api/identity/revoke': {
        const key = await signed(['active', 'pending-deletion']);
        store.setKeyState(key.keyId, 'revoked', null, now());
        return { state: 'revoked' };
      }
      case 'POST /api/identity/deletion': {
        const key = await signed();
        const input = object(parseJson(body, req));
        onlyFields(input, ['days']);
        const days = input.days;
        if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 90) {
          throw new ApiError(400, 'INVALID_FIELD', '"days" must be an integer from 1 to 90');
        }
        const destroyAt = now() + days * 86_400_000;
        store.setKeyState(key.keyId, 'pending-deletion', destroyAt, now());
        return { state: 'pending-deletion', destroyAt };
      }
      case 'POST /api/identity/cancel-deletion': {
        const key = await signed(['active', 'pending-deletion']);
        store.setKeyState(key.keyId, 'active', null, now());
        return { state: 'active' };
      }
      case 'POST /api/push/subscriptions': {
        const key = await signed();
        const input = object(parseJson(body, req));
        onlyFields(input, ['subscription', 'authorization']);
        const subscription = pushSubscription(input.subscription);
        const authorization = str(input, 'authorization', VAPID_HEADER, 4096);
        store.putPushSubscription(key.accountId, {
          ...subscription,
          authorization,
          updatedAt: now(),
        });
        res.statusCode = 201;
        return { pushService: new URL(subscription.endpoint).origin };
      }
      case 'POST /api/relay/push': {
        const { owner } = verifyRelayToken(store, req.headers.authorization, now());
        await relaySigned(owner);
        const input = object(parseJson(body, req));
        onlyFields(input, ['text']);
        const text = input.text;
        if (typeof text !== 'string' || text.length === 0 || text.length > MAX_PUSH_TEXT) {
          throw new ApiError(
            400,
            'INVALID_FIELD',
            `"text" must be 1 to ${MAX_PUSH_TEXT} characters`,
          );
        }
        const targets = store.listPushSubscriptions(owner);
        if (targets.length === 0) {
          throw new ApiError(404, 'NO_SUBSCRIPTION', 'this identity has no push subscription');
        }
        const payload = JSON.stringify({ title: 'Strongroom notes', body: text });
        const results = [];
        for (const target of targets) results.push(await push(target, payload));
        return { results };
      }
      case 'GET /api/notes': {
        const { accountId } = await signed();
        return {
          notes: store.listNotes(accountId).map((n) => ({
            id: n.id,
            envelope: b64url(n.envelope),
            createdAt: n.createdAt,
          })),
        };
      }
      case 'POST /api/notes': {
        const { accountId } = await signed();
        const input = object(parseJson(body, req));
        onlyFields(input, ['id', 'envelope']);
        const id = str(input, 'id', /^[A-Za-z0-9_-]{8,64}$/, 64);
        const envelope = Buffer.from(
          str(input, 'envelope', B64URL, MAX_ENVELOPE_BYTES * 2),
          'base64url',
        );
        if (envelope.length > MAX_ENVELOPE_BYTES) {
          throw new ApiError(
            413,
            'PAYLOAD_TOO_LARGE',
            `"envelope" exceeds ${MAX_ENVELOPE_BYTES} bytes`,
          );
        }
        const createdAt = now();
        if (!store.addNote(accountId, id, envelope, createdAt)) {
          throw new ApiError(409, 'NOTE_EXISTS', 'a note with this id exists');
        }
        res.statusCode = 201;
        return { id, createdAt };
      }
      case 'POST /api/relay-keys': {
        const { accountId } = await signed();
        const input = object(parseJson(body, req));
        onlyFields(input, ['publicJwk']);
        const publicJwk = ed25519Jwk(input.publicJwk);
        const kid = thumbprint(publicJwk);
        // One relay key per account, bound by the first request (enrolment); the same key
        // again is a no-op, another one is refused.
        const bound = store.addRelayKey(accountId, kid, publicJwk, now());
        if (bound === 'exists') {
          throw new ApiError(
            409,
            'RELAY_KEY_EXISTS',
            'this account already has another relay key (one per account, bound at enrolment)',
          );
        }
        res.statusCode = bound === 'bound' ? 201 : 200;
        return { kid };
      }
      case 'GET /api/relay/ping': {
        const { owner, exp } = verifyRelayToken(store, req.headers.authorization, now());
        await relaySigned(owner);
        return { ok: true, audience: RELAY_AUDIENCE, owner, expiresAt: exp * 1000 };
      }
      default:
        if (
          [
            '/api/challenge',
            '/api/register',
            '/api/registry',
            '/api/me',
            '/api/notes',
            '/api/relay-keys',
            '/api/relay/ping',
            '/api/relay/push',
            '/api/identity/rotation',
            '/api/identity/rotation/complete',
            '/api/identity/revoke',
            '/api/identity/deletion',
            '/api/identity/cancel-deletion',
            '/api/push/subscriptions',
          ].includes(url.pathname)
        ) {
          throw new ApiError(
            405,
            'METHOD_NOT_ALLOWED',
            `${req.method} is not allowed on ${url.pathname}`,
          );
        }
        throw new ApiError(404, 'NOT_FOUND', `no API route ${url.pathname}`);
    }
  }

  function serveStatic(req: IncomingMessage, url: URL, res: ServerResponse): void {
    if (!options.staticDir || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(options.staticDir ? 405 : 404, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    let path: string;
    try {
      path = normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]+/, '');
    } catch {
      path = '..';
    }
    if (path.startsWith('..') || path.includes('\0')) path = '..';
    if (path === '' || path.endsWith('/')) path += 'index.html';
    const file = join(options.staticDir, path);
    let size = -1;
    try {
      const stat = statSync(file);
      if (stat.isFile() && !path.startsWith('..')) size = stat.size;
    } catch {
      size = -1;
    }
    if (size < 0) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(size),
      'Cache-Control': path.startsWith('assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  }

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const origin = req.headers.origin;
    if (origin && cors.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader(
        'Access-Control-Allow-Headers',
        'Authorization, Content-Type, Content-Digest, Signature, Signature-Input',
      );
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Max-Age', '600');
    }
    if (url.pathname === '/strongroom-config.json' && options.config) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(options.config(req)));
      return;
    }
    const published =
      url.pathname === MANIFEST_ROUTE
        ? options.manifest?.file
        : url.pathname === MANIFEST_BUNDLE_ROUTE
          ? options.manifest?.bundleFile
          : undefined;
    if (published !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      let bytes: Buffer | null = null;
      try {
        bytes = readFileSync(published);
      } catch {
        bytes = null;
      }
      res.writeHead(bytes ? 200 : 404, {
        'Content-Type': bytes ? 'application/json' : 'text/plain; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        ...(bytes ? { 'Content-Length': String(bytes.length) } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : (bytes ?? 'not found\n'));
      log(`${req.method} ${url.pathname} ${bytes ? 200 : 404}`);
      return;
    }
    if (!url.pathname.startsWith('/api/')) {
      serveStatic(req, url, res);
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204);
      res.end();
      log(`${req.method} ${url.pathname} 204`);
      return;
    }
    let status = 200;
    let payload: unknown;
    try {
      payload = await api(req, url, res);
      status = res.statusCode;
    } catch (err) {
      if (err instanceof ApiError) {
        status = err.status;
        payload = { error: { code: err.code, message: err.message } };
      } else {
        status = 500;
        payload = { error: { code: 'INTERNAL_ERROR', message: 'internal error' } };
        log(`internal error: ${err instanceof Error ? err.name : 'unknown'}`);
      }
    }
    log(`${req.method} ${url.pathname} ${status}`);
    if (res.headersSent) return;
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      ...(status === 413 ? { Connection: 'close' } : {}),
    });
    res.end(JSON.stringify(payload));
  };
}

/** Start the demo server on 127.0.0.1:`port` (0: any free port). */
export async function startDemoServer(
  options: DemoServerOptions & { port: number },
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const handler = createHandler(options);
  const server = createServer((req, res) => {
    void handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
