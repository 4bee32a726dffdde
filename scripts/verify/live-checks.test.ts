/**
 * The live checks of `strongroom-verify --url` beyond file digests: every response's status,
 * Content-Type, Cache-Control and security headers (from the signed manifest), a 404 under
 * `/assets/`, `/` and `/index.html` alike, index.html fetched six ways (Node, Chromium's and
 * Firefox's iframe navigation from a cross-site and from a same-site app, the enclave's
 * self-fetch) — a request-splitting server must FAIL — and
 * `--min-version`.
 */
import { rm, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { enclaveHeaders, httpsHeaders } from '../../build/enclave-config';
import { signManifest } from '../../build/release/sign';
import { main } from './main';
import { type DeploymentSource, urlSource } from './sources';
import {
  bytesOf,
  type FixtureRelease,
  makeRelease,
  ORIGINS,
  p256,
  type ServeOptions,
  serveDir,
  splitForIframes,
} from './test-fixtures';
import { type CheckRow, type VerifyReport, verifyDeployment } from './verify-deployment';
import { compareVersions } from './version';

const key = p256();
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0)) await undo();
});

async function deployed(
  options: ServeOptions & {
    headers?: Record<string, string>;
    version?: string;
    extraFile?: [path: string, text: string];
  } = {},
) {
  const r: FixtureRelease = await makeRelease({
    ...(options.version ? { version: options.version } : {}),
    ...(options.extraFile ? { extraFile: options.extraFile } : {}),
  });
  cleanup.push(() => rm(r.root, { recursive: true, force: true }));
  const bundle = await signManifest(bytesOf(r), { kind: 'key', privateKeyPem: key.privateKeyPem });
  const bundlePath = join(r.root, 'release', 'bundle.json');
  const keyPath = join(r.root, 'release', 'pub.pem');
  await writeFile(bundlePath, JSON.stringify(bundle));
  await writeFile(keyPath, key.publicKeyPem);
  const server = await serveDir(r.dir, options.headers, options);
  cleanup.push(server.stop);
  const args = [
    '--url',
    server.url,
    '--manifest',
    r.manifestPath,
    '--bundle',
    bundlePath,
    '--key',
    keyPath,
  ];
  return { r, args };
}

async function run(args: string[]): Promise<{ code: number; report: VerifyReport }> {
  let out = '';
  const code = await main([...args, '--json'], { out: (t) => (out += t), err: (t) => (out += t) });
  return { code, report: code === 2 ? (undefined as never) : JSON.parse(out) };
}

const failed = (report: VerifyReport): CheckRow[] => report.rows.filter((row) => !row.ok);

