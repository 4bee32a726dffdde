/**
 * The release manifest's type and its validator. A manifest read back by a verifier is
 * attacker-controlled until its signature has been checked, and even then its paths are used to
 * read files from disk: {@link assertManifest} refuses anything outside the documented shape and
 * any path that could leave the release folder.
 */
import { ReleaseVerificationError } from './errors';
import { releaseDigest } from './release-digest';

/** The digests of one released file. */
export interface ManifestFile {
  /** Path relative to the release folder, `/`-separated, e.g. `assets/main-3f2a.js`. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** sha256, 64 lowercase hex characters (compare with `sha256sum`). */
  readonly sha256: string;
  /** sha384 in SRI form, `sha384-` + base64 (compare with the `integrity` attributes). */
  readonly sha384: string;
}

/** The signed description of one enclave release. */
export interface Manifest {
  readonly schemaVersion: 1;
  /** Package name, e.g. `strongroom`. */
  readonly name: string;
  /** Release version, e.g. `0.1.0`. */
  readonly version: string;
  /** Git commit the release was built from, 40 (or 64) lowercase hex characters. */
  readonly commit: string;
  /** Origins compiled into the build as allowed to embed the enclave, sorted. */
  readonly allowedOrigins: readonly string[];
  /** The digests of `index.html`, the one file SRI cannot pin. */
  readonly indexHtml: {
    readonly path: 'index.html';
    readonly sha256: string;
    readonly sha384: string;
  };
  /**
   * The release digest the enclave reports in `info()`: sha256 (hex) of the canonical JSON of
   * the sorted `[{ path, sha384 }]` of every file, index.html included (`release-digest.ts`).
   * Derived from `files`; the validator recomputes it.
   */
  readonly releaseDigest: string;
  /** Every file of the release folder, sorted by path (index.html included). */
  readonly files: readonly ManifestFile[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SHA384_SRI = /^sha384-[A-Za-z0-9+/]{64}$/;
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const MAX_FILES = 10_000;

function fail(field: string, expected: string, got: unknown): never {
  const shown = typeof got === 'string' ? JSON.stringify(got.slice(0, 80)) : typeof got;
  throw new ReleaseVerificationError(
    'MANIFEST_MALFORMED',
    `"${field}" expected ${expected}, got ${shown}`,
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(v: Record<string, unknown>, field: string, keys: readonly string[]): void {
  for (const key of Object.keys(v)) {
    if (!keys.includes(key)) fail(`${field}.${key}`, 'no such field', key);
  }
}

function str(v: unknown, field: string, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 1024)
    fail(field, 'a non-empty string', v);
  if (pattern && !pattern.test(v)) fail(field, `a string matching ${pattern.source}`, v);
  return v;
}

/**
 * True when `path` is a safe relative release path: `/`-separated segments, none empty, `.` or
 * `..`, no backslash, no control character, not absolute.
 */
export function isSafeReleasePath(path: string): boolean {
  if (path.length === 0 || path.length > 512 || path.includes('\\')) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return path.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

function assertFile(v: unknown, field: string): asserts v is ManifestFile {
  if (!isRecord(v)) fail(field, 'an object', v);
  onlyKeys(v, field, ['path', 'size', 'sha256', 'sha384']);
  const path = str(v.path, `${field}.path`);
  if (!isSafeReleasePath(path))
    fail(`${field}.path`, 'a relative path without "..", "." or "\\"', path);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) {
    fail(`${field}.size`, 'a non-negative integer', v.size);
  }
  str(v.sha256, `${field}.sha256`, SHA256_HEX);
  str(v.sha384, `${field}.sha384`, SHA384_SRI);
}

/**
 * Assert that an untrusted value is a {@link Manifest}; throws a `ReleaseVerificationError` with
 * code `MANIFEST_MALFORMED` naming the first bad field.
 *
 * @example
 * ```ts
 * const value: unknown = JSON.parse(text);
 * assertManifest(value);
 * value.files; // typed
 * ```
 */
export function assertManifest(v: unknown): asserts v is Manifest {
  if (!isRecord(v)) fail('manifest', 'an object', v);
  onlyKeys(v, 'manifest', [
    'schemaVersion',
    'name',
    'version',
    'commit',
    'allowedOrigins',
    'indexHtml',
    'releaseDigest',
    'files',
  ]);
  if (v.schemaVersion !== 1) fail('schemaVersion', '1', v.schemaVersion);
  str(v.name, 'name');
  str(v.version, 'version');
  str(v.commit, 'commit', COMMIT);
  if (!Array.isArray(v.allowedOrigins) || v.allowedOrigins.length === 0) {
    fail('allowedOrigins', 'a non-empty array', v.allowedOrigins);
  }
  v.allowedOrigins.forEach((o, i) => {
    const origin = str(o, `allowedOrigins[${i}]`);
    if (origin.includes('*')) fail(`allowedOrigins[${i}]`, 'an origin without wildcard', origin);
  });
  const index = v.indexHtml;
  if (!isRecord(index)) fail('indexHtml', 'an object', index);
  onlyKeys(index, 'indexHtml', ['path', 'sha256', 'sha384']);
  if (index.path !== 'index.html') fail('indexHtml.path', '"index.html"', index.path);
  str(index.sha256, 'indexHtml.sha256', SHA256_HEX);
  str(index.sha384, 'indexHtml.sha384', SHA384_SRI);
  if (!Array.isArray(v.files) || v.files.length > MAX_FILES) {
    fail('files', `an array of at most ${MAX_FILES} entries`, v.files);
  }
  let previous = '';
  v.files.forEach((file, i) => {
    assertFile(file, `files[${i}]`);
    // Sorted and unique: a duplicate path could carry two different digests.
    if (i > 0 && !(previous < file.path))
      fail(`files[${i}].path`, 'paths sorted and unique', file.path);
    previous = file.path;
  });
  const listed = (v.files as ManifestFile[]).find((f) => f.path === 'index.html');
  if (!listed || listed.sha256 !== index.sha256 || listed.sha384 !== index.sha384) {
    fail('indexHtml', 'the digests of the files entry "index.html"', 'a different value');
  }
  str(v.releaseDigest, 'releaseDigest', SHA256_HEX);
  if (v.releaseDigest !== releaseDigest(v.files as ManifestFile[])) {
    fail('releaseDigest', 'the release digest of "files"', v.releaseDigest);
  }
}
