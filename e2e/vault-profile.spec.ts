/**
 * Vault mode against a copy of the browser profile (issue 14 §1): whoever copies the profile's
 * storage — of a running profile whose vault is unlocked, or after `lock()` — holds the keys'
 * records but cannot use one without the passphrase. Profile A enables the vault (the
 * passphrase typed in the enclave's dialog), makes keys of several algorithms and uses them;
 * its directory is copied while the vault is unlocked, then again after `lock()`. Each copy is
 * opened in a fresh persistent context (the same browser binary and switches as the suite) and
 * shows: the vault enabled and locked; every key operation `LOCKED`; and, for an attacker
 * running their own script on the enclave origin (evaluated in the enclave frame, the same
 * storage partition), no `CryptoKey` in any key record and no sealed blob that opens under any
 * `CryptoKey` of the `meta` store (the storage keys), with AES-GCM or AES-KW — an attack shown
 * to work on blobs made under those keys. Then the right passphrase, typed in the copy, unlocks
 * the same keys: same public keys, signatures that verify against profile A's public keys, and
 * what profile A sealed or encrypted opens.
 */
import { createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { BrowserContext } from '@playwright/test';
import { NEEDS_INPUT, outcome, start } from './core/consent';
import { type CoreContext, call, connectHarness, openHarness } from './core/harness';
import { enable, frameOf, PASSPHRASE, UNLOCK, withSecrets } from './core/vault';
import { expect, test } from './support/test';
import type { BrowserFrame } from './webkit/browser-page';
import { playwrightPage } from './webkit/playwright-page';

interface Key {
  id: string;
  alg: string;
  version: number;
  publicJwk: JsonWebKey | null;
}

interface VaultView {
  enabled: boolean;
  locked: boolean;
}

/** What the attacker's script on the enclave origin finds in a copied profile's IndexedDB. */
interface Loot {
  /** Key records of every origin in the `keys` store. */
  records: number;
  /** Where a key record holds a `CryptoKey` (should be nowhere). */
  recordCryptoKeys: string[];
  /** Every `CryptoKey` of the `meta` store: `name: algorithm [usages]`. */
  metaCryptoKeys: string[];
  /** Sealed blobs found: key material at rest (every version) and the vault's wrapped master keys. */
  blobs: number;
  /** Blobs that opened under some `meta` key (should be none). */
  opened: string[];
  /** Positive control: blobs the attacker made under each `meta` key that can wrap… */
  controls: number;
  /** …and how many of those the same attack opened (all of them). */
  controlsOpened: number;
}

const te = new TextEncoder();
const td = new TextDecoder();
const SIGNED = te.encode('signed in profile A');
const SEALED = 'sealed in profile A';
const FOR_JWE = 'encrypted to profile A';
const AGREE_INFO = 'profile copy';

/** Files that say a profile is in use, not storage: left out so the copy can be opened. */
const PROFILE_LOCKS = new Set([
  'SingletonLock',
  'SingletonSocket',
  'SingletonCookie',
  'lock',
  '.parentlock',
]);

/**
 * Copy a profile directory (while its browser may run), minus its in-use lock files. A running
 * browser replaces some files atomically through temporary files (Chromium's
 * `.org.chromium.Chromium.*` beside `Local State`), which can vanish between listing and
 * copying: then the copy starts again from scratch, at most three times.
 */
async function copyProfile(from: string, to: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await cp(from, to, {
        recursive: true,
        filter: (source) => !PROFILE_LOCKS.has(basename(source)),
      });
      return;
    } catch (err) {
      const vanished = (err as NodeJS.ErrnoException).code === 'ENOENT';
      if (!vanished || attempt >= 3) throw err;
      await rm(to, { recursive: true, force: true });
    }
  }
}

/**
 * The attacker: a script of their own on the enclave origin in the copied profile, reading the
 * keystore's IndexedDB directly and trying every `CryptoKey` it finds in `meta` on every sealed
 * blob — AES-GCM (the blob as `IV ‖ ciphertext ‖ tag`, with the enclave's additional data or
 * none) and AES-KW (the whole blob) — unwrapping into an HMAC key, which takes any bytes, so
 * that an unwrap succeeds exactly when the blob decrypts. As a control it seals fresh keys
 * under each of those `meta` keys in both forms, and runs the same attack on them.
 */
