/**
 * Vault mode at rest: the cryptography and the stored form of an origin's vault.
 *
 * A vault has one random **master key** (AES-GCM, 256 bits). Every key record of the origin
 * keeps its private or secret material only sealed under it (`wrapKey` with AES-GCM, so the
 * bytes never enter JS); IndexedDB holds no usable `CryptoKey` of the origin. The master key
 * itself is stored only wrapped (RFC 3394 AES-KW) under each **enrollment**'s KEK, derived
 * from a secret the person enters in the enclave's own document: a passphrase (PBKDF2-SHA-256,
 * iterations calibrated on the device) or a passkey's PRF output (HKDF-SHA-256). Without one
 * of those secrets, a copy of the browser's storage opens nothing.
 *
 * This module only derives, wraps and unwraps; when to unlock, lock and ask the person is the
 * policy's (`../policy/vault.ts`).
 */
import { StrongroomError } from '@strongroom/bridge/errors';
import type { AlgorithmSpec } from '../lib/algorithms';
import { MIN_PBKDF2_ITERATIONS } from '../lib/pbkdf2';

/** The PBKDF2 floor of passphrase enrollments (`../lib/pbkdf2.ts`). */
export { MIN_PBKDF2_ITERATIONS } from '../lib/pbkdf2';

/** How an enrollment derives its KEK. */
export type EnrollmentKdf =
  | { readonly name: 'PBKDF2-SHA-256'; readonly iterations: number; readonly salt: Uint8Array }
  | {
      readonly name: 'PRF-HKDF-SHA-256';
      /** The passkey's credential id. */
      readonly credentialId: Uint8Array;
      /** The PRF input (`eval.first`), 32 random bytes. */
      readonly prfSalt: Uint8Array;
      /** The HKDF salt. */
      readonly salt: Uint8Array;
    };

/** One way to unlock: a KEK derivation and the master key wrapped under it. */
export interface Enrollment {
  readonly id: string;
  readonly method: 'passphrase' | 'passkey';
  readonly label: string;
  readonly createdAt: number;
  readonly kdf: EnrollmentKdf;
  /** The master key, RFC 3394-wrapped under this enrollment's KEK. */
  readonly wrappedMaster: Uint8Array;
}

/** An origin's vault as the `meta` store keeps it (`vault:<origin>`). */
export interface VaultState {
  readonly createdAt: number;
  /** Minutes without an operation after which the keys are forgotten. */
  readonly idleMinutes: number;
  readonly enrollments: readonly Enrollment[];
  /** Consecutive failed unlocks, and when the last one was (the policy clock). */
  readonly failures: { readonly count: number; readonly lastAt: number };
}

/** The `meta` entry name of `origin`'s vault. */
export function vaultName(origin: string): string {
  return `vault:${origin}`;
}

/** What the person entered: a passphrase, or a passkey's PRF output. */
export type UnlockSecret =
  | { readonly method: 'passphrase'; readonly passphrase: string }
  | { readonly method: 'passkey'; readonly prf: Uint8Array };

const encoder = new TextEncoder();
const HKDF_INFO = encoder.encode('strongroom vault v1 kek');

/** Fresh random bytes for a salt. */
export function randomSalt(bytes = 16): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(bytes));
}