describe('strongroom-verify --url, responses', () => {
  it('passes a faithful server, with a row for each file, the folder URL, a 404 probe and five browser fetches', async () => {
    const { r, args } = await deployed();
    const { code, report } = await run(args);
    expect(failed(report)).toEqual([]);
    expect(code).toBe(0);
    const subjects = report.rows.map((row) => row.subject);
    for (const f of r.manifest.files) expect(subjects).toContain(f.path);
    expect(subjects).toContain('/ (index.html)');
    expect(subjects.some((s) => /^assets\/strongroom-verify-.*\(absent\)$/.test(s))).toBe(true);
    expect(report.rows.filter((row) => row.check === 'split').map((row) => row.subject)).toEqual([
      'index.html (as an iframe navigation)',
      "index.html (as Firefox's iframe navigation)",
      'index.html (as a same-site iframe navigation)',
      "index.html (as Firefox's same-site iframe navigation)",
      "index.html (as the enclave's self-fetch)",
    ]);
  });

  it('checks the headers the signed manifest lists (HSTS only over https)', async () => {
    const { r } = await deployed();
    expect(r.manifest.headers.all).toEqual(enclaveHeaders(ORIGINS));
    expect(r.manifest.headers.https).toEqual(httpsHeaders());
  });

  describe('over https: Strict-Transport-Security', () => {
    // The verifier requires the manifest's `headers.https` only of an https URL. The responses
    // come from the loopback server; the source names an https URL, as a TLS proxy in front
    // of it would be reached.
    async function overHttps(headers: Record<string, string>) {
      const r = await makeRelease();
      cleanup.push(() => rm(r.root, { recursive: true, force: true }));
      const server = await serveDir(r.dir, headers);
      cleanup.push(server.stop);
      const http = urlSource(server.url);
      const source: DeploymentSource = {
        ...http,
        location: 'https://kms.app.example/',
        documentUrl: new URL('https://kms.app.example/'),
      };
      const bundleJson = await signManifest(bytesOf(r), {
        kind: 'key',
        privateKeyPem: key.privateKeyPem,
      });
      return verifyDeployment({
        source,
        manifestBytes: bytesOf(r),
        bundleJson,
        signer: { kind: 'key', publicKeyPem: key.publicKeyPem },
      });
    }

    it('FAILS every response without HSTS', async () => {
      const report = await overHttps(enclaveHeaders(ORIGINS));
      expect(report.ok).toBe(false);
      const rows = failed(report);
      expect(rows[0]).toEqual(
        expect.objectContaining({
          check: 'header',
          subject: 'Strict-Transport-Security',
          expected: httpsHeaders()['Strict-Transport-Security'],
          got: '(absent)',
        }),
      );
      expect(rows.length).toBeGreaterThan(1);
      for (const row of rows.slice(1))
        expect(row.got).toContain('Strict-Transport-Security: (absent)');
    });

    it('PASSES with the HSTS header the manifest lists', async () => {
      const report = await overHttps({ ...enclaveHeaders(ORIGINS), ...httpsHeaders() });
      expect(failed(report)).toEqual([]);
      expect(report.ok).toBe(true);
      expect(report.rows).toContainEqual(
        expect.objectContaining({ subject: 'Strict-Transport-Security', ok: true }),
      );
    });
  });

  describe('when the server serves a tampered index.html to iframe navigations only', () => {
    it('FAILS: all four iframe navigations get other bytes than Node and the self-fetch', async () => {
      const tampered = new TextEncoder().encode(
        '<!doctype html><script src="https://evil.example/x.js"></script>',
      );
      const { args } = await deployed({ splitIndex: splitForIframes(tampered) });
      const { code, report } = await run(args);
      expect(code).toBe(1);
      expect(failed(report)).toEqual(
        [
          'index.html (as an iframe navigation)',
          "index.html (as Firefox's iframe navigation)",
          'index.html (as a same-site iframe navigation)',
          "index.html (as Firefox's same-site iframe navigation)",
        ].map((subject) =>
          expect.objectContaining({
            check: 'split',
            subject,
            got: expect.stringMatching(/^other bytes \(sha256 [0-9a-f]{64}\)$/),
          }),
        ),
      );
    });
  });

  describe("when the server serves a tampered index.html to URLs with the bridge's fresh query only", () => {
    it('FAILS: the iframe navigations and the self-fetch, all with ?sr=, get other bytes', async () => {
      const tampered = new TextEncoder().encode(
        '<!doctype html><script src="https://evil.example/x.js"></script>',
      );
      const queries: string[] = [];
      const { args } = await deployed({
        // Any query at all: what the bridge sends (bridge/src/fresh-url.ts), never Node's fetch.
        splitIndex: (req) => {
          const search = new URL(req.url ?? '/', 'http://x').search;
          if (search) queries.push(search);
          return search ? tampered : undefined;
        },
      });
      const { code, report } = await run(args);
      expect(code).toBe(1);
      expect(failed(report)).toEqual([
        expect.objectContaining({
          check: 'split',
          subject: 'index.html (as an iframe navigation)',
          got: expect.stringMatching(/^other bytes \(sha256 [0-9a-f]{64}\)$/),
        }),
        expect.objectContaining({
          check: 'split',
          subject: "index.html (as Firefox's iframe navigation)",
          got: expect.stringMatching(/^other bytes \(sha256 [0-9a-f]{64}\)$/),
        }),
        expect.objectContaining({
          check: 'split',
          subject: 'index.html (as a same-site iframe navigation)',
          got: expect.stringMatching(/^other bytes \(sha256 [0-9a-f]{64}\)$/),
        }),
        expect.objectContaining({
          check: 'split',
          subject: "index.html (as Firefox's same-site iframe navigation)",
          got: expect.stringMatching(/^other bytes \(sha256 [0-9a-f]{64}\)$/),
        }),
        expect.objectContaining({
          check: 'split',
          subject: "index.html (as the enclave's self-fetch)",
          got: expect.stringMatching(/^other bytes \(sha256 [0-9a-f]{64}\)$/),
        }),
      ]);
      // One fresh value, as one connection's navigation and self-fetch share it.
      expect(queries).toHaveLength(5);
      expect(queries[0]).toMatch(/^\?sr=[A-Za-z0-9_-]{22}$/);
      expect(new Set(queries).size).toBe(1);
    });
  });

  describe('when the server splits on what only a browser navigation carries', () => {
    const tampered = new TextEncoder().encode('<!doctype html><title>other</title>');
    it.each([
      [
        'Sec-CH-UA (Chromium)',
        (h: IncomingHttpHeaders) => h['sec-ch-ua'] !== undefined,
        ['iframe', 'iframeSame'],
      ],
      [
        'Priority (Firefox)',
        (h: IncomingHttpHeaders) => h.priority === 'u=4',
        ['firefox', 'firefoxSame'],
      ],
      [
        "a Referer from the embedding app's origin",
        (h: IncomingHttpHeaders) => h.referer === `${ORIGINS[0]}/`,
        ['iframe', 'firefox', 'iframeSame', 'firefoxSame'],
      ],
      [
        'Sec-Fetch-Storage-Access (cross-site only)',
        (h: IncomingHttpHeaders) => h['sec-fetch-storage-access'] === 'none',
        ['iframe', 'firefox'],
      ],
      [
        "Sec-Fetch-Site: same-site (an app on the enclave's own site)",
        (h: IncomingHttpHeaders) => h['sec-fetch-site'] === 'same-site',
        ['iframeSame', 'firefoxSame'],
      ],
    ] as const)('FAILS on %s', async (_name, splits, rows) => {
      const { args } = await deployed({
        splitIndex: (req) => (splits(req.headers) ? tampered : undefined),
      });
      const { code, report } = await run(args);
      expect(code).toBe(1);
      const names: Record<string, string> = {
        iframe: 'index.html (as an iframe navigation)',
        firefox: "index.html (as Firefox's iframe navigation)",
        iframeSame: 'index.html (as a same-site iframe navigation)',
        firefoxSame: "index.html (as Firefox's same-site iframe navigation)",
      };
      expect(failed(report).map((row) => row.subject)).toEqual(rows.map((r) => names[r]));
    });
  });

  describe('when the self-fetch is told apart by its no-store request headers', () => {
    it('FAILS the self-fetch row: the verifier sends what a no-store fetch sends', async () => {
      const tampered = new TextEncoder().encode('<!doctype html><title>other</title>');
      const { args } = await deployed({
        splitIndex: (req) =>
          req.headers.pragma === 'no-cache' && req.headers['cache-control'] === 'no-cache'
            ? tampered
            : undefined,
      });
      const { code, report } = await run(args);
      expect(code).toBe(1);
      expect(failed(report).map((row) => row.subject)).toEqual([
        "index.html (as the enclave's self-fetch)",
      ]);
    });
  });

  describe('when a 404 under /assets/ is cached for a year', () => {
    it('fails the probe row with its Cache-Control', async () => {
      const { args } = await deployed({
        notFoundCacheControl: 'public, max-age=31536000, immutable',
      });
      const { code, report } = await run(args);
      expect(code).toBe(1);
      expect(failed(report)).toEqual([
        expect.objectContaining({
          subject: expect.stringMatching(/^assets\/strongroom-verify-[0-9a-f]{16}\.js \(absent\)$/),
          got: 'Cache-Control: public, max-age=31536000, immutable',
        }),
      ]);
    });
  });

  describe('when index.html is cached immutable for a year', () => {
    it('FAILS the Cache-Control row of the document, index.html and the folder URL', async () => {
      const year = 'public, max-age=31536000, immutable';
      const { code, report } = await run(
        (
          await deployed({
            pathHeaders: (file): Record<string, string | null> =>
              file === 'index.html' ? { 'Cache-Control': year } : {},
          })
        ).args,
      );
      expect(code).toBe(1);
      expect(failed(report).map((row) => [row.subject, row.got])).toEqual([
        ['Cache-Control', year],
        ['index.html', `Cache-Control: ${year}`],
        ['/ (index.html)', `Cache-Control: ${year}`],
      ]);
    });
  });

  describe('when /assets/ is served no-cache (the generated _headers: no status-based rules)', () => {
    it('PASSES: an asset (or a 404 under /assets/) that must be revalidated is safe', async () => {
      const { args } = await deployed({
        pathHeaders: (file): Record<string, string | null> =>
          file.startsWith('assets/') ? { 'Cache-Control': 'no-cache' } : {},
      });
      const { code, report } = await run(args);
      expect(failed(report)).toEqual([]);
      expect(code).toBe(0);
    });

    it('still FAILS index.html served no-cache in place of no-store', async () => {
      const { args } = await deployed({
        pathHeaders: (file): Record<string, string | null> =>
          file === 'index.html' ? { 'Cache-Control': 'no-cache' } : {},
      });
      const { code, report } = await run(args);
      expect(code).toBe(1);
      expect(failed(report).map((row) => row.subject)).toContain('Cache-Control');
    });
  });

  describe('when the responses under /assets/ lost their CSP, nosniff and CORP', () => {
    it('FAILS every asset, naming the missing headers', async () => {
      const lost = {
        'Content-Security-Policy': null,
        'X-Content-Type-Options': null,
        'Cross-Origin-Resource-Policy': null,
      };
      const { r, args } = await deployed({
        pathHeaders: (file): Record<string, string | null> =>
          file.startsWith('assets/') ? lost : {},
      });
      const { code, report } = await run(args);
      expect(code).toBe(1);
      const assets = r.manifest.files
        .filter((f) => f.path.startsWith('assets/'))
        .map((f) => f.path);
      expect(assets.length).toBeGreaterThan(0);
      const rows = failed(report);
      // Each listed asset, and the 404 probe under /assets/ (which lost them too).
      expect(rows.map((row) => row.subject)).toEqual([
        ...assets,
        expect.stringMatching(/^assets\/strongroom-verify-[0-9a-f]{16}\.js \(absent\)$/),
      ]);
      for (const row of rows) {
        for (const name of Object.keys(lost)) expect(row.got).toContain(`${name}: (absent)`);
      }
    });
  });

  describe('when a listed file has an extension the manifest lists no Content-Type for', () => {
    it('FAILS that file instead of skipping the Content-Type check', async () => {
      const { r, args } = await deployed({ extraFile: ['assets/data-7a8b.bin', 'x'] });
      expect(r.manifest.files.map((f) => f.path)).toContain('assets/data-7a8b.bin');
      const { code, report } = await run(args);
      expect(code).toBe(1);
      expect(failed(report).map((row) => [row.subject, row.got])).toEqual([
        ['assets/data-7a8b.bin', 'Content-Type: (absent), and the manifest lists none for .bin'],
      ]);
    });
  });

  describe('when scripts are served without a JavaScript MIME type', () => {
    it('fails every script with its Content-Type', async () => {
      const { r, args } = await deployed({ types: { js: 'text/plain' } });
      const { code, report } = await run(args);
      expect(code).toBe(1);
      const scripts = r.manifest.files.filter((f) => f.path.endsWith('.js')).map((f) => f.path);
      expect(failed(report).map((row) => [row.subject, row.got])).toEqual(
        scripts.map((path) => [path, 'Content-Type: text/plain']),
      );
    });
  });

  describe('--min-version', () => {
    it('passes a release at or above the minimum and fails a rollback', async () => {
      const { args } = await deployed({ version: '1.2.0' });
      expect((await run([...args, '--min-version', '1.2.0'])).code).toBe(0);
      const rollback = await run([...args, '--min-version', '1.10.0']);
      expect(rollback.code).toBe(1);
      expect(failed(rollback.report)).toEqual([
        expect.objectContaining({
          check: 'release',
          subject: 'version (minimum)',
          expected: '1.10.0 or later',
          got: '1.2.0',
        }),
      ]);
    });

    it('is a usage error when not a semantic version', async () => {
      const { args } = await deployed();
      expect((await run([...args, '--min-version', 'latest'])).code).toBe(2);
    });

    it('orders versions as semver does', () => {
      expect(compareVersions('0.2.0', '0.10.0')).toBeLessThan(0);
      expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBeLessThan(0);
      expect(compareVersions('1.0.0-rc.2', '1.0.0-rc.10')).toBeLessThan(0);
      expect(compareVersions('1.0.0', '1.0.0')).toBe(0);
    });
  });
});
