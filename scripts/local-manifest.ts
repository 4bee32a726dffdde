/**
 * The release manifest of a local build (`npm start`'s, the e2e tests'): written with the
 * release code (`build/release/manifest.ts`) exactly as `npm run build` writes a release's, and
 * never signed. The demo server publishes it for the demo's verification panel, and
 * `strongroom-verify` can audit the local enclave against it once a copy is signed with a
 * throwaway key (host-demo/README.md).
 */
import { readFileSync } from 'node:fs';
import { releaseVersion, sourceCommit } from '../build/build';
import type { EnclaveBuildConfig } from '../build/enclave-config';
import { createManifest, type Manifest, writeManifest } from '../build/release/manifest';
import { ROOT } from '../build/vite-enclave';

/** The commit a local build stands for: `sourceCommit()`, or 40 zeros outside a git checkout. */
export function localCommit(): string {
  try {
    return sourceCommit();
  } catch {
    return '0'.repeat(40);
  }
}

/**
 * Write the unsigned manifest of the enclave built in `dir` with `config` to `out`, and check
 * that its release digest is the one the build reported (`expectDigest`), when given.
 *
 * @example
 * ```ts
 * const built = await buildEnclave({ allowedOrigins, outDir: 'dist/start/enclave' });
 * await writeLocalManifest('dist/start/enclave', { allowedOrigins }, 'dist/start/release/manifest.json', built.releaseDigest);
 * ```
 */
export async function writeLocalManifest(
  dir: string,
  config: EnclaveBuildConfig,
  out: string,
  expectDigest?: string,
): Promise<Manifest> {
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { name: string };
  const manifest = await createManifest({
    ...config,
    dir,
    name: pkg.name,
    version: releaseVersion(),
    commit: localCommit(),
  });
  if (expectDigest !== undefined && manifest.releaseDigest !== expectDigest) {
    throw new Error(
      `${dir}: the manifest's release digest ${manifest.releaseDigest} is not the build's ${expectDigest}`,
    );
  }
  await writeManifest(manifest, out);
  return manifest;
}
