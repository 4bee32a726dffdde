/**
 * Backup files, format version 1 (docs/backup.md): a self-describing, versioned file that
 * carries an origin's keys — their public metadata in clear but authenticated, their private
 * or secret material encrypted — under keys derived from a passphrase (PBKDF2-SHA-256) or a
 * recovery phrase (its 32 bytes of BIP-39 entropy), then HKDF-SHA-256 into one AES-256-GCM key
 * that wraps each key version and one HMAC-SHA-256 key that authenticates the whole file.
 *
 * A backup file is attacker-controlled input: it arrives from the app page, which may run an
 * attacker's script, and it may have been stored anywhere. {@link parseBackup} therefore
 * checks every field's type without coercing anything and names what is wrong, and
 * {@link openBackup} verifies the secret, the whole file's MAC and every key version before it
 * returns anything. Key material is wrapped and unwrapped by WebCrypto (`wrapKey`/`unwrapKey`):
 * its bytes never enter JS, and the keys it returns are non-extractable.
 *
 * Pure library: nothing here reads or writes storage, asks the person, or checks the origin
 * against the caller's; the operations around it do.
 */
import { StrongroomError, type StrongroomErrorCode } from '@strongroom/bridge/errors';
import {
  type JsonObject,
  type JsonValue,
  KEY_PURPOSES,
  type KeyAlgorithm,
  type KeyPurpose,
  type KeySource,
  LIMITS,
  PURPOSE_ALGORITHMS,
  type PublicJwk,
} from '@strongroom/bridge/protocol';
import { type AlgorithmSpec, algorithm, isKeyAlgorithm } from './algorithms';
import { canonicalJson } from './canonical-json';
import { base64url, utf8 } from './encoding';
import { generateKeyRetrying } from './generate';
import { calibratePbkdf2, MAX_PBKDF2_ITERATIONS, MIN_PBKDF2_ITERATIONS } from './pbkdf2';
import { importPublic } from './public-jwk';
import { jwkThumbprint } from './thumbprint';

/** The `format` member of every Strongroom backup file. */
export const BACKUP_FORMAT = 'strongroom-backup';

/** The format version this module writes and reads. */
export const BACKUP_VERSION = 1;

/** Largest backup file accepted or written, in bytes (8 MiB). */
export const MAX_BACKUP_BYTES = 8 * 1024 * 1024;

/** The PBKDF2 bounds and calibration (`./pbkdf2.ts`), also used by vault enrollments. */
export { calibratePbkdf2, MAX_PBKDF2_ITERATIONS, MIN_PBKDF2_ITERATIONS };

/** Bytes of the KDF salt. */
export const BACKUP_SALT_BYTES = 16;

/** Name of the passphrase KDF in `kdf.name`. */
export const KDF_PBKDF2 = 'PBKDF2-SHA-256';

/** Name of the recovery-phrase KDF in `kdf.name`. */
export const KDF_BIP39 = 'BIP39-HKDF-SHA-256';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAC_BYTES = 32;
const PHRASE_ENTROPY_BYTES = 32;
/** Largest wrapped material of one version (IV, ciphertext of a PKCS #8 key, tag). */
const MAX_MATERIAL_BYTES = IV_BYTES + LIMITS.maxWrappedKeyBytes;
const MAX_ORIGIN_LENGTH = 2048;
const MAX_KID_LENGTH = 128;
const MAX_TIME = 8.64e15;
const MAX_VERSION = 0xffff_ffff;
const INFO_WRAP = 'strongroom-backup v1 wrap';
const INFO_MAC = 'strongroom-backup v1 mac';
const CHECK_LABEL = 'strongroom-backup v1 check';
const PAIR_PROBE = 'strongroom-backup v1 pair check';
/** Materials tried to tell an edited `check` from a wrong secret. */
const MATERIAL_PROBES = 4;

/** The KDF of a backup: its name, parameters and salt (base64url of 16 bytes). */
export type BackupKdf =
  | { readonly name: typeof KDF_PBKDF2; readonly iterations: number; readonly salt: string }
  | { readonly name: typeof KDF_BIP39; readonly salt: string };

/** The secret a backup is made or opened with, as the enclave's own dialog obtained it. */
export type BackupSecret =
  | { readonly kind: 'passphrase'; readonly passphrase: string }
  | { readonly kind: 'phrase'; readonly entropy: Uint8Array };

/** A source of random bytes; only tests pass their own, to reproduce a test vector. */
export type RandomSource = (length: number) => Uint8Array;

/** The keys derived from a backup secret (both non-extractable). */
export interface BackupKeys {
  /** AES-256-GCM, `wrapKey`/`unwrapKey`: wraps each key version's material. */
  readonly wrap: CryptoKey;
  /** HMAC-SHA-256, `sign`/`verify`: the file's `check` and `mac`. */
  readonly mac: CryptoKey;
}

/** Where a backed-up key came from, as the keystore recorded it. */
export interface BackupProvenance {
  readonly source: KeySource;
  readonly from?: { readonly keyId: string; readonly source: KeySource };
}

/** The public metadata of a backed-up key (in clear in the file, authenticated by `mac`). */
export interface BackupKeyMeta {
  /** The key's id, kept on restore. */
  readonly id: string;
  /** The primary version's kid (`versions[0].kid`). */
  readonly kid: string;
  readonly alg: KeyAlgorithm;
  readonly label: string;
  readonly purpose: KeyPurpose;
  /** The key's policy, opaque to this module: whatever JSON object the keystore passes. */
  readonly policy: JsonObject;
  readonly createdAt: number;
  readonly provenance: BackupProvenance;
}

