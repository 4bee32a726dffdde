/**
 * The key policy attacked from the app page, as a compromised page (XSS, a malicious deploy)
 * would: every call here is an ordinary, well-formed call through the bridge. Each attack that
 * worked before the policy existed ends in a typed refusal with the keystore unchanged:
 *
 * - raw signatures with a token key (a JWT or VAPID token assembled by the page);
 * - exporting a key under a KEK the page can compute (derived by `agree` with its own pair);
 * - planting a key pair the page knows through `unwrapKey` under such a KEK;
 * - re-importing an exported key as another algorithm;
 * - tokens outside a key's allowlists, a policy widened after creation.
 *
 * And the rest of the policy as documented in docs/policy.md: purpose × operation, rotation,
 * revocation, scheduled deletion (with the dev-only clock seam), rate limits and the
 * throttling of a channel that keeps sending refused requests.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { KEY_PURPOSES, type KeyInfo, OPERATION_NAMES } from '../../bridge/src/protocol';
import {
  aesKw,
  b64u,
  gcmWrapNode,
  hkdf32,
  nodeEcdh,
  openEnvelopeNode,
  sealEnvelopeNode,
} from '../support/tokens';
import type { BrowserFrame } from '../webkit/browser-page';
import {
  approvedOrAsked,
  canClick,
  dialogOpen,
  expectError,
  outcome,
  plantKek,
  start,
} from './consent';
import {
  type CoreContext,
  call,
  callError,
  connectHarness,
  type ErrorView,
  enclaveFrame,
  HarnessError,
  openHarness,
  sleep,
} from './harness';
import { type CoreSuite, expect } from './suite';

/** `KeyInfo` as these tests read it: the wire contract's own type. */
type Key = KeyInfo;

const te = new TextEncoder();
const td = new TextDecoder();
const PUSH = 'https://push.example.net';
const CONTACT = 'mailto:ops@app.example';
const DAY_MS = 24 * 60 * 60 * 1000;

/** Assert a typed refusal. */
function expectCode(err: ErrorView, code: string): void {
  expect(err, JSON.stringify(err)).toMatchObject({
    code,
    isStrongroomError: true,
    name: 'StrongroomError',
  });
}

async function connected({ page, urls }: CoreContext): Promise<void> {
  await openHarness(page, urls.app);
  await connectHarness(page);
}

function make(ctx: CoreContext, options: Record<string, unknown>): Promise<Key> {
  return call<Key>(ctx.page, 'generateKey', options);
}

/**
 * What the keystore holds, read from inside the enclave frame (ids, states, versions,
 * purposes, deletion dates), plus the usage counters the enclave reports: the view that
 * must not change when an attack is refused.
 */
async function state(ctx: CoreContext): Promise<unknown> {
  const frame = enclaveFrame(ctx.page, ctx.urls.enclave);
  const stored = await frame.evaluate(
    () =>
      new Promise<unknown[]>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(new Error('no database'));
        req.onsuccess = () => {
          const db = req.result;
          const all = db.transaction('keys').objectStore('keys').getAll();
          all.onsuccess = () => {
            db.close();
            resolve(
              (all.result as Record<string, unknown>[])
                .map((r) => ({
                  id: r.id,
                  state: r.state,
                  version: r.version,
                  purpose: r.purpose,
                  retired: (r.retired as unknown[]).length,
                  deletion: r.deletion,
                }))
                .sort((a, b) => String(a.id).localeCompare(String(b.id))),
            );
          };
          all.onerror = () => reject(all.error);
        };
      }),
  );
  const listed = await call<Key[]>(ctx.page, 'listKeys');
  return { stored, usage: listed.map((k) => [k.id, k.usage.count]) };
}

