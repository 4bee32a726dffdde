/**
 * Create and write the release manifest: walks the built enclave folder in sorted order, hashes
 * every file (sha256 hex, sha384 SRI), derives the release digest, and writes canonical JSON to `dist/release/manifest.json`,
 * the exact bytes that get signed.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  cacheControl,
  type EnclaveBuildConfig,
  enclaveHeaders,
  httpsHeaders,
  normalizeConfig,
} from '../enclave-config';
import { canonicalJson } from './canonical-json';
import { sha256Hex, sha384Sri } from './digest';
import {
  assertManifest,
  type Manifest,
  type ManifestBuildConfig,
  type ManifestFile,
  type ManifestHeaders,
  type ManifestToolchain,
} from './manifest-schema';
import { releaseDigest } from './release-digest';

export type {
  Manifest,
  ManifestBuildConfig,
  ManifestFile,
  ManifestHeaders,
  ManifestToolchain,
} from './manifest-schema';
export { assertManifest, isSafeReleasePath } from './manifest-schema';

/** The default location of the manifest, relative to the repository root. */
export const MANIFEST_PATH = 'dist/release/manifest.json';

/**
 * Accepted `Content-Type` essences by extension: module scripts need a JavaScript MIME type
 * (nosniff is set), stylesheets text/css. nginx 1.22 maps .js to application/javascript.
 */
export const CONTENT_TYPES: Readonly<Record<string, readonly string[]>> = {
  css: ['text/css'],
  html: ['text/html'],
  js: ['application/javascript', 'text/javascript'],
  mjs: ['application/javascript', 'text/javascript'],
};

/** The headers a release must be served with, from build/enclave-config.ts. */
export function manifestHeaders(allowedOrigins: readonly string[]): ManifestHeaders {
  return {
    all: enclaveHeaders(allowedOrigins),
    https: httpsHeaders(),
    cacheControl: {
      assets: cacheControl('assets/x'),
      other: cacheControl('index.html'),
      error: cacheControl('assets/x', 404),
    },
    contentTypes: CONTENT_TYPES,
  };
}

/**
 * Inputs of {@link createManifest}: the release folder, its identity, and the build
 * configuration it was built with (omitted options are the defaults, written out in full).
 */
export interface CreateManifestOptions extends EnclaveBuildConfig {
  /** The built enclave folder, e.g. `dist/enclave`. */
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  /** Full git commit hash the build comes from. */
  readonly commit: string;
  /** What built it (`currentToolchain()`); recorded in the manifest when given. */
  readonly toolchain?: ManifestToolchain;
}

/**
 * List every regular file under `dir`, as sorted `/`-separated relative paths. Symbolic links
 * and other special files are refused: a release is plain files only.
 *
 * @example
 * ```ts
 * await listFiles('dist/enclave'); // ['assets/main-1a2b.js', 'index.html']
 * ```
 */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push(path);
      else throw new Error(`${path}: not a regular file (symbolic links are refused)`);
    }
  }
  await walk('');
  // Sorting the full paths (not per directory) gives one order on every file system.
  return out.sort();
}

/** Hash one file's bytes into a {@link ManifestFile}. */
export function describeFile(path: string, bytes: Uint8Array): ManifestFile {
  return { path, size: bytes.byteLength, sha256: sha256Hex(bytes), sha384: sha384Sri(bytes) };
}

/**
 * Build the manifest of a release folder. The folder must contain `index.html`.
 *
 * @example
 * ```ts
 * const manifest = await createManifest({
 *   dir: 'dist/enclave', name: 'strongroom', version: '0.1.0',
 *   commit: '0123…', allowedOrigins: ['https://app.example'],
 * });
 * ```
 */
export async function createManifest(options: CreateManifestOptions): Promise<Manifest> {
  const config = normalizeConfig(options);
  const { allowedOrigins } = config;
  const buildConfig: ManifestBuildConfig = {
    allowedOrigins,
    rateLimits: { ...config.rateLimits },
    consentTimeoutMs: config.consentTimeoutMs as number,
    consentOnFirstConnection: config.consentOnFirstConnection as boolean,
  };
  const files: ManifestFile[] = [];
  for (const path of await listFiles(options.dir)) {
    files.push(describeFile(path, await readFile(join(options.dir, path))));
  }
  const index = files.find((f) => f.path === 'index.html');
  if (!index) throw new Error(`${options.dir}: no index.html`);
  const manifest: Manifest = {
    schemaVersion: 2,
    name: options.name,
    version: options.version,
    commit: options.commit,
    allowedOrigins,
    buildConfig,
    ...(options.toolchain ? { toolchain: { ...options.toolchain } } : {}),
    headers: manifestHeaders(allowedOrigins),
    indexHtml: { path: 'index.html', sha256: index.sha256, sha384: index.sha384 },
    releaseDigest: releaseDigest(files),
    files,
  };
  assertManifest(manifest);
  return manifest;
}

/** The exact bytes of a manifest as written and signed: canonical JSON, UTF-8, no newline. */
export function manifestBytes(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(canonicalJson(manifest));
}

/**
 * Write the manifest's canonical bytes to `path` (default {@link MANIFEST_PATH}); returns the path.
 *
 * @example
 * ```ts
 * await writeManifest(await createManifest(options));
 * ```
 */
export async function writeManifest(
  manifest: Manifest,
  path: string = MANIFEST_PATH,
): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, manifestBytes(manifest));
  return path;
}

/**
 * Parse and validate manifest bytes (untrusted input).
 *
 * @example
 * ```ts
 * const manifest = parseManifest(await readFile('manifest.json'));
 * ```
 */
export function parseManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    assertManifest(undefined);
  }
  assertManifest(value);
  return value;
}
