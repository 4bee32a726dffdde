/**
 * Vitest global setup of the WebKitGTK suites: builds the e2e bundles for the WebKit ports into
 * `dist/test-webkit/` (the allowlist is compiled in, so it must match the ports) and starts the
 * e2e servers on those ports, apart from Playwright's (`STRONGROOM_WEBKIT_BASE_PORT`, default
 * 4711; the config sets `STRONGROOM_E2E_BASE_PORT` from it). Stops the servers at the end.
 */
import { spawnSync } from 'node:child_process';
import { ROOT } from '../../build/vite-enclave';
import { serveTest } from '../../scripts/serve-test';

/** The WebKit suites' build folder, relative to the repository. */
export const WEBKIT_BUILD_DIR = 'dist/test-webkit';

/** Build, serve, and return the teardown. */
export default async function setup(): Promise<() => Promise<void>> {
  const built = spawnSync('npx', ['tsx', 'scripts/build-test.ts'], {
    cwd: ROOT,
    env: { ...process.env, STRONGROOM_E2E_BUILD_DIR: WEBKIT_BUILD_DIR },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (built.status !== 0) throw new Error(`scripts/build-test.ts failed (${built.status})`);
  const served = await serveTest(
    `${ROOT}${WEBKIT_BUILD_DIR}/enclave`,
    `${ROOT}${WEBKIT_BUILD_DIR}/host`,
  );
  return () => served.close();
}
