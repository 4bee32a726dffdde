/**
 * A local stand-in for a Web Push service (RFC 8030), for tests only: an HTTPS server on
 * loopback that accepts a push message only as a real push service must, and decrypts it with
 * the private keys of a test subscription.
 *
 * Browsers subscribe at their vendor's push service, which tests cannot reach; so a test makes
 * its own subscription here ({@link PushServiceStandIn.subscribe}): an ECDH P-256 key pair and
 * an auth secret whose private halves this process holds, and the `applicationServerKey` the
 * app subscribed with (the enclave's VAPID public key), as a push service records it.
 *
 * Each push is checked in this order, and refused with `{ error: { code, message } }`:
 * - RFC 8292 §3: `Authorization: vapid t=<JWT>, k=<key>` (401 `VAPID_MISSING` if absent,
 *   403 `VAPID_MALFORMED` if unparsable); §4.2: `k` must be the subscription's
 *   `applicationServerKey` (403 `VAPID_KEY_MISMATCH`);
 * - RFC 8292 §2 and RFC 7515: the JWT is `ES256`, signed by `k` (403 `VAPID_SIGNATURE`); its
 *   `aud` is this service's origin (403 `VAPID_AUDIENCE`); `exp` is in the future (403
 *   `VAPID_EXPIRED`) and at most 24 h away (403 `VAPID_EXP_TOO_FAR`); `sub` is a `mailto:` or
 *   `https:` contact (403 `VAPID_SUBJECT`);
 * - RFC 8030 §5.2: a `TTL` header (400 `TTL_MISSING`);
 * - RFC 8291 §4 and RFC 8188: `Content-Encoding: aes128gcm` (415 `ENCODING`), at most 4096
 *   bytes (413 `TOO_LARGE`), and a body that decrypts (400 `DECRYPTION_FAILED`).
 * An accepted push is answered 201 with a `Location` (RFC 8030 §5) and kept, decrypted, in
 * {@link PushServiceStandIn.received}. A real browser can subscribe too
 * ({@link PushServiceStandIn.acceptBrowsers}: Mozilla's WebSocket protocol, for Firefox's
 * `dom.push.serverURL`); its pushes are checked the same way, up to the decryption, which only
 * the browser can do: they are forwarded to it (and listed in `forwarded`). The clock ({@link PushServiceStandIn.now}) is the test's to
 * move, so that a header can be used after it expired without waiting.
 */
import { execFileSync } from 'node:child_process';
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  hkdfSync,
  randomBytes,
  verify,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newUaid, startPushWebSocket } from './push-websocket';

/** Longest accepted `exp`, from the time of the request (RFC 8292 §2). */
export const MAX_VAPID_LIFETIME_S = 24 * 3600;
/** Largest accepted encrypted body (RFC 8291 §4: push services must accept 4096 bytes). */
export const MAX_PUSH_BYTES = 4096;

/** A subscription as `PushSubscription.toJSON()` gives it (what the app posts to its server). */
export interface SubscriptionJson {
  endpoint: string;
  expirationTime: null;
  keys: { p256dh: string; auth: string };
}

/** A message the stand-in accepted, decrypted. */
export interface Delivery {
  subscriptionId: string;
  plaintext: string;
  /** The VAPID JWT's claims, as checked. */
  claims: { aud: string; exp: number; sub: string };
  ttl: number;
}

/** What the stand-in answered to one push request (accepted or not). */
export interface Attempt {
  subscriptionId: string;
  status: number;
  code: string | null;
}

interface Subscription {
  /** A test subscription's keys (held here); null for a browser's (held by the browser). */
  ecdh: ReturnType<typeof createECDH> | null;
  auth: Buffer | null;
  applicationServerKey: Buffer | null;
  /** A browser's subscription: forward the encrypted body to it over its WebSocket. */
  forward?: (body: Buffer, ttl: number) => void;
}

