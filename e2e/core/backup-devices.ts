/**
 * Moving keys to a new device (issue 14 §7): the steps of a backup made in one browser profile
 * and restored in another, written once over {@link CoreContext} so the Playwright spec
 * (e2e/backup-devices.spec.ts: a fresh Chromium or Firefox profile, Chromium → Firefox) and the
 * WebKitGTK test (e2e/webkit/backup-devices.test.ts: Chromium → Firefox → WebKitGTK) run the
 * same checks. The source profile makes `backup: true` keys (EdDSA sign, ES256 jwt, A256GCM
 * seal rotated once, X25519 agree), uses them, and exports; the target profile imports with
 * the secret typed into the enclave's own dialog and must show the same ids, kids and versions,
 * verify and open what was made before, make signatures, tokens and agreements that the
 * original public keys and peers accept, and hold every private and secret key non-extractable,
 * as `KeyInfo` says and as the enclave origin's IndexedDB holds it.
 */
import {
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey as NodeJwk,
  verify,
} from 'node:crypto';
import { NEEDS_INPUT, outcome, start } from './consent';
import {
  type CoreContext,
  call,
  connectHarness,
  enclaveFrame,
  openHarness,
  sleep,
  waitFor,
} from './harness';
import { tryExportEveryKey } from './keystore';
import { expect } from './suite';
import { frameOf, NEW, withSecrets } from './vault';

/** The passphrase the person chooses for the backup (typed twice in the enclave). */
export const DEVICE_PASSPHRASE = 'a passphrase for the new laptop';
/** Longer than the dialog's minimum time before input counts (600 ms). */
const SETTLE_MS = 900;
const te = new TextEncoder();
const td = new TextDecoder();

/** Where automated input cannot reach the enclave frame (the restore needs typing). */
export { NEEDS_INPUT };

/** A key as `listKeys` shows it (the fields compared across profiles). */
export interface DeviceKey {
  id: string;
  kid: string;
  alg: string;
  purpose: string;
  version: number;
  publicJwk: JsonWebKey | null;
  extractable: boolean;
  backup: boolean;
  provenance: { source: string; pageKnowable: boolean; from?: { keyId: string; source: string } };
}

/**
 * What the source profile made, as plain JSON (it crosses processes and browsers): the keys,
 * and what was signed, sealed and agreed before the backup.
 */
export interface Made {
  sign: DeviceKey;
  jwt: DeviceKey;
  seal: DeviceKey;
  agree: DeviceKey;
  data: number[];
  /** EdDSA signature over `data` by `sign`. */
  signature: number[];
  /** `data` sealed under `seal` version 1, before its rotation. */
  envelope: number[];
  /** `data` sealed under the A256GCM key that `agree` derived with {@link Made.peer}. */
  agreedEnvelope: number[];
  /** The public key of the agreement's peer (an X25519 pair made in Node). */
  peer: { publicJwk: JsonWebKey };
}

const AGREE_INFO = 'strongroom e2e: moving devices';

/** Open the harness on the app origin and connect. */
export async function connected(ctx: CoreContext): Promise<void> {
  await openHarness(ctx.page, ctx.urls.app);
  await connectHarness(ctx.page);
}

function peerPublicJwk(): JsonWebKey {
  const { publicKey } = generateKeyPairSync('x25519');
  const { kty, crv, x } = publicKey.export({ format: 'jwk' });
  return { kty, crv, x };
}

/** In the source profile: make the keys, use them, rotate the seal key once. */
export async function makeKeys(ctx: CoreContext): Promise<Made> {
  const gen = (options: Record<string, unknown>) =>
    call<DeviceKey>(ctx.page, 'generateKey', { ...options, backup: true });
  const sign = await gen({ alg: 'EdDSA', purpose: 'sign', label: 'identity' });
  const jwt = await gen({ alg: 'ES256', purpose: 'jwt', label: 'session tokens' });
  let seal = await gen({ alg: 'A256GCM', purpose: 'seal', label: 'notes' });
  const agree = await gen({ alg: 'X25519', purpose: 'agree', label: 'pairing' });
  const data = te.encode('made on the old device');
  const signature = await call<Uint8Array>(ctx.page, 'sign', sign.id, data);
  const envelope = await call<Uint8Array>(ctx.page, 'seal', seal.id, data);
  seal = await call<DeviceKey>(ctx.page, 'rotateKey', seal.id);
  expect(seal.version).toBe(2);
  const peer = { publicJwk: peerPublicJwk() };
  const derived = await call<DeviceKey>(ctx.page, 'agree', agree.id, peer.publicJwk, {
    info: AGREE_INFO,
    alg: 'A256GCM',
  });
  const agreedEnvelope = await call<Uint8Array>(ctx.page, 'seal', derived.id, data);
  return {
    sign,
    jwt,
    seal,
    agree,
    data: Array.from(data),
    signature: Array.from(signature),
    envelope: Array.from(envelope),
    agreedEnvelope: Array.from(agreedEnvelope),
    peer,
  };
}

