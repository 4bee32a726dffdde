/**
 * Create and write the release manifest: walks the built enclave folder in sorted order, hashes
 * every file (sha256 hex, sha384 SRI), derives the release digest, and writes canonical JSON to `dist/release/manifest.json`,
 * the exact bytes that get signed.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { normalizeConfig } from '../enclave-config';
import { canonicalJson } from './canonical-json';
import { sha256Hex, sha384Sri } from './digest';
import { assertManifest, type Manifest, type ManifestFile } from './manifest-schema';
import { releaseDigest } from './release-digest';

export type { Manifest, ManifestFile } from './manifest-schema';
export { assertManifest, isSafeReleasePath } from './manifest-schema';

/** The default location of the manifest, relative to the repository root. */
export const MANIFEST_PATH = 'dist/release/manifest.json';

/** Inputs of {@link createManifest}. */
export interface CreateManifestOptions {
  /** The built enclave folder, e.g. `dist/enclave`. */
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  /** Full git commit hash the build comes from. */
  readonly commit: string;
  /** Origins allowed to embed the enclave (validated, deduplicated and sorted). */
  readonly allowedOrigins: readonly string[];
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
  const { allowedOrigins } = normalizeConfig({ allowedOrigins: options.allowedOrigins });
  const files: ManifestFile[] = [];
  for (const path of await listFiles(options.dir)) {
    files.push(describeFile(path, await readFile(join(options.dir, path))));
  }
  const index = files.find((f) => f.path === 'index.html');
  if (!index) throw new Error(`${options.dir}: no index.html`);
  const manifest: Manifest = {
    schemaVersion: 1,
    name: options.name,
    version: options.version,
    commit: options.commit,
    allowedOrigins,
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
