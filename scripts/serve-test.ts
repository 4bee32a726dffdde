/**
 * The e2e servers: the fixture pages on the host ports, the enclave with its real headers on
 * the enclave port, and — for tests only — the same enclave without `frame-ancestors` on a
 * third port, so that the enclave's own origin check can be tested on its own.
 * `STRONGROOM_E2E_ENCLAVE_DIR` serves another enclave folder (e.g. a tampered copy).
 */
import { cacheControl, enclaveHeaders } from '../build/enclave-config';
import { ROOT } from '../build/vite-enclave';
import { PORTS, TEST_ALLOWED_ORIGINS } from '../e2e/support/ports';
import { type Served, type SiteSpec, serveSites } from './serve';
import { enclaveUrlFor } from './topology';

/** Start the e2e servers. */
export async function serveTest(enclaveDir = `${ROOT}dist/test/enclave`): Promise<Served> {
  const headers = enclaveHeaders(TEST_ALLOWED_ORIGINS);
  const { 'Content-Security-Policy': csp, ...rest } = headers;
  const withoutFrameAncestors = {
    ...rest,
    'Content-Security-Policy': (csp ?? '').replace(/frame-ancestors [^;]*; /, ''),
  };
  const host = (port: number): SiteSpec => ({
    port,
    root: `${ROOT}dist/test/host`,
    routes: {
      '/strongroom-config.json': (req) => ({
        type: 'application/json',
        body: JSON.stringify({ enclaveUrl: enclaveUrlFor(req, PORTS.enclave) }),
      }),
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

if (import.meta.url === `file://${process.argv[1]}`) {
  await serveTest(process.env.STRONGROOM_E2E_ENCLAVE_DIR);
  console.log(`e2e servers on ports ${Object.values(PORTS).join(', ')}`);
}
