/**
 * The release manifest's type and its validator. A manifest read back by a verifier is
 * attacker-controlled until its signature has been checked, and even then its paths are used to
 * read files from disk: {@link assertManifest} refuses anything outside the documented shape and
 * any path that could leave the release folder.
 */
import { type EnclaveBuildConfig, normalizeConfig } from '../enclave-config';
import { ReleaseVerificationError } from './errors';
import { releaseDigest } from './release-digest';
import { type ManifestToolchain, NODE_VERSION, NPM_VERSION, REPOSITORY_URL } from './toolchain';

export type { ManifestToolchain } from './toolchain';

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

/**
 * The response headers the release must be served with, per path class (signed with the
 * manifest, so a verifier needs no other source of truth). Names as written, values exact.
 */
export interface ManifestHeaders {
  /** On every response of the enclave origin, errors included (CSP, COOP, CORP, …). */
  readonly all: Readonly<Record<string, string>>;
  /** On every response when served over https (HSTS). */
  readonly https: Readonly<Record<string, string>>;
  /** `Cache-Control` by path class. */
  readonly cacheControl: {
    /** A 200 of an existing file under `assets/` (content-addressed). */
    readonly assets: string;
    /** A 200 of any other existing file (`index.html`, `/`). */
    readonly other: string;
    /** Anything else: a 404 under `assets/` above all. */
    readonly error: string;
  };
  /** Accepted MIME essences (`type/subtype`, lower case) by file extension, e.g. `js`. */
  readonly contentTypes: Readonly<Record<string, readonly string[]>>;
}

/** The build configuration compiled into the release: everything a rebuild needs besides source. */
export interface ManifestBuildConfig {
  readonly allowedOrigins: readonly string[];
  readonly rateLimits: Readonly<Record<string, number>>;
  readonly consentTimeoutMs: number;
  readonly consentOnFirstConnection: boolean;
}

/** The signed description of one enclave release. */
export interface Manifest {
  readonly schemaVersion: 2;
  /** Package name, e.g. `strongroom`. */
  readonly name: string;
  /** Release version, e.g. `0.1.0`. */
  readonly version: string;
  /** Git commit the release was built from, 40 (or 64) lowercase hex characters. */
  readonly commit: string;
  /** Origins compiled into the build as allowed to embed the enclave, sorted. */
  readonly allowedOrigins: readonly string[];
  /**
   * The whole normalized build configuration (`normalizeConfig`): `--rebuild` builds with it,
   * so the manifest carries every build input besides the source at `commit`.
   */
  readonly buildConfig: ManifestBuildConfig;
  /**
   * What built the release: Node's and npm's versions and the repository URL (absent in
   * manifests made before it was recorded). `--rebuild` clones this repository by default.
   */
  readonly toolchain?: ManifestToolchain;
  /** The headers every response must carry, per path class. */
  readonly headers: ManifestHeaders;
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
    'buildConfig',
    'toolchain',
    'headers',
    'indexHtml',
    'releaseDigest',
    'files',
  ]);
  if (v.schemaVersion !== 2) fail('schemaVersion', '2', v.schemaVersion);
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
  assertBuildConfig(v.buildConfig, v.allowedOrigins as string[]);
  if (v.toolchain !== undefined) {
    const t = v.toolchain;
    if (!isRecord(t)) fail('toolchain', 'an object', t);
    onlyKeys(t, 'toolchain', ['node', 'npm', 'repository']);
    str(t.node, 'toolchain.node', NODE_VERSION);
    str(t.npm, 'toolchain.npm', NPM_VERSION);
    // Passed to `git clone` by --rebuild: an https URL only, never an option or a local path.
    str(t.repository, 'toolchain.repository', REPOSITORY_URL);
  }
  assertHeaders(v.headers);
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

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
/** A header value a server can send as it is: printable ASCII, no CR/LF. */
const HEADER_VALUE = /^[\x20-\x7e]{1,2048}$/;
const MIME_ESSENCE = /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/;

function assertHeaderMap(v: unknown, field: string): void {
  if (!isRecord(v)) fail(field, 'an object', v);
  for (const [name, value] of Object.entries(v)) {
    if (!HEADER_NAME.test(name)) fail(`${field}.${name}`, 'a header name', name);
    str(value, `${field}.${name}`, HEADER_VALUE);
  }
}

function assertHeaders(v: unknown): void {
  if (!isRecord(v)) fail('headers', 'an object', v);
  onlyKeys(v, 'headers', ['all', 'https', 'cacheControl', 'contentTypes']);
  assertHeaderMap(v.all, 'headers.all');
  if (isRecord(v.all) && Object.keys(v.all).length === 0) fail('headers.all', 'headers', 'none');
  assertHeaderMap(v.https, 'headers.https');
  const cache = v.cacheControl;
  if (!isRecord(cache)) fail('headers.cacheControl', 'an object', cache);
  onlyKeys(cache, 'headers.cacheControl', ['assets', 'other', 'error']);
  for (const key of ['assets', 'other', 'error'])
    str(cache[key], `headers.cacheControl.${key}`, HEADER_VALUE);
  const types = v.contentTypes;
  if (!isRecord(types)) fail('headers.contentTypes', 'an object', types);
  for (const [ext, list] of Object.entries(types)) {
    if (!/^[a-z0-9]{1,16}$/.test(ext)) fail(`headers.contentTypes.${ext}`, 'an extension', ext);
    if (!Array.isArray(list) || list.length === 0)
      fail(`headers.contentTypes.${ext}`, 'a non-empty array', list);
    list.forEach((t, i) => {
      str(t, `headers.contentTypes.${ext}[${i}]`, MIME_ESSENCE);
    });
  }
}

function assertBuildConfig(v: unknown, allowedOrigins: readonly string[]): void {
  if (!isRecord(v)) fail('buildConfig', 'an object', v);
  onlyKeys(v, 'buildConfig', [
    'allowedOrigins',
    'rateLimits',
    'consentTimeoutMs',
    'consentOnFirstConnection',
  ]);
  let normalized: EnclaveBuildConfig;
  try {
    normalized = normalizeConfig(v as unknown as EnclaveBuildConfig);
  } catch (err) {
    fail('buildConfig', 'a valid build configuration', err instanceof Error ? err.message : err);
  }
  // Exactly its own normalized form (nothing left to a default that could change), and the
  // same allowlist as the top-level field.
  if (JSON.stringify(sortKeys(normalized)) !== JSON.stringify(sortKeys(v))) {
    fail('buildConfig', 'a normalized build configuration (every field explicit)', 'another');
  }
  if (JSON.stringify(v.allowedOrigins) !== JSON.stringify(allowedOrigins)) {
    fail('buildConfig.allowedOrigins', 'the top-level allowedOrigins', 'a different list');
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isRecord(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys(v[k])]),
  );
}