function plunder(frame: BrowserFrame): Promise<Loot> {
  return frame.evaluate(async () => {
    const te = new TextEncoder();
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('strongroom');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const all = (store: string) =>
      new Promise<Record<string, unknown>[]>((resolve, reject) => {
        const req = db.transaction(store).objectStore(store).getAll();
        req.onsuccess = () => resolve(req.result as Record<string, unknown>[]);
        req.onerror = () => reject(req.error);
      });
    const records = await all('keys');
    const meta = await all('meta');
    db.close();

    const found: { path: string; key: CryptoKey }[] = [];
    const walk = (value: unknown, path: string, into: { path: string; key: CryptoKey }[]) => {
      if (value instanceof CryptoKey) {
        into.push({ path, key: value });
      } else if (Array.isArray(value)) {
        for (const [i, v] of value.entries()) walk(v, `${path}[${i}]`, into);
      } else if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
        for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, into);
      }
    };
    const inRecords: { path: string; key: CryptoKey }[] = [];
    for (const r of records) walk(r, `keys/${String(r.id)}`, inRecords);
    for (const m of meta) walk(m, `meta/${String(m.name)}`, found);

    const blobs: { path: string; alg: string; bytes: Uint8Array }[] = [];
    const blob = (path: string, alg: string, value: unknown) => {
      if (value instanceof Uint8Array) blobs.push({ path, alg, bytes: value });
    };
    for (const r of records) {
      const alg = String(r.alg);
      blob(`keys/${String(r.id)}.atRest`, alg, r.atRest);
      blob(`keys/${String(r.id)}.exportMaterial`, alg, r.exportMaterial);
      for (const [i, v] of ((r.retired as Record<string, unknown>[] | undefined) ?? []).entries()) {
        blob(`keys/${String(r.id)}.retired[${i}].atRest`, alg, v.atRest);
      }
    }
    for (const m of meta) {
      const enrollments = (m.vault as { enrollments?: { wrappedMaster: unknown }[] } | undefined)
        ?.enrollments;
      for (const [i, e] of (enrollments ?? []).entries()) {
        blob(`meta/${String(m.name)}.enrollments[${i}].wrappedMaster`, 'master', e.wrappedMaster);
      }
    }

    const hmac = { name: 'HMAC', hash: 'SHA-256' };
    const opens = async (bytes: Uint8Array, alg: string, key: CryptoKey) => {
      const tries: (AesGcmParams | string)[] = [
        {
          name: 'AES-GCM',
          iv: bytes.slice(0, 12),
          additionalData: te.encode(`strongroom vault v1|${alg}`),
        },
        { name: 'AES-GCM', iv: bytes.slice(0, 12) },
      ];
      for (const params of tries) {
        try {
          await crypto.subtle.unwrapKey('raw', bytes.slice(12), key, params, hmac, true, ['sign']);
          return true;
        } catch {
          // not this key, or not this form
        }
      }
      try {
        await crypto.subtle.unwrapKey('raw', bytes.slice(), key, 'AES-KW', hmac, true, ['sign']);
        return true;
      } catch {
        return false;
      }
    };
    const opened: string[] = [];
    for (const b of blobs) {
      for (const f of found) {
        if (await opens(b.bytes, b.alg, f.key)) opened.push(`${b.path} under ${f.path}`);
      }
    }

    let controls = 0;
    let controlsOpened = 0;
    for (const f of found) {
      if (!f.key.usages.includes('wrapKey')) continue;
      const fresh = await crypto.subtle.generateKey({ ...hmac, length: 256 }, true, ['sign']);
      let made: Uint8Array | null = null;
      if (f.key.algorithm.name === 'AES-GCM') {
        const iv = crypto.getRandomValues(new Uint8Array(12));
        const params = {
          name: 'AES-GCM',
          iv,
          additionalData: te.encode('strongroom vault v1|HS256'),
        };
        const sealed = new Uint8Array(await crypto.subtle.wrapKey('raw', fresh, f.key, params));
        made = new Uint8Array(12 + sealed.byteLength);
        made.set(iv);
        made.set(sealed, 12);
      } else if (f.key.algorithm.name === 'AES-KW') {
        made = new Uint8Array(await crypto.subtle.wrapKey('raw', fresh, f.key, 'AES-KW'));
      }
      if (!made) continue;
      controls++;
      if (await opens(made, 'HS256', f.key)) controlsOpened++;
    }

    return {
      records: records.length,
      recordCryptoKeys: inRecords.map((k) => k.path),
      metaCryptoKeys: found.map(
        (f) => `${f.path}: ${f.key.algorithm.name} [${f.key.usages.join(' ')}]`,
      ),
      blobs: blobs.length,
      opened,
      controls,
      controlsOpened,
    };
  });
}

