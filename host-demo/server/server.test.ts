/**
 * Unit tests of the demo server: RFC 9421 verification (the Ed25519 test vector of its appendix
 * B.2.6), registration by proof of possession, signed requests and their replay, malformed and
 * oversized input, durability across a reopen, and that nothing secret reaches the log.
 */
import { createPrivateKey, sign as edSign, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpbis } from 'http-message-signatures';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signatureHeaders } from '../src/signing';
import {
  MAX_BODY_BYTES,
  RELAY_AUDIENCE,
  registrationMessage,
  startDemoServer,
  thumbprint,
  verifyRelayToken,
} from './app';
import { SCHEMA_VERSION, Store } from './db';
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

  async function register(): Promise<void> {
    const c = (await (await fetch(`${base}/api/challenge`, { method: 'POST' })).json()) as {
      challengeId: string;
      challenge: string;
    };
    const signature = edSign(null, registrationMessage(c.challenge, keyId), identity.privateKey);
    const res = await fetch(`${base}/api/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        challengeId: c.challengeId,
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
        signature: signature.toString('base64url'),
      }),
    });
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
    // A wrong signature, and a reused challenge.
    const c = (await (await fetch(`${base}/api/challenge`, { method: 'POST' })).json()) as {
      challengeId: string;
    };
    const body = {
      challengeId: c.challengeId,
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x },
      signature: Buffer.alloc(64).toString('base64url'),
    };
    const post = () =>
      fetch(`${base}/api/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
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
      store.addRelayKey(ownerId, kid, { kty: 'OKP', crv: 'Ed25519', x: relayJwk.x });
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