/** One version of a key in the file. */
export interface BackupKeyVersion {
  readonly version: number;
  readonly kid: string;
  readonly createdAt: number;
  /** The version's public JWK (pairs), else `null`. */
  readonly publicJwk: PublicJwk | null;
  /** base64url of `IV (12) ‖ AES-256-GCM ciphertext ‖ tag (16)` of the wrapped material. */
  readonly material: string;
}

/** One key in the file: its metadata and its versions, newest (the primary) first. */
export interface BackupKey extends BackupKeyMeta {
  readonly versions: readonly BackupKeyVersion[];
}

/** A backup file as {@link parseBackup} returns it: validated, but not yet authenticated. */
export interface BackupFile {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: typeof BACKUP_VERSION;
  /** When the backup was made, milliseconds since the epoch (enclave clock). */
  readonly createdAt: number;
  /** The origin whose keys these are (bound into every version's AAD). */
  readonly origin: string;
  readonly kdf: BackupKdf;
  readonly aead: 'A256GCM';
  /** base64url HMAC of a fixed label: tells a wrong secret from an edited file. */
  readonly check: string;
  readonly keys: readonly BackupKey[];
  /** base64url HMAC of the canonical JSON of every other member. */
  readonly mac: string;
}

/** One version of a key to seal: its public metadata and an extractable key. */
export interface SealKeyVersion {
  readonly version: number;
  readonly kid: string;
  readonly createdAt: number;
  readonly publicJwk: PublicJwk | null;
  /** The private (pairs) or secret key, **extractable**, of the key's algorithm. */
  readonly key: CryptoKey;
}

/** One key to seal. */
export interface SealKey extends BackupKeyMeta {
  /** Every version to back up, in any order (the file lists them newest first). */
  readonly versions: readonly SealKeyVersion[];
}

/** What {@link sealBackup} seals. */
export interface SealInput {
  readonly origin: string;
  readonly createdAt: number;
  readonly kdf: BackupKdf;
  readonly keys: readonly SealKey[];
}

/** One version of an opened key. */
export interface OpenedBackupVersion {
  readonly version: number;
  readonly kid: string;
  readonly createdAt: number;
  readonly publicJwk: PublicJwk | null;
  /** The private or secret key, with the algorithm's usages: non-extractable by default. */
  readonly key: CryptoKey;
  /** The public key imported from `publicJwk` (pairs), else `null`. */
  readonly publicKey: CryptoKey | null;
}

/** One opened key: its metadata and its versions, newest first. */
export interface OpenedBackupKey extends BackupKeyMeta {
  readonly versions: readonly OpenedBackupVersion[];
}

/** A fully verified backup, ready for the caller to store (all or nothing). */
export interface OpenedBackup {
  readonly origin: string;
  readonly createdAt: number;
  readonly keys: readonly OpenedBackupKey[];
}

const systemRandom: RandomSource = (length) => crypto.getRandomValues(new Uint8Array(length));

const SOURCES: { readonly [S in KeySource]: true } = {
  generated: true,
  derived: true,
  imported: true,
  migrated: true,
  restored: true,
};

// ---------------------------------------------------------------------------------------------
// Key schedule

/**
 * A new KDF description with a fresh 16-byte salt. `iterations` is used by passphrases only
 * (default {@link MIN_PBKDF2_ITERATIONS}; pass {@link calibratePbkdf2}'s result); `random` is
 * for test vectors only.
 *
 * @example
 * ```ts
 * newKdf('phrase'); // { name: 'BIP39-HKDF-SHA-256', salt: '…' }
 * newKdf('passphrase', 1_200_000); // { name: 'PBKDF2-SHA-256', iterations: 1200000, salt: '…' }
 * ```
 */
export function newKdf(
  kind: BackupSecret['kind'],
  iterations: number = MIN_PBKDF2_ITERATIONS,
  random: RandomSource = systemRandom,
): BackupKdf {
  const salt = base64url(draw(random, BACKUP_SALT_BYTES));
  if (kind === 'phrase') return { name: KDF_BIP39, salt };
  if (kind !== 'passphrase') {
    throw new StrongroomError('INVALID_ARGUMENT', `"kind" expected 'passphrase' or 'phrase'`);
  }
  checkIterations(iterations, 'iterations', 'INVALID_ARGUMENT');
  return { name: KDF_PBKDF2, iterations, salt };
}

/**
 * Derive the wrapping and MAC keys of a backup from its secret and KDF. A secret of the other
 * kind than `kdf.name` gives `BACKUP_DECRYPT_FAILED` (it cannot open this backup); a malformed
 * secret (empty passphrase, entropy not 32 bytes) gives `INVALID_ARGUMENT`.
 *
 * The passphrase is normalised to NFKC before UTF-8 encoding, so that the same characters
 * typed on another keyboard or system give the same key. Intermediate bytes are zeroed after
 * use (JS promises nothing about copies the engine made; zeroing is a best effort).
 *
 * @example
 * ```ts
 * const keys = await deriveBackupKeys({ kind: 'passphrase', passphrase }, kdf);
 * ```
 */
export async function deriveBackupKeys(secret: BackupSecret, kdf: BackupKdf): Promise<BackupKeys> {
  const checkedKdf = checkKdf(kdf, 'kdf', 'INVALID_ARGUMENT');
  const salt = decodeB64(checkedKdf.salt, 'kdf.salt', 'INVALID_ARGUMENT', BACKUP_SALT_BYTES);
  const ikm = await inputKeyingMaterial(secret, checkedKdf, salt);
  try {
    const base = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveKey']);
    const hkdf = (info: string): HkdfParams => ({
      name: 'HKDF',
      hash: 'SHA-256',
      salt,
      info: utf8(info),
    });
    const wrap = await crypto.subtle.deriveKey(
      hkdf(INFO_WRAP),
      base,
      { name: 'AES-GCM', length: 256 },
      false,
      ['wrapKey', 'unwrapKey'],
    );
    const mac = await crypto.subtle.deriveKey(
      hkdf(INFO_MAC),
      base,
      { name: 'HMAC', hash: 'SHA-256', length: 256 },
      false,
      ['sign', 'verify'],
    );
    return { wrap, mac };
  } finally {
    ikm.fill(0);
  }
}

