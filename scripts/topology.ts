/**
 * The two loopback topologies Strongroom is served and tested in: cross-site
 * (`127.0.0.1` app, `localhost` enclave) and same-site (`app.strongroom.localhost` app,
 * `kms.strongroom.localhost` enclave). The host server answers `/strongroom-config.json` with
 * the enclave URL that matches the host name a page was loaded from.
 */
import type { IncomingMessage } from 'node:http';

/** A topology name. */
export type Topology = 'cross-site' | 'same-site';

/** The host and enclave names of a topology. */
export const TOPOLOGY_HOSTS: Readonly<Record<Topology, { app: string; enclave: string }>> = {
  'cross-site': { app: '127.0.0.1', enclave: 'localhost' },
  'same-site': { app: 'app.strongroom.localhost', enclave: 'kms.strongroom.localhost' },
};

/** The app origin of a topology on `port`. */
export function appOrigin(topology: Topology, port: number): string {
  return `http://${TOPOLOGY_HOSTS[topology].app}:${port}`;
}

/** The enclave URL of a topology on `port`. */
export function enclaveUrl(topology: Topology, port: number): string {
  return `http://${TOPOLOGY_HOSTS[topology].enclave}:${port}/`;
}

/** The enclave URL for a request to the host server: same-site names get the same-site enclave. */
export function enclaveUrlFor(req: IncomingMessage, enclavePort: number): string {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  return host.endsWith('.strongroom.localhost')
    ? enclaveUrl('same-site', enclavePort)
    : enclaveUrl('cross-site', enclavePort);
}
