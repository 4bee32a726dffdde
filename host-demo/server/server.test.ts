/**
 * Unit tests of the demo server: RFC 9421 verification (the Ed25519 test vector of its appendix
 * B.2.6), registration by proof of possession, signed requests and their replay, malformed and
 * oversized input, durability across a reopen and across a SIGKILL in the middle of writes,
 * migration from schema 2, key rotation, revocation and scheduled deletion as the server sees
 * them, the relay's pushes through `web-push` to the push-service stand-in, the published release
 * manifest, and that nothing secret reaches the log.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey, sign as edSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createVerifier, httpbis, type VerifyingKey } from 'http-message-signatures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signatureBase, signatureHeaders, signatureParamsValue } from '../src/signing';
import { PushServiceStandIn } from '../test/push-service';
import { EXAMPLES, RSA_PSS_PUBLIC, SHARED_SECRET, TEST_REQUEST } from '../test/rfc9421-vectors';
import {
  MANIFEST_BUNDLE_ROUTE,
  MANIFEST_ROUTE,
  MAX_BODY_BYTES,
  RELAY_AUDIENCE,
  registrationMessage,
  rotationMessage,
  startDemoServer,
  thumbprint,
  verifyRelayToken,
} from './app';
import { MIGRATIONS, SCHEMA_VERSION, Store } from './db';
import { webPushSender } from './push';
import { ed25519Verifier } from './signatures';

// RFC 9421 appendix B.1.4 (test-key-ed25519) and B.2.6.
const RFC_KEY = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs',
  d: 'n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU',
};
const B26_SIGNATURE =
  'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:';
const B26_REQUEST = {
  method: 'POST',
  url: 'http://example.com/foo?param=Value&Pet=dog',
  headers: {
    host: 'example.com',
    date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'content-type': 'application/json',
    'content-length': '18',
    'signature-input':
      'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
    signature: B26_SIGNATURE,
  },
};

describe('RFC 9421 test vector B.2.6 (Ed25519)', () => {
  it('verifies with the library and our Ed25519 verifier', async () => {
    const ok = await httpbis.verifyMessage(
      { keyLookup: async () => ed25519Verifier(RFC_KEY, 'test-key-ed25519') },
      B26_REQUEST,
    );
    expect(ok).toBe(true);
  });
  it('reproduces the signature (Ed25519 is deterministic)', async () => {
    const key = createPrivateKey({ key: RFC_KEY, format: 'jwk' });
    const signed = await httpbis.signMessage(
      {
        key: { id: 'test-key-ed25519', sign: async (data) => edSign(null, data, key) },
        name: 'sig-b26',
        fields: ['date', '@method', '@path', '@authority', 'content-type', 'content-length'],
        params: ['created', 'keyid'],
        paramValues: { created: new Date(1618884473 * 1000) },
      },
      { ...B26_REQUEST, headers: { ...B26_REQUEST.headers, signature: '', 'signature-input': '' } },
    );
    const headers = signed.headers as Record<string, unknown>;
    expect(headers.Signature ?? headers.signature).toBe(B26_SIGNATURE);
  });
  it('a changed component does not verify', async () => {
    const ok = await httpbis.verifyMessage(
      { keyLookup: async () => ed25519Verifier(RFC_KEY, 'test-key-ed25519') },
      { ...B26_REQUEST, method: 'PUT' },
    );
    expect(ok).toBe(false);
  });
});

describe('RFC 9421 appendix B.2 examples, verified by the library the server uses', () => {
  const verifiers: Record<string, VerifyingKey> = {
    'test-key-rsa-pss': {
      id: 'test-key-rsa-pss',
      algs: ['rsa-pss-sha512'],
      verify: createVerifier(RSA_PSS_PUBLIC, 'rsa-pss-sha512'),
    },
    'test-shared-secret': {
      id: 'test-shared-secret',
      algs: ['hmac-sha256'],
      verify: createVerifier(SHARED_SECRET, 'hmac-sha256'),
    },
    'test-key-ed25519': ed25519Verifier(RFC_KEY, 'test-key-ed25519'),
  };
  const keyLookup = async (p: { keyid?: string }) =>
    (typeof p.keyid === 'string' ? verifiers[p.keyid] : undefined) ?? null;
  for (const example of EXAMPLES) {
    const message = (url: string) => ({
      method: TEST_REQUEST.method,
      url,
      headers: {
        ...TEST_REQUEST.headers,
        'signature-input': `${example.label}=${example.signatureInput}`,
        signature: `${example.label}=:${example.signature}:`,
      },
    });
    it(`${example.section}: verifies as printed`, async () => {
      expect(await httpbis.verifyMessage({ keyLookup }, message(TEST_REQUEST.url))).toBe(true);
    });
    if (example.components.length > 0) {
      it(`${example.section}: fails on another request`, async () => {
        const other = 'http://example.org/foo?param=Value&Pet=cat';
        expect(await httpbis.verifyMessage({ keyLookup }, message(other))).toBe(false);
      });
    }
  }
});

describe('the demo server', () => {
  let dir: string;
  let store: Store;
  let base: string;
  let close: () => Promise<void>;
  const logged: string[] = [];

  const identity = generateKeyPairSync('ed25519');
  const jwk = identity.publicKey.export({ format: 'jwk' }) as {
    kty: string;
    crv: string;
    x: string;
  };
  const keyId = thumbprint(jwk);
  const signBytes = async (data: Uint8Array) =>
    new Uint8Array(edSign(null, data, identity.privateKey));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-server-'));
    store = new Store(dir);
    const served = await startDemoServer({ port: 0, store, log: (l) => logged.push(l) });
    base = `http://127.0.0.1:${served.port}`;
    close = served.close;
  });
  afterEach(async () => {
    await close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `POST /api/challenge`, signed (RFC 9421) by the key it will register. */
  async function challengeFetch(): Promise<Response> {
    const { url, init } = await signed('POST', '/api/challenge', {
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
    });
    return fetch(url, init);
  }

  async function register(): Promise<void> {
    const c = (await (await challengeFetch()).json()) as {
      challengeId: string;
      challenge: string;
    };
    const signature = edSign(null, registrationMessage(c.challenge, keyId), identity.privateKey);
    const { url, init } = await signed('POST', '/api/register', {
      challengeId: c.challengeId,
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
      signature: signature.toString('base64url'),
    });
    const res = await fetch(url, init);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ keyId });
  }

  async function signed(method: string, path: string, body?: unknown) {
    const url = `${base}${path}`;
    const bytes = body === undefined ? null : new TextEncoder().encode(JSON.stringify(body));
    const headers = await signatureHeaders(method, url, bytes, keyId, signBytes);
    return {
      url,
      init: {
        method,
        headers: { ...headers, ...(bytes ? { 'Content-Type': 'application/json' } : {}) },
        ...(bytes ? { body: bytes } : {}),
      },
    };
  }

  it('migrates the schema with user_version, WAL and synchronous=FULL', () => {
    expect(store.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('registers a key by proof of possession; a challenge works once', async () => {
    await register();
    const registry = (await (await fetch(`${base}/api/registry`)).json()) as {
      keys: { keyId: string }[];
    };
    expect(registry.keys.map((k) => k.keyId)).toEqual([keyId]);
    // A challenge is asked for by an RFC 9421 request signed by the key it carries.
    const unsignedChallenge = await fetch(`${base}/api/challenge`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } }),
    });
    expect(await errorCode(unsignedChallenge)).toEqual([401, 'SIGNATURE_MISSING']);
    const [, otherX] = Client.fresh();
    const { url: cUrl, init: cInit } = await signed('POST', '/api/challenge', {
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: otherX },
    });
    expect(await errorCode(await fetch(cUrl, cInit))).toEqual([401, 'SIGNATURE_INVALID']);
    // A wrong signature, and a reused challenge.
    const c = (await (await challengeFetch()).json()) as {
      challengeId: string;
    };
    const body = {
      challengeId: c.challengeId,
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
      signature: Buffer.alloc(64).toString('base64url'),
    };
    // Unsigned: refused before the challenge is looked at (it stays usable).
    const unsigned = await fetch(`${base}/api/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe(
      'SIGNATURE_MISSING',
    );
    // Signed by another key than the one it carries.
    const stranger = generateKeyPairSync('ed25519');
    const strangerId = thumbprint(
      stranger.publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string },
    );
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    const byStranger = await signatureHeaders(
      'POST',
      `${base}/api/register`,
      bytes,
      strangerId,
      async (data) => new Uint8Array(edSign(null, data, stranger.privateKey)),
    );
    const refused = await fetch(`${base}/api/register`, {
      method: 'POST',
      headers: { ...byStranger, 'Content-Type': 'application/json' },
      body: bytes,
    });
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'SIGNATURE_INVALID',
    );
    const post = async () => {
      const { url, init } = await signed('POST', '/api/register', body);
      return fetch(url, init);
    };
    const wrong = await post();
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('PROOF_INVALID');
    const reused = await post();
    expect(((await reused.json()) as { error: { code: string } }).error.code).toBe(
      'CHALLENGE_INVALID',
    );
  });

  it('accepts a signed request once and rejects its replay', async () => {
    await register();
    const { url, init } = await signed('POST', '/api/notes', { id: 'note-0001', envelope: 'AAEC' });
    const first = await fetch(url, init);
    expect(first.status).toBe(201);
    const replay = await fetch(url, init);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: { code: 'REPLAYED' } });
    const list = await signed('GET', '/api/notes');
    const notes = (await (await fetch(list.url, list.init)).json()) as { notes: { id: string }[] };
    expect(notes.notes.map((n) => n.id)).toEqual(['note-0001']);
  });

  it('rejects unsigned, unknown-key, tampered, stale and wrong-target requests', async () => {
    const code = async (res: Response) =>
      ((await res.json()) as { error: { code: string } }).error.code;
    expect(await code(await fetch(`${base}/api/notes`))).toBe('SIGNATURE_MISSING');
    const unknown = await signed('GET', '/api/notes');
    expect(await code(await fetch(unknown.url, unknown.init))).toBe('UNKNOWN_KEY');
    await register();
    const tampered = await signed('POST', '/api/notes', { id: 'note-0002', envelope: 'AAEC' });
    const res = await fetch(tampered.url, {
      ...tampered.init,
      body: JSON.stringify({ id: 'note-0002', envelope: 'AAED' }),
    });
    expect(await code(res)).toBe('DIGEST_MISMATCH');
    const elsewhere = await signed('GET', '/api/me');
    expect(await code(await fetch(`${base}/api/notes`, elsewhere.init))).toBe('SIGNATURE_INVALID');
    // created 10 minutes ago.
    const realNow = Date.now;
    Date.now = () => realNow() - 600_000;
    const stale = await signed('GET', '/api/me');
    Date.now = realNow;
    expect(await code(await fetch(stale.url, stale.init))).toBe('SIGNATURE_EXPIRED');
  });

  describe('when the signature headers are malformed', () => {
    /** Headers of a signed GET /api/notes with `params` (any order, any of them left out). */
    async function headersWith(params: Record<string, string | number>) {
      const url = `${base}/api/notes`;
      const components = ['@method', '@target-uri'];
      const req = { method: 'GET', url, headers: {} };
      const bytes = new TextEncoder().encode(signatureBase(req, components, params));
      const signature = (await signBytes(bytes)).reduce((a, b) => a + String.fromCharCode(b), '');
      return {
        'Signature-Input': `sig1=${signatureParamsValue(components, params)}`,
        Signature: `sig1=:${btoa(signature)}:`,
      };
    }
    const nowS = () => Math.floor(Date.now() / 1000);
    const answer = async (headers: Record<string, string>) => {
      const res = await fetch(`${base}/api/notes`, { headers });
      const json = (await res.json()) as { error: { code: string; message: string } };
      return { status: res.status, ...json.error };
    };

    it('each is refused with its own clear error', async () => {
      await register();
      const valid = await headersWith({ created: nowS(), nonce: 'n'.repeat(22), keyid: keyId });
      // The valid one passes (so each refusal below is the change it makes).
      expect((await fetch(`${base}/api/notes`, { headers: valid })).status).toBe(200);
      const cases: [string, Record<string, string>, string, RegExp][] = [
        [
          'a garbled Signature-Input',
          { ...valid, 'Signature-Input': 'sig1=(("@method" "@target-uri";created=1' },
          'SIGNATURE_MALFORMED',
          /structured-field dictionaries/,
        ],
        [
          'a garbled Signature',
          { ...valid, Signature: 'sig1=:AAAA' },
          'SIGNATURE_MALFORMED',
          /structured-field dictionaries/,
        ],
        [
          'no nonce',
          await headersWith({ created: nowS(), keyid: keyId }),
          'SIGNATURE_INVALID',
          /"nonce" is required/,
        ],
        [
          'a bad nonce',
          await headersWith({ created: nowS(), nonce: 'short!', keyid: keyId }),
          'SIGNATURE_INVALID',
          /"nonce" must be 16-64 base64url characters/,
        ],
        [
          'two signatures',
          {
            'Signature-Input': `${valid['Signature-Input']}, sig2=${valid['Signature-Input'].slice(5)}`,
            Signature: `${valid.Signature}, sig2=${valid.Signature.slice(5)}`,
          },
          'SIGNATURE_INVALID',
          /exactly one signature/,
        ],
        [
          'labels that differ',
          { ...valid, Signature: `sig2=${valid.Signature.slice(5)}` },
          'SIGNATURE_INVALID',
          /same label/,
        ],
        [
          'created two minutes in the future',
          await headersWith({ created: nowS() + 120, nonce: 'f'.repeat(22), keyid: keyId }),
          'SIGNATURE_NOT_YET_VALID',
          /in the future/,
        ],
        [
          'created ten minutes ago',
          await headersWith({ created: nowS() - 600, nonce: 'o'.repeat(22), keyid: keyId }),
          'SIGNATURE_EXPIRED',
          /outside the 300s window/,
        ],
        [
          'no created',
          await headersWith({ nonce: 'c'.repeat(22), keyid: keyId }),
          'SIGNATURE_INVALID',
          /"created" is required/,
        ],
      ];
      for (const [what, headers, code, message] of cases) {
        const got = await answer(headers);
        expect({ what, status: got.status, code: got.code }).toEqual({ what, status: 401, code });
        expect(got.message).toMatch(message);
      }
    });
  });

  it('answers malformed and oversized requests with clear JSON errors', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${base}/api/register`, { method: 'POST', headers: { 'Content-Type': type }, body });
    const code = async (res: Response) => [
      res.status,
      ((await res.json()) as { error: { code: string } }).error.code,
    ];
    expect(await code(await post('{'))).toEqual([400, 'INVALID_JSON']);
    expect(await code(await post('[]'))).toEqual([400, 'INVALID_BODY']);
    expect(await code(await post('{}', 'text/plain'))).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(await code(await post('{"challengeId":"x","extra":1}'))).toEqual([400, 'INVALID_FIELD']);
    expect(
      await code(await post('{"challengeId":"x","publicJwk":{"kty":"RSA"},"signature":"AA"}')),
    ).toEqual([400, 'INVALID_FIELD']);
    expect(await code(await post('x'.repeat(MAX_BODY_BYTES + 1)))).toEqual([
      413,
      'PAYLOAD_TOO_LARGE',
    ]);
    expect(await code(await fetch(`${base}/api/nope`))).toEqual([404, 'NOT_FOUND']);
    expect(await code(await fetch(`${base}/api/notes`, { method: 'DELETE' }))).toEqual([
      405,
      'METHOD_NOT_ALLOWED',
    ]);
    await register();
    const big = await signed('POST', '/api/notes', {
      id: 'note-0003',
      envelope: 'A'.repeat(50_000),
    });
    expect(await code(await fetch(big.url, big.init))).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const badId = await signed('POST', '/api/notes', { id: '../x', envelope: 'AAEC' });
    expect(await code(await fetch(badId.url, badId.init))).toEqual([400, 'INVALID_FIELD']);
  });

  it('keeps what it acknowledged across a reopen, and logs no secret', async () => {
    await register();
    const { url, init } = await signed('POST', '/api/notes', {
      id: 'note-0004',
      envelope: 'c2VjcmV0',
    });
    expect((await fetch(url, init)).status).toBe(201);
    await close();
    store.close();
    store = new Store(dir);
    const served = await startDemoServer({ port: 0, store });
    base = `http://127.0.0.1:${served.port}`;
    close = served.close;
    expect(store.listNotes(keyId).map((n) => n.id)).toEqual(['note-0004']);
    const log = logged.join('\n');
    expect(log).toContain('POST /api/notes 201');
    expect(log).not.toContain('c2VjcmV0');
    expect(log).not.toMatch(/sig1=|Signature/);
    const headers = init.headers as Record<string, string>;
    const nonce = /nonce="([^"]+)"/.exec(headers['Signature-Input'] ?? '')?.[1] ?? 'missing';
    expect(log).not.toContain(nonce);
    expect(log).not.toContain((headers.Signature ?? 'missing').slice(6, -1));
    expect(log).not.toContain(headers['Content-Digest'] ?? 'missing');
  });
});