async function inputKeyingMaterial(
  secret: BackupSecret,
  kdf: BackupKdf,
  salt: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  if (typeof secret !== 'object' || secret === null) {
    throw new StrongroomError('INVALID_ARGUMENT', '"secret" expected an object');
  }
  if (secret.kind === 'passphrase') {
    if (typeof secret.passphrase !== 'string' || secret.passphrase === '') {
      throw new StrongroomError(
        'INVALID_ARGUMENT',
        '"secret.passphrase" expected a non-empty string',
      );
    }
    if (kdf.name !== KDF_PBKDF2) throw wrongSecret();
    const bytes = utf8(secret.passphrase.normalize('NFKC'));
    try {
      const key = await crypto.subtle.importKey('raw', bytes, 'PBKDF2', false, ['deriveBits']);
      const bits = await crypto.subtle.deriveBits(
        { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: kdf.iterations },
        key,
        256,
      );
      return new Uint8Array(bits);
    } finally {
      bytes.fill(0);
    }
  }
  if (secret.kind === 'phrase') {
    if (!(secret.entropy instanceof Uint8Array) || secret.entropy.length !== PHRASE_ENTROPY_BYTES) {
      throw new StrongroomError('INVALID_ARGUMENT', '"secret.entropy" expected 32 bytes');
    }
    if (kdf.name !== KDF_BIP39) throw wrongSecret();
    const copy = new Uint8Array(PHRASE_ENTROPY_BYTES);
    copy.set(secret.entropy);
    return copy;
  }
  throw new StrongroomError('INVALID_ARGUMENT', `"secret.kind" expected 'passphrase' or 'phrase'`);
}

function wrongSecret(): StrongroomError {
  return new StrongroomError('BACKUP_DECRYPT_FAILED', 'the secret does not open this backup');
}

// ---------------------------------------------------------------------------------------------
// Sealing

/**
 * Seal keys into a backup file (canonical JSON, UTF-8). Each version's material is wrapped
 * with `crypto.subtle.wrapKey` (AES-256-GCM, a fresh IV, the AAD
 * `strongroom-backup v1|origin|id|version|alg`), so its bytes never enter JS; then `check` and
 * `mac` are computed. The new file is parsed and opened with `keys` before it is returned, so
 * a file this returns is one {@link openBackup} accepts.
 *
 * Throws `INVALID_ARGUMENT` naming the field when the input is malformed (a key that is not
 * extractable or not of its algorithm, duplicate ids or versions…), `PAYLOAD_TOO_LARGE` when
 * the file would exceed {@link MAX_BACKUP_BYTES}.
 *
 * @example
 * ```ts
 * const kdf = newKdf('passphrase', await calibratePbkdf2());
 * const keys = await deriveBackupKeys({ kind: 'passphrase', passphrase }, kdf);
 * const bytes = await sealBackup({ origin, createdAt: Date.now(), kdf, keys: toSeal }, keys);
 * ```
 */
export async function sealBackup(
  input: SealInput,
  keys: BackupKeys,
  random: RandomSource = systemRandom,
): Promise<Uint8Array<ArrayBuffer>> {
  const code = 'INVALID_ARGUMENT';
  checkObject(input, 'input', code, ['origin', 'createdAt', 'kdf', 'keys']);
  const origin = checkOrigin(input.origin, 'origin', code);
  const createdAt = checkTime(input.createdAt, 'createdAt', code);
  const kdf = checkKdf(input.kdf, 'kdf', code);
  const list = checkArray(input.keys, 'keys', code, LIMITS.maxKeysPerOrigin);
  const out: BackupKey[] = [];
  for (const [i, item] of list.entries()) {
    const path = `keys[${i}]`;
    checkObject(item, path, code, [...META_FIELDS, 'versions']);
    const versionList = checkArray(item.versions, `${path}.versions`, code, LIMITS.maxKeyVersions);
    const meta = checkMeta(item, path, code);
    const spec = algorithm(meta.alg);
    const sorted = versionList
      .map((v, j) => ({ v, j }))
      .sort((a, b) => versionNumberOf(b.v) - versionNumberOf(a.v));
    const versions: BackupKeyVersion[] = [];
    for (const { v, j } of sorted) {
      const at = `${path}.versions[${j}]`;
      checkObject(v, at, code, ['version', 'kid', 'createdAt', 'publicJwk', 'key']);
      const key = v.key;
      if (
        !(key instanceof CryptoKey) ||
        !key.extractable ||
        key.type !== (spec.kind === 'pair' ? 'private' : 'secret') ||
        key.algorithm.name !== algorithmName(spec)
      ) {
        throw new StrongroomError(
          code,
          `${at}.key: expected an extractable ${spec.kind === 'pair' ? 'private' : 'secret'} ${spec.alg} key`,
        );
      }
      const version = checkVersionNumber(v.version, `${at}.version`, code);
      const iv = draw(random, IV_BYTES);
      let ciphertext: ArrayBuffer;
      try {
        ciphertext = await crypto.subtle.wrapKey(spec.materialFormat, key, keys.wrap, {
          name: 'AES-GCM',
          iv,
          additionalData: versionAad(origin, meta.id, version, spec.alg),
        });
      } catch (cause) {
        throw new StrongroomError(code, `${at}.key: could not be wrapped`, { cause });
      }
      const material = new Uint8Array(IV_BYTES + ciphertext.byteLength);
      material.set(iv);
      material.set(new Uint8Array(ciphertext), IV_BYTES);
      versions.push({
        version,
        kid: checkKid(v.kid, `${at}.kid`, code),
        createdAt: checkTime(v.createdAt, `${at}.createdAt`, code),
        publicJwk: checkPublicJwk(v.publicJwk, `${at}.publicJwk`, code, spec),
        material: base64url(material),
      });
    }
    // The same checks as an importer's: versions newest first and each once, kids, lengths.
    out.push(checkKey({ ...meta, versions }, path, code));
  }
  const body = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt,
    origin,
    kdf,
    aead: 'A256GCM',
    check: base64url(await hmac(keys.mac, utf8(CHECK_LABEL))),
    keys: out,
  } as const;
  // Check the structure before the MAC, so that malformed input is named as input.
  checkKeys(body.keys, code);
  const mac = base64url(await hmac(keys.mac, utf8(canonicalJson(body))));
  const bytes = utf8(canonicalJson({ ...body, mac }));
  if (bytes.byteLength > MAX_BACKUP_BYTES) {
    throw new StrongroomError(
      'PAYLOAD_TOO_LARGE',
      `the backup would be larger than ${MAX_BACKUP_BYTES} bytes: back up fewer keys`,
    );
  }
  // Read it back as an importer would: a backup that does not open is worse than none.
  try {
    await openWithKeys(parseBackup(bytes), keys, false);
  } catch (cause) {
    throw new StrongroomError('INTERNAL_ERROR', 'the new backup did not verify', { cause });
  }
  return bytes;
}

