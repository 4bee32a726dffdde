/**
 * The e2e servers: the fixture pages on the host ports, the enclave with its real headers on
 * the enclave port, and — for tests only — the same enclave without `frame-ancestors` on a
 * third port, so that the enclave's own origin check can be tested on its own.
 * `STRONGROOM_E2E_ENCLAVE_DIR` serves another enclave folder (e.g. a tampered copy);
 * `STRONGROOM_E2E_BUILD_DIR` serves the bundles `scripts/build-test.ts` built there.
 */
import type { IncomingMessage } from 'node:http';
import { cacheControl, enclaveHeaders } from '../build/enclave-config';
import { isMain } from '../build/is-main';
import { ROOT } from '../build/vite-enclave';
import { PORTS, TEST_ALLOWED_ORIGINS } from '../e2e/support/ports';
import { e2eBuildDir } from './build-test';
import { type Served, type SiteSpec, serveSites } from './serve';
import { enclaveUrlFor } from './topology';

/** Start the e2e servers (on {@link PORTS}, from `STRONGROOM_E2E_BASE_PORT`). */
export async function serveTest(
  enclaveDir = `${ROOT}dist/test/enclave`,
  hostDir = `${ROOT}dist/test/host`,
): Promise<Served> {
  const headers = enclaveHeaders(TEST_ALLOWED_ORIGINS);
  const { 'Content-Security-Policy': csp, ...rest } = headers;
  const withoutFrameAncestors = {
    ...rest,
    'Content-Security-Policy': (csp ?? '').replace(/frame-ancestors [^;]*; /, ''),
  };
  const config = (req: IncomingMessage) => ({
    type: 'application/json',
    body: JSON.stringify({ enclaveUrl: enclaveUrlFor(req, PORTS.enclave) }),
  });
  const host = (port: number): SiteSpec => ({
    port,
    root: hostDir,
    routes: {
      '/strongroom-config.json': config,
      '/demo/strongroom-config.json': config,
    },
  });
  return serveSites([
    host(PORTS.host),
    host(PORTS.host2),
    {
      port: PORTS.enclave,
      root: enclaveDir,
      headers: (path) => ({ ...headers, 'Cache-Control': cacheControl(path) }),
    },
    {
      port: PORTS.enclaveNoFrameAncestors,
      root: enclaveDir,
      headers: (path) => ({ ...withoutFrameAncestors, 'Cache-Control': cacheControl(path) }),
    },
  ]);
}

if (isMain(import.meta.url)) {
  const built = process.env.STRONGROOM_E2E_BUILD_DIR === undefined ? undefined : e2eBuildDir();
  await serveTest(
    process.env.STRONGROOM_E2E_ENCLAVE_DIR ?? (built ? `${ROOT}${built}/enclave` : undefined),
    built ? `${ROOT}${built}/host` : undefined,
  );
  console.log(`e2e servers on ports ${Object.values(PORTS).join(', ')}`);
}