/** A push forwarded, still encrypted, to a browser (which alone can decrypt it). */
export interface Forwarded {
  subscriptionId: string;
  bytes: number;
  claims: { aud: string; exp: number; sub: string };
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Decrypt an RFC 8291 message (`aes128gcm`, RFC 8188, one record) with the user agent's
 * private key and auth secret. Throws on any malformed or unauthenticated input.
 */
export function decryptWebPush(body: Buffer, uaPrivate: Buffer, authSecret: Buffer): Buffer {
  // RFC 8188 §2.1 header: salt (16) | rs (uint32) | idlen (uint8) | keyid (the sender's key).
  if (body.length < 21) throw new Error('decryption failed');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20] ?? 0;
  // RFC 8291 §4: keyid is the application server's ephemeral ECDH key, 65 bytes.
  if (idlen !== 65 || body.length < 21 + idlen + 17) throw new Error('decryption failed');
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  // One record only: RFC 8291 §4 messages fit in one (rs >= the record's length).
  if (rs < 18 || record.length > rs) throw new Error('decryption failed');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(uaPrivate);
  const uaPublic = ecdh.getPublicKey();
  const secret = ecdh.computeSecret(asPublic);
  // RFC 8291 §3.3-3.4: IKM from the ECDH secret and the auth secret, then RFC 8188 §2.2-2.3.
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: aes128gcm\0', 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, 'Content-Encoding: nonce\0', 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  let padded: Buffer;
  try {
    padded = Buffer.concat([
      decipher.update(record.subarray(0, record.length - 16)),
      decipher.final(),
    ]);
  } catch {
    throw new Error('decryption failed');
  }
  // RFC 8188 §2: the last record ends with 0x02 and then zero or more 0x00 of padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 2) throw new Error('decryption failed');
  return padded.subarray(0, end);
}

/** Parse `vapid t=<JWT>, k=<key>` (RFC 8292 §3); null if the header is not of that scheme. */
export function parseVapidHeader(value: string): { t: string; k: string } | null {
  const m = /^vapid\s+(.*)$/i.exec(value.trim());
  if (!m) return null;
  const params: Record<string, string> = {};
  for (const part of (m[1] ?? '').split(',')) {
    const p = /^\s*([A-Za-z]+)\s*=\s*"?([A-Za-z0-9_.=-]+)"?\s*$/.exec(part);
    if (!p) throw new Refusal(403, 'VAPID_MALFORMED', 'the vapid parameters are malformed');
    const name = (p[1] ?? '').toLowerCase();
    if (name in params) throw new Refusal(403, 'VAPID_MALFORMED', `"${name}" is repeated`);
    params[name] = p[2] ?? '';
  }
  const { t, k } = params;
  if (!t || !k) throw new Refusal(403, 'VAPID_MALFORMED', 'vapid needs t and k');
  return { t, k };
}

function json(part: string): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('json');
  return value as Record<string, unknown>;
}

/**
 * Check a VAPID header as RFC 8292 requires of a push service at `origin`, at time `nowMs`,
 * for a subscription made with `applicationServerKey` (null: an unrestricted subscription).
 * Returns the checked claims; throws a refusal with its status and code.
 */