function versionNumberOf(value: unknown): number {
  const v = typeof value === 'object' && value !== null ? (value as { version?: unknown }) : {};
  return typeof v.version === 'number' ? v.version : 0;
}

function algorithmName(spec: AlgorithmSpec): string {
  const params = spec.importParams;
  return typeof params === 'string' ? params : params.name;
}

async function hmac(key: CryptoKey, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
}

function versionAad(
  origin: string,
  id: string,
  version: number,
  alg: KeyAlgorithm,
): Uint8Array<ArrayBuffer> {
  return utf8(`strongroom-backup v${BACKUP_VERSION}|${origin}|${id}|${version}|${alg}`);
}

function draw(random: RandomSource, length: number): Uint8Array<ArrayBuffer> {
  const bytes = random(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new StrongroomError('INVALID_ARGUMENT', `"random" must return ${length} bytes`);
  }
  const copy = new Uint8Array(length);
  copy.set(bytes);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Parse and validate a backup file's bytes. Checks the size bound, UTF-8, JSON, canonical
 * form, and every member's presence, type, range and encoding — algorithms known to this
 * enclave, purposes that fit them, versions newest first and each once, ids unique — without
 * coercing any value. Does not authenticate: that needs the secret ({@link openBackup}).
 *
 * Throws `BACKUP_INVALID` whose message names the path and the problem, e.g.
 * `keys[2].versions[0].material: not base64url`, `not JSON (truncated?)`,
 * `version 2 is not supported by this enclave (1)`; `INVALID_ARGUMENT` when `bytes` is not a
 * `Uint8Array` or `ArrayBuffer`.
 *
 * @example
 * ```ts
 * const file = parseBackup(bytes);
 * file.keys.map((k) => k.label); // shown in the enclave's dialog before asking for the secret
 * ```
 */
export function parseBackup(bytes: unknown): BackupFile {
  let view: Uint8Array;
  if (bytes instanceof Uint8Array) view = bytes;
  else if (bytes instanceof ArrayBuffer) view = new Uint8Array(bytes);
  else throw new StrongroomError('INVALID_ARGUMENT', '"file" expected Uint8Array');
  if (view.byteLength > MAX_BACKUP_BYTES) {
    throw invalidFile(`the file is larger than ${MAX_BACKUP_BYTES} bytes`);
  }
  // Copy first: a view of a SharedArrayBuffer could change while it is read.
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(copy);
  } catch {
    throw invalidFile('not UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidFile('not JSON (truncated?)');
  }
  const file = checkFile(value);
  // Canonical bytes only: one file, one reading, whatever JSON parser a tool uses.
  if (canonicalJson(file) !== text) {
    throw invalidFile('not in canonical form (re-encoded or edited after it was made)');
  }
  return file;
}

function invalidFile(message: string): StrongroomError {
  return new StrongroomError('BACKUP_INVALID', message);
}

function checkFile(value: unknown): BackupFile {
  const code = 'BACKUP_INVALID';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidFile('not a JSON object');
  }
  const record = value as Record<string, unknown>;
  if (record.format !== BACKUP_FORMAT) {
    throw invalidFile(`format: not a Strongroom backup (expected "${BACKUP_FORMAT}")`);
  }
  if (record.version !== BACKUP_VERSION) {
    if (Number.isSafeInteger(record.version)) {
      throw invalidFile(
        `version ${record.version} is not supported by this enclave (${BACKUP_VERSION})`,
      );
    }
    throw invalidFile('version: expected an integer');
  }
  checkObject(value, '', code, FILE_FIELDS);
  if (record.aead !== 'A256GCM') throw invalidFile('aead: expected "A256GCM"');
  const file: BackupFile = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: checkTime(record.createdAt, 'createdAt', code),
    origin: checkOrigin(record.origin, 'origin', code),
    kdf: checkKdf(record.kdf, 'kdf', code),
    aead: 'A256GCM',
    check: checkB64(record.check, 'check', code, MAC_BYTES),
    keys: checkArray(record.keys, 'keys', code, LIMITS.maxKeysPerOrigin).map((item, i) =>
      checkKey(item, `keys[${i}]`, code),
    ),
    mac: checkB64(record.mac, 'mac', code, MAC_BYTES),
  };
  checkKeys(file.keys, code);
  return file;
}

