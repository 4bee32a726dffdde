/**
 * Keys: generation per algorithm, persistence across a reload and a new bridge connection
 * (including keys an engine can only keep wrapped at rest: WebKit's X25519), non-extractability
 * checked inside the enclave, public key formats, sign/verify, seal/open, delete.
 */
import { createHash } from 'node:crypto';
import {
  call,
  callError,
  connectHarness,
  enclaveFrame,
  harnessReady,
  openHarness,
} from './harness';
import { tryExportEveryKey } from './keystore';
import { type CoreSuite, expect } from './suite';

const ALGS = ['ES256', 'EdDSA', 'X25519', 'ECDH-ES', 'A256GCM', 'A256KW', 'HS256'] as const;

/**
 * Algorithms each engine's IndexedDB cannot keep as a `CryptoKey`, so the enclave's start-up
 * probe must choose the wrapped-at-rest path for them (browsers research, 2026-11-23).
 */
export const WRAPPED_AT_REST: Readonly<Record<string, readonly string[]>> = {
  chromium: [],
  firefox: [],
  webkit: ['X25519'],
};

interface KeyInfo {
  id: string;
  kid: string;
  alg: string;
  owner: string;
  state: string;
  extractable: boolean;
  publicJwk: Record<string, string> | null;
}

const te = new TextEncoder();
const td = new TextDecoder();