/** Export every backup key under a passphrase typed twice in the enclave. */
export async function exportWithPassphrase(ctx: CoreContext): Promise<Uint8Array> {
  const result = (await withSecrets(ctx, 'exportBackup', [{}], [NEW(DEVICE_PASSPHRASE)])) as {
    ok: boolean;
    value: Uint8Array;
  };
  expect(result.ok, JSON.stringify(result)).toBe(true);
  return result.value;
}

/**
 * Export under a recovery phrase: the enclave shows 24 words, the person (the test) reads them
 * in the enclave and types back the three it asks for. Returns the file and the words.
 */
export async function exportWithPhrase(
  ctx: CoreContext,
): Promise<{ file: Uint8Array; words: string[] }> {
  const ticket = await start(ctx.page, 'exportBackup', { secret: 'recovery-phrase' });
  const frame = frameOf(ctx);
  await waitFor(
    () => frame.evaluate(() => document.documentElement.dataset.secret ?? null),
    'open',
  );
  const shown = await frame.evaluate(() => ({
    words: Array.from(document.querySelectorAll('#secret-words li')).map(
      (li) => li.textContent ?? '',
    ),
    asked: Array.from(document.querySelectorAll('#secret input')).map((i) => i.id),
  }));
  expect(shown.words).toHaveLength(24);
  await sleep(SETTLE_MS);
  for (const id of shown.asked) {
    const position = Number(id.replace('secret-word-', '')) - 1;
    await frame.click(`#${id}`);
    await ctx.page.type(shown.words[position] ?? '');
  }
  await frame.click('#secret-submit');
  const exported = (await outcome(ctx.page, ticket, 30_000)) as { ok: boolean; value: Uint8Array };
  expect(exported.ok, JSON.stringify(exported)).toBe(true);
  return { file: exported.value, words: shown.words };
}

/**
 * In the target profile: import `file`, typing the passphrase or the 24 words into the
 * enclave's backup-secret dialog. Expects every key of `made` imported.
 */
export async function restore(
  ctx: CoreContext,
  made: Made,
  file: Uint8Array,
  secret: { passphrase: string } | { words: string[] },
): Promise<void> {
  expect(await call<DeviceKey[]>(ctx.page, 'listKeys'), 'the target profile starts empty').toEqual(
    [],
  );
  const values: Record<string, string> =
    'passphrase' in secret
      ? { 'secret-passphrase': secret.passphrase }
      : { 'secret-phrase': secret.words.join(' ') };
  const result = (await withSecrets(ctx, 'importBackup', [file], [values])) as {
    ok: boolean;
    value: { imported: string[]; skipped: string[]; replaced: string[] };
  };
  expect(result.ok, JSON.stringify(result)).toBe(true);
  expect([...result.value.imported].sort()).toEqual(
    [made.sign.id, made.jwt.id, made.seal.id, made.agree.id].sort(),
  );
  expect(result.value.skipped).toEqual([]);
}

/** Every `CryptoKey` in every object store of the enclave origin's database. */
interface StoredCryptoKey {
  store: string;
  path: string;
  type: string;
  algorithm: string;
  extractable: boolean;
}

