/**
 * The demo server's storage: one SQLite file (`demo.sqlite`) under a data directory, opened in
 * WAL mode with `synchronous=FULL`, so a write that returned is on disk before the server answers.
 * The schema is migrated with the `user_version` pragma: migration N runs once, in a transaction,
 * when the file's version is below N.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The schema, one step per version. Never edit a shipped step: add one. */
export const MIGRATIONS: readonly string[] = [
  // 1: registered identity keys, one-time challenges, used nonces, sealed notes.
  `CREATE TABLE identity_keys (
     key_id TEXT PRIMARY KEY,
     public_jwk TEXT NOT NULL,
     registered_at INTEGER NOT NULL
   );
   CREATE TABLE challenges (
     id TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE nonces (
     key_id TEXT NOT NULL,
     nonce TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     PRIMARY KEY (key_id, nonce)
   );
   CREATE TABLE notes (
     id TEXT PRIMARY KEY,
     key_id TEXT NOT NULL REFERENCES identity_keys(key_id),
     envelope BLOB NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX notes_by_key ON notes (key_id, created_at);`,
  // 2: the relay's verification keys (jwt keys of registered identities).
  `CREATE TABLE relay_keys (
     kid TEXT PRIMARY KEY,
     owner_key_id TEXT NOT NULL REFERENCES identity_keys(key_id),
     public_jwk TEXT NOT NULL,
     registered_at INTEGER NOT NULL
   );`,
  // 3: key lifecycle (rotation chains under one account, revocation, scheduled deletion),
  // pending rotations, and push subscriptions with the enclave-made VAPID header.
  `ALTER TABLE identity_keys ADD COLUMN account_id TEXT;
   UPDATE identity_keys SET account_id = key_id;
   ALTER TABLE identity_keys ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE identity_keys ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
   ALTER TABLE identity_keys ADD COLUMN replaced_by TEXT;
   ALTER TABLE identity_keys ADD COLUMN changed_at INTEGER;
   ALTER TABLE identity_keys ADD COLUMN destroy_at INTEGER;
   CREATE TABLE rotations (
     id TEXT PRIMARY KEY,
     old_key_id TEXT NOT NULL REFERENCES identity_keys(key_id),
     challenge TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE push_subscriptions (
     account_id TEXT NOT NULL REFERENCES identity_keys(key_id),
     endpoint TEXT NOT NULL,
     p256dh TEXT NOT NULL,
     auth TEXT NOT NULL,
     authorization TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (account_id, endpoint)
   );`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * A registered key's state on the server: `active` signs requests; `rotated` was replaced by a
 * newer version of the same enclave key; `revoked` for ever; `pending-deletion` until the date
 * the enclave destroys it (only a cancellation is accepted from it meanwhile).
 */
export type ServerKeyState = 'active' | 'rotated' | 'revoked' | 'pending-deletion';

export interface IdentityKeyRow {
  keyId: string;
  publicJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
  registeredAt: number;
}

/** A registered key with its lifecycle. `accountId` is the first key of its rotation chain. */
export interface IdentityKeyRecord extends IdentityKeyRow {
  accountId: string;
  version: number;
  state: ServerKeyState;
  replacedBy: string | null;
  changedAt: number | null;
  destroyAt: number | null;
}

/** A push subscription and the VAPID `Authorization` header the page made for it. */
export interface PushSubscriptionRow {
  endpoint: string;
  p256dh: string;
  auth: string;
  authorization: string;
  updatedAt: number;
}

interface KeyDbRow {
  key_id: string;
  public_jwk: string;
  registered_at: number;
  account_id: string;
  version: number;
  state: ServerKeyState;
  replaced_by: string | null;
  changed_at: number | null;
  destroy_at: number | null;
}

const KEY_COLUMNS =
  'key_id, public_jwk, registered_at, account_id, version, state, replaced_by, changed_at, destroy_at';

function keyRecord(row: KeyDbRow): IdentityKeyRecord {
  return {
    keyId: row.key_id,
    publicJwk: JSON.parse(row.public_jwk),
    registeredAt: row.registered_at,
    accountId: row.account_id,
    version: row.version,
    state: row.state,
    replacedBy: row.replaced_by,
    changedAt: row.changed_at,
    destroyAt: row.destroy_at,
  };
}

export interface NoteRow {
  id: string;
  envelope: Buffer;
  createdAt: number;
}

/** The demo's store. Every method is synchronous and durable when it returns. */
export class Store {
  readonly db: Database.Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, 'demo.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `demo.sqlite has schema ${current}, newer than this server (${SCHEMA_VERSION})`,
      );
    }
    for (let v = current; v < SCHEMA_VERSION; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v] as string);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Store a challenge; expired ones are removed by `now`, the server's clock. */
  addChallenge(id: string, value: string, expiresAt: number, now = Date.now()): void {
    this.db.prepare('DELETE FROM challenges WHERE expires_at < ?').run(now);
    this.db
      .prepare('INSERT INTO challenges (id, value, expires_at) VALUES (?, ?, ?)')
      .run(id, value, expiresAt);
  }

  /** Remove and return a challenge (one use), or null if unknown or expired. */
  takeChallenge(id: string, now = Date.now()): string | null {
    return this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT value, expires_at AS expiresAt FROM challenges WHERE id = ?')
        .get(id) as { value: string; expiresAt: number } | undefined;
      this.db.prepare('DELETE FROM challenges WHERE id = ?').run(id);
      return row && row.expiresAt >= now ? row.value : null;
    })();
  }

  /** Register a first key (its own account); a known key is left as it is. */
  addKey(key: IdentityKeyRow): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO identity_keys (key_id, public_jwk, registered_at, account_id) VALUES (?, ?, ?, ?)',
      )
      .run(key.keyId, JSON.stringify(key.publicJwk), key.registeredAt, key.keyId);
  }

  getKey(keyId: string): IdentityKeyRecord | null {
    const row = this.db
      .prepare(`SELECT ${KEY_COLUMNS} FROM identity_keys WHERE key_id = ?`)
      .get(keyId) as KeyDbRow | undefined;
    return row ? keyRecord(row) : null;
  }

  /** Every registered key, oldest first, with its state. */
  listKeys(): IdentityKeyRecord[] {
    return (
      this.db
        .prepare(`SELECT ${KEY_COLUMNS} FROM identity_keys ORDER BY registered_at, version`)
        .all() as KeyDbRow[]
    ).map(keyRecord);
  }

  /** The keys of one account (its rotation chain), oldest first. */
  accountKeys(accountId: string): IdentityKeyRecord[] {
    return (
      this.db
        .prepare(`SELECT ${KEY_COLUMNS} FROM identity_keys WHERE account_id = ? ORDER BY version`)
        .all(accountId) as KeyDbRow[]
    ).map(keyRecord);
  }

  /**
   * Open a rotation of `oldKeyId` (authorized by a request that key signed); expired ones are
   * removed by `now`, the server's clock.
   */
  addRotation(
    id: string,
    oldKeyId: string,
    challenge: string,
    expiresAt: number,
    now = Date.now(),
  ): void {
    this.db.prepare('DELETE FROM rotations WHERE expires_at < ?').run(now);
    this.db
      .prepare('INSERT INTO rotations (id, old_key_id, challenge, expires_at) VALUES (?, ?, ?, ?)')
      .run(id, oldKeyId, challenge, expiresAt);
  }

  /** Remove and return an open rotation (one use), or null if unknown or expired. */
  takeRotation(id: string, now = Date.now()): { oldKeyId: string; challenge: string } | null {
    return this.db.transaction(() => {
      const row = this.db
        .prepare('SELECT old_key_id, challenge, expires_at FROM rotations WHERE id = ?')
        .get(id) as { old_key_id: string; challenge: string; expires_at: number } | undefined;
      this.db.prepare('DELETE FROM rotations WHERE id = ?').run(id);
      return row && row.expires_at >= now
        ? { oldKeyId: row.old_key_id, challenge: row.challenge }
        : null;
    })();
  }

  /**
   * Register `newKey` as the next version of `oldKeyId`'s account and retire the old key, in
   * one transaction. False if the old key is no longer active or the new key is known.
   */
  rotateKey(oldKeyId: string, newKey: IdentityKeyRow): boolean {
    return this.db.transaction(() => {
      const old = this.getKey(oldKeyId);
      if (old?.state !== 'active' || this.getKey(newKey.keyId)) return false;
      this.db
        .prepare(
          'INSERT INTO identity_keys (key_id, public_jwk, registered_at, account_id, version) VALUES (?, ?, ?, ?, ?)',
        )
        .run(
          newKey.keyId,
          JSON.stringify(newKey.publicJwk),
          newKey.registeredAt,
          old.accountId,
          old.version + 1,
        );
      this.db
        .prepare(
          "UPDATE identity_keys SET state = 'rotated', replaced_by = ?, changed_at = ? WHERE key_id = ?",
        )
        .run(newKey.keyId, newKey.registeredAt, oldKeyId);
      return true;
    })();
  }

  /** Set a key's state (revocation, scheduled deletion and its cancellation). */
  setKeyState(
    keyId: string,
    state: Exclude<ServerKeyState, 'rotated'>,
    destroyAt: number | null = null,
    now = Date.now(),
  ): void {
    this.db
      .prepare(
        'UPDATE identity_keys SET state = ?, destroy_at = ?, changed_at = ? WHERE key_id = ?',
      )
      .run(state, destroyAt, now, keyId);
  }

  /** Save (or replace) a push subscription of an account with a fresh VAPID header. */
  putPushSubscription(accountId: string, sub: PushSubscriptionRow): void {
    this.db
      .prepare(
        `INSERT INTO push_subscriptions (account_id, endpoint, p256dh, auth, authorization, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, endpoint) DO UPDATE SET p256dh = excluded.p256dh,
           auth = excluded.auth, authorization = excluded.authorization, updated_at = excluded.updated_at`,
      )
      .run(accountId, sub.endpoint, sub.p256dh, sub.auth, sub.authorization, sub.updatedAt);
  }

  listPushSubscriptions(accountId: string): PushSubscriptionRow[] {
    return (
      this.db
        .prepare(
          'SELECT endpoint, p256dh, auth, authorization, updated_at FROM push_subscriptions WHERE account_id = ? ORDER BY endpoint',
        )
        .all(accountId) as {
        endpoint: string;
        p256dh: string;
        auth: string;
        authorization: string;
        updated_at: number;
      }[]
    ).map((r) => ({
      endpoint: r.endpoint,
      p256dh: r.p256dh,
      auth: r.auth,
      authorization: r.authorization,
      updatedAt: r.updated_at,
    }));
  }

  /** Record a nonce; false if this key already used it (a replay). */
  useNonce(keyId: string, nonce: string, expiresAt: number, now = Date.now()): boolean {
    this.db.prepare('DELETE FROM nonces WHERE expires_at < ?').run(now);
    const result = this.db
      .prepare('INSERT OR IGNORE INTO nonces (key_id, nonce, expires_at) VALUES (?, ?, ?)')
      .run(keyId, nonce, expiresAt);
    return result.changes === 1;
  }

  /** Store a note; false if the id exists. */
  addNote(keyId: string, id: string, envelope: Buffer, createdAt: number): boolean {
    const result = this.db
      .prepare('INSERT OR IGNORE INTO notes (id, key_id, envelope, created_at) VALUES (?, ?, ?, ?)')
      .run(id, keyId, envelope, createdAt);
    return result.changes === 1;
  }

  listNotes(keyId: string): NoteRow[] {
    return (
      this.db
        .prepare(
          'SELECT id, envelope, created_at FROM notes WHERE key_id = ? ORDER BY created_at, id',
        )
        .all(keyId) as { id: string; envelope: Buffer; created_at: number }[]
    ).map((r) => ({ id: r.id, envelope: r.envelope, createdAt: r.created_at }));
  }

  /**
   * Bind `kid` as the account's one relay key: `bound` the first time, `same` when it is the key
   * already bound (idempotent), `exists` when the account has another relay key or `kid` belongs
   * to another account (then nothing changes).
   */
  addRelayKey(
    ownerKeyId: string,
    kid: string,
    publicJwk: object,
    registeredAt: number,
  ): 'bound' | 'same' | 'exists' {
    return this.db.transaction((): 'bound' | 'same' | 'exists' => {
      const byKid = this.db.prepare('SELECT owner_key_id FROM relay_keys WHERE kid = ?').get(kid) as
        | { owner_key_id: string }
        | undefined;
      if (byKid) return byKid.owner_key_id === ownerKeyId ? 'same' : 'exists';
      if (this.db.prepare('SELECT 1 FROM relay_keys WHERE owner_key_id = ?').get(ownerKeyId)) {
        return 'exists';
      }
      this.db
        .prepare(
          'INSERT INTO relay_keys (kid, owner_key_id, public_jwk, registered_at) VALUES (?, ?, ?, ?)',
        )
        .run(kid, ownerKeyId, JSON.stringify(publicJwk), registeredAt);
      return 'bound';
    })();
  }

  getRelayKey(kid: string): { ownerKeyId: string; publicJwk: IdentityKeyRow['publicJwk'] } | null {
    const row = this.db
      .prepare('SELECT owner_key_id, public_jwk FROM relay_keys WHERE kid = ?')
      .get(kid) as { owner_key_id: string; public_jwk: string } | undefined;
    return row ? { ownerKeyId: row.owner_key_id, publicJwk: JSON.parse(row.public_jwk) } : null;
  }

  close(): void {
    this.db.close();
  }
}
