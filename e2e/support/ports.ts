/**
 * Ports and origins of the e2e servers. Override with `STRONGROOM_E2E_BASE_PORT` (the four
 * ports are BASE…BASE+3) when 4701–4704 are taken.
 */
import { appOrigin, enclaveUrl, type Topology } from '../../scripts/topology';

const BASE = Number(process.env.STRONGROOM_E2E_BASE_PORT ?? 4701);

/** The test servers' ports. */
export const PORTS = {
  /** App pages (harness, fixtures) for every allowlisted and non-allowlisted host name. */
  host: BASE,
  /** The enclave with its real headers. */
  enclave: BASE + 1,
  /** TEST ONLY: the same enclave files without `frame-ancestors`, to test the JS origin check. */
  enclaveNoFrameAncestors: BASE + 2,
  /** A second app origin on the cross-site topology's site (same site as `host`). */
  host2: BASE + 3,
} as const;

/** Origins compiled into the test build's allowlist. */
export const TEST_ALLOWED_ORIGINS = [
  appOrigin('cross-site', PORTS.host),
  `http://127.0.0.1:${PORTS.host2}`,
  appOrigin('same-site', PORTS.host),
  `http://other.strongroom.localhost:${PORTS.host}`,
];

/** Origins of one topology: the app, a second allowlisted app on the same site, a foreign one. */
export function origins(topology: Topology) {
  return topology === 'cross-site'
    ? {
        app: appOrigin('cross-site', PORTS.host),
        secondApp: `http://127.0.0.1:${PORTS.host2}`,
        /** Served by the host server but not allowlisted. */
        foreign: `http://localhost:${PORTS.host}`,
        enclave: enclaveUrl('cross-site', PORTS.enclave),
        enclaveNoFrameAncestors: enclaveUrl('cross-site', PORTS.enclaveNoFrameAncestors),
      }
    : {
        app: appOrigin('same-site', PORTS.host),
        secondApp: `http://other.strongroom.localhost:${PORTS.host}`,
        foreign: `http://evil.strongroom.localhost:${PORTS.host}`,
        enclave: enclaveUrl('same-site', PORTS.enclave),
        enclaveNoFrameAncestors: enclaveUrl('same-site', PORTS.enclaveNoFrameAncestors),
      };
}