describe('the relay', () => {
  it('accepts a short-lived token of a registered relay key, and nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-relay-'));
    const store = new Store(dir);
    try {
      const owner = generateKeyPairSync('ed25519');
      const ownerJwk = owner.publicKey.export({ format: 'jwk' }) as { x: string };
      const ownerId = thumbprint({ kty: 'OKP', crv: 'Ed25519', x: ownerJwk.x });
      store.addKey({
        keyId: ownerId,
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: ownerJwk.x },
        registeredAt: 1,
      });
      const relay = generateKeyPairSync('ed25519');
      const relayJwk = relay.publicKey.export({ format: 'jwk' }) as { x: string };
      const kid = thumbprint({ kty: 'OKP', crv: 'Ed25519', x: relayJwk.x });
      expect(
        store.addRelayKey(ownerId, kid, { kty: 'OKP', crv: 'Ed25519', x: relayJwk.x }, 1),
      ).toBe('bound');
      const now = Math.floor(Date.now() / 1000);
      const token = (claims: object, headerKid = kid) => {
        const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const input = `${enc({ alg: 'EdDSA', kid: headerKid })}.${enc(claims)}`;
        return `Bearer ${input}.${edSign(null, Buffer.from(input), relay.privateKey).toString('base64url')}`;
      };
      const code = (auth: string | undefined) => {
        try {
          verifyRelayToken(store, auth);
          return 'ok';
        } catch (err) {
          return (err as { code: string }).code;
        }
      };
      const good = { aud: RELAY_AUDIENCE, iat: now, exp: now + 300 };
      expect(code(token(good))).toBe('ok');
      expect(code(undefined)).toBe('TOKEN_MISSING');
      expect(code(token({ ...good, aud: 'https://other.example' }))).toBe('TOKEN_AUDIENCE');
      expect(code(token({ ...good, exp: now + 3600 }))).toBe('TOKEN_INVALID');
      expect(code(token({ ...good, iat: now - 600, exp: now - 300 }))).toBe('TOKEN_EXPIRED');
      expect(code(token(good, 'unknown-kid'))).toBe('UNKNOWN_KEY');
      const t = token(good);
      expect(code(`${t.slice(0, -4)}AAAA`)).toBe('TOKEN_INVALID');
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A client of the demo server with an Ed25519 key in this process (the enclave's stand-in). */
class Client {
  key: KeyObject;
  x: string;
  /** The clock the client signs by (`created`): the server's, when a test moves it. */
  now: () => number = Date.now;
  constructor(readonly base: string) {
    [this.key, this.x] = Client.fresh();
  }
  static fresh(): [KeyObject, string] {
    const pair = generateKeyPairSync('ed25519');
    return [pair.privateKey, (pair.publicKey.export({ format: 'jwk' }) as { x: string }).x];
  }
  get keyId(): string {
    return thumbprint({ kty: 'OKP', crv: 'Ed25519', x: this.x });
  }
  async register(): Promise<void> {
    const c = (await (
      await this.signed('POST', '/api/challenge', {
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: this.x },
      })
    ).json()) as {
      challengeId: string;
      challenge: string;
    };
    const signature = edSign(null, registrationMessage(c.challenge, this.keyId), this.key);
    const res = await this.signed('POST', '/api/register', {
      challengeId: c.challengeId,
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: this.x },
      signature: signature.toString('base64url'),
    });
    expect(res.status).toBe(201);
  }
  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }
  /** A request signed now by the current key (RFC 9421). */
  async signed(
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const url = `${this.base}${path}`;
    const bytes = body === undefined ? null : new TextEncoder().encode(JSON.stringify(body));
    const key = this.key;
    const headers = await signatureHeaders(
      method,
      url,
      bytes,
      this.keyId,
      async (data) => new Uint8Array(edSign(null, data, key)),
      { created: Math.floor(this.now() / 1000) },
    );
    return fetch(url, {
      method,
      headers: { ...headers, ...extra, ...(bytes ? { 'Content-Type': 'application/json' } : {}) },
      ...(bytes ? { body: bytes } : {}),
    });
  }
  /** Rotate: the old key opens the rotation, the new key proves possession. */
  async rotate(): Promise<Response> {
    const opened = await this.signed('POST', '/api/identity/rotation');
    expect(opened.status).toBe(201);
    const { rotationId, challenge } = (await opened.json()) as {
      rotationId: string;
      challenge: string;
    };
    const oldKeyId = this.keyId;
    [this.key, this.x] = Client.fresh();
    const signature = edSign(null, rotationMessage(challenge, oldKeyId, this.keyId), this.key);
    // Signed (RFC 9421) by the new version.
    return this.signed('POST', '/api/identity/rotation/complete', {
      rotationId,
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: this.x },
      signature: signature.toString('base64url'),
    });
  }
}