const FILE_FIELDS = [
  'format',
  'version',
  'createdAt',
  'origin',
  'kdf',
  'aead',
  'check',
  'keys',
  'mac',
] as const;

const META_FIELDS = [
  'id',
  'kid',
  'alg',
  'label',
  'purpose',
  'policy',
  'createdAt',
  'provenance',
] as const;

/** Cross-key checks: at least one key, ids unique. */
function checkKeys(keys: readonly BackupKey[], code: StrongroomErrorCode): void {
  if (keys.length === 0) throw new StrongroomError(code, 'keys: empty (nothing to back up)');
  const seen = new Map<string, number>();
  for (const [i, key] of keys.entries()) {
    const first = seen.get(key.id);
    if (first !== undefined) {
      throw new StrongroomError(code, `keys[${i}].id: the same id as keys[${first}]`);
    }
    seen.set(key.id, i);
  }
}

function checkKey(value: unknown, path: string, code: StrongroomErrorCode): BackupKey {
  checkObject(value, path, code, [...META_FIELDS, 'versions']);
  const meta = checkMeta(value, path, code);
  const spec = algorithm(meta.alg);
  const list = checkArray(value.versions, `${path}.versions`, code, LIMITS.maxKeyVersions);
  const versions = list.map((item, j) => {
    const at = `${path}.versions[${j}]`;
    checkObject(item, at, code, ['version', 'kid', 'createdAt', 'publicJwk', 'material']);
    const version: BackupKeyVersion = {
      version: checkVersionNumber(item.version, `${at}.version`, code),
      kid: checkKid(item.kid, `${at}.kid`, code),
      createdAt: checkTime(item.createdAt, `${at}.createdAt`, code),
      publicJwk: checkPublicJwk(item.publicJwk, `${at}.publicJwk`, code, spec),
      material: item.material as string,
    };
    const bytes = decodeB64(item.material, `${at}.material`, code);
    if (bytes.length < IV_BYTES + TAG_BYTES + 1 || bytes.length > MAX_MATERIAL_BYTES) {
      throw new StrongroomError(code, `${at}.material: ${bytes.length} bytes is not a wrapped key`);
    }
    const previous = list[j - 1];
    if (j > 0 && !(version.version < versionNumberOf(previous))) {
      throw new StrongroomError(
        code,
        `${at}.version: versions must be listed newest first, each once`,
      );
    }
    return version;
  });
  if (versions.length === 0) throw new StrongroomError(code, `${path}.versions: empty`);
  if (versions[0]?.kid !== meta.kid) {
    throw new StrongroomError(code, `${path}.kid: not the kid of the primary version`);
  }
  return { ...meta, versions };
}

function checkMeta(
  value: Record<string, unknown>,
  path: string,
  code: StrongroomErrorCode,
): BackupKeyMeta {
  const id = checkKeyId(value.id, `${path}.id`, code);
  if (!isKeyAlgorithm(value.alg)) {
    throw new StrongroomError(code, `${path}.alg: not an algorithm this enclave supports`);
  }
  const alg = value.alg;
  const purpose = value.purpose;
  if (typeof purpose !== 'string' || !(KEY_PURPOSES as readonly string[]).includes(purpose)) {
    throw new StrongroomError(code, `${path}.purpose: not a key purpose`);
  }
  if (!PURPOSE_ALGORITHMS[purpose as KeyPurpose].includes(alg)) {
    throw new StrongroomError(code, `${path}.purpose: a ${purpose} key cannot be ${alg}`);
  }
  const label = value.label;
  if (typeof label !== 'string' || label.length > LIMITS.maxLabelLength) {
    throw new StrongroomError(
      code,
      `${path}.label: expected a string of at most ${LIMITS.maxLabelLength} characters`,
    );
  }
  return {
    id,
    kid: checkKid(value.kid, `${path}.kid`, code),
    alg,
    label,
    purpose: purpose as KeyPurpose,
    policy: checkPolicy(value.policy, `${path}.policy`, code),
    createdAt: checkTime(value.createdAt, `${path}.createdAt`, code),
    provenance: checkProvenance(value.provenance, `${path}.provenance`, code),
  };
}

function checkProvenance(
  value: unknown,
  path: string,
  code: StrongroomErrorCode,
): BackupProvenance {
  checkObject(value, path, code, ['source'], ['from']);
  const source = checkSource(value.source, `${path}.source`, code);
  if (!Object.hasOwn(value, 'from')) return { source };
  checkObject(value.from, `${path}.from`, code, ['keyId', 'source']);
  const from = {
    keyId: checkKeyId(value.from.keyId, `${path}.from.keyId`, code),
    source: checkSource(value.from.source, `${path}.from.source`, code),
  };
  return { source, from };
}

function checkSource(value: unknown, path: string, code: StrongroomErrorCode): KeySource {
  if (typeof value !== 'string' || !Object.hasOwn(SOURCES, value)) {
    throw new StrongroomError(code, `${path}: not a key source`);
  }
  return value as KeySource;
}

/** The policy is opaque here: any JSON object, of bounded depth, copied member by member. */
function checkPolicy(value: unknown, path: string, code: StrongroomErrorCode): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StrongroomError(code, `${path}: expected an object`);
  }
  return copyJson(value, path, code, 0) as JsonObject;
}