export function checkVapid(
  header: string | undefined,
  origin: string,
  applicationServerKey: Buffer | null,
  nowMs: number,
): { aud: string; exp: number; sub: string } {
  if (!header) throw new Refusal(401, 'VAPID_MISSING', 'send Authorization: vapid t=…, k=…');
  const parsed = parseVapidHeader(header);
  if (!parsed) throw new Refusal(401, 'VAPID_MISSING', 'the Authorization scheme is not vapid');
  const k = Buffer.from(parsed.k, 'base64url');
  if (k.length !== 65 || k[0] !== 4) {
    throw new Refusal(403, 'VAPID_MALFORMED', 'k must be an uncompressed P-256 point');
  }
  if (applicationServerKey && !k.equals(applicationServerKey)) {
    throw new Refusal(403, 'VAPID_KEY_MISMATCH', 'k is not the key of the subscription');
  }
  const parts = parsed.t.split('.');
  if (parts.length !== 3) throw new Refusal(403, 'VAPID_MALFORMED', 't must be a compact JWS');
  const [h = '', p = '', s = ''] = parts;
  let header0: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header0 = json(h);
    claims = json(p);
  } catch {
    throw new Refusal(403, 'VAPID_MALFORMED', 't is not a JWT');
  }
  if (header0.alg !== 'ES256') throw new Refusal(403, 'VAPID_MALFORMED', 'the JWT must be ES256');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: k.subarray(1, 33).toString('base64url'),
      y: k.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  const signature = Buffer.from(s, 'base64url');
  // RFC 7518 §3.4: ES256 signatures are R || S, 64 bytes.
  if (
    signature.length !== 64 ||
    !verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      signature,
    )
  ) {
    throw new Refusal(403, 'VAPID_SIGNATURE', 'the JWT does not verify against k');
  }
  if (claims.aud !== origin) {
    throw new Refusal(403, 'VAPID_AUDIENCE', `the JWT's aud is not ${origin}`);
  }
  const nowS = Math.floor(nowMs / 1000);
  if (typeof claims.exp !== 'number' || !Number.isInteger(claims.exp) || claims.exp <= nowS) {
    throw new Refusal(403, 'VAPID_EXPIRED', 'the JWT has expired');
  }
  if (claims.exp > nowS + MAX_VAPID_LIFETIME_S) {
    throw new Refusal(403, 'VAPID_EXP_TOO_FAR', 'exp is more than 24 hours away');
  }
  const sub = claims.sub;
  if (typeof sub !== 'string' || !/^(mailto:[^@\s]+@[^@\s]+|https:\/\/[^\s/]+.*)$/.test(sub)) {
    throw new Refusal(403, 'VAPID_SUBJECT', 'sub must be a mailto: or https: contact');
  }
  return { aud: claims.aud, exp: claims.exp, sub };
}

/** A self-signed certificate for 127.0.0.1 (P-256), made with the openssl command. */
function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'push-standin-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The push-service stand-in. Start with {@link PushServiceStandIn.start}. */
export class PushServiceStandIn {
  /** The service's clock (ms since the epoch); tests move it. */
  now: () => number = () => Date.now();
  /** Accepted messages, decrypted, in order. */
  readonly received: Delivery[] = [];
  /** Every push request's outcome, in order. */
  readonly attempts: Attempt[] = [];
  /** Pushes forwarded, encrypted, to a browser's subscription, in order. */
  readonly forwarded: Forwarded[] = [];
  /** Browsers' subscriptions made over the WebSocket protocol, by channel id. */
  readonly browserSubscriptions: string[] = [];
  #closeWebSocket: (() => Promise<void>) | null = null;
  readonly #subscriptions = new Map<string, Subscription>();

  private constructor(
    readonly server: Server,
    /** `https://127.0.0.1:<port>`: the `aud` every VAPID JWT must name. */
    readonly origin: string,
    /** The certificate (PEM) a client must trust to reach the service. */
    readonly ca: string,
  ) {}

