/**
 * Build what the e2e tests serve: the enclave with the test allowlist (`dist/test/enclave`),
 * its unsigned release manifest (`dist/test/release/manifest.json`, which the demo's
 * verification test publishes) and the app-side fixture pages (`dist/test/host`).
 * `STRONGROOM_E2E_BUILD_DIR` (relative to the repository) builds elsewhere, e.g. the WebKit
 * suite's own copy for its own ports.
 */

import { isAbsolute } from 'node:path';
import { buildStandaloneBridge } from '../build/build-bridge';
import { isMain } from '../build/is-main';
import { buildEnclave, ROOT } from '../build/vite-enclave';
import { buildPages } from '../build/vite-host';
import { STANDALONE, writeStandalonePages } from '../e2e/fixtures/standalone-pages';
import { TEST_ALLOWED_ORIGINS } from '../e2e/support/ports';
import { writeLocalManifest } from './local-manifest';

/**
 * The build folder from `STRONGROOM_E2E_BUILD_DIR` (default `dist/test`): a relative path inside
 * the repository, since the builds and servers join it to the repository root.
 */
export function e2eBuildDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.STRONGROOM_E2E_BUILD_DIR ?? 'dist/test';
  if (dir === '' || isAbsolute(dir) || dir.split(/[\\/]/).includes('..')) {
    throw new Error(
      `STRONGROOM_E2E_BUILD_DIR must be a relative path inside the repository, not ${JSON.stringify(dir)}`,
    );
  }
  return dir;
}

/** Build the e2e bundles into `outDir` (relative to the repository; default `dist/test`). */
export async function buildTest(outDir = 'dist/test'): Promise<void> {
  const config = {
    allowedOrigins: TEST_ALLOWED_ORIGINS,
    // The quota test creates 1010 keys at once on one channel; every other limit keeps its
    // default, which the policy suite tests (e2e/core/policy.ts reads them from info()).
    rateLimits: { keyCreationsPerMinute: 2000 },
    // Long enough for a test to click, short enough to test the timeout (e2e/core/consent.ts).
    consentTimeoutMs: 8000,
  };
  const built = await buildEnclave({ ...config, outDir: `${ROOT}${outDir}/enclave`, dev: true });
  await writeLocalManifest(
    `${ROOT}${outDir}/enclave`,
    config,
    `${ROOT}${outDir}/release/manifest.json`,
    built.releaseDigest,
  );
  await buildPages('e2e/fixtures', `${ROOT}${outDir}/host`);
  // The demo app, served under /demo/ by the same host server.
  await buildPages('host-demo', `${ROOT}${outDir}/host/demo`);
  // The bridge's self-contained module, loaded by pages with an import map and SRI.
  const standalone = await buildStandaloneBridge(
    `${ROOT}${outDir}/host${STANDALONE.module.slice(0, STANDALONE.module.lastIndexOf('/'))}`,
  );
  writeStandalonePages(`${ROOT}${outDir}/host`, standalone.integrity);
}

if (isMain(import.meta.url)) {
  const outDir = e2eBuildDir();
  await buildTest(outDir);
  console.log(`built ${outDir}/enclave, ${outDir}/release/manifest.json and ${outDir}/host`);
}