function copyJson(
  value: unknown,
  path: string,
  code: StrongroomErrorCode,
  depth: number,
): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw new StrongroomError(code, `${path}: expected a finite number`);
  }
  if (depth >= LIMITS.maxJsonDepth) {
    throw new StrongroomError(code, `${path}: nested deeper than ${LIMITS.maxJsonDepth}`);
  }
  if (Array.isArray(value)) {
    return value.map((item, i) => copyJson(item, `${path}[${i}]`, code, depth + 1));
  }
  if (typeof value === 'object' && isPlain(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [name, item] of Object.entries(value)) {
      // JSON.parse makes "__proto__" an own member; assigning it would set a prototype.
      if (name === '__proto__') throw new StrongroomError(code, `${path}: "__proto__" member`);
      out[name] = copyJson(item, `${path}.${name}`, code, depth + 1);
    }
    return out;
  }
  throw new StrongroomError(code, `${path}: not a JSON value`);
}

function checkPublicJwk(
  value: unknown,
  path: string,
  code: StrongroomErrorCode,
  spec: AlgorithmSpec,
): PublicJwk | null {
  const shape = spec.publicJwkShape;
  const members = spec.thumbprintMembers;
  if (!shape || !members) {
    if (value !== null) throw new StrongroomError(code, `${path}: expected null (a secret key)`);
    return null;
  }
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, 'd')) {
    throw new StrongroomError(code, `${path}: has a private member "d"`);
  }
  checkObject(value, path, code, members, ['kid', 'alg']);
  if (value.kty !== shape.kty || value.crv !== shape.crv) {
    throw new StrongroomError(code, `${path}: not a ${spec.alg} public key`);
  }
  const out: Record<string, string> = {};
  for (const name of members) {
    if (name === 'kty' || name === 'crv') {
      out[name] = value[name] as string;
      continue;
    }
    out[name] = checkB64Text(value[name], `${path}.${name}`, code, 100);
  }
  if (Object.hasOwn(value, 'kid')) out.kid = checkKid(value.kid, `${path}.kid`, code);
  if (Object.hasOwn(value, 'alg')) {
    if (spec.jwkAlg === undefined || value.alg !== spec.jwkAlg) {
      throw new StrongroomError(code, `${path}.alg: not ${spec.jwkAlg ?? 'allowed for this key'}`);
    }
    out.alg = spec.jwkAlg;
  }
  return out;
}

function checkKdf(value: unknown, path: string, code: StrongroomErrorCode): BackupKdf {
  if (typeof value !== 'object' || value === null) {
    throw new StrongroomError(code, `${path}: expected an object`);
  }
  const name = (value as { name?: unknown }).name;
  if (name === KDF_PBKDF2) {
    checkObject(value, path, code, ['name', 'iterations', 'salt']);
    return {
      name,
      iterations: checkIterations(value.iterations, `${path}.iterations`, code),
      salt: checkB64(value.salt, `${path}.salt`, code, BACKUP_SALT_BYTES),
    };
  }
  if (name === KDF_BIP39) {
    checkObject(value, path, code, ['name', 'salt']);
    return { name, salt: checkB64(value.salt, `${path}.salt`, code, BACKUP_SALT_BYTES) };
  }
  throw new StrongroomError(code, `${path}.name: expected "${KDF_PBKDF2}" or "${KDF_BIP39}"`);
}

function checkIterations(value: unknown, path: string, code: StrongroomErrorCode): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < MIN_PBKDF2_ITERATIONS ||
    value > MAX_PBKDF2_ITERATIONS
  ) {
    throw new StrongroomError(
      code,
      `${path}: expected an integer from ${MIN_PBKDF2_ITERATIONS} to ${MAX_PBKDF2_ITERATIONS}`,
    );
  }
  return value;
}

function checkOrigin(value: unknown, path: string, code: StrongroomErrorCode): string {
  if (typeof value !== 'string' || value.length > MAX_ORIGIN_LENGTH) {
    throw new StrongroomError(code, `${path}: expected an origin`);
  }
  let parsed: string;
  try {
    parsed = new URL(value).origin;
  } catch {
    parsed = '';
  }
  if (parsed !== value || parsed === 'null') {
    throw new StrongroomError(code, `${path}: not a serialised origin (scheme://host[:port])`);
  }
  return value;
}

function checkTime(value: unknown, path: string, code: StrongroomErrorCode): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_TIME) {
    throw new StrongroomError(code, `${path}: expected a time in milliseconds since the epoch`);
  }
  return value;
}

function checkVersionNumber(value: unknown, path: string, code: StrongroomErrorCode): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 1 ||
    value > MAX_VERSION
  ) {
    throw new StrongroomError(code, `${path}: expected a positive integer`);
  }
  return value;
}

function checkKeyId(value: unknown, path: string, code: StrongroomErrorCode): string {
  if (
    typeof value !== 'string' ||
    value.length > LIMITS.maxKeyIdLength ||
    !/^[A-Za-z0-9_-]+$/.test(value)
  ) {
    throw new StrongroomError(code, `${path}: not a key id`);
  }
  return value;
}

function checkKid(value: unknown, path: string, code: StrongroomErrorCode): string {
  return checkB64Text(value, path, code, MAX_KID_LENGTH);
}

function checkB64Text(
  value: unknown,
  path: string,
  code: StrongroomErrorCode,
  maxLength: number,
): string {
  if (typeof value !== 'string' || value.length > maxLength || !/^[A-Za-z0-9_-]+$/.test(value)) {
    throw new StrongroomError(
      code,
      `${path}: expected base64url of at most ${maxLength} characters`,
    );
  }
  return value;
}