  /** Start the service on a free loopback port. */
  static async start(): Promise<PushServiceStandIn> {
    const { key, cert } = selfSignedCertificate();
    let self: PushServiceStandIn | null = null;
    const server = createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_PUSH_BYTES + 1) chunks.push(chunk);
      });
      req.on('end', () => {
        const id = /^\/push\/([A-Za-z0-9_-]{1,64})$/.exec(req.url ?? '')?.[1] ?? '';
        const answer = (status: number, code: string | null, message = '') => {
          self?.attempts.push({ subscriptionId: id, status, code });
          res.writeHead(status, {
            'Content-Type': 'application/json',
            ...(status === 201 ? { Location: `${self?.origin}/message/${id}` } : {}),
          });
          res.end(code ? JSON.stringify({ error: { code, message } }) : '{}');
        };
        try {
          if (!self) throw new Refusal(503, 'STARTING', 'not ready');
          if (req.method !== 'POST') throw new Refusal(405, 'METHOD', 'POST only');
          const sub = self.#subscriptions.get(id);
          if (!sub) throw new Refusal(404, 'NO_SUBSCRIPTION', 'no such subscription');
          const claims = checkVapid(
            req.headers.authorization,
            self.origin,
            sub.applicationServerKey,
            self.now(),
          );
          const ttl = Number(req.headers.ttl);
          if (req.headers.ttl === undefined || !Number.isInteger(ttl) || ttl < 0) {
            throw new Refusal(400, 'TTL_MISSING', 'send a TTL header (RFC 8030 §5.2)');
          }
          if (req.headers['content-encoding'] !== 'aes128gcm') {
            throw new Refusal(415, 'ENCODING', 'Content-Encoding must be aes128gcm');
          }
          if (size > MAX_PUSH_BYTES) throw new Refusal(413, 'TOO_LARGE', 'at most 4096 bytes');
          if (sub.forward) {
            // A browser's subscription: only the browser holds its keys.
            sub.forward(Buffer.concat(chunks), ttl);
            self.forwarded.push({ subscriptionId: id, bytes: size, claims });
            answer(201, null);
            return;
          }
          let plaintext: Buffer;
          try {
            if (!sub.ecdh || !sub.auth) throw new Error('no keys');
            plaintext = decryptWebPush(Buffer.concat(chunks), sub.ecdh.getPrivateKey(), sub.auth);
          } catch {
            throw new Refusal(400, 'DECRYPTION_FAILED', 'the payload does not decrypt');
          }
          self.received.push({
            subscriptionId: id,
            plaintext: plaintext.toString('utf8'),
            claims,
            ttl,
          });
          answer(201, null);
        } catch (err) {
          if (err instanceof Refusal) answer(err.status, err.code, err.message);
          else answer(500, 'INTERNAL', 'internal error');
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    self = new PushServiceStandIn(server, `https://127.0.0.1:${port}`, cert);
    return self;
  }

  /**
   * A test subscription: fresh ECDH keys and auth secret (held here), restricted to
   * `applicationServerKey` (the 65-byte key the app subscribed with) when given.
   */
  subscribe(applicationServerKey: Uint8Array | null): SubscriptionJson {
    const id = randomBytes(12).toString('base64url');
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.#subscriptions.set(id, {
      ecdh,
      auth,
      applicationServerKey: applicationServerKey ? Buffer.from(applicationServerKey) : null,
    });
    return {
      endpoint: `${this.origin}/push/${id}`,
      expirationTime: null,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    };
  }

  /**
   * Accept browsers over Mozilla's WebSocket push protocol (`./push-websocket.ts`); resolves
   * with the URL to give Firefox as `dom.push.serverURL`. A browser's `register` (with the
   * `applicationServerKey` it was given as `key`) makes a subscription at this service, whose
   * pushes are checked as any other and then forwarded to the browser, still encrypted.
   */
  async acceptBrowsers(): Promise<string> {
    const uaid = newUaid();
    const ws = await startPushWebSocket((message, connection) => {
      switch (message.messageType) {
        case 'hello':
          return { messageType: 'hello', uaid, status: 200, use_webpush: true };
        case 'register': {
          const channelID = message.channelID;
          if (typeof channelID !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(channelID)) {
            return { messageType: 'register', status: 400 };
          }
          const key =
            typeof message.key === 'string' ? Buffer.from(message.key, 'base64url') : null;
          this.#subscriptions.set(channelID, {
            ecdh: null,
            auth: null,
            applicationServerKey: key,
            forward: (body) =>
              connection.send({
                messageType: 'notification',
                channelID,
                version: randomBytes(12).toString('base64url'),
                data: body.toString('base64url'),
                headers: { encoding: 'aes128gcm' },
              }),
          });
          this.browserSubscriptions.push(channelID);
          return {
            messageType: 'register',
            channelID,
            status: 200,
            uaid,
            pushEndpoint: `${this.origin}/push/${channelID}`,
          };
        }
        case 'unregister':
          return { messageType: 'unregister', channelID: message.channelID, status: 200 };
        default:
          // `ack`, `nack`, `broadcast_subscribe`: nothing to answer.
          return null;
      }
    });
    this.#closeWebSocket = ws.close;
    return ws.url;
  }

  async close(): Promise<void> {
    await this.#closeWebSocket?.();
    await new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
