/**
 * `npm start`: builds, serves the app and the enclave on two loopback origins with the
 * enclave's real headers, and prints both URLs.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { Served } from './serve';
import { start } from './start';

let served: Served | null = null;

/** A port that is free now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

afterAll(async () => {
  await served?.close();
});

describe('npm start', () => {
  it('prints both URLs and serves the app and the enclave with its headers', async () => {
    const HOST_PORT = await freePort();
    const ENCLAVE_PORT = await freePort();
    const lines: string[] = [];
    served = await start({
      hostPort: HOST_PORT,
      enclavePort: ENCLAVE_PORT,
      topology: 'cross-site',
      log: (line) => lines.push(line),
    });
    const out = lines.join('\n');
    expect(out).toContain(`app:     http://127.0.0.1:${HOST_PORT}/`);
    expect(out).toContain(`enclave: http://localhost:${ENCLAVE_PORT}/`);

    const app = await fetch(`http://127.0.0.1:${HOST_PORT}/`);
    expect(app.status).toBe(200);
    expect(await app.text()).toContain('Strongroom demo app');
    const config = await (
      await fetch(`http://127.0.0.1:${HOST_PORT}/strongroom-config.json`)
    ).json();
    expect(config).toEqual({ enclaveUrl: `http://localhost:${ENCLAVE_PORT}/` });

    const enclave = await fetch(`http://127.0.0.1:${ENCLAVE_PORT}/`);
    expect(enclave.status).toBe(200);
    const csp = enclave.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`frame-ancestors http://127.0.0.1:${HOST_PORT}`);
    expect(csp).toContain("script-src 'self'");
    expect(enclave.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(enclave.headers.get('referrer-policy')).toBe('no-referrer');
    expect(enclave.headers.get('permissions-policy')).toContain('camera=()');
  }, 120_000);
});