/** Check base64url of exactly `bytes` bytes; return the text. */
function checkB64(value: unknown, path: string, code: StrongroomErrorCode, bytes: number): string {
  decodeB64(value, path, code, bytes);
  return value as string;
}

/** Strict base64url (RFC 4648 §5, no padding, canonical trailing bits), optionally of a length. */
function decodeB64(
  value: unknown,
  path: string,
  code: StrongroomErrorCode,
  bytes?: number,
): Uint8Array<ArrayBuffer> {
  if (typeof value !== 'string') throw new StrongroomError(code, `${path}: expected a string`);
  if (value.length > ((MAX_BACKUP_BYTES + 2) / 3) * 4 || !/^[A-Za-z0-9_-]*$/.test(value)) {
    throw new StrongroomError(code, `${path}: not base64url`);
  }
  let out: Uint8Array<ArrayBuffer> | null = null;
  if (value.length % 4 !== 1) {
    const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
    out = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }
  if (out === null || base64url(out) !== value) {
    throw new StrongroomError(code, `${path}: not base64url`);
  }
  if (bytes !== undefined && out.length !== bytes) {
    throw new StrongroomError(code, `${path}: expected ${bytes} bytes, got ${out.length}`);
  }
  return out;
}

function checkArray(
  value: unknown,
  path: string,
  code: StrongroomErrorCode,
  max: number,
): readonly unknown[] {
  if (!Array.isArray(value)) throw new StrongroomError(code, `${path}: expected an array`);
  if (value.length > max) throw new StrongroomError(code, `${path}: more than ${max} entries`);
  return value;
}

/**
 * Assert a plain object with every member of `required` and no member outside `required` and
 * `optional`. Unknown members are
 * refused, not ignored: a field this version does not know is a field it cannot authenticate
 * the meaning of.
 */
function checkObject<const K extends string, const O extends string = never>(
  value: unknown,
  path: string,
  code: StrongroomErrorCode,
  required: readonly K[],
  optional: readonly O[] = [],
): asserts value is Record<K | O, unknown> {
  const label = path === '' ? 'the file' : path;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlain(value)) {
    throw new StrongroomError(code, `${label}: expected an object`);
  }
  for (const name of Object.keys(value)) {
    if (
      !(required as readonly string[]).includes(name) &&
      !(optional as readonly string[]).includes(name)
    ) {
      throw new StrongroomError(code, `${label}: unknown member "${name.slice(0, 40)}"`);
    }
  }
  for (const name of required) {
    if (!Object.hasOwn(value, name)) {
      throw new StrongroomError(code, `${path === '' ? '' : `${path}.`}${name}: missing`);
    }
  }
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------------------------------------
// Opening

/**
 * Open a parsed backup with the secret the person entered, and verify all of it: the secret
 * (`check`), the whole file (`mac`), and every version of every key (AES-GCM unwrap with its
 * AAD, secret key lengths, for pairs the kid as the RFC 7638 thumbprint of the public JWK and
 * the private key matching the public key, by a signature or an agreement with an ephemeral
 * key). Nothing is stored: the caller imports the result all or nothing.
 *
 * Throws `BACKUP_DECRYPT_FAILED` when the secret does not open the file (fixed message), and
 * `BACKUP_INVALID` naming what is wrong when the file was edited after it was made or a key
 * version does not verify. The private and secret keys returned are non-extractable, unless
 * `options.extractable` asks for transient extractable ones: only for a keystore that must wrap
 * the material again for storage (vault mode, `exportable` keys), whose caller hands them to the
 * keystore at once and drops them; the verification is the same either way.
 *
 * The origin in the file is authenticated but not compared with anything: the caller refuses
 * a backup of another origin.
 *
 * @example
 * ```ts
 * const file = parseBackup(bytes);
 * const opened = await openBackup(file, { kind: 'phrase', entropy: phraseToEntropy(words) });
 * ```
 */
export async function openBackup(
  file: BackupFile,
  secret: BackupSecret,
  options: { readonly extractable?: boolean } = {},
): Promise<OpenedBackup> {
  const extractable = options.extractable === true;
  // Re-validate: the value may have been built or changed after parseBackup.
  let checked: BackupFile;
  try {
    checked = parseBackup(utf8(canonicalJson(file)));
  } catch (cause) {
    if (cause instanceof StrongroomError) throw cause;
    throw new StrongroomError('BACKUP_INVALID', 'not a backup file', { cause });
  }
  const keys = await deriveBackupKeys(secret, checked.kdf);
  const { mac, ...body } = checked;
  const checkOk = await verifyMac(keys.mac, checked.check, utf8(CHECK_LABEL));
  const macOk = await verifyMac(keys.mac, mac, utf8(canonicalJson(body)));
  if (!checkOk) {
    // A wrong secret, or the right one and an edited `check`: an intact material that
    // decrypts under the derived key tells them apart.
    if (macOk || (await anyMaterialOpens(checked, keys.wrap))) {
      throw invalidFile('check: does not match: the file was edited after it was made');
    }
    throw wrongSecret();
  }
  if (!macOk) throw invalidFile('mac: does not match: the file was edited after it was made');
  return openWithKeys(checked, keys, extractable);
}

async function verifyMac(key: CryptoKey, tag: string, data: Uint8Array<ArrayBuffer>) {
  const bytes = decodeB64(tag, 'mac', 'BACKUP_INVALID', MAC_BYTES);
  // WebCrypto's verify compares in constant time.
  return crypto.subtle.verify('HMAC', key, bytes, data);
}