const errorCode = async (res: Response) =>
  [res.status, ((await res.json()) as { error?: { code: string } }).error?.code ?? null] as const;

describe('the key lifecycle on the server', () => {
  let dir: string;
  let store: Store;
  let client: Client;
  let close: () => Promise<void>;
  let push: PushServiceStandIn;
  /** How far the server's clock (its `now` seam) is ahead of the real one. */
  let offset = 0;
  const logged: string[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-lifecycle-'));
    store = new Store(dir);
    push = await PushServiceStandIn.start();
    offset = 0;
    logged.length = 0;
    const served = await startDemoServer({
      port: 0,
      store,
      push: webPushSender({ ca: push.ca }),
      now: () => Date.now() + offset,
      log: (line) => logged.push(line),
    });
    client = new Client(`http://127.0.0.1:${served.port}`);
    client.now = () => Date.now() + offset;
    close = served.close;
    await client.register();
  });
  afterEach(async () => {
    await close();
    await push.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('when the server clock is behind the real one', () => {
    it('keeps challenges and rotations by the server clock, not by Date.now()', async () => {
      offset = -3600_000; // an hour behind: by Date.now() everything it issues has expired
      // A challenge, then another request's cleanup, then the first challenge used: still valid.
      const newcomer = new Client(client.base);
      newcomer.now = client.now;
      const ask = async () =>
        (await (
          await newcomer.signed('POST', '/api/challenge', {
            publicJwk: { kty: 'OKP', crv: 'Ed25519', x: newcomer.x },
          })
        ).json()) as { challengeId: string; challenge: string };
      const first = await ask();
      await ask(); // runs the cleanup of expired challenges
      const signature = edSign(
        null,
        registrationMessage(first.challenge, newcomer.keyId),
        newcomer.key,
      );
      const registered = await newcomer.signed('POST', '/api/register', {
        challengeId: first.challengeId,
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: newcomer.x },
        signature: signature.toString('base64url'),
      });
      expect(registered.status).toBe(201);
      // A rotation opened, another one opened by another account (its cleanup), then completed.
      const opened = (await (await client.signed('POST', '/api/identity/rotation')).json()) as {
        rotationId: string;
        challenge: string;
      };
      expect((await newcomer.signed('POST', '/api/identity/rotation')).status).toBe(201);
      const oldKeyId = client.keyId;
      [client.key, client.x] = Client.fresh();
      const proof = edSign(
        null,
        rotationMessage(opened.challenge, oldKeyId, client.keyId),
        client.key,
      );
      const completed = await client.signed('POST', '/api/identity/rotation/complete', {
        rotationId: opened.rotationId,
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: client.x },
        signature: proof.toString('base64url'),
      });
      expect(completed.status).toBe(201);
    });
  });

  describe('when relay keys are registered', () => {
    it('binds one relay key per account: the same again is a no-op, another one is refused (also after rotation, and for another account)', async () => {
      const relayJwk = () => ({ kty: 'OKP', crv: 'Ed25519', x: Client.fresh()[1] });
      const first = relayJwk();
      const bound = await client.signed('POST', '/api/relay-keys', { publicJwk: first });
      expect(bound.status).toBe(201);
      const { kid } = (await bound.json()) as { kid: string };
      const again = await client.signed('POST', '/api/relay-keys', { publicJwk: first });
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ kid });
      const other = relayJwk();
      expect(
        await errorCode(await client.signed('POST', '/api/relay-keys', { publicJwk: other })),
      ).toEqual([409, 'RELAY_KEY_EXISTS']);
      // The account keeps its relay key through a rotation: still one.
      expect((await client.rotate()).status).toBe(201);
      expect(
        await errorCode(await client.signed('POST', '/api/relay-keys', { publicJwk: other })),
      ).toEqual([409, 'RELAY_KEY_EXISTS']);
      expect((await client.signed('POST', '/api/relay-keys', { publicJwk: first })).status).toBe(
        200,
      );
      // Another account cannot take this account's relay key.
      const stranger = new Client(client.base);
      stranger.now = client.now;
      await stranger.register();
      expect(
        await errorCode(await stranger.signed('POST', '/api/relay-keys', { publicJwk: first })),
      ).toEqual([409, 'RELAY_KEY_EXISTS']);
    });
  });

  describe('when the key is rotated', () => {
    it('registers the new version under the same account and refuses the old one', async () => {
      const oldKeyId = client.keyId;
      const oldKey = client.key;
      expect(
        (await client.signed('POST', '/api/notes', { id: 'note-rot-1', envelope: 'AAEC' })).status,
      ).toBe(201);
      const rotated = await client.rotate();
      expect(rotated.status).toBe(201);
      expect(await rotated.json()).toEqual({ keyId: client.keyId, version: 2 });
      // The new version reads the account's notes; the old one is refused with a clear code.
      const notes = (await (await client.signed('GET', '/api/notes')).json()) as {
        notes: { id: string }[];
      };
      expect(notes.notes.map((n) => n.id)).toEqual(['note-rot-1']);
      const newKey = client.key;
      const newX = client.x;
      client.key = oldKey;
      client.x = (store.getKey(oldKeyId)?.publicJwk.x ?? '') as string;
      expect(await errorCode(await client.signed('GET', '/api/me'))).toEqual([403, 'KEY_ROTATED']);
      client.key = newKey;
      client.x = newX;
      const me = (await (await client.signed('GET', '/api/me')).json()) as {
        version: number;
        keys: { keyId: string; state: string; replacedBy: string | null }[];
      };
      expect(me.version).toBe(2);
      expect(me.keys).toMatchObject([
        { keyId: oldKeyId, state: 'rotated', replacedBy: client.keyId },
        { keyId: client.keyId, state: 'active', replacedBy: null },
      ]);
    });

    it('refuses a rotation proof by a key that does not hold the challenge, and a reused one', async () => {
      const opened = await client.signed('POST', '/api/identity/rotation');
      const { rotationId } = (await opened.json()) as { rotationId: string };
      const [key, x] = Client.fresh();
      const keyId = thumbprint({ kty: 'OKP', crv: 'Ed25519', x });
      const bad = edSign(null, rotationMessage('another-challenge', client.keyId, keyId), key);
      const body = {
        rotationId,
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x },
        signature: bad.toString('base64url'),
      };
      // The completion must be an RFC 9421 request signed by the key it carries: unsigned, or
      // signed by the old version, it is refused before the rotation is looked at.
      expect(await errorCode(await client.post('/api/identity/rotation/complete', body))).toEqual([
        401,
        'SIGNATURE_MISSING',
      ]);
      const byOld = await client.signed('POST', '/api/identity/rotation/complete', body);
      const refusal = (await byOld.json()) as { error: { code: string; message: string } };
      expect([byOld.status, refusal.error.code]).toEqual([401, 'SIGNATURE_INVALID']);
      expect(refusal.error.message).toContain('signed by the key it carries');
      const newcomer = new Client(client.base);
      [newcomer.key, newcomer.x] = [key, x];
      expect(
        await errorCode(await newcomer.signed('POST', '/api/identity/rotation/complete', body)),
      ).toEqual([401, 'PROOF_INVALID']);
      expect(
        await errorCode(await newcomer.signed('POST', '/api/identity/rotation/complete', body)),
      ).toEqual([400, 'CHALLENGE_INVALID']);
      // An unsigned request cannot open a rotation.
      expect(await errorCode(await client.post('/api/identity/rotation', {}))).toEqual([
        401,
        'SIGNATURE_MISSING',
      ]);
      expect(store.getKey(client.keyId)?.state).toBe('active');
    });
  });

  describe('when the key is revoked or scheduled for deletion', () => {
    it('refuses a revoked key for ever, and says so in the registry', async () => {
      expect((await client.signed('POST', '/api/identity/revoke')).status).toBe(200);
      expect(await errorCode(await client.signed('GET', '/api/notes'))).toEqual([
        403,
        'KEY_REVOKED',
      ]);
      expect(await errorCode(await client.signed('POST', '/api/identity/cancel-deletion'))).toEqual(
        [403, 'KEY_REVOKED'],
      );
      const registry = (await (await fetch(`${client.base}/api/registry`)).json()) as {
        keys: { keyId: string; state: string }[];
      };
      expect(registry.keys).toMatchObject([{ keyId: client.keyId, state: 'revoked' }]);
    });

    it('accepts only a cancellation from a key pending deletion', async () => {
      const scheduled = await client.signed('POST', '/api/identity/deletion', { days: 7 });
      expect(scheduled.status).toBe(200);
      const { destroyAt } = (await scheduled.json()) as { destroyAt: number };
      expect(destroyAt).toBeGreaterThan(Date.now() + 6 * 86_400_000);
      expect(await errorCode(await client.signed('GET', '/api/notes'))).toEqual([
        403,
        'KEY_PENDING_DELETION',
      ]);
      const me = (await (await client.signed('GET', '/api/me')).json()) as { state: string };
      expect(me.state).toBe('pending-deletion');
      expect((await client.signed('POST', '/api/identity/cancel-deletion')).status).toBe(200);
      expect((await client.signed('GET', '/api/notes')).status).toBe(200);
      expect(
        await errorCode(await client.signed('POST', '/api/identity/deletion', { days: 0 })),
      ).toEqual([400, 'INVALID_FIELD']);
    });
  });

  describe('when the scheduled deletion date passes (the server clock moved)', () => {
    it('treats the key as deleted: its signatures, its cancellation and its relay tokens are refused', async () => {
      // A relay key of this account, registered while the identity is active.
      const relay = generateKeyPairSync('ed25519');
      const relayX = (relay.publicKey.export({ format: 'jwk' }) as { x: string }).x;
      const kidRes = await client.signed('POST', '/api/relay-keys', {
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: relayX },
      });
      const { kid } = (await kidRes.json()) as { kid: string };
      const relayToken = () => {
        const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const iat = Math.floor((Date.now() + offset) / 1000);
        const input = `${enc({ alg: 'EdDSA', kid })}.${enc({ aud: RELAY_AUDIENCE, iat, exp: iat + 300 })}`;
        return `Bearer ${input}.${edSign(null, Buffer.from(input), relay.privateKey).toString('base64url')}`;
      };
      const ping = () =>
        client.signed('GET', '/api/relay/ping', undefined, { Authorization: relayToken() });
      expect((await ping()).status).toBe(200);

      const scheduled = await client.signed('POST', '/api/identity/deletion', { days: 7 });
      const { destroyAt } = (await scheduled.json()) as { destroyAt: number };
      // A minute before the date: pending deletion, as before.
      offset = destroyAt - Date.now() - 60_000;
      expect(await errorCode(await client.signed('GET', '/api/notes'))).toEqual([
        403,
        'KEY_PENDING_DELETION',
      ]);
      expect((await client.signed('GET', '/api/me')).status).toBe(200);
      // A second after it: deleted, for every route, the cancellation too.
      offset = destroyAt - Date.now() + 1000;
      for (const [method, path] of [
        ['GET', '/api/notes'],
        ['GET', '/api/me'],
        ['POST', '/api/identity/cancel-deletion'],
        ['POST', '/api/identity/revoke'],
      ] as const) {
        const res = await client.signed(method, path);
        const answer = (await res.json()) as { error: { code: string; message: string } };
        expect([res.status, answer.error.code]).toEqual([401, 'KEY_DELETED']);
        expect(answer.error.message).toContain('deletion date passed');
      }
      const registry = (await (await fetch(`${client.base}/api/registry`)).json()) as {
        keys: { keyId: string; state: string }[];
      };
      expect(registry.keys).toMatchObject([{ keyId: client.keyId, state: 'deleted' }]);
      expect(await errorCode(await ping())).toEqual([401, 'KEY_DELETED']);
    });
  });

  describe('when the relay sends a push', () => {
    function relayToken(owner: Client, key: KeyObject, kid: string, ageS = 0): string {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000) - ageS;
      const input = `${enc({ alg: 'EdDSA', kid })}.${enc({ aud: RELAY_AUDIENCE, sub: owner.keyId, iat: now, exp: now + 300 })}`;
      return `Bearer ${input}.${edSign(null, Buffer.from(input), key).toString('base64url')}`;
    }

    it('sends through web-push with the stored VAPID header, and reports the push service’s answer', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
      const k = Buffer.concat([
        Buffer.from([4]),
        Buffer.from(jwk.x, 'base64url'),
        Buffer.from(jwk.y, 'base64url'),
      ]);
      const subscription = push.subscribe(k);
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const t = `${enc({ typ: 'JWT', alg: 'ES256' })}.${enc({ aud: push.origin, exp, sub: 'mailto:ops@app.example' })}`;
      const sig = edSign('sha256', Buffer.from(t), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      const authorization = `vapid t=${t}.${sig.toString('base64url')}, k=${k.toString('base64url')}`;
      const saved = await client.signed('POST', '/api/push/subscriptions', {
        subscription,
        authorization,
      });
      expect(saved.status).toBe(201);
      // Malformed subscriptions and headers are refused.
      expect(
        await errorCode(
          await client.signed('POST', '/api/push/subscriptions', {
            subscription: { ...subscription, endpoint: 'http://push.example/x' },
            authorization,
          }),
        ),
      ).toEqual([400, 'INVALID_FIELD']);
      expect(
        await errorCode(
          await client.signed('POST', '/api/push/subscriptions', {
            subscription,
            authorization: 'key=abc',
          }),
        ),
      ).toEqual([400, 'INVALID_FIELD']);

      const relay = generateKeyPairSync('ed25519');
      const relayX = (relay.publicKey.export({ format: 'jwk' }) as { x: string }).x;
      const kid = (
        (await (
          await client.signed('POST', '/api/relay-keys', {
            publicJwk: { kty: 'OKP', crv: 'Ed25519', x: relayX },
          })
        ).json()) as { kid: string }
      ).kid;
      const send = (text: string) =>
        client.signed(
          'POST',
          '/api/relay/push',
          { text },
          { Authorization: relayToken(client, relay.privateKey, kid) },
        );
      // A valid token alone is not enough: the call is signed (RFC 9421) by the token's
      // identity, not by another registered one.
      expect(
        await errorCode(
          await client.post(
            '/api/relay/push',
            { text: 'x' },
            { Authorization: relayToken(client, relay.privateKey, kid) },
          ),
        ),
      ).toEqual([401, 'SIGNATURE_MISSING']);
      const stranger = new Client(client.base);
      await stranger.register();
      expect(
        await errorCode(
          await stranger.signed(
            'POST',
            '/api/relay/push',
            { text: 'x' },
            { Authorization: relayToken(client, relay.privateKey, kid) },
          ),
        ),
      ).toEqual([401, 'SIGNATURE_INVALID']);
      expect(
        await errorCode(
          await fetch(`${client.base}/api/relay/ping`, {
            headers: { Authorization: relayToken(client, relay.privateKey, kid) },
          }),
        ),
      ).toEqual([401, 'SIGNATURE_MISSING']);
      const ok = (await (await send('your note was saved')).json()) as {
        results: { pushService: string; status: number; code: string | null }[];
      };
      expect(ok.results).toEqual([{ pushService: push.origin, status: 201, code: null }]);
      expect(JSON.parse(push.received.at(-1)?.plaintext ?? '{}')).toEqual({
        title: 'Strongroom notes',
        body: 'your note was saved',
      });
      // The stored header expires: the push service refuses it, and the relay says so.
      push.now = () => (exp + 1) * 1000;
      const expired = (await (await send('too late')).json()) as {
        results: { status: number; code: string }[];
      };
      expect(expired.results).toEqual([
        { pushService: push.origin, status: 403, code: 'VAPID_EXPIRED' },
      ]);
      expect(push.received).toHaveLength(1);
      // Without a relay token the relay does nothing; with an expired one neither.
      expect(await errorCode(await client.post('/api/relay/push', { text: 'x' }))).toEqual([
        401,
        'TOKEN_MISSING',
      ]);
      const stale = relayToken(client, relay.privateKey, kid, 301);
      expect(
        await errorCode(
          await client.post('/api/relay/push', { text: 'x' }, { Authorization: stale }),
        ),
      ).toEqual([401, 'TOKEN_EXPIRED']);
      expect(push.received).toHaveLength(1);

      // The log has methods, paths and statuses only: no relay token, no VAPID header (nor its
      // JWT or key), no push payload.
      const log = logged.join('\n');
      expect(log).toContain('POST /api/relay/push 200');
      expect(log).toContain('POST /api/push/subscriptions 201');
      const token = relayToken(client, relay.privateKey, kid).slice('Bearer '.length);
      for (const secret of [
        token.split('.')[0] as string, // the relay tokens' header (the same in each)
        stale.slice('Bearer '.length),
        authorization,
        t,
        sig.toString('base64url'),
        k.toString('base64url'),
        'your note was saved',
        'Bearer',
        'vapid',
      ]) {
        expect(log).not.toContain(secret);
      }
    });
  });
});

