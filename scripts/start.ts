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
import { serveSites } from './serve';
import { appOrigin, enclaveUrlFor, type Topology } from './topology';

const { values } = parseArgs({
  options: {
    'host-port': { type: 'string', default: process.env.STRONGROOM_HOST_PORT ?? '8080' },
    'enclave-port': { type: 'string', default: process.env.STRONGROOM_ENCLAVE_PORT ?? '8081' },
    'same-site': { type: 'boolean', default: process.env.STRONGROOM_TOPOLOGY === 'same-site' },
  },
});

function port(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(`--${name}: not a port: ${value}`);
  return n;
}

const hostPort = port(values['host-port'], 'host-port');
const enclavePort = port(values['enclave-port'], 'enclave-port');
const topology: Topology = values['same-site'] ? 'same-site' : 'cross-site';
const origin = appOrigin(topology, hostPort);
const allowedOrigins = [origin];

console.log('building the enclave and the demo host…');
await buildEnclave({ allowedOrigins, outDir: `${ROOT}dist/start/enclave` });
await buildPages('host-demo', `${ROOT}dist/start/host`);

const headers = enclaveHeaders(allowedOrigins);
await serveSites([
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

const enclaveUrl =
  topology === 'same-site'
    ? `http://kms.strongroom.localhost:${enclavePort}/`
    : `http://localhost:${enclavePort}/`;
console.log(`\nStrongroom (${topology})`);
console.log(`  app:     ${origin}/`);
console.log(`  enclave: ${enclaveUrl}   (allowlist: ${allowedOrigins.join(', ')})`);
console.log('\nOpen the app URL in a browser. Ctrl-C stops.');