/**
 * Whether one of the first few versions' material decrypts under `wrap`. Bounded: a wrong
 * secret, the common case, must not cost one failed unwrap per version of a large file.
 */
async function anyMaterialOpens(file: BackupFile, wrap: CryptoKey): Promise<boolean> {
  const tries = file.keys.flatMap((key) => key.versions.map((version) => ({ key, version })));
  for (const { key, version } of tries.slice(0, MATERIAL_PROBES)) {
    try {
      await unwrapVersion(file, key, version, wrap, false);
      return true;
    } catch {
      // Try the next one.
    }
  }
  return false;
}

function unwrapVersion(
  file: BackupFile,
  key: BackupKey,
  version: BackupKeyVersion,
  wrap: CryptoKey,
  extractable: boolean,
): Promise<CryptoKey> {
  const spec = algorithm(key.alg);
  const bytes = decodeB64(version.material, 'material', 'BACKUP_INVALID');
  return crypto.subtle.unwrapKey(
    spec.materialFormat,
    bytes.subarray(IV_BYTES),
    wrap,
    {
      name: 'AES-GCM',
      iv: bytes.subarray(0, IV_BYTES),
      additionalData: versionAad(file.origin, key.id, version.version, key.alg),
    },
    spec.importParams,
    extractable,
    [...spec.keyUsages],
  );
}

async function openWithKeys(
  file: BackupFile,
  keys: BackupKeys,
  extractable: boolean,
): Promise<OpenedBackup> {
  const opened: OpenedBackupKey[] = [];
  for (const [i, key] of file.keys.entries()) {
    const spec = algorithm(key.alg);
    const versions: OpenedBackupVersion[] = [];
    for (const [j, version] of key.versions.entries()) {
      const at = `keys[${i}].versions[${j}]`;
      const named = `(key ${key.id} version ${version.version})`;
      let unwrapped: CryptoKey;
      try {
        unwrapped = await unwrapVersion(file, key, version, keys.wrap, extractable);
      } catch (cause) {
        throw new StrongroomError('BACKUP_INVALID', `${at}.material: does not decrypt ${named}`, {
          cause,
        });
      }
      let publicKey: CryptoKey | null = null;
      if (spec.kind === 'secret') {
        const bits = (unwrapped.algorithm as { length?: unknown }).length;
        const range = spec.secretBytes;
        if (
          typeof bits !== 'number' ||
          !range ||
          bits % 8 !== 0 ||
          bits / 8 < range.min ||
          bits / 8 > range.max
        ) {
          throw invalidFile(`${at}.material: not a valid ${key.alg} key ${named}`);
        }
      } else {
        publicKey = await checkPair(spec, unwrapped, version, at, named);
      }
      versions.push({
        version: version.version,
        kid: version.kid,
        createdAt: version.createdAt,
        publicJwk: version.publicJwk,
        key: unwrapped,
        publicKey,
      });
    }
    opened.push({
      id: key.id,
      kid: key.kid,
      alg: key.alg,
      label: key.label,
      purpose: key.purpose,
      policy: key.policy,
      createdAt: key.createdAt,
      provenance: key.provenance,
      versions,
    });
  }
  return { origin: file.origin, createdAt: file.createdAt, keys: opened };
}

async function checkPair(
  spec: AlgorithmSpec,
  privateKey: CryptoKey,
  version: BackupKeyVersion,
  at: string,
  named: string,
): Promise<CryptoKey> {
  const jwk = version.publicJwk;
  const members = spec.thumbprintMembers ?? [];
  if (!jwk) throw invalidFile(`${at}.publicJwk: missing ${named}`);
  let publicKey: CryptoKey;
  try {
    publicKey = await importPublic(spec, jwk, `${at}.publicJwk`);
  } catch (cause) {
    throw new StrongroomError(
      'BACKUP_INVALID',
      `${at}.publicJwk: not a valid public key ${named}`,
      {
        cause,
      },
    );
  }
  if ((await jwkThumbprint(jwk, members)) !== version.kid) {
    throw invalidFile(`${at}.kid: not the thumbprint of its public key ${named}`);
  }
  if (jwk.kid !== undefined && jwk.kid !== version.kid) {
    throw invalidFile(`${at}.publicJwk.kid: not the version's kid ${named}`);
  }
  if (!(await pairMatches(spec, privateKey, publicKey))) {
    throw invalidFile(`${at}: the private key does not match its public key ${named}`);
  }
  return publicKey;
}

/** Whether a private key belongs to a public key, without the private key leaving WebCrypto. */
async function pairMatches(
  spec: AlgorithmSpec,
  privateKey: CryptoKey,
  publicKey: CryptoKey,
): Promise<boolean> {
  if (spec.signParams) {
    const probe = utf8(PAIR_PROBE);
    const signature = await crypto.subtle.sign(spec.signParams, privateKey, probe);
    return crypto.subtle.verify(spec.signParams, publicKey, signature, probe);
  }
  const bits = spec.agreeBits;
  if (bits) {
    // ECDH is symmetric: ours × E.pub = E.priv × ours.pub only when ours.pub is our public key.
    const ephemeral = (await generateKeyRetrying(spec.generateParams, false, [
      'deriveBits',
    ])) as CryptoKeyPair;
    const name = privateKey.algorithm.name;
    const a = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name, public: ephemeral.publicKey } as EcdhKeyDeriveParams,
        privateKey,
        bits,
      ),
    );
    const b = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name, public: publicKey } as EcdhKeyDeriveParams,
        ephemeral.privateKey,
        bits,
      ),
    );
    const same = a.length === b.length && a.every((byte, i) => byte === b[i]);
    a.fill(0);
    b.fill(0);
    return same;
  }
  return false;
}
