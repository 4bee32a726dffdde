/**
 * Build what the e2e tests serve: the enclave with the test allowlist (`dist/test/enclave`)
 * and the app-side fixture pages (`dist/test/host`). `STRONGROOM_E2E_BUILD_DIR` (relative to
 * the repository) builds elsewhere, e.g. the WebKit suite's own copy for its own ports.
 */
import { buildEnclave, ROOT } from '../build/vite-enclave';
import { buildPages } from '../build/vite-host';
import { TEST_ALLOWED_ORIGINS } from '../e2e/support/ports';

/** Build the e2e bundles into `outDir` (relative to the repository; default `dist/test`). */
export async function buildTest(outDir = 'dist/test'): Promise<void> {
  await buildEnclave({
    allowedOrigins: TEST_ALLOWED_ORIGINS,
    outDir: `${ROOT}${outDir}/enclave`,
    dev: true,
    // The quota test creates 1010 keys at once on one channel; every other limit keeps its
    // default, which the policy suite tests (e2e/core/policy.ts reads them from info()).
    rateLimits: { keyCreationsPerMinute: 2000 },
  });
  await buildPages('e2e/fixtures', `${ROOT}${outDir}/host`);
  // The demo app, served under /demo/ by the same host server.
  await buildPages('host-demo', `${ROOT}${outDir}/host/demo`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outDir = process.env.STRONGROOM_E2E_BUILD_DIR ?? 'dist/test';
  await buildTest(outDir);
  console.log(`built ${outDir}/enclave and ${outDir}/host`);
}