function everyStoredCryptoKey(ctx: CoreContext): Promise<StoredCryptoKey[]> {
  return enclaveFrame(ctx.page, ctx.urls.enclave).evaluate(
    () =>
      new Promise<StoredCryptoKey[]>((resolve, reject) => {
        const req = indexedDB.open('strongroom');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const names = Array.from(db.objectStoreNames);
          const tx = db.transaction(names);
          const found: StoredCryptoKey[] = [];
          const walk = (store: string, path: string, value: unknown, depth: number): void => {
            if (value instanceof CryptoKey) {
              found.push({
                store,
                path,
                type: value.type,
                algorithm: value.algorithm.name,
                extractable: value.extractable,
              });
              return;
            }
            if (depth > 12 || value === null || typeof value !== 'object') return;
            if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
            for (const [k, v] of Object.entries(value)) walk(store, `${path}.${k}`, v, depth + 1);
          };
          for (const name of names) {
            const all = tx.objectStore(name).getAll();
            all.onsuccess = () => {
              for (const [i, row] of (all.result as unknown[]).entries()) {
                walk(name, `[${i}]`, row, 0);
              }
            };
          }
          tx.oncomplete = () => {
            db.close();
            resolve(found);
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}

/**
 * The restored private and secret keys are non-extractable at rest: each key record holds a
 * non-extractable `CryptoKey` that `exportKey` refuses in every format, or (an engine whose
 * IndexedDB cannot keep the algorithm: WebKit's X25519) only material wrapped under the storage
 * key; and no private or secret `CryptoKey` anywhere in the database is extractable (public
 * keys always are, by WebCrypto's rules).
 */
export async function expectNonExtractableAtRest(ctx: CoreContext, made: Made): Promise<void> {
  const verdicts = await tryExportEveryKey(enclaveFrame(ctx.page, ctx.urls.enclave));
  for (const key of [made.sign, made.jwt, made.seal, made.agree]) {
    const v = verdicts.find((r) => r.id === key.id);
    expect(v, `${ctx.browserName}: record of ${key.alg} ${key.id}`).toBeDefined();
    if (v?.stored === 'wrapped') {
      expect(v.atRestBytes, `${ctx.browserName} ${key.alg}`).toBeGreaterThan(32);
    } else {
      expect(v, `${ctx.browserName} ${key.alg}`).toMatchObject({
        stored: 'cryptokey',
        exported: false,
        extractable: false,
      });
    }
  }
  const stored = await everyStoredCryptoKey(ctx);
  const secret = stored.filter((k) => k.type !== 'public');
  expect(
    secret.length,
    `${ctx.browserName}: private and secret CryptoKeys at rest`,
  ).toBeGreaterThan(0);
  for (const k of secret) {
    expect(k.extractable, `${ctx.browserName} ${k.store}${k.path} (${k.algorithm})`).toBe(false);
  }
}

/** Verify a compact ES256 JWS with a public JWK, in Node. */
function verifiesEs256(token: string, publicJwk: JsonWebKey): boolean {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return false;
  const key = createPublicKey({ key: { ...publicJwk } as NodeJwk, format: 'jwk' });
  return verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
}

/**
 * In the target profile, after {@link restore}: the restored keys are the originals, usable,
 * and non-extractable.
 */
export async function expectRestored(ctx: CoreContext, made: Made): Promise<void> {
  const keys = await call<DeviceKey[]>(ctx.page, 'listKeys');
  expect(keys).toHaveLength(4);
  for (const original of [made.sign, made.jwt, made.seal, made.agree]) {
    const restored = keys.find((k) => k.id === original.id);
    expect(restored, `${ctx.browserName}: ${original.alg} ${original.id}`).toMatchObject({
      kid: original.kid,
      alg: original.alg,
      purpose: original.purpose,
      version: original.version,
      publicJwk: original.publicJwk,
      extractable: false,
      backup: true,
      provenance: { source: 'restored', pageKnowable: true, from: { keyId: original.id } },
    });
  }
  const data = Uint8Array.from(made.data);
  // A signature made on the old device verifies here.
  expect(await call(ctx.page, 'verify', made.sign.id, data, Uint8Array.from(made.signature))).toBe(
    true,
  );
  // A new signature verifies with the original public JWK (in Node, not in the enclave).
  const fresh = await call<Uint8Array>(ctx.page, 'sign', made.sign.id, data);
  const ed = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: String(made.sign.publicJwk?.x) },
    format: 'jwk',
  });
  expect(verify(null, data, ed, fresh), `${ctx.browserName}: new EdDSA signature`).toBe(true);
  // A token signed here verifies with the ES256 key's original public JWK.
  const token = await call<string>(ctx.page, 'signJwt', made.jwt.id, {
    claims: { sub: 'moved' },
    expiresIn: 60,
  });
  expect(verifiesEs256(token, made.jwt.publicJwk as JsonWebKey), `${ctx.browserName}: JWT`).toBe(
    true,
  );
  // The envelope sealed under version 1, before the rotation and the backup, opens.
  expect(td.decode(await call<Uint8Array>(ctx.page, 'open', Uint8Array.from(made.envelope)))).toBe(
    'made on the old device',
  );
  // The restored X25519 key agrees with the same peer to the same key as on the old device.
  const derived = await call<DeviceKey>(ctx.page, 'agree', made.agree.id, made.peer.publicJwk, {
    info: AGREE_INFO,
    alg: 'A256GCM',
  });
  const agreed = await call<Uint8Array>(ctx.page, 'open', Uint8Array.from(made.agreedEnvelope), {
    keyId: derived.id,
  });
  expect(td.decode(agreed), `${ctx.browserName}: X25519 agreement`).toBe('made on the old device');
  await expectNonExtractableAtRest(ctx, made);
}
