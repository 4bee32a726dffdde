/**
 * The typed IndexedDB schema of the keystore. Store names, keys and values flow from
 * {@link StrongroomDB}; {@link DB_VERSION} and the migrations in `open.ts` move with it.
 */
import type { KeyAlgorithm, KeyState, PublicJwk } from '@strongroom/bridge/protocol';
import type { DBSchema } from 'idb';

/** The IndexedDB database name. */
export const DB_NAME = 'strongroom';

/**
 * The current schema version. Every earlier version has a migration in `store.ts`:
 * - 1: the `keys` store.
 * - 2: the `meta` store (storage key, probe scratch space); key records gain
 *   `maxTokenLifetime`, `exportable`, `exportMaterial` and `atRest`.
 */
export const DB_VERSION = 2;

/** One key as stored. The `CryptoKey`s are non-extractable; only the public JWK is readable. */
export interface KeyRecord {
  id: string;
  kid: string;
  alg: KeyAlgorithm;
  label: string;
  /** Origin of the app that created the key. Other origins never see it. */
  owner: string;
  createdAt: number;
  version: number;
  state: KeyState;
  usage: { count: number; lastUsedAt: number | null };
  /** The private key of a pair, or the secret key: non-extractable. */
  key: CryptoKey;
  /** The public key of a pair, `null` for secret keys. */
  publicKey: CryptoKey | null;
  /** The public JWK of a pair (with `kid`), `null` for secret keys. */
  publicJwk: PublicJwk | null;
  /** Longest token lifetime (seconds) this key signs; fixed at creation (v2). */
  maxTokenLifetime: number;
  /** Whether `wrapKey` may export the key (opted in at creation, secret keys only) (v2). */
  exportable: boolean;
  /**
   * For exportable keys: the raw material wrapped (RFC 3394) under the non-extractable storage
   * key, from which `wrapKey` rewraps it under a caller's KEK without it entering JS (v2).
   */
  exportMaterial: Uint8Array | null;
  /**
   * Where this browser's IndexedDB cannot keep a `CryptoKey` of this algorithm (the start-up
   * probe decides; WebKit loses X25519): the PKCS #8 private key wrapped under the storage
   * key. The stored `key` is then `null`; it is unwrapped non-extractable on load (v2).
   */
  atRest: Uint8Array | null;
}

/**
 * A key record as IndexedDB holds it: `key` and `publicKey` are `null` when the material is
 * kept `atRest` (the public key is imported again from `publicJwk` on load).
 */
export type StoredKeyRecord = Omit<KeyRecord, 'key'> & { key: CryptoKey | null };

/** The public fields of a record: everything but the key material. */
export type KeyRecordMeta = Omit<KeyRecord, 'key' | 'publicKey'>;

/** A value of the `meta` store. */
export interface MetaRecord {
  /** `storage-key`, `probe:<alg>:<random>`, or (dev builds only) `dev:force-wrap-at-rest`. */
  name: string;
  /** The storage key (AES-KW, non-extractable), or a probe's key. */
  key?: CryptoKey;
  /** Dev builds only: algorithms to treat as not surviving IndexedDB. */
  algorithms?: KeyAlgorithm[];
}

/** The keystore's schema. */
export interface StrongroomDB extends DBSchema {
  keys: {
    key: string;
    value: StoredKeyRecord;
    indexes: { byOwner: string };
  };
  meta: {
    key: string;
    value: MetaRecord;
  };
}