/** The KEK of an enrollment from the person's secret (AES-KW, non-extractable). */
export async function deriveKek(kdf: EnrollmentKdf, secret: UnlockSecret): Promise<CryptoKey> {
  if (kdf.name === 'PBKDF2-SHA-256') {
    if (secret.method !== 'passphrase') throw wrongMethod();
    // The floor holds for every derivation, not only for calibrated enrollments: a count below it
    // (a bug, or an enrollment edited in storage) is refused rather than derived.
    if (
      typeof kdf.iterations !== 'number' ||
      !Number.isSafeInteger(kdf.iterations) ||
      kdf.iterations < MIN_PBKDF2_ITERATIONS
    ) {
      throw new StrongroomError(
        'OPERATION_NOT_ALLOWED',
        `PBKDF2 needs at least ${MIN_PBKDF2_ITERATIONS} iterations`,
      );
    }
    const base = await crypto.subtle.importKey(
      'raw',
      encoder.encode(secret.passphrase.normalize('NFKC')),
      'PBKDF2',
      false,
      ['deriveKey'],
    );
    return crypto.subtle.deriveKey(
      {
        name: 'PBKDF2',
        hash: 'SHA-256',
        iterations: kdf.iterations,
        salt: kdf.salt as Uint8Array<ArrayBuffer>,
      },
      base,
      { name: 'AES-KW', length: 256 },
      false,
      ['wrapKey', 'unwrapKey'],
    );
  }
  if (secret.method !== 'passkey') throw wrongMethod();
  const base = await crypto.subtle.importKey(
    'raw',
    secret.prf as Uint8Array<ArrayBuffer>,
    'HKDF',
    false,
    ['deriveKey'],
  );
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: kdf.salt as Uint8Array<ArrayBuffer>,
      info: HKDF_INFO,
    },
    base,
    { name: 'AES-KW', length: 256 },
    false,
    ['wrapKey', 'unwrapKey'],
  );
}

function wrongMethod(): StrongroomError {
  return new StrongroomError('UNLOCK_FAILED', 'that secret does not open this vault');
}

/** A new master key: extractable only so that enrollments can wrap it; never stored as is. */
export function newMasterKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, [
    'wrapKey',
    'unwrapKey',
  ]) as Promise<CryptoKey>;
}

/** Wrap an (extractable) master key under an enrollment's KEK. */
export async function wrapMaster(master: CryptoKey, kek: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.wrapKey('raw', master, kek, 'AES-KW'));
}

/**
 * The master key from an enrollment's wrapped copy, or `null` when `kek` is not its KEK (a
 * wrong secret: AES-KW's integrity check fails). Non-extractable unless `extractable` (only to
 * add an enrollment).
 */
export async function unwrapMaster(
  wrapped: Uint8Array,
  kek: CryptoKey,
  extractable = false,
): Promise<CryptoKey | null> {
  try {
    return await crypto.subtle.unwrapKey(
      'raw',
      wrapped as Uint8Array<ArrayBuffer>,
      kek,
      'AES-KW',
      { name: 'AES-GCM', length: 256 },
      extractable,
      ['wrapKey', 'unwrapKey'],
    );
  } catch {
    return null;
  }
}

const IV_BYTES = 12;

function sealAad(alg: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`strongroom vault v1|${alg}`);
}

/** Seal an extractable key's material under an AES-GCM key: `IV ‖ ciphertext ‖ tag`. */
export async function sealMaterial(
  sealingKey: CryptoKey,
  spec: AlgorithmSpec,
  key: CryptoKey,
): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(
    await crypto.subtle.wrapKey(spec.materialFormat, key, sealingKey, {
      name: 'AES-GCM',
      iv,
      additionalData: sealAad(spec.alg),
    }),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(sealed, IV_BYTES);
  return out;
}

/** Unseal material sealed by {@link sealMaterial}: non-extractable unless `extractable`. */
export function unsealMaterial(
  sealingKey: CryptoKey,
  spec: AlgorithmSpec,
  sealed: Uint8Array,
  extractable = false,
): Promise<CryptoKey> {
  return crypto.subtle.unwrapKey(
    spec.materialFormat,
    sealed.subarray(IV_BYTES) as Uint8Array<ArrayBuffer>,
    sealingKey,
    {
      name: 'AES-GCM',
      iv: sealed.slice(0, IV_BYTES) as Uint8Array<ArrayBuffer>,
      additionalData: sealAad(spec.alg),
    },
    spec.importParams,
    extractable,
    [...spec.keyUsages],
  );
}
