/**
 * `npm run build`: build the enclave for release into `dist/enclave/` (failing on the build
 * check: `eval`, `new Function`, a `*` origin, anything unpinned), then write its manifest
 * `dist/release/manifest.json` (with the release digest) and the server configurations
 * `dist/deploy/`. The allowlist comes from `strongroom.config.json` (or
 * `STRONGROOM_ALLOWED_ORIGINS`, comma-separated); the commit from `STRONGROOM_COMMIT` or
 * `git rev-parse HEAD`; the version — the manifest's, and the one the enclave reports in
 * `info()` — from `STRONGROOM_RELEASE_VERSION` or the git tag on HEAD (`releaseVersion`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { EnclaveBuildConfig } from './enclave-config';
import { isMain } from './is-main';
import { writeDeployConfigs } from './release/generate-deploy-configs';
import { createManifest, writeManifest } from './release/manifest';
import { currentToolchain } from './release/toolchain';
import { buildEnclave, enclaveVersion, ROOT } from './vite-enclave';

/** The members a release's `strongroom.config.json` may have (docs/deployment.md). */
const RELEASE_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'allowedOrigins',
  'rateLimits',
  'consentTimeoutMs',
  'consentOnFirstConnection',
]);

/**
 * The release build configuration in `raw` (the parsed `strongroom.config.json`), keeping only
 * the documented members. Anything else is refused — above all `dev`, which would compile the
 * dev-only test seams (a policy clock, lowered limits) into a release, and `outDir` or
 * `sourceRoot`, which are not configuration.
 */
export function releaseConfig(raw: unknown): EnclaveBuildConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error('strongroom.config.json must hold a JSON object');
  }
  for (const key of Object.keys(raw)) {
    if (!RELEASE_CONFIG_KEYS.has(key)) {
      throw new Error(
        `strongroom.config.json: ${JSON.stringify(key)} is not a release build option ` +
          `(allowed: ${[...RELEASE_CONFIG_KEYS].join(', ')})`,
      );
    }
  }
  const { allowedOrigins, rateLimits, consentTimeoutMs, consentOnFirstConnection } =
    raw as EnclaveBuildConfig;
  return {
    allowedOrigins,
    ...(rateLimits !== undefined ? { rateLimits } : {}),
    ...(consentTimeoutMs !== undefined ? { consentTimeoutMs } : {}),
    ...(consentOnFirstConnection !== undefined ? { consentOnFirstConnection } : {}),
  };
}

/** Read the release build configuration (`STRONGROOM_ALLOWED_ORIGINS`, else the file). */
export function readBuildConfig(): EnclaveBuildConfig {
  const fromEnv = process.env.STRONGROOM_ALLOWED_ORIGINS;
  if (fromEnv) return { allowedOrigins: fromEnv.split(',').map((o) => o.trim()) };
  return releaseConfig(JSON.parse(readFileSync(`${ROOT}strongroom.config.json`, 'utf8')));
}

/**
 * The release's own version, for the manifest and `info()`: `STRONGROOM_RELEASE_VERSION`, else
 * the git tag on HEAD of the checkout `cwd` (`v1.2.3` → `1.2.3`), else the enclave package's
 * version. Must be a semantic version: `strongroom-verify --min-version` compares it to refuse
 * rollbacks.
 */
export function releaseVersion(env: NodeJS.ProcessEnv = process.env, cwd = ROOT): string {
  let version = env.STRONGROOM_RELEASE_VERSION;
  if (!version) {
    try {
      const tag = execFileSync('git', ['describe', '--tags', '--exact-match', 'HEAD'], {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      version = tag.replace(/^v/, '');
    } catch {
      version = enclaveVersion();
    }
  }
  if (!SEMVER.test(version)) {
    throw new Error(`release version ${JSON.stringify(version)} is not a semantic version`);
  }
  return version;
}

/** A semantic version (2.0.0), without build metadata. */
export const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$/;

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
 * Build, check, and write the manifest and deployment files under `dist` (default the
 * repository's `dist/`): `enclave/`, `release/manifest.json`, `deploy/`.
 *
 * @example
 * ```ts
 * const { releaseDigest } = await buildRelease();
 * ```
 */
export async function buildRelease(
  dist = `${ROOT}dist`,
): Promise<{ releaseDigest: string; files: number }> {
  const config = readBuildConfig();
  const outDir = `${dist}/enclave`;
  // The release's own version, compiled in (info().version) and written into the manifest.
  const version = releaseVersion();
  // Never a dev build, whatever the configuration held (releaseConfig refuses `dev` anyway).
  const built = await buildEnclave({ ...config, outDir, dev: false, version });
  const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { name: string };
  const manifest = await createManifest({
    dir: outDir,
    name: pkg.name,
    version,
    commit: sourceCommit(),
    toolchain: currentToolchain(),
    ...config,
  });
  if (manifest.releaseDigest !== built.releaseDigest) throw new Error('release digest mismatch');
  await writeManifest(manifest, `${dist}/release/manifest.json`);
  await writeDeployConfigs(manifest.allowedOrigins, `${dist}/deploy`);
  return { releaseDigest: manifest.releaseDigest, files: manifest.files.length };
}

if (isMain(import.meta.url)) {
  const { releaseDigest, files } = await buildRelease();
  console.log(
    `built dist/enclave (${files} files) for ${readBuildConfig().allowedOrigins.join(', ')}`,
  );
  console.log(`wrote dist/release/manifest.json and dist/deploy/; release digest ${releaseDigest}`);
}
