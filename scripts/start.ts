/**
 * `npm start`: build the enclave and the demo host, serve them on two loopback origins with
 * the enclave's real headers, and print both URLs.
 *
 * Options (flags or environment): `--host-port` / `STRONGROOM_HOST_PORT` (default 8080),
 * `--enclave-port` / `STRONGROOM_ENCLAVE_PORT` (default 8081), `--same-site` /
 * `STRONGROOM_TOPOLOGY=same-site` to serve on `app.` and `kms.strongroom.localhost`.
 */
import { parseArgs } from 'node:util';
import { cacheControl, enclaveHeaders } from '../build/enclave-config';
import { buildEnclave, ROOT } from '../build/vite-enclave';
import { buildPages } from '../build/vite-host';
import { type Served, serveSites } from './serve';
import { appOrigin, enclaveUrl, enclaveUrlFor, type Topology } from './topology';

/** Options of {@link start}. */
export interface StartOptions {
  readonly hostPort: number;
  readonly enclavePort: number;
  readonly topology: Topology;
  /** Where progress and the URLs are printed. Default `console.log`. */
  readonly log?: (line: string) => void;
}

/** Build and serve; resolves once both servers listen. */
export async function start(options: StartOptions): Promise<Served> {
  const { hostPort, enclavePort, topology, log = console.log } = options;
  const origin = appOrigin(topology, hostPort);
  const allowedOrigins = [origin];

  log('building the enclave and the demo host…');
  await buildEnclave({ allowedOrigins, outDir: `${ROOT}dist/start/enclave` });
  await buildPages('host-demo', `${ROOT}dist/start/host`);

  const headers = enclaveHeaders(allowedOrigins);
  const served = await serveSites([
    {
      port: hostPort,
      root: `${ROOT}dist/start/host`,
      routes: {
        '/strongroom-config.json': (req) => ({
          type: 'application/json',
          body: JSON.stringify({ enclaveUrl: enclaveUrlFor(req, enclavePort) }),
        }),
      },
    },
    {
      port: enclavePort,
      root: `${ROOT}dist/start/enclave`,
      headers: (path) => ({ ...headers, 'Cache-Control': cacheControl(path) }),
    },
  ]);

  log(`\nStrongroom (${topology})`);
  log(`  app:     ${origin}/`);
  log(
    `  enclave: ${enclaveUrl(topology, enclavePort)}   (allowlist: ${allowedOrigins.join(', ')})`,
  );
  log('\nOpen the app URL in a browser. Ctrl-C stops.');
  return served;
}

function port(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(`--${name}: not a port: ${value}`);
  return n;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      'host-port': { type: 'string', default: process.env.STRONGROOM_HOST_PORT ?? '8080' },
      'enclave-port': { type: 'string', default: process.env.STRONGROOM_ENCLAVE_PORT ?? '8081' },
      'same-site': { type: 'boolean', default: process.env.STRONGROOM_TOPOLOGY === 'same-site' },
    },
  });
  await start({
    hostPort: port(values['host-port'], 'host-port'),
    enclavePort: port(values['enclave-port'], 'enclave-port'),
    topology: values['same-site'] ? 'same-site' : 'cross-site',
  });
}
