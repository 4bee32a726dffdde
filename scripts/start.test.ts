/**
 * `npm start`: builds, serves the app and the enclave on two loopback origins with the
 * enclave's real headers, publishes the build's unsigned release manifest, and prints both
 * URLs; `--allow`, `--no-demo`, the build configuration's origins, `--help`, and one-line errors
 * for a port in use or a bad option.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeFile, parseManifest } from '../build/release/manifest';
import { releaseDigest } from '../build/release/release-digest';
import type { Served } from './serve';
import { configuredOrigins, main, parseStartArgs, START_MANIFEST, start, USAGE } from './start';

let served: Served | null = null;

/** A port that is free now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

afterEach(async () => {
  await served?.close();
  served = null;
});

/** Output of {@link main}: stdout and stderr lines. */
function io(): {
  out: string[];
  err: string[];
  sinks: { out: (l: string) => void; err: (l: string) => void };
} {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, sinks: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

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
    expect(config).toEqual({
      enclaveUrl: `http://localhost:${ENCLAVE_PORT}/`,
      manifestUrl: '/strongroom-manifest.json',
    });
    // The build's unsigned release manifest, written with the release code and published by
    // the demo server: valid (parseManifest recomputes releaseDigest from the files), and it
    // lists exactly the files served as the enclave, with their hashes.
    expect(out).toContain(
      `release manifest (unsigned): ${START_MANIFEST}, published at http://127.0.0.1:${HOST_PORT}/strongroom-manifest.json`,
    );
    const published = new Uint8Array(
      await (await fetch(`http://127.0.0.1:${HOST_PORT}/strongroom-manifest.json`)).arrayBuffer(),
    );
    const manifest = parseManifest(published);
    expect(manifest.allowedOrigins).toEqual([`http://127.0.0.1:${HOST_PORT}`]);
    expect(manifest.releaseDigest).toBe(releaseDigest(manifest.files));
    for (const file of manifest.files) {
      const bytes = new Uint8Array(
        await (await fetch(`http://127.0.0.1:${ENCLAVE_PORT}/${file.path}`)).arrayBuffer(),
      );
      expect(describeFile(file.path, bytes)).toEqual(file);
    }

    const enclave = await fetch(`http://127.0.0.1:${ENCLAVE_PORT}/`);
    expect(enclave.status).toBe(200);
    const csp = enclave.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`frame-ancestors http://127.0.0.1:${HOST_PORT}`);
    expect(csp).toContain("script-src 'self'");
    expect(enclave.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(enclave.headers.get('referrer-policy')).toBe('no-referrer');
    expect(enclave.headers.get('permissions-policy')).toContain('camera=()');
  }, 120_000);

  it('--help prints the options and examples, and builds nothing', async () => {
    const { out, err, sinks } = io();
    const { status, served: s } = await main(['--help'], sinks);
    expect(status).toBe(0);
    expect(s).toBeUndefined();
    expect(out.join('\n')).toBe(USAGE);
    expect(USAGE).toContain('--allow <origin>');
    expect(USAGE).toContain('--no-demo');
    expect(USAGE).toContain('npm start -- --allow http://localhost:5173 --no-demo');
    expect(err).toEqual([]);
  });

  it('an unknown option or a bad port is a one-line usage error (exit 2)', async () => {
    for (const argv of [['--bogus'], ['--host-port', 'eighty'], ['--allow', 'http://*.example']]) {
      const { out, err, sinks } = io();
      const { status } = await main(argv, sinks);
      expect(status, argv.join(' ')).toBe(2);
      expect(err, argv.join(' ')).toHaveLength(1);
      expect(err[0]).toMatch(/^npm start: .*--help/);
      expect(err[0]).not.toContain('    at ');
      expect(out).toEqual([]);
    }
  });

  it('a port in use is one line, before anything is built (exit 1)', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const address = busy.address();
    const taken = typeof address === 'object' && address ? address.port : 0;
    try {
      const { out, err, sinks } = io();
      const started = Date.now();
      const { status } = await main(
        ['--host-port', String(taken), '--enclave-port', String(await freePort())],
        sinks,
      );
      expect(status).toBe(1);
      expect(err).toEqual([
        `npm start: port ${taken} (--host-port) is in use: stop what listens there, or choose another with --host-port <port>`,
      ]);
      expect(out.join('\n')).not.toContain('building');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('allows --allow origins and the configured ones (env first, else strongroom.config.json)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-start-'));
    try {
      const config = join(dir, 'strongroom.config.json');
      writeFileSync(config, JSON.stringify({ allowedOrigins: ['https://app.example'] }));
      expect(configuredOrigins({}, config)).toEqual(['https://app.example']);
      expect(
        configuredOrigins(
          { STRONGROOM_ALLOWED_ORIGINS: 'http://localhost:4173, http://localhost:5173' },
          config,
        ),
      ).toEqual(['http://localhost:4173', 'http://localhost:5173']);
      expect(configuredOrigins({}, join(dir, 'missing.json'))).toEqual([]);

      const options = parseStartArgs(
        ['--allow', 'http://localhost:5173', '--no-demo', '--enclave-port', '9001'],
        {},
        config,
      );
      expect(options).toEqual({
        hostPort: 8080,
        enclavePort: 9001,
        topology: 'cross-site',
        allowedOrigins: ['http://localhost:5173', 'https://app.example'],
        demo: false,
      });
      expect(parseStartArgs(['--help'], {}, config)).toBe('help');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--no-demo serves only an enclave that your own dev server may embed', async () => {
    const ENCLAVE_PORT = await freePort();
    const lines: string[] = [];
    served = await start({
      hostPort: 8080,
      enclavePort: ENCLAVE_PORT,
      topology: 'cross-site',
      allowedOrigins: ['http://localhost:5173'],
      demo: false,
      log: (line) => lines.push(line),
    });
    expect(served.ports).toEqual([ENCLAVE_PORT]);
    const out = lines.join('\n');
    expect(out).not.toContain('  app:  ');
    expect(out).toContain(
      `enclave: http://localhost:${ENCLAVE_PORT}/   (allowlist: http://localhost:5173)`,
    );
    expect(out).toContain(`connect({ url: 'http://localhost:${ENCLAVE_PORT}/' })`);
    const enclave = await fetch(`http://127.0.0.1:${ENCLAVE_PORT}/`);
    expect(enclave.status).toBe(200);
    const csp = enclave.headers.get('content-security-policy') ?? '';
    expect(csp).toContain('frame-ancestors http://localhost:5173;');
  }, 120_000);
});