describe('schema migrations', () => {
  it('migrates a schema-2 database: keys become accounts, notes stay theirs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-migrate-'));
    try {
      const db = new Database(join(dir, 'demo.sqlite'));
      db.exec(MIGRATIONS[0] as string);
      db.exec(MIGRATIONS[1] as string);
      db.pragma('user_version = 2');
      db.prepare('INSERT INTO identity_keys VALUES (?, ?, ?)').run(
        'k1',
        '{"kty":"OKP","crv":"Ed25519","x":"AA"}',
        1,
      );
      db.prepare('INSERT INTO notes VALUES (?, ?, ?, ?)').run(
        'note-old-1',
        'k1',
        Buffer.from([1, 2]),
        2,
      );
      db.close();
      const store = new Store(dir);
      try {
        expect(store.schemaVersion()).toBe(SCHEMA_VERSION);
        expect(store.getKey('k1')).toMatchObject({ accountId: 'k1', version: 1, state: 'active' });
        expect(store.listNotes('k1').map((n) => n.id)).toEqual(['note-old-1']);
      } finally {
        store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a crash in the middle of writes', () => {
  /** The server as a child process, so that SIGKILL ends it like a crash. */
  async function startChild(dataDir: string, port = 0): Promise<[ChildProcess, number]> {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'host-demo/server/main.ts',
        '--port',
        String(port),
        '--data-dir',
        dataDir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const listening = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /listening on (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`demo server exited (${code})`)));
    });
    return [child, listening];
  }

  it('loses no note it acknowledged when killed with writes in flight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-crash-'));
    let [child, port] = await startChild(dir);
    try {
      const client = new Client(`http://127.0.0.1:${port}`);
      await client.register();
      const acknowledged: string[] = [];
      let killed = false;
      // Eight writers post notes in a loop; the server is killed after the 40th acknowledgement,
      // with the other writers' requests in flight.
      const exited = new Promise((r) => child.once('exit', r));
      const writer = async (w: number) => {
        for (let i = 0; !killed; i++) {
          const id = `note-${w}-${String(i).padStart(4, '0')}`;
          try {
            const res = await client.signed('POST', '/api/notes', { id, envelope: 'AAECAw' });
            if (res.status === 201) acknowledged.push(id);
          } catch {
            return; // the connection died with the server
          }
          if (acknowledged.length >= 40 && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        }
      };
      await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(writer));
      await exited;
      expect(acknowledged.length).toBeGreaterThanOrEqual(40);
      [child, port] = await startChild(dir, port);
      const notes = (await (await client.signed('GET', '/api/notes')).json()) as {
        notes: { id: string }[];
      };
      const stored = new Set(notes.notes.map((n) => n.id));
      for (const id of acknowledged) expect(stored.has(id)).toBe(true);
    } finally {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the published release manifest', () => {
  it('serves the given manifest and bundle byte for byte, no-store, with CORS for allowed origins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-manifest-'));
    const store = new Store(dir);
    const manifest = join(dir, 'manifest.json');
    const bundle = join(dir, 'manifest.sigstore.json');
    // Served as given, never validated: the page's panel is the one that checks.
    writeFileSync(manifest, '{"releaseDigest":"altered"}');
    writeFileSync(bundle, '{"mediaType":"bundle"}');
    const withManifest = await startDemoServer({
      port: 0,
      store,
      manifest: { file: manifest, bundleFile: bundle },
      corsOrigins: ['http://127.0.0.1:4701'],
    });
    const without = await startDemoServer({ port: 0, store });
    try {
      const base = `http://127.0.0.1:${withManifest.port}`;
      const res = await fetch(`${base}${MANIFEST_ROUTE}`, {
        headers: { Origin: 'http://127.0.0.1:4701' },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('{"releaseDigest":"altered"}');
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:4701');
      const other = await fetch(`${base}${MANIFEST_ROUTE}`, {
        headers: { Origin: 'http://evil.example' },
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expect(await (await fetch(`${base}${MANIFEST_BUNDLE_ROUTE}`)).text()).toBe(
        '{"mediaType":"bundle"}',
      );
      // Read on every request: a replaced file is served at once; a removed one is a 404.
      writeFileSync(manifest, '{"releaseDigest":"replaced"}');
      expect(await (await fetch(`${base}${MANIFEST_ROUTE}`)).text()).toBe(
        '{"releaseDigest":"replaced"}',
      );
      rmSync(bundle);
      expect((await fetch(`${base}${MANIFEST_BUNDLE_ROUTE}`)).status).toBe(404);
      const bare = `http://127.0.0.1:${without.port}`;
      expect((await fetch(`${bare}${MANIFEST_ROUTE}`)).status).toBe(404);
    } finally {
      await withManifest.close();
      await without.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