/** The key suites. */
export const KEYS: readonly CoreSuite[] = [
  {
    describe: 'when keys are generated',
    tests: [
      {
        name: 'every algorithm yields a non-extractable key that survives a reload and a new connection',
        async run({ page, urls, browserName }) {
          await openHarness(page, urls.app);
          await connectHarness(page);
          const made: KeyInfo[] = [];
          for (const alg of ALGS) {
            const key = await call<KeyInfo>(page, 'generateKey', { alg, label: `k-${alg}` });
            expect(key).toMatchObject({
              alg,
              owner: urls.app,
              state: 'active',
              extractable: false,
              label: `k-${alg}`,
            });
            made.push(key);
          }
          // A new bridge connection in the same document.
          await page.evaluate(() => window.sr.dispose());
          await connectHarness(page);
          expect((await call<KeyInfo[]>(page, 'listKeys')).map((k) => k.id)).toEqual(
            made.map((k) => k.id),
          );

          // A reload: a new document, a new enclave, the same IndexedDB.
          await page.reload();
          await harnessReady(page);
          await connectHarness(page);
          const listed = await call<KeyInfo[]>(page, 'listKeys');
          // X25519 keys are stored wrapped where the engine cannot keep them (WebKit).
          expect(
            listed.map((k) => k.id),
            browserName,
          ).toEqual(made.map((k) => k.id));
          for (const key of made.filter((k) => ['ES256', 'EdDSA', 'HS256'].includes(k.alg))) {
            const data = te.encode(`after reload ${key.alg}`);
            const sig = await call<Uint8Array>(page, 'sign', key.id, data);
            expect(await call<boolean>(page, 'verify', key.id, data, sig)).toBe(true);
          }
          // The agreement keys work after the reload too (WebKit: unwrapped from storage).
          for (const alg of ['X25519', 'ECDH-ES']) {
            const mine = made.find((k) => k.alg === alg) as KeyInfo;
            const peer = await call<KeyInfo>(page, 'generateKey', { alg });
            const options = { info: 'after reload', alg: 'A256GCM' };
            const a = await call<KeyInfo>(page, 'agree', mine.id, peer.publicJwk, options);
            const b = await call<KeyInfo>(page, 'agree', peer.id, mine.publicJwk, options);
            const sealed = await call<Uint8Array>(page, 'seal', a.id, te.encode(alg));
            expect(td.decode(await call(page, 'open', sealed, { keyId: b.id })), alg).toBe(alg);
          }
          // Where the engine loses a key type, the record holds it wrapped, with no CryptoKey.
          const stored = await tryExportEveryKey(enclaveFrame(page, urls.enclave));
          const wrapped = [
            ...new Set(stored.filter((v) => v.stored === 'wrapped').map((v) => v.alg)),
          ];
          expect(wrapped.sort(), `${browserName}: algorithms kept wrapped at rest`).toEqual(
            WRAPPED_AT_REST[browserName],
          );
        },
      },
      {
        name: 'exportKey of every private and secret key is refused inside the enclave',
        async run({ page, urls, browserName }) {
          await openHarness(page, urls.app);
          await connectHarness(page);
          for (const alg of ALGS) await call(page, 'generateKey', { alg });
          const verdicts = await tryExportEveryKey(enclaveFrame(page, urls.enclave));
          expect(verdicts.length).toBeGreaterThanOrEqual(ALGS.length);
          for (const v of verdicts) {
            if (v.stored === 'wrapped') {
              // No CryptoKey to export: only the material wrapped under the storage key.
              expect(WRAPPED_AT_REST[browserName], `${v.alg} ${v.id}`).toContain(v.alg);
              expect(v.atRestBytes, `${v.alg} ${v.id}`).toBeGreaterThan(32);
              continue;
            }
            expect(v, `${v.alg} ${v.id}`).toMatchObject({
              exported: false,
              extractable: false,
              error: 'InvalidAccessError',
            });
          }
        },
      },
      {
        name: 'kid is the RFC 7638 thumbprint of the public JWK, and public keys export in three formats',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          await connectHarness(page);
          const es = await call<KeyInfo>(page, 'generateKey', { alg: 'ES256' });
          const jwk = await call<Record<string, string>>(page, 'publicKey', es.id, 'jwk');
          expect(jwk).toEqual({ ...es.publicJwk });
          expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'x', 'y']);
          const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
          expect(es.kid).toBe(createHash('sha256').update(canonical).digest('base64url'));
          expect(jwk.kid).toBe(es.kid);
          const raw = await call<Uint8Array>(page, 'publicKey', es.id, 'raw');
          expect(raw).toHaveLength(65);
          expect(raw[0]).toBe(4);
          const spki = await call<Uint8Array>(page, 'publicKey', es.id, 'spki');
          expect(spki).toHaveLength(91);
          const ed = await call<KeyInfo>(page, 'generateKey', { alg: 'EdDSA' });
          expect(await call<Uint8Array>(page, 'publicKey', ed.id, 'raw')).toHaveLength(32);
          const secret = await call<KeyInfo>(page, 'generateKey', { alg: 'HS256' });
          expect(secret.publicJwk).toBeNull();
          expect(secret.kid).toBe(secret.id);
          expect(await callError(page, 'publicKey', secret.id, 'jwk')).toMatchObject({
            code: 'OPERATION_NOT_ALLOWED',
            isStrongroomError: true,
          });
        },
      },
      {
        name: 'sign and verify: a changed message or signature does not verify',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          await connectHarness(page);
          for (const alg of ['ES256', 'EdDSA', 'HS256']) {
            const key = await call<KeyInfo>(page, 'generateKey', { alg });
            const data = te.encode('message');
            const sig = await call<Uint8Array>(page, 'sign', key.id, data);
            expect(sig).toHaveLength(alg === 'HS256' ? 32 : 64);
            expect(await call(page, 'verify', key.id, data, sig)).toBe(true);
            expect(await call(page, 'verify', key.id, te.encode('messagf'), sig)).toBe(false);
            const flipped = Uint8Array.from(sig);
            flipped[5] = (flipped[5] ?? 0) ^ 1;
            expect(await call(page, 'verify', key.id, data, flipped)).toBe(false);
            expect(await call(page, 'verify', key.id, data, sig.subarray(1))).toBe(false);
          }
          const agreement = await call<KeyInfo>(page, 'generateKey', { alg: 'X25519' });
          expect(await callError(page, 'sign', agreement.id, new Uint8Array(1))).toMatchObject({
            code: 'OPERATION_NOT_ALLOWED',
          });
        },
      },
      {
        name: 'seal and open: round trip at 1 KiB and 1 MiB; a changed envelope or aad fails opaquely',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          await connectHarness(page);
          const cases = [
            ['A256KW', 1024],
            ['A256KW', 1024 * 1024],
            ['A256GCM', 1024],
          ] as const;
          for (const [alg, size] of cases) {
            const kek = await call<KeyInfo>(page, 'generateKey', { alg });
            const plaintext = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
            const aad = te.encode(`note:${size}`);
            const envelope = await call<Uint8Array>(page, 'seal', kek.id, plaintext, { aad });
            expect(envelope.length, `${alg} ${size}`).toBeGreaterThan(size);
            expect(await call<Uint8Array>(page, 'open', envelope, { aad })).toEqual(plaintext);
            const tampered = Uint8Array.from(envelope);
            const last = tampered.length - 1;
            tampered[last] = (tampered[last] ?? 0) ^ 1;
            const failures = [await callError(page, 'open', tampered, { aad })];
            if (size === 1024) {
              // Each 1 MiB call costs seconds of JSON transport: check these at 1 KiB only.
              failures.push(
                await callError(page, 'open', envelope, { aad: te.encode('note:other') }),
                await callError(page, 'open', envelope),
              );
            }
            for (const f of failures) {
              expect(f, `${alg} ${size}`).toMatchObject({
                code: 'DECRYPTION_FAILED',
                isStrongroomError: true,
              });
            }
          }
        },
      },
      {
        name: 'deleteKey removes the key: later use is KEY_NOT_FOUND',
        async run({ page, urls }) {
          await openHarness(page, urls.app);
          await connectHarness(page);
          const key = await call<KeyInfo>(page, 'generateKey', { alg: 'EdDSA' });
          await call(page, 'deleteKey', key.id);
          expect(await callError(page, 'getKey', key.id)).toMatchObject({
            code: 'KEY_NOT_FOUND',
            isStrongroomError: true,
          });
          expect(await callError(page, 'sign', key.id, new Uint8Array(1))).toMatchObject({
            code: 'KEY_NOT_FOUND',
          });
          expect(await callError(page, 'deleteKey', key.id)).toMatchObject({
            code: 'KEY_NOT_FOUND',
          });
          expect((await call<KeyInfo[]>(page, 'listKeys')).map((k) => k.id)).not.toContain(key.id);
        },
      },
    ],
  },
];
