/**
 * Build what the e2e tests serve: the enclave with the test allowlist (`dist/test/enclave`)
 * and the app-side fixture pages (`dist/test/host`).
 */
import { buildEnclave, ROOT } from '../build/vite-enclave';
import { buildPages } from '../build/vite-host';
import { TEST_ALLOWED_ORIGINS } from '../e2e/support/ports';

/** Build the e2e bundles. */
export async function buildTest(): Promise<void> {
  await buildEnclave({
    allowedOrigins: TEST_ALLOWED_ORIGINS,
    outDir: `${ROOT}dist/test/enclave`,
    dev: true,
  });
  await buildPages('e2e/fixtures', `${ROOT}dist/test/host`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildTest();
  console.log('built dist/test/enclave and dist/test/host');
}