/** Move the enclave's policy clock forward (dev builds only), in running and later workers. */
export async function advanceClock(frame: BrowserFrame, offsetMs: number): Promise<void> {
  await frame.evaluate(
    (ms: number) =>
      new Promise<void>((resolve, reject) => {
        const channel = new BroadcastChannel('dev:clock-offset');
        channel.postMessage(ms);
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const tx = db.transaction('meta', 'readwrite');
          tx.objectStore('meta').put({ name: 'dev:clock-offset', offsetMs: ms });
          tx.oncomplete = () => {
            db.close();
            channel.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    offsetMs,
  );
  // BroadcastChannel delivery is asynchronous.
  await sleep(200);
}

/**
 * Dev builds only: lower the limits the audit commit applies (`dev:audit-limits` in `meta`),
 * written from the enclave frame; then reconnect so that a new worker reads them.
 */
async function devLimits(
  ctx: CoreContext,
  limits: { keyCreationsPerMinute?: number; originUsesPerMinute?: number },
): Promise<void> {
  await enclaveFrame(ctx.page, ctx.urls.enclave).evaluate(
    (devLimits: { keyCreationsPerMinute?: number; originUsesPerMinute?: number }) =>
      new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const tx = req.result.transaction('meta', 'readwrite');
          tx.objectStore('meta').put({ name: 'dev:audit-limits', devLimits });
          tx.oncomplete = () => {
            req.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    limits,
  );
  await ctx.page.reload();
  await connected(ctx);
}

/** Dev builds only: add (`on`) or remove a `meta` entry named `name`, from the enclave frame. */
function setMeta(frame: BrowserFrame, name: string, on: boolean): Promise<void> {
  return frame.evaluate(
    (input: { name: string; on: boolean }) =>
      new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const tx = req.result.transaction('meta', 'readwrite');
          const meta = tx.objectStore('meta');
          if (input.on) meta.put({ name: input.name });
          else meta.delete(input.name);
          tx.oncomplete = () => {
            req.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    { name, on },
  );
}

/**
 * Write the enclave's memory of an export, as `wrapKey` would (`keystore/store.ts`
 * `rememberWrapped`): the meta entry `wrapped:<sha-256 of the bytes>` with the algorithm and
 * purpose of the exported key.
 */
function rememberExport(
  ctx: CoreContext,
  wrapped: Uint8Array,
  alg: string,
  purpose: string,
): Promise<void> {
  const name = `wrapped:${createHash('sha256').update(wrapped).digest('hex')}`;
  return enclaveFrame(ctx.page, ctx.urls.enclave).evaluate(
    (input: { name: string; alg: string; purpose: string }) =>
      new Promise<void>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const tx = req.result.transaction('meta', 'readwrite');
          tx.objectStore('meta').put(input);
          tx.oncomplete = () => {
            req.result.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    { name, alg, purpose },
  );
}

/** An envelope sealed in Node (docs/formats.md) under `bytes`, the planted value of `key`. */
function nodeEnvelope(key: Key, bytes: Uint8Array): Uint8Array {
  return sealEnvelopeNode({
    kek: bytes,
    mechanism: key.alg === 'A256KW' ? 1 : 2,
    keyId: key.id,
    plaintext: te.encode('x'),
  });
}

/** An X25519 key pair of the page (here: Node), and its public JWK. */
function pagePair(): { privateKey: KeyObject; jwk: JsonWebKey } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  return { privateKey, jwk: { kty, crv, x } };
}

/**
 * A KEK the page can compute: `agree` between an enclave X25519 key and the page's own pair.
 * Returns the enclave's derived key and the bytes the page computes for it.
 */
async function pageKnowableKek(
  ctx: CoreContext,
  alg: 'A256GCM' | 'A256KW',
): Promise<{ kek: Key; bytes: Buffer }> {
  const mine = await make(ctx, { alg: 'X25519', purpose: 'agree' });
  const page = pagePair();
  const info = 'attacker kek';
  const kek = await call<Key>(ctx.page, 'agree', mine.id, page.jwk, { info, alg, purpose: 'wrap' });
  const bytes = hkdf32(
    nodeEcdh(page.privateKey, mine.publicJwk as JsonWebKey),
    new Uint8Array(0),
    info,
  );
  return { kek, bytes };
}

/**
 * The operations whose key must have a purpose that allows them, and a call of each that
 * succeeds for the right key (or, for an export, reaches the person's consent).
 */
type Use = (ctx: CoreContext, key: Key, fixtures: Fixtures) => Promise<unknown>;
interface Fixtures {
  envelope: Map<string, Uint8Array>;
  exportable: Key;
  wrapped: Map<string, Uint8Array>;
  jwe: Map<string, string>;
  peer: Map<string, JsonWebKey>;
}

/** The codes that mean a call passed the policy's checks and reached the consent question. */
const CONSENT_REACHED = ['CONSENT_NOT_VISIBLE', 'CONSENT_TIMEOUT'];

/**
 * Call an operation that asks the person. The table test keeps one consent dialog open while
 * it makes these calls, so a call the policy lets through is answered `CONSENT_NOT_VISIBLE` at
 * once (one question at a time per channel), or `CONSENT_TIMEOUT` if that dialog ended first:
 * both mean the call got past every check before the question. Any other refusal is thrown.
 */
async function reachesConsent(ctx: CoreContext, op: string, ...args: unknown[]): Promise<string> {
  const err = await callError(ctx.page, op, ...args);
  if (err.isStrongroomError && CONSENT_REACHED.includes(err.code ?? '')) return 'asked';
  throw new HarnessError(err);
}

const USES: Record<string, Use> = {
  sign: (ctx, key) => call(ctx.page, 'sign', key.id, te.encode('data')),
  verify: (ctx, key) => call(ctx.page, 'verify', key.id, te.encode('data'), new Uint8Array(64)),
  signJwt: (ctx, key) => call(ctx.page, 'signJwt', key.id, { claims: {}, expiresIn: 60 }),
  vapidAuth: (ctx, key) =>
    call(ctx.page, 'vapidAuth', key.id, { audience: PUSH, subject: CONTACT, expiresIn: 60 }),
  applicationServerKey: (ctx, key) => call(ctx.page, 'applicationServerKey', key.id),
  seal: (ctx, key) => call(ctx.page, 'seal', key.id, te.encode('data')),
  open: (ctx, key, f) =>
    call(ctx.page, 'open', f.envelope.get(key.id) ?? new Uint8Array(64), { keyId: key.id }),
  wrapKey: (ctx, key, f) => reachesConsent(ctx, 'wrapKey', key.id, f.exportable.id),
  unwrapKey: (ctx, key, f) =>
    call(ctx.page, 'unwrapKey', key.id, f.wrapped.get(key.id) ?? new Uint8Array(40), {
      alg: 'A256GCM',
      purpose: 'seal',
    }),
  agree: (ctx, key, f) =>
    call(ctx.page, 'agree', key.id, f.peer.get(key.alg) ?? f.peer.get('X25519'), {
      info: 'table',
      alg: 'A256GCM',
    }),
  decryptJwe: (ctx, key, f) =>
    call(ctx.page, 'decryptJwe', key.id, f.jwe.get(key.id) ?? 'a.b.c.d.e'),
};

/** docs/policy.md's table: which operations each purpose allows. */
const ALLOWED: Record<string, string[]> = {
  sign: ['sign', 'verify'],
  jwt: ['signJwt', 'verify'],
  vapid: ['vapidAuth', 'applicationServerKey', 'verify'],
  mac: ['sign', 'verify'],
  seal: ['seal', 'open'],
  wrap: ['wrapKey', 'unwrapKey'],
  agree: ['agree'],
  jwe: ['decryptJwe'],
};

/**
 * The operations that name a key and work the same on a key of every purpose (docs/policy.md):
 * reading it, its public key, and its life cycle. Each is called on every key of the table test
 * (in this order: the last ones end the key's life) and must do what it does for every purpose.
 * `exportBackup` and `destroyKey` ask the person: they must reach the question.
 */
const ANY_PURPOSE: Record<string, Use> = {
  getKey: async (ctx, key) => {
    const info = await call<Key>(ctx.page, 'getKey', key.id);
    expect(info.purpose).toBe(key.purpose);
    return info;
  },
  publicKey: async (ctx, key) => {
    // A public key is public: `getKey`/`listKeys` show it to the page for every purpose, so
    // `publicKey` checks no purpose (`applicationServerKey`, the push form, is a vapid key's
    // use and is in the table above). A secret key has none, whatever its purpose.
    if (key.publicJwk === null) {
      const err = await callError(ctx.page, 'publicKey', key.id, 'raw');
      expectCode(err, 'OPERATION_NOT_ALLOWED');
      expect(err.message).toMatch(/has no public key/);
      return 'none';
    }
    expect(await call(ctx.page, 'publicKey', key.id)).toEqual(key.publicJwk);
    return call<Uint8Array>(ctx.page, 'publicKey', key.id, 'raw');
  },
  restrictKey: async (ctx, key) => {
    const narrowed = await call<Key>(ctx.page, 'restrictKey', key.id, { usesPerMinute: 500 });
    expect(narrowed.policy.usesPerMinute).toBe(500);
    return narrowed;
  },
  exportBackup: (ctx, key) => reachesConsent(ctx, 'exportBackup', { keys: [key.id] }),
  destroyKey: (ctx, key) => reachesConsent(ctx, 'destroyKey', key.id),
  rotateKey: async (ctx, key) => {
    const rotated = await call<Key>(ctx.page, 'rotateKey', key.id);
    expect(rotated.version).toBe(2);
    return rotated;
  },
  deleteKey: async (ctx, key) => {
    expect((await call<Key>(ctx.page, 'deleteKey', key.id)).state).toBe('pending-deletion');
    return 'scheduled';
  },
  cancelDeletion: async (ctx, key) => {
    expect((await call<Key>(ctx.page, 'cancelDeletion', key.id)).state).toBe('active');
    return 'cancelled';
  },
  scheduleDeletion: async (ctx, key) => {
    const scheduled = await call<Key>(ctx.page, 'scheduleDeletion', key.id, { days: 1 });
    expect(scheduled.state).toBe('pending-deletion');
    expect((await call<Key>(ctx.page, 'cancelDeletion', key.id)).state).toBe('active');
    return scheduled;
  },
  revokeKey: async (ctx, key) => {
    expect((await call<Key>(ctx.page, 'revokeKey', key.id)).state).toBe('revoked');
    return 'revoked';
  },
};

/**
 * The operations that name no key of the caller, so no purpose can apply: the origin's own
 * state (`info`, `listKeys`, the audit log, the vault, backups in), a new key (`generateKey`),
 * every key at once (`resetEnclave`). `encryptJwe` names a recipient's public JWK, not a key of
 * the caller: the table test calls it with each key's public JWK (it depends on the key type,
 * never on the purpose: the page could compute the same JWE itself).
 */
const NO_KEY: readonly string[] = [
  'info',
  'generateKey',
  'listKeys',
  'resetEnclave',
  'auditLog',
  'verifyAuditLog',
  'auditAnchor',
  'enableVault',
  'disableVault',
  'unlock',
  'lock',
  'addUnlockMethod',
  'removeUnlockMethod',
  'importBackup',
];

const PURPOSE_ALGS: Record<string, string[]> = {
  sign: ['ES256', 'EdDSA'],
  jwt: ['ES256', 'EdDSA'],
  vapid: ['ES256'],
  mac: ['HS256'],
  seal: ['A256GCM', 'A256KW'],
  wrap: ['A256GCM', 'A256KW'],
  agree: ['X25519', 'ECDH-ES'],
  jwe: ['X25519', 'ECDH-ES'],
};

/** The policy suites. */
export const POLICY: readonly CoreSuite[] = [
  {
    describe: 'when a compromised app page attacks the key policy',
    tests: [
      {
        name: 'a token key never signs raw bytes: no JWT or VAPID token outside the token rules',
        async run(ctx) {
          await connected(ctx);
          const ed = await make(ctx, { alg: 'EdDSA', purpose: 'jwt', maxTokenLifetime: 60 });
          const es = await make(ctx, { alg: 'ES256', purpose: 'jwt' });
          const vapid = await make(ctx, { alg: 'ES256', purpose: 'vapid' });
          const before = await state(ctx);
          // The page assembles header.payload itself: a 10-year token, one with jku/crit and no exp.
          const now = Math.floor(Date.now() / 1000);
          const forged = [
            [ed, { alg: 'EdDSA', kid: ed.kid }, { sub: 'x', exp: now + 10 * 365 * 86400 }],
            [
              es,
              { alg: 'ES256', kid: es.kid, jku: 'https://evil.example', crit: ['x'] },
              { sub: 'x' },
            ],
            [
              vapid,
              { typ: 'JWT', alg: 'ES256' },
              { aud: PUSH, sub: CONTACT, exp: now + 30 * 86400 },
            ],
          ] as const;
          for (const [key, header, claims] of forged) {
            const input = `${b64u.encode(te.encode(JSON.stringify(header)))}.${b64u.encode(te.encode(JSON.stringify(claims)))}`;
            expectCode(
              await callError(ctx.page, 'sign', key.id, te.encode(input)),
              'OPERATION_NOT_ALLOWED',
            );
          }
          // The token operations themselves keep to the rules.
          expectCode(
            await callError(ctx.page, 'signJwt', ed.id, { claims: {}, expiresIn: 61 }),
            'OPERATION_NOT_ALLOWED',
          );
          expectCode(
            await callError(ctx.page, 'vapidAuth', vapid.id, {
              audience: PUSH,
              subject: CONTACT,
              expiresIn: 30 * 86400,
            }),
            'OPERATION_NOT_ALLOWED',
          );
          // An HMAC key is not a token key either: it answers sign (a MAC), never signJwt.
          const mac = await make(ctx, { alg: 'HS256', purpose: 'mac' });
          expectCode(
            await callError(ctx.page, 'signJwt', mac.id, { claims: {}, expiresIn: 60 }),
            'OPERATION_NOT_ALLOWED',
          );
          const after = (await state(ctx)) as { stored: { id: string }[] };
          // Nothing changed but the new mac key.
          expect({
            ...after,
            stored: after.stored.filter((k) => k.id !== mac.id),
            usage: (after as unknown as { usage: [string, number][] }).usage.filter(
              ([id]) => id !== mac.id,
            ),
          }).toEqual(before);
        },
      },
      {
        name: 'an exportable key never leaves under a KEK the page can compute',
        async run(ctx) {
          await connected(ctx);
          const target = await make(ctx, { alg: 'A256GCM', purpose: 'seal', exportable: true });
          for (const alg of ['A256KW', 'A256GCM'] as const) {
            const { kek } = await pageKnowableKek(ctx, alg);
            expect(kek.provenance).toMatchObject({ source: 'derived', pageKnowable: true });
            const before = await state(ctx);
            expectCode(
              await callError(ctx.page, 'wrapKey', kek.id, target.id),
              'OPERATION_NOT_ALLOWED',
            );
            expect(await state(ctx)).toEqual(before);
          }
          // The control: under a KEK generated in the enclave, the export is allowed (up to the
          // person's consent, which it asks for).
          const kek = await make(ctx, { alg: 'A256KW', purpose: 'wrap' });
          expect(kek.provenance).toEqual({ source: 'generated', pageKnowable: false });
          const exported = await approvedOrAsked(ctx, 'wrapKey', kek.id, target.id);
          if (exported.approved) expect((exported.value as Uint8Array).byteLength).toBe(40);
        },
      },
      {
        name: 'the page cannot plant a key pair it knows, and what it imports is marked imported',
        async run(ctx) {
          await connected(ctx);
          const { kek, bytes } = await pageKnowableKek(ctx, 'A256GCM');
          // An Ed25519 identity the page generated, wrapped under the KEK it computed.
          const { privateKey } = generateKeyPairSync('ed25519');
          const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
          const wrapped = gcmWrapNode(bytes, 'EdDSA', pkcs8);
          const before = await state(ctx);
          expectCode(
            await callError(ctx.page, 'unwrapKey', kek.id, wrapped, {
              alg: 'EdDSA',
              purpose: 'sign',
            }),
            'OPERATION_NOT_ALLOWED',
          );
          expect(await state(ctx)).toEqual(before);
          // A secret key imports, but says where it came from.
          const secret = gcmWrapNode(bytes, 'A256GCM', new Uint8Array(32).fill(7));
          const imported = await call<Key>(ctx.page, 'unwrapKey', kek.id, secret, {
            alg: 'A256GCM',
            purpose: 'seal',
          });
          expect(imported.provenance).toEqual({
            source: 'imported',
            from: { keyId: kek.id, source: 'derived' },
            pageKnowable: true,
          });
          // An imported KEK is page-knowable too: it imports no pair and exports nothing.
          const importedKek = await call<Key>(
            ctx.page,
            'unwrapKey',
            kek.id,
            gcmWrapNode(bytes, 'A256KW', new Uint8Array(32).fill(9)),
            { alg: 'A256KW', purpose: 'wrap' },
          );
          const target = await make(ctx, { alg: 'A256GCM', purpose: 'seal', exportable: true });
          const beforeExport = await state(ctx);
          expectCode(
            await callError(ctx.page, 'wrapKey', importedKek.id, target.id),
            'OPERATION_NOT_ALLOWED',
          );
          expect(await state(ctx)).toEqual(beforeExport);
          // And an identity key cannot be destroyed at once to make room for a substitute.
          const identity = await make(ctx, { alg: 'EdDSA', purpose: 'sign' });
          const deleted = await call<Key>(ctx.page, 'deleteKey', identity.id);
          expect(deleted.state).toBe('pending-deletion');
          await call(ctx.page, 'cancelDeletion', identity.id);
          await call(ctx.page, 'sign', identity.id, te.encode('still here'));
        },
      },
      {
        name: 'a key pair is never imported under a KEK the page may know: imported, restored or migrated',
        async run(ctx) {
          await connected(ctx);
          const { privateKey } = generateKeyPairSync('ed25519');
          const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
          const pair = { alg: 'EdDSA', purpose: 'sign' };
          // A KEK generated here whose value the test holds (as a restored backup KEK would be).
          const base = await make(ctx, { alg: 'A256GCM', purpose: 'wrap' });
          const baseBytes = new Uint8Array(32).fill(11);
          await plantKek(ctx, base.id, 'AES-GCM', baseBytes);
          // An A256GCM KEK imported under it, whose value the page chose: page-knowable.
          const knownBytes = new Uint8Array(32).fill(12);
          const imported = await call<Key>(
            ctx.page,
            'unwrapKey',
            base.id,
            gcmWrapNode(baseBytes, 'A256GCM', knownBytes),
            { alg: 'A256GCM', purpose: 'wrap' },
          );
          expect(imported.provenance).toMatchObject({ source: 'imported', pageKnowable: true });
          // Two KEKs as a restored backup and a migrated keystore leave them (the provenance
          // written in the record from inside the enclave frame, as importBackup and the v1/v2
          // migration write it).
          const marked: Key[] = [];
          for (const source of ['restored', 'migrated'] as const) {
            const key = await make(ctx, { alg: 'A256GCM', purpose: 'wrap' });
            await plantKek(ctx, key.id, 'AES-GCM', knownBytes);
            await enclaveFrame(ctx.page, ctx.urls.enclave).evaluate(
              (input: { id: string; source: string }) =>
                new Promise<void>((resolve, reject) => {
                  const req = indexedDB.open('strongroom');
                  req.onerror = () => reject(req.error);
                  req.onsuccess = () => {
                    const db = req.result;
                    const tx = db.transaction('keys', 'readwrite');
                    const store = tx.objectStore('keys');
                    const get = store.get(input.id);
                    get.onsuccess = () =>
                      store.put({ ...get.result, provenance: { source: input.source } });
                    tx.oncomplete = () => {
                      db.close();
                      resolve();
                    };
                    tx.onerror = () => reject(tx.error);
                  };
                }),
              { id: key.id, source },
            );
            marked.push(key);
          }
          await ctx.page.reload();
          await connected(ctx);
          for (const [kek, source] of [
            [imported, 'imported'],
            [marked[0] as Key, 'restored'],
            [marked[1] as Key, 'migrated'],
          ] as const) {
            expect((await call<Key>(ctx.page, 'getKey', kek.id)).provenance).toMatchObject({
              source,
              pageKnowable: true,
            });
            const before = await state(ctx);
            const err = await callError(
              ctx.page,
              'unwrapKey',
              kek.id,
              gcmWrapNode(knownBytes, 'EdDSA', pkcs8),
              pair,
            );
            expectCode(err, 'OPERATION_NOT_ALLOWED');
            expect(err.message, source).toMatch(
              /key pairs are imported only under a KEK generated/,
            );
            expect(await state(ctx)).toEqual(before);
          }
          // The control: under the KEK generated here, the same pair gets as far as the person.
          const control = await approvedOrAsked(
            ctx,
            'unwrapKey',
            base.id,
            gcmWrapNode(baseBytes, 'EdDSA', pkcs8),
            pair,
          );
          if (control.approved) {
            expect(control.value).toMatchObject({
              alg: 'EdDSA',
              provenance: { source: 'imported' },
            });
          }
        },
      },
      {
        name: 'an exported key re-imports only as the algorithm and purpose it was exported as',
        async run(ctx) {
          await connected(ctx);
          const kek = await make(ctx, { alg: 'A256KW', purpose: 'wrap' });
          // Without an export (which asks the person, and automated input cannot answer in
          // Firefox cross-site): the KEK's value is planted, a secret is wrapped in Node, and the
          // enclave's memory of the export (`wrapped:<sha-256>` in meta, as `wrapKey` writes it)
          // is written from the enclave frame. Where the test can click, a real export follows
          // (not in WebKitGTK: there, same-site, the click left the question unanswered —
          // CONSENT_TIMEOUT — in this test; not investigated, the planted path covers it).
          const kekBytes = new Uint8Array(32).fill(9);
          await plantKek(ctx, kek.id, 'AES-KW', kekBytes);
          const planted = new Uint8Array(aesKw(kekBytes, new Uint8Array(32).fill(10)));
          await rememberExport(ctx, planted, 'A256KW', 'wrap');
          const exports: Uint8Array[] = [planted];
          if (canClick(ctx) && ctx.browserName !== 'webkit') {
            const secret = await make(ctx, { alg: 'A256KW', purpose: 'wrap', exportable: true });
            const real = await approvedOrAsked(ctx, 'wrapKey', kek.id, secret.id);
            exports.push(real.value as Uint8Array);
          }
          for (const wrapped of exports) {
            const before = await state(ctx);
            for (const options of [
              { alg: 'HS256', purpose: 'mac' },
              { alg: 'A256GCM', purpose: 'seal' },
              { alg: 'A256KW', purpose: 'seal' },
            ]) {
              expectCode(
                await callError(ctx.page, 'unwrapKey', kek.id, wrapped, options),
                'OPERATION_NOT_ALLOWED',
              );
            }
            expect(await state(ctx)).toEqual(before);
            const back = await call<Key>(ctx.page, 'unwrapKey', kek.id, wrapped, {
              alg: 'A256KW',
              purpose: 'wrap',
            });
            expect(back).toMatchObject({ alg: 'A256KW', purpose: 'wrap' });
          }
          // The control: bytes the enclave never exported import as another algorithm, so the
          // refusals above come from the memory of the export.
          const unknown = new Uint8Array(aesKw(kekBytes, new Uint8Array(32).fill(11)));
          const other = await call<Key>(ctx.page, 'unwrapKey', kek.id, unknown, {
            alg: 'HS256',
            purpose: 'mac',
          });
          expect(other).toMatchObject({ alg: 'HS256', purpose: 'mac' });
        },
      },
    ],
  },
  {
    describe: 'when keys have purposes',
    tests: [
      {
        name: 'each operation works with exactly the purposes of the table, and creation checks the algorithm',
        // Some 300 calls and one consent question left to time out (8 s in test builds).
        timeoutMs: 240_000,
        async run(ctx) {
          await connected(ctx);
          // Every operation of the wire contract is placed: checked per purpose, the same for
          // every purpose, encryptJwe (by key type), or naming no key. A new one fails here.
          expect(
            [...Object.keys(USES), ...Object.keys(ANY_PURPOSE), 'encryptJwe', ...NO_KEY].sort(),
          ).toEqual([...OPERATION_NAMES].sort());
          expect(Object.keys(ALLOWED).sort()).toEqual([...KEY_PURPOSES].sort());
          // Creation: every purpose × algorithm pair.
          for (const [purpose, algs] of Object.entries(PURPOSE_ALGS)) {
            for (const alg of [
              'ES256',
              'EdDSA',
              'X25519',
              'ECDH-ES',
              'A256GCM',
              'A256KW',
              'HS256',
            ]) {
              if (algs.includes(alg)) continue;
              expectCode(
                await callError(ctx.page, 'generateKey', { alg, purpose }),
                'INVALID_ARGUMENT',
              );
            }
          }
          expectCode(
            await callError(ctx.page, 'generateKey', { alg: 'EdDSA' }),
            'INVALID_ARGUMENT',
          );

          // A key of every purpose in every algorithm it takes (backup: true, so that
          // exportBackup may name it).
          const keys: Key[] = [];
          for (const [purpose, algs] of Object.entries(PURPOSE_ALGS)) {
            for (const alg of algs) {
              const key = await make(ctx, { alg, purpose, backup: true });
              expect(key.purpose).toBe(purpose);
              keys.push(key);
            }
          }
          const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
            format: 'jwk',
          });
          const fixtures: Fixtures = {
            envelope: new Map(),
            exportable: await make(ctx, { alg: 'A256GCM', purpose: 'seal', exportable: true }),
            wrapped: new Map(),
            jwe: new Map(),
            peer: new Map([
              ['X25519', pagePair().jwk],
              ['ECDH-ES', { kty: p256.kty, crv: p256.crv, x: p256.x, y: p256.y }],
            ]),
          };
          // The wrap keys' values are planted (as a restored backup KEK would be), so that the
          // test can wrap a secret for them without an export (which would ask the person).
          for (const [i, key] of keys.filter((k) => k.purpose === 'wrap').entries()) {
            const bytes = new Uint8Array(32).fill(5 + i);
            const secret = new Uint8Array(32).fill(6);
            if (key.alg === 'A256KW') {
              await plantKek(ctx, key.id, 'AES-KW', bytes);
              fixtures.wrapped.set(key.id, new Uint8Array(aesKw(bytes, secret)));
            } else {
              await plantKek(ctx, key.id, 'AES-GCM', bytes);
              fixtures.wrapped.set(key.id, gcmWrapNode(bytes, 'A256GCM', secret));
            }
            // A valid envelope under the wrap key's value: `open` gets past the envelope's
            // parsing and would open it, so only the purpose check can refuse it.
            fixtures.envelope.set(key.id, nodeEnvelope(key, bytes));
          }
          // The control: a seal key whose value is planted opens the same kind of envelope.
          for (const alg of ['A256KW', 'A256GCM'] as const) {
            const control = await make(ctx, { alg, purpose: 'seal' });
            const bytes = new Uint8Array(32).fill(12);
            await plantKek(ctx, control.id, alg === 'A256KW' ? 'AES-KW' : 'AES-GCM', bytes);
            const opened = await call<Uint8Array>(ctx.page, 'open', nodeEnvelope(control, bytes), {
              keyId: control.id,
            });
            expect(td.decode(opened), `open of a Node envelope with a seal ${alg} key`).toBe('x');
          }
          for (const key of keys) {
            if (key.purpose === 'seal') {
              fixtures.envelope.set(key.id, await call(ctx.page, 'seal', key.id, te.encode('x')));
            }
            if (key.purpose === 'jwe') {
              fixtures.jwe.set(
                key.id,
                await call(ctx.page, 'encryptJwe', key.publicJwk, te.encode('to the jwe key')),
              );
            }
          }

          // While one consent dialog is open, a call that reaches the question is answered at
          // once (see reachesConsent): open one, on a key of its own.
          const holder = await make(ctx, { alg: 'HS256', purpose: 'mac' });
          const ticket = await start(ctx.page, 'destroyKey', holder.id);
          await dialogOpen(ctx);

          for (const key of keys) {
            const { purpose } = key;
            for (const [operation, use] of Object.entries(USES)) {
              const allowed = (ALLOWED[purpose] ?? []).includes(operation);
              const label = `${operation} with a "${purpose}" ${key.alg} key`;
              if (allowed) {
                await expect(use(ctx, key, fixtures), label).resolves.not.toBeUndefined();
              } else {
                let err: ErrorView | null = null;
                try {
                  await use(ctx, key, fixtures);
                } catch (e) {
                  err = (e as { view: ErrorView }).view;
                }
                expect(err, label).not.toBeNull();
                // `open` is opaque by design: every failure is DECRYPTION_FAILED.
                expect(err, label).toMatchObject({
                  code: operation === 'open' ? 'DECRYPTION_FAILED' : 'OPERATION_NOT_ALLOWED',
                  isStrongroomError: true,
                });
              }
            }
            // encryptJwe takes a public JWK: what it accepts depends on the key type only
            // (X25519 and P-256 ECDH keys; a signing key's JWK names its alg), never on the
            // purpose; only a `jwe` key decrypts the result (decryptJwe above).
            if (key.alg === 'X25519' || key.alg === 'ECDH-ES') {
              const jwe = await call<string>(ctx.page, 'encryptJwe', key.publicJwk, te.encode('x'));
              if (purpose !== 'jwe') {
                expectCode(
                  await callError(ctx.page, 'decryptJwe', key.id, jwe),
                  'OPERATION_NOT_ALLOWED',
                );
              }
            } else {
              const err = await callError(
                ctx.page,
                'encryptJwe',
                key.publicJwk ?? {},
                te.encode('x'),
              );
              expect(err.code, `encryptJwe with a "${purpose}" ${key.alg} key`).not.toBe(
                'OPERATION_NOT_ALLOWED',
              );
            }
            for (const [operation, use] of Object.entries(ANY_PURPOSE)) {
              await expect(
                use(ctx, key, fixtures),
                `${operation} with a "${purpose}" ${key.alg} key`,
              ).resolves.not.toBeUndefined();
            }
          }
          // The holder's question ends unanswered, and nothing was destroyed or exported.
          expectError(await outcome(ctx.page, ticket), 'CONSENT_TIMEOUT');
          const listed = await call<Key[]>(ctx.page, 'listKeys');
          for (const key of keys) {
            expect(listed.find((k) => k.id === key.id)?.state, key.id).toBe('revoked');
          }
        },
      },
    ],
  },
  {
    describe: 'when a token key has a policy',
    tests: [
      {
        name: 'tokens outside the aud, iss and sub allowlists are refused before anything is signed',
        async run(ctx) {
          await connected(ctx);
          const relay = 'https://relay.example';
          const key = await make(ctx, {
            alg: 'ES256',
            purpose: 'jwt',
            audiences: [relay, 'https://other.example'],
            issuers: ['https://app.example'],
            subjects: ['user-42'],
          });
          expect(key.policy).toMatchObject({
            audiences: [relay, 'https://other.example'],
            issuers: ['https://app.example'],
            subjects: ['user-42'],
            vapidAudiences: null,
          });
          const good = { iss: 'https://app.example', sub: 'user-42', aud: relay };
          const before = await state(ctx);
          for (const claims of [
            { ...good, aud: 'https://evil.example' },
            { ...good, aud: [relay, 'https://evil.example'] },
            { iss: good.iss, sub: good.sub },
            { ...good, iss: 'https://evil.example' },
            { ...good, sub: 'user-43' },
            { aud: relay, sub: good.sub },
          ]) {
            expectCode(
              await callError(ctx.page, 'signJwt', key.id, { claims, expiresIn: 60 }),
              'OPERATION_NOT_ALLOWED',
            );
          }
          expect(await state(ctx)).toEqual(before);
          const token = await call<string>(ctx.page, 'signJwt', key.id, {
            claims: good,
            expiresIn: 60,
          });
          const jwk = await importJWK(key.publicJwk as never, 'ES256');
          await expect(jwtVerify(token, jwk, { audience: relay })).resolves.toBeTruthy();

          // VAPID: only the listed push services and contact.
          const vapid = await make(ctx, {
            alg: 'ES256',
            purpose: 'vapid',
            vapidAudiences: [PUSH],
            subjects: [CONTACT],
          });
          expectCode(
            await callError(ctx.page, 'vapidAuth', vapid.id, {
              audience: 'https://push.evil.example',
              subject: CONTACT,
            }),
            'OPERATION_NOT_ALLOWED',
          );
          expectCode(
            await callError(ctx.page, 'vapidAuth', vapid.id, {
              audience: PUSH,
              subject: 'mailto:evil@evil.example',
            }),
            'OPERATION_NOT_ALLOWED',
          );
          expect(
            await call<string>(ctx.page, 'vapidAuth', vapid.id, {
              audience: PUSH,
              subject: CONTACT,
            }),
          ).toMatch(/^vapid t=/);
          // Options that do not apply to the purpose are refused, not ignored.
          expectCode(
            await callError(ctx.page, 'generateKey', {
              alg: 'EdDSA',
              purpose: 'sign',
              audiences: [relay],
            }),
            'INVALID_ARGUMENT',
          );
        },
      },
      {
        name: 'the page cannot set a token’s alg, kid, crit, jku, iat or exp: the enclave sets them',
        async run(ctx) {
          await connected(ctx);
          const key = await make(ctx, { alg: 'ES256', purpose: 'jwt', maxTokenLifetime: 600 });
          const before = await state(ctx);
          for (const options of [
            { header: { alg: 'none' }, claims: {}, expiresIn: 60 },
            { header: { kid: 'other' }, claims: {}, expiresIn: 60 },
            { header: { crit: ['exp'] }, claims: {}, expiresIn: 60 },
            { header: { jku: 'https://evil.example/jwks' }, claims: {}, expiresIn: 60 },
            { claims: { exp: 9_999_999_999 }, expiresIn: 60 },
            { claims: { iat: 0 }, expiresIn: 60 },
            { claims: {} },
          ]) {
            expectCode(await callError(ctx.page, 'signJwt', key.id, options), 'INVALID_ARGUMENT');
          }
          expect(await state(ctx)).toEqual(before);
          // Whatever else the header says, alg and kid are the enclave's; iat and exp too.
          const t0 = Math.floor(Date.now() / 1000);
          const token = await call<string>(ctx.page, 'signJwt', key.id, {
            header: { typ: 'dpop+jwt' },
            claims: { sub: 'x' },
            expiresIn: 600,
          });
          expect(decodeProtectedHeader(token)).toEqual({
            typ: 'dpop+jwt',
            alg: 'ES256',
            kid: key.kid,
          });
          const { payload } = await jwtVerify(
            token,
            await importJWK(key.publicJwk as never, 'ES256'),
            { typ: 'dpop+jwt' },
          );
          expect(Math.abs((payload.iat ?? 0) - t0)).toBeLessThanOrEqual(5);
          expect(payload.exp).toBe((payload.iat ?? 0) + 600);
        },
      },
      {
        name: 'restrictKey narrows a policy and never widens it',
        async run(ctx) {
          await connected(ctx);
          const key = await make(ctx, {
            alg: 'EdDSA',
            purpose: 'jwt',
            maxTokenLifetime: 600,
            audiences: ['a', 'b'],
          });
          const narrowed = await call<Key>(ctx.page, 'restrictKey', key.id, {
            maxTokenLifetime: 300,
            audiences: ['a'],
            usesPerMinute: 100,
          });
          expect(narrowed.policy).toMatchObject({
            maxTokenLifetime: 300,
            audiences: ['a'],
            usesPerMinute: 100,
          });
          expect(narrowed.maxTokenLifetime).toBe(300);
          const before = await state(ctx);
          for (const wider of [
            { maxTokenLifetime: 301 },
            { audiences: ['a', 'b'] },
            { usesPerMinute: 101 },
          ]) {
            expectCode(
              await callError(ctx.page, 'restrictKey', key.id, wider),
              'OPERATION_NOT_ALLOWED',
            );
          }
          expectCode(await callError(ctx.page, 'restrictKey', key.id, {}), 'INVALID_ARGUMENT');
          expectCode(
            await callError(ctx.page, 'restrictKey', key.id, { vapidAudiences: [PUSH] }),
            'INVALID_ARGUMENT',
          );
          expect(await state(ctx)).toEqual(before);
          expectCode(
            await callError(ctx.page, 'signJwt', key.id, { claims: { aud: 'a' }, expiresIn: 301 }),
            'OPERATION_NOT_ALLOWED',
          );
          expectCode(
            await callError(ctx.page, 'signJwt', key.id, { claims: { aud: 'b' }, expiresIn: 60 }),
            'OPERATION_NOT_ALLOWED',
          );
          await call(ctx.page, 'signJwt', key.id, { claims: { aud: 'a' }, expiresIn: 300 });
        },
      },
    ],
  },
  {
    describe: 'when keys go through their life cycle',
    tests: [
      {
        name: 'after a rotation, old signatures verify, old envelopes open, and tokens carry the new kid',
        async run(ctx) {
          await connected(ctx);
          const data = te.encode('signed before the rotation');
          const signer = await make(ctx, { alg: 'EdDSA', purpose: 'sign' });
          const sealer = await make(ctx, { alg: 'A256KW', purpose: 'seal' });
          const jwt = await make(ctx, { alg: 'ES256', purpose: 'jwt' });
          const oldSignature = await call<Uint8Array>(ctx.page, 'sign', signer.id, data);
          const oldEnvelope = await call<Uint8Array>(ctx.page, 'seal', sealer.id, te.encode('v1'));
          const oldToken = await call<string>(ctx.page, 'signJwt', jwt.id, {
            claims: {},
            expiresIn: 60,
          });

          const rotated = await call<Key>(ctx.page, 'rotateKey', signer.id);
          expect(rotated).toMatchObject({ id: signer.id, version: 2, state: 'active' });
          expect(rotated.kid).not.toBe(signer.kid);
          expect(rotated.versions.map((v) => [v.version, v.state, v.kid])).toEqual([
            [2, 'primary', rotated.kid],
            [1, 'retired', signer.kid],
          ]);
          expect(rotated.versions[1]?.publicJwk).toEqual(signer.publicJwk);
          expect(await call(ctx.page, 'verify', signer.id, data, oldSignature)).toBe(true);
          const newSignature = await call<Uint8Array>(ctx.page, 'sign', signer.id, data);
          expect(await call(ctx.page, 'verify', signer.id, data, newSignature)).toBe(true);

          await call(ctx.page, 'rotateKey', sealer.id);
          expect(new TextDecoder().decode(await call(ctx.page, 'open', oldEnvelope))).toBe('v1');
          const newEnvelope = await call<Uint8Array>(ctx.page, 'seal', sealer.id, te.encode('v2'));
          // The envelope names the version that sealed it (docs/formats.md: after the key id).
          expect(newEnvelope[5 + (newEnvelope[4] ?? 0) + 3]).toBe(2);
          expect(new TextDecoder().decode(await call(ctx.page, 'open', newEnvelope))).toBe('v2');

          const jwt2 = await call<Key>(ctx.page, 'rotateKey', jwt.id);
          const newToken = await call<string>(ctx.page, 'signJwt', jwt.id, {
            claims: {},
            expiresIn: 60,
          });
          expect(decodeProtectedHeader(oldToken).kid).toBe(jwt.kid);
          expect(decodeProtectedHeader(newToken).kid).toBe(jwt2.kid);
          expect(jwt2.kid).not.toBe(jwt.kid);
          await jwtVerify(newToken, await importJWK(jwt2.publicJwk as never, 'ES256'));

          // Only keys generated here rotate.
          const { kek } = await pageKnowableKek(ctx, 'A256GCM');
          expectCode(await callError(ctx.page, 'rotateKey', kek.id), 'OPERATION_NOT_ALLOWED');
        },
      },
      {
        name: 'after a rotation, keys wrapped under the old version still unwrap, and JWEs to it still decrypt',
        async run(ctx) {
          await connected(ctx);
          const td = new TextDecoder();
          // A wrap KEK whose first version's value the test holds (planted, as a restored one).
          const kek = await make(ctx, { alg: 'A256GCM', purpose: 'wrap' });
          const v1Bytes = new Uint8Array(32).fill(21);
          await plantKek(ctx, kek.id, 'AES-GCM', v1Bytes);
          const secret = new Uint8Array(32).fill(22);
          const wrappedBefore = gcmWrapNode(v1Bytes, 'A256GCM', secret);
          const jweKey = await make(ctx, { alg: 'X25519', purpose: 'jwe' });
          const jweBefore = await call<string>(
            ctx.page,
            'encryptJwe',
            jweKey.publicJwk,
            te.encode('before'),
          );

          expect((await call<Key>(ctx.page, 'rotateKey', kek.id)).version).toBe(2);
          const rotatedJwe = await call<Key>(ctx.page, 'rotateKey', jweKey.id);
          expect(rotatedJwe.version).toBe(2);
          expect(rotatedJwe.publicJwk).not.toEqual(jweKey.publicJwk);

          // The retired KEK version still unwraps (unwrapKey tries every version).
          const imported = await call<Key>(ctx.page, 'unwrapKey', kek.id, wrappedBefore, {
            alg: 'A256GCM',
            purpose: 'seal',
          });
          // The imported key is the wrapped secret: an envelope sealed with it under that value
          // opens in Node.
          const envelope = await call<Uint8Array>(ctx.page, 'seal', imported.id, te.encode('x'));
          expect(td.decode(openEnvelopeNode(envelope, secret) as Uint8Array)).toBe('x');
          // The retired JWE version still decrypts; the new one decrypts what is sent to it.
          const before = await call<{ plaintext: Uint8Array }>(
            ctx.page,
            'decryptJwe',
            jweKey.id,
            jweBefore,
          );
          expect(td.decode(before.plaintext)).toBe('before');
          const jweAfter = await call<string>(
            ctx.page,
            'encryptJwe',
            rotatedJwe.publicJwk,
            te.encode('after'),
          );
          const after = await call<{ plaintext: Uint8Array }>(
            ctx.page,
            'decryptJwe',
            jweKey.id,
            jweAfter,
          );
          expect(td.decode(after.plaintext)).toBe('after');
        },
      },
      {
        name: 'a state change that fails after its write leaves the old state, and the key usable',
        async run(ctx) {
          await connected(ctx);
          const frame = enclaveFrame(ctx.page, ctx.urls.enclave);
          const data = te.encode('before the failure');
          const key = await make(ctx, { alg: 'EdDSA', purpose: 'sign' });
          const signature = await call<Uint8Array>(ctx.page, 'sign', key.id, data);
          // Dev-only seam (enclave/src/dev-seams.test.ts: absent from release builds): every
          // change of a key record fails inside its transaction, after the new record is written.
          await setMeta(frame, 'dev:fail-update', true);
          const before = await state(ctx);
          for (const [op, ...args] of [
            ['rotateKey', key.id],
            ['revokeKey', key.id],
            ['scheduleDeletion', key.id, { days: 1 }],
            ['deleteKey', key.id],
            ['restrictKey', key.id, { usesPerMinute: 10 }],
          ] as const) {
            expectCode(await callError(ctx.page, op, ...args), 'INTERNAL_ERROR');
            // Nothing of the change is stored: same version, state, policy; the key still works.
            expect(await state(ctx), op).toEqual(before);
          }
          const info = await call<Key>(ctx.page, 'getKey', key.id);
          expect(info).toMatchObject({ version: 1, state: 'active', kid: key.kid });
          expect(info.policy.usesPerMinute).toBe(key.policy.usesPerMinute);
          expect(await call(ctx.page, 'verify', key.id, data, signature)).toBe(true);
          await call(ctx.page, 'sign', key.id, data);
          // The control: without the seam, the same change is made.
          await setMeta(frame, 'dev:fail-update', false);
          expect((await call<Key>(ctx.page, 'rotateKey', key.id)).version).toBe(2);
          expect(await call(ctx.page, 'verify', key.id, data, signature)).toBe(true);
        },
      },
      {
        name: 'a revoked key refuses everything, for ever, and stays listed',
        async run(ctx) {
          await connected(ctx);
          const key = await make(ctx, { alg: 'EdDSA', purpose: 'sign' });
          const revoked = await call<Key>(ctx.page, 'revokeKey', key.id);
          expect(revoked.state).toBe('revoked');
          const before = await state(ctx);
          expectCode(
            await callError(ctx.page, 'sign', key.id, te.encode('x')),
            'OPERATION_NOT_ALLOWED',
          );
          expectCode(
            await callError(ctx.page, 'verify', key.id, te.encode('x'), new Uint8Array(64)),
            'OPERATION_NOT_ALLOWED',
          );
          expectCode(await callError(ctx.page, 'rotateKey', key.id), 'OPERATION_NOT_ALLOWED');
          expectCode(
            await callError(ctx.page, 'restrictKey', key.id, { usesPerMinute: 1 }),
            'OPERATION_NOT_ALLOWED',
          );
          expectCode(await callError(ctx.page, 'cancelDeletion', key.id), 'OPERATION_NOT_ALLOWED');
          expect(await state(ctx)).toEqual(before);
          const listed = await call<Key[]>(ctx.page, 'listKeys');
          expect(listed.find((k) => k.id === key.id)?.state).toBe('revoked');
          expect((await call<Key>(ctx.page, 'getKey', key.id)).publicJwk).toEqual(key.publicJwk);
          // Deletion is the one way on; cancelling it returns to revoked, not active.
          await call(ctx.page, 'scheduleDeletion', key.id, { days: 1 });
          expect((await call<Key>(ctx.page, 'cancelDeletion', key.id)).state).toBe('revoked');
        },
      },
      {
        name: 'a scheduled deletion can be cancelled in its window; after it the key and its data are gone',
        async run(ctx) {
          await connected(ctx);
          const frame = enclaveFrame(ctx.page, ctx.urls.enclave);
          for (const days of [0, 31, 1.5, '7']) {
            expectCode(
              await callError(ctx.page, 'scheduleDeletion', 'AAAAAAAAAAAAAAAAAAAAAA', { days }),
              'INVALID_ARGUMENT',
            );
          }
          const key = await make(ctx, { alg: 'A256GCM', purpose: 'seal' });
          const envelope = await call<Uint8Array>(ctx.page, 'seal', key.id, te.encode('kept'));
          const scheduled = await call<Key>(ctx.page, 'scheduleDeletion', key.id, { days: 2 });
          expect(scheduled.state).toBe('pending-deletion');
          expect(scheduled.deletion?.destroyAt).toBe(
            (scheduled.deletion?.scheduledAt ?? 0) + 2 * DAY_MS,
          );
          expectCode(
            await callError(ctx.page, 'seal', key.id, te.encode('x')),
            'OPERATION_NOT_ALLOWED',
          );
          expectCode(
            await callError(ctx.page, 'scheduleDeletion', key.id, { days: 1 }),
            'OPERATION_NOT_ALLOWED',
          );
          // Within the window: cancel, and the data opens again.
          await advanceClock(frame, DAY_MS);
          expect((await call<Key>(ctx.page, 'cancelDeletion', key.id)).state).toBe('active');
          expect(new TextDecoder().decode(await call(ctx.page, 'open', envelope))).toBe('kept');

          // After the window: gone on use, from the list and from IndexedDB.
          await call(ctx.page, 'scheduleDeletion', key.id, { days: 1 });
          await advanceClock(frame, 3 * DAY_MS);
          expectCode(await callError(ctx.page, 'cancelDeletion', key.id), 'KEY_NOT_FOUND');
          expectCode(await callError(ctx.page, 'open', envelope), 'DECRYPTION_FAILED');
          expect((await call<Key[]>(ctx.page, 'listKeys')).map((k) => k.id)).not.toContain(key.id);
          const stored = (await state(ctx)) as { stored: { id: string }[] };
          expect(stored.stored.map((k) => k.id)).not.toContain(key.id);

          // At start-up: a key whose date passed while no enclave ran is destroyed before use.
          const other = await make(ctx, { alg: 'EdDSA', purpose: 'sign' });
          await call(ctx.page, 'scheduleDeletion', other.id, { days: 1 });
          await advanceClock(frame, 5 * DAY_MS);
          await ctx.page.reload();
          await openHarness(ctx.page, ctx.urls.app);
          await connectHarness(ctx.page);
          await call(ctx.page, 'info');
          const afterRestart = (await state(ctx)) as { stored: { id: string }[] };
          expect(afterRestart.stored.map((k) => k.id)).not.toContain(other.id);
        },
      },
    ],
  },
  {
    describe: 'when the page calls too often',
    tests: [
      {
        name: "a key's uses per minute run out with RATE_LIMITED and a retry time, and recover",
        async run(ctx) {
          await connected(ctx);
          const info = await call<{ rateLimits: Record<string, number> }>(ctx.page, 'info');
          expect(info.rateLimits).toMatchObject({
            keyUsesPerMinute: 600,
            originUsesPerMinute: 3000,
            violationsPerMinute: 120,
          });
          // Three a minute: one token back every 20 s, so the bucket cannot refill during the test.
          const key = await make(ctx, { alg: 'HS256', purpose: 'mac', usesPerMinute: 3 });
          expect(key.policy.usesPerMinute).toBe(3);
          expectCode(
            await callError(ctx.page, 'generateKey', {
              alg: 'HS256',
              purpose: 'mac',
              usesPerMinute: 601,
            }),
            'INVALID_ARGUMENT',
          );
          const data = te.encode('x');
          for (let i = 0; i < 3; i++) await call(ctx.page, 'sign', key.id, data);
          const err = await callError(ctx.page, 'sign', key.id, data);
          expectCode(err, 'RATE_LIMITED');
          const retry = err.retryAfterMs ?? -1;
          expect(retry).toBeGreaterThan(0);
          expect(retry).toBeLessThanOrEqual(20_000);
          // The refused call did not count as a use.
          expect((await call<Key>(ctx.page, 'getKey', key.id)).usage.count).toBe(3);
          // Another key is not affected.
          const other = await make(ctx, { alg: 'HS256', purpose: 'mac' });
          await call(ctx.page, 'sign', other.id, data);
          // When the retry time has passed (the policy clock, moved forward), it works again.
          await advanceClock(enclaveFrame(ctx.page, ctx.urls.enclave), 20_000);
          await call(ctx.page, 'sign', key.id, data);
        },
      },
      {
        name: "the origin's uses per minute, over all its keys, run out with RATE_LIMITED and recover",
        async run(ctx) {
          await connected(ctx);
          // The default (3000) is lowered to 4 through the dev-only seam, then reconnect.
          await devLimits(ctx, { originUsesPerMinute: 4 });
          const a = await make(ctx, { alg: 'HS256', purpose: 'mac' });
          const b = await make(ctx, { alg: 'HS256', purpose: 'mac' });
          const c = await make(ctx, { alg: 'HS256', purpose: 'mac' });
          const data = te.encode('x');
          // Four uses spread over two keys: each key is far from its own limit (600).
          for (const key of [a, b, a, b]) await call(ctx.page, 'sign', key.id, data);
          for (const key of [a, c]) {
            const err = await callError(ctx.page, 'sign', key.id, data);
            expectCode(err, 'RATE_LIMITED');
            expect(err.retryAfterMs).toBeGreaterThan(0);
            expect(err.retryAfterMs).toBeLessThanOrEqual(15_000);
          }
          // Not counted as uses.
          expect((await call<Key>(ctx.page, 'getKey', c.id)).usage.count).toBe(0);
          // A minute later (the policy clock, moved forward) the origin's keys work again.
          await advanceClock(enclaveFrame(ctx.page, ctx.urls.enclave), 60_000);
          await call(ctx.page, 'sign', c.id, data);
          await call(ctx.page, 'sign', a.id, data);
        },
      },
      {
        name: 'key creations per minute run out with RATE_LIMITED, then recover',
        async run(ctx) {
          await connected(ctx);
          // The test build raises the limit for its quota test; lowered to 3 here (dev seam).
          await devLimits(ctx, { keyCreationsPerMinute: 3 });
          for (let i = 0; i < 3; i++) await make(ctx, { alg: 'HS256', purpose: 'mac' });
          const before = await state(ctx);
          for (const create of [
            () => callError(ctx.page, 'generateKey', { alg: 'EdDSA', purpose: 'sign' }),
            async () => {
              const first = (await call<Key[]>(ctx.page, 'listKeys'))[0] as Key;
              return callError(ctx.page, 'rotateKey', first.id);
            },
          ]) {
            const err = await create();
            expectCode(err, 'RATE_LIMITED');
            expect(err.retryAfterMs).toBeGreaterThan(0);
            expect(err.retryAfterMs).toBeLessThanOrEqual(20_000);
          }
          expect(await state(ctx)).toEqual(before);
          // One creation is back every 20 s.
          await advanceClock(enclaveFrame(ctx.page, ctx.urls.enclave), 20_000);
          await make(ctx, { alg: 'EdDSA', purpose: 'sign' });
          expectCode(
            await callError(ctx.page, 'generateKey', { alg: 'EdDSA', purpose: 'sign' }),
            'RATE_LIMITED',
          );
        },
      },
      {
        name: 'a channel that keeps sending refused requests is throttled, then recovers',
        async run(ctx) {
          await connected(ctx);
          const key = await make(ctx, { alg: 'EdDSA', purpose: 'sign' });
          const data = te.encode('x');
          // The bucket holds 120 and refills at 2 a second while the calls go on.
          let refused = 0;
          let throttledAfter = -1;
          for (let i = 0; i < 400 && throttledAfter < 0; i++) {
            const err = await callError(ctx.page, 'sign', 42, data);
            if (err.code === 'RATE_LIMITED') throttledAfter = refused;
            else expectCode(err, 'INVALID_ARGUMENT');
            refused += 1;
          }
          expect(throttledAfter).toBeGreaterThanOrEqual(120);
          const err = await callError(ctx.page, 'sign', key.id, data);
          expectCode(err, 'RATE_LIMITED');
          expect(err.retryAfterMs).toBeGreaterThan(0);
          // After a minute (the policy clock, moved forward), the channel works again.
          await advanceClock(enclaveFrame(ctx.page, ctx.urls.enclave), 60_000);
          await call(ctx.page, 'sign', key.id, data);
        },
      },
    ],
  },
];