test.describe('vault mode: a copy of the browser profile', () => {
  test.describe.configure({ timeout: 300_000 });

  test('copied unlocked (running) and after lock(): locked in the copy, nothing opens without the passphrase, the passphrase opens the same keys', async ({
    playwright,
    browserName,
    channel,
    headless,
    launchOptions,
    topology,
    urls,
  }) => {
    const needsInput = NEEDS_INPUT.find(
      (s) => s.browser === browserName && s.topology === topology,
    );
    test.skip(needsInput !== undefined, needsInput?.reason ?? '');
    const root = await mkdtemp(join(tmpdir(), 'strongroom-profile-'));
    const contexts: BrowserContext[] = [];
    const launch = async (dir: string): Promise<CoreContext> => {
      const context = await playwright[browserName].launchPersistentContext(dir, {
        ...launchOptions,
        ...(channel ? { channel } : {}),
        headless,
      });
      contexts.push(context);
      const page = context.pages()[0] ?? (await context.newPage());
      const ctx: CoreContext = {
        browserName,
        topology,
        urls,
        page: playwrightPage(page),
        newPage: async () => playwrightPage(await context.newPage()),
      };
      await openHarness(ctx.page, urls.app);
      await connectHarness(ctx.page);
      return ctx;
    };
    try {
      // Profile A: the vault, keys of several algorithms, each used once.
      const profileA = join(root, 'a');
      const a = await launch(profileA);
      // Made in plain mode with `backup: true`: its material is kept under the partition's
      // AES-GCM storage key, so the `meta` store holds a storage key for the attacker to try.
      const early = await call<Key>(a.page, 'generateKey', {
        alg: 'EdDSA',
        purpose: 'sign',
        backup: true,
      });
      await enable(a);
      const make = (alg: string, purpose: string) =>
        call<Key>(a.page, 'generateKey', { alg, purpose, label: `${alg} ${purpose}` });
      const ed = await make('EdDSA', 'sign');
      const es = await make('ES256', 'sign');
      const mac = await make('HS256', 'mac');
      const sealer = await make('A256GCM', 'seal');
      const agreeing = await make('X25519', 'agree');
      const recipient = await make('ECDH-ES', 'jwe');
      // A retired version too: the ES256 key is rotated (version 1 is kept to verify).
      expect((await call<Key>(a.page, 'rotateKey', es.id)).version).toBe(2);
      const peer = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
      const peerJwk = { kty: peer.kty, crv: peer.crv, x: peer.x };
      const derived = await call<Key>(a.page, 'agree', agreeing.id, peerJwk, {
        info: AGREE_INFO,
        alg: 'A256GCM',
      });
      const edSignature = await call<Uint8Array>(a.page, 'sign', ed.id, SIGNED);
      const macA = await call<Uint8Array>(a.page, 'sign', mac.id, SIGNED);
      const envelope = await call<Uint8Array>(a.page, 'seal', sealer.id, te.encode(SEALED));
      const agreedEnvelope = await call<Uint8Array>(a.page, 'seal', derived.id, te.encode(SEALED));
      const jwe = await call<string>(a.page, 'encryptJwe', recipient.publicJwk, te.encode(FOR_JWE));
      const keysA = await call<Key[]>(a.page, 'listKeys');
      expect(keysA).toHaveLength(8);
      expect(keysA.map((k) => k.id)).toContain(early.id);
      const vaultOf = async (ctx: CoreContext) =>
        (await call<{ vault: VaultView }>(ctx.page, 'info')).vault;

      // (a) Copied while running, the vault unlocked in this session before and after the copy.
      // Measured (Chromium 156, Firefox ESR): a copy of the running profile opens with every
      // record written seconds before (the test checks the keys are there, below), so the
      // browser is not closed first.
      expect(await vaultOf(a)).toMatchObject({ enabled: true, locked: false });
      const unlockedCopy = join(root, 'unlocked');
      await copyProfile(profileA, unlockedCopy);
      expect(await vaultOf(a)).toMatchObject({ enabled: true, locked: false });
      // (b) Copied after lock().
      expect(await call<VaultView>(a.page, 'lock')).toMatchObject({ locked: true });
      const lockedCopy = join(root, 'locked');
      await copyProfile(profileA, lockedCopy);
      await contexts.pop()?.close();

      for (const [name, dir] of [
        ['unlocked', unlockedCopy],
        ['locked', lockedCopy],
      ] as const) {
        await test.step(`the copy made ${name}`, async () => {
          // A fresh profile made of the copy (copied once more, so each launch starts clean).
          const fresh = join(root, `${name}-fresh`);
          await copyProfile(dir, fresh);
          const ctx = await launch(fresh);
          expect(await vaultOf(ctx)).toMatchObject({ enabled: true, locked: true });
          // The copy holds the keys: listed with their public keys…
          const listed = await call<Key[]>(ctx.page, 'listKeys');
          expect(listed.map((k) => [k.id, k.publicJwk])).toEqual(
            keysA.map((k) => [k.id, k.publicJwk]),
          );
          // …but not one operation that needs the secret runs: each fails LOCKED (docs/vault.md).
          // Soft, so that the attacker's and the unlock's findings below are reported as well.
          // (`open` answers most failures with its opaque DECRYPTION_FAILED, but passes LOCKED
          // through: ops/open.ts.) SECURITY.md claims LOCKED for exactly these operations.
          const attempts: [string, string, unknown[]][] = [
            ['sign EdDSA', 'sign', [ed.id, SIGNED]],
            ['sign ES256', 'sign', [es.id, SIGNED]],
            ['sign HS256', 'sign', [mac.id, SIGNED]],
            ['seal', 'seal', [sealer.id, te.encode('more')]],
            ['open', 'open', [envelope]],
            ['open (agreed key)', 'open', [agreedEnvelope]],
            ['agree', 'agree', [agreeing.id, peerJwk, { info: AGREE_INFO, alg: 'A256GCM' }]],
            ['decryptJwe', 'decryptJwe', [recipient.id, jwe]],
            ['rotateKey', 'rotateKey', [ed.id]],
            ['generateKey', 'generateKey', [{ alg: 'EdDSA', purpose: 'sign' }]],
          ];
          const codes: Record<string, string> = {};
          for (const [label, op, args] of attempts) {
            const result = (await outcome(ctx.page, await start(ctx.page, op, ...args))) as {
              ok: boolean;
              error?: { code: string | null };
            };
            codes[label] = result.ok ? 'succeeded' : String(result.error?.code);
          }
          expect
            .soft(codes)
            .toEqual(Object.fromEntries(attempts.map(([label]) => [label, 'LOCKED'])));

          // The attacker on the enclave origin of the copy, reading IndexedDB themselves.
          const loot = await plunder(frameOf(ctx));
          expect(loot.records).toBe(8);
          expect(loot.recordCryptoKeys).toEqual([]);
          // Every version's material (8 primaries, ES256's retired one) and the wrapped master.
          expect(loot.blobs).toBe(10);
          expect(loot.opened).toEqual([]);
          // The attack works where it should: blobs made under the storage key open.
          expect(loot.controls, loot.metaCryptoKeys.join('\n')).toBeGreaterThan(0);
          expect(loot.controlsOpened).toBe(loot.controls);
          test.info().annotations.push({
            type: `${name} copy: CryptoKeys in meta`,
            description: loot.metaCryptoKeys.join('; '),
          });

          // The passphrase, typed in the copy, opens the same keys.
          const unlocked = await withSecrets(ctx, 'unlock', [], [UNLOCK(PASSPHRASE)]);
          expect(unlocked).toMatchObject({ ok: true, value: { locked: false } });
          const signature = await call<Uint8Array>(ctx.page, 'sign', ed.id, SIGNED);
          const edPublic = createPublicKey({ key: ed.publicJwk as never, format: 'jwk' });
          expect(nodeVerify(null, SIGNED, edPublic, signature)).toBe(true);
          expect(nodeVerify(null, SIGNED, edPublic, edSignature)).toBe(true);
          const esPublic = keysA.find((k) => k.id === es.id)?.publicJwk;
          const esSignature = await call<Uint8Array>(ctx.page, 'sign', es.id, SIGNED);
          expect(
            nodeVerify(
              'sha256',
              SIGNED,
              {
                key: createPublicKey({ key: esPublic as never, format: 'jwk' }),
                dsaEncoding: 'ieee-p1363',
              },
              esSignature,
            ),
          ).toBe(true);
          expect(await call<Uint8Array>(ctx.page, 'sign', mac.id, SIGNED)).toEqual(macA);
          expect(td.decode(await call<Uint8Array>(ctx.page, 'open', envelope))).toBe(SEALED);
          expect(td.decode(await call<Uint8Array>(ctx.page, 'open', agreedEnvelope))).toBe(SEALED);
          // The X25519 private key is the same: agreeing again derives a key that opens it too.
          const again = await call<Key>(ctx.page, 'agree', agreeing.id, peerJwk, {
            info: AGREE_INFO,
            alg: 'A256GCM',
          });
          expect(
            td.decode(
              await call<Uint8Array>(ctx.page, 'open', agreedEnvelope, { keyId: again.id }),
            ),
          ).toBe(SEALED);
          const decrypted = await call<{ plaintext: Uint8Array }>(
            ctx.page,
            'decryptJwe',
            recipient.id,
            jwe,
          );
          expect(td.decode(decrypted.plaintext)).toBe(FOR_JWE);
          await contexts.pop()?.close();
        });
      }
    } finally {
      for (const context of contexts) await context.close().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    }
  });
});
