/**
 * `npm run build`: build the enclave for release into `dist/enclave/` (failing on the build
 * check: `eval`, `new Function`, a `*` origin, anything unpinned), then write its manifest
 * `dist/release/manifest.json` (with the release digest) and the server configurations
 * `dist/deploy/`. The allowlist comes from `strongroom.config.json` (or
 * `STRONGROOM_ALLOWED_ORIGINS`, comma-separated); the commit from `STRONGROOM_COMMIT` or
 * `git rev-parse HEAD`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { EnclaveBuildConfig } from './enclave-config';
import { isMain } from './is-main';
import { writeDeployConfigs } from './release/generate-deploy-configs';
import { createManifest, writeManifest } from './release/manifest';
import { buildEnclave, enclaveVersion, ROOT } from './vite-enclave';

/** Read the release build configuration. */
export function readBuildConfig(): EnclaveBuildConfig {
  const fromEnv = process.env.STRONGROOM_ALLOWED_ORIGINS;
  if (fromEnv) return { allowedOrigins: fromEnv.split(',').map((o) => o.trim()) };
  return JSON.parse(readFileSync(`${ROOT}strongroom.config.json`, 'utf8')) as EnclaveBuildConfig;
}

/** The source commit: `STRONGROOM_COMMIT`, else `git rev-parse HEAD` in the repository. */
export function sourceCommit(): string {
  const fromEnv = process.env.STRONGROOM_COMMIT;
  if (fromEnv) return fromEnv;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    throw new Error('not a git checkout: set STRONGROOM_COMMIT to the source commit');
  }
}

/**
 * Build, check, and write the manifest and deployment files under `dist/`.
 *
 * @example
 * ```ts
 * const { releaseDigest } = await buildRelease();
 * ```
 */
export async function buildRelease(): Promise<{ releaseDigest: string; files: number }> {
  const config = readBuildConfig();
  const outDir = `${ROOT}dist/enclave`;
  const built = await buildEnclave({ ...config, outDir });
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { name: string };
  const manifest = await createManifest({
    dir: outDir,
    name: pkg.name,
    version: enclaveVersion(),
    commit: sourceCommit(),
    allowedOrigins: config.allowedOrigins,
  });
  if (manifest.releaseDigest !== built.releaseDigest) throw new Error('release digest mismatch');
  await writeManifest(manifest, `${ROOT}dist/release/manifest.json`);
  await writeDeployConfigs(manifest.allowedOrigins, `${ROOT}dist/deploy`);
  return { releaseDigest: manifest.releaseDigest, files: manifest.files.length };
}

if (isMain(import.meta.url)) {
  const { releaseDigest, files } = await buildRelease();
  console.log(
    `built dist/enclave (${files} files) for ${readBuildConfig().allowedOrigins.join(', ')}`,
  );
  console.log(`wrote dist/release/manifest.json and dist/deploy/; release digest ${releaseDigest}`);
}
