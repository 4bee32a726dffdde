/**
 * The typed IndexedDB schema of the keystore. Store names, keys and values flow from
 * {@link StrongroomDB}; {@link DB_VERSION} and the migrations in `open.ts` move with it.
 */
import type { KeyAlgorithm, KeyState, PublicJwk } from '@strongroom/bridge/protocol';
import type { DBSchema } from 'idb';

/** The IndexedDB database name. */
export const DB_NAME = 'strongroom';

/** The current schema version. Every earlier version has a migration in `open.ts`. */
export const DB_VERSION = 1;

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
}

/** The keystore's schema. */
export interface StrongroomDB extends DBSchema {
  keys: {
    key: string;
    value: KeyRecord;
    indexes: { byOwner: string };
  };
}
