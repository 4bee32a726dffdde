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
const MIGRATIONS: readonly string[] = [
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
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface IdentityKeyRow {
  keyId: string;
  publicJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
  registeredAt: number;
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

  addChallenge(id: string, value: string, expiresAt: number): void {
    this.db.prepare('DELETE FROM challenges WHERE expires_at < ?').run(Date.now());
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

  addKey(key: IdentityKeyRow): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO identity_keys (key_id, public_jwk, registered_at) VALUES (?, ?, ?)',
      )
      .run(key.keyId, JSON.stringify(key.publicJwk), key.registeredAt);
  }

  getKey(keyId: string): IdentityKeyRow | null {
    const row = this.db
      .prepare('SELECT key_id, public_jwk, registered_at FROM identity_keys WHERE key_id = ?')
      .get(keyId) as { key_id: string; public_jwk: string; registered_at: number } | undefined;
    return row
      ? {
          keyId: row.key_id,
          publicJwk: JSON.parse(row.public_jwk),
          registeredAt: row.registered_at,
        }
      : null;
  }

  listKeys(): { keyId: string; registeredAt: number }[] {
    return (
      this.db
        .prepare('SELECT key_id, registered_at FROM identity_keys ORDER BY registered_at')
        .all() as { key_id: string; registered_at: number }[]
    ).map((r) => ({ keyId: r.key_id, registeredAt: r.registered_at }));
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

  addRelayKey(ownerKeyId: string, kid: string, publicJwk: object): void {
    this.db
      .prepare(
        'INSERT OR IGNORE INTO relay_keys (kid, owner_key_id, public_jwk, registered_at) VALUES (?, ?, ?, ?)',
      )
      .run(kid, ownerKeyId, JSON.stringify(publicJwk), Date.now());
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
