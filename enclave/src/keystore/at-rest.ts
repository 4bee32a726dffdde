/**
 * Key material at rest, where IndexedDB cannot keep a `CryptoKey`, and exportable material.
 *
 * Some engines cannot store every key type in IndexedDB (WebKit loses X25519 `CryptoKey`s).
 * A probe, run once per worker the first time a key of an algorithm is stored, stores one key
 * of that algorithm, reads it back and uses it; for an algorithm that does not survive, records keep the PKCS #8 private key wrapped (RFC 3394
 * AES-KW) under a non-extractable storage key, and the key is unwrapped non-extractable on
 * load. The decision comes from what the browser does, never from its user-agent string.
 *
 * The same storage key holds the raw material of keys created `exportable` (secret keys only),
 * so that `wrapKey` can rewrap them under a caller's KEK without the bytes entering JS.
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { IDBPDatabase } from 'idb';
import { DEV } from '../build-info';
import type { AlgorithmSpec } from '../lib/algorithms';
import { randomId } from '../lib/encoding';
import { generateKeyRetrying } from '../lib/generate';
import type { StrongroomDB } from './schema';

/** The `meta` entry of the storage key. */
const STORAGE_KEY_NAME = 'storage-key';
/** Dev builds only: the `meta` entry that lists algorithms to treat as not surviving. */
export const DEV_FORCE_WRAP_NAME = 'dev:force-wrap-at-rest';

const AES_KW = 'AES-KW';

/**
 * Load the partition's storage key, creating it on first use. Two workers may race to create
 * it: `add` fails for the second, which then reads the winner's key.
 */
export async function loadStorageKey(db: IDBPDatabase<StrongroomDB>): Promise<CryptoKey> {
  const existing = await db.get('meta', STORAGE_KEY_NAME);
  if (existing?.key) return existing.key;
  const key = await crypto.subtle.generateKey({ name: AES_KW, length: 256 }, false, [
    'wrapKey',
    'unwrapKey',
  ]);
  try {
    await db.add('meta', { name: STORAGE_KEY_NAME, key });
    return key;
  } catch {
    const winner = await db.get('meta', STORAGE_KEY_NAME);
    if (winner?.key) return winner.key;
    throw new StrongroomError('STORAGE_UNAVAILABLE', 'IndexedDB is not available');
  }
}

/** Wrap an extractable key's private or secret material under the storage key. */
export async function wrapForStorage(
  storageKey: CryptoKey,
  spec: AlgorithmSpec,
  key: CryptoKey,
): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.wrapKey(spec.materialFormat, key, storageKey, AES_KW));
}

/** Unwrap material kept under the storage key, non-extractable unless `extractable`. */
export function unwrapFromStorage(
  storageKey: CryptoKey,
  spec: AlgorithmSpec,
  wrapped: Uint8Array,
  extractable = false,
): Promise<CryptoKey> {
  return crypto.subtle.unwrapKey(
    spec.materialFormat,
    wrapped as Uint8Array<ArrayBuffer>,
    storageKey,
    AES_KW,
    spec.importParams,
    extractable,
    [...spec.keyUsages],
  );
}

/**
 * Generate a probe key of `spec`, or `null` where this browser did not generate one (after
 * the retries of `lib/generate.ts`: WebKitGTK's generation fails transiently).
 */
function probeKey(spec: AlgorithmSpec): Promise<CryptoKeyPair | CryptoKey | null> {
  return generateKeyRetrying(spec.generateParams, false, spec.generateUsages).catch(() => null);
}

/** Whether `loaded` is the probe key back from IndexedDB, intact and usable. */
async function usable(
  spec: AlgorithmSpec,
  original: CryptoKeyPair | CryptoKey,
  loaded: unknown,
): Promise<boolean> {
  const key = 'privateKey' in original ? original.privateKey : original;
  if (!(loaded instanceof CryptoKey)) return false;
  if (loaded.type !== key.type || loaded.algorithm.name !== key.algorithm.name) return false;
  if ([...loaded.usages].sort().join() !== [...key.usages].sort().join()) return false;
  try {
    if (spec.signParams && spec.capabilities.has('sign')) {
      await crypto.subtle.sign(spec.signParams, loaded, new Uint8Array(1));
    } else if (spec.agreeBits && 'publicKey' in original) {
      await crypto.subtle.deriveBits(
        { name: loaded.algorithm.name, public: original.publicKey } as EcdhKeyDeriveParams,
        loaded,
        spec.agreeBits,
      );
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * The probe for one algorithm: whether its `CryptoKey`s fail to survive an IndexedDB round trip
 * in this browser (then keys of it are kept wrapped at rest). It runs in its own transactions,
 * since a refused `put` (DataCloneError) aborts its transaction. Every failure answers `true`,
 * because wrapping is always safe and a wrong "native" would lose keys: that includes a probe
 * key the browser did not generate. It used to answer `false` there ("generating fails anyway"),
 * but WebKitGTK's generation fails transiently (see `lib/generate.ts`), so one unlucky probe made
 * every X25519 key of that worker a `CryptoKey` in IndexedDB, which WebKit reads back as `null`:
 * lost at the next load. An algorithm the browser cannot generate at all still fails to generate.
 */
export async function probeAlgorithm(
  db: IDBPDatabase<StrongroomDB>,
  spec: AlgorithmSpec,
): Promise<boolean> {
  if (DEV) {
    // Test seam, compiled out of release builds: e2e tests simulate an engine that loses a
    // key type by listing it here, to exercise the wrapped-at-rest path in every browser.
    const forced = await db.get('meta', DEV_FORCE_WRAP_NAME).catch(() => undefined);
    if (forced?.algorithms?.includes(spec.alg)) return true;
  }
  const original = await probeKey(spec);
  if (!original) return true;
  // A random suffix: workers of other tabs probe the same database at the same time.
  const name = `probe:${spec.alg}:${randomId()}`;
  const key = 'privateKey' in original ? original.privateKey : original;
  try {
    await db.put('meta', { name, key });
    const loaded = await db.get('meta', name);
    return !(await usable(spec, original, loaded?.key));
  } catch {
    return true;
  } finally {
    await db.delete('meta', name).catch(() => undefined);
  }
}
