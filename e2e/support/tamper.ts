/**
 * The tamper suite's fixtures: one-byte-altered copies of the built test enclave
 * (`dist/test/enclave`), each under its own folder of one temporary root, a signed manifest of
 * the untouched build, and a loopback server that serves the root with the enclave's real
 * headers on a free port (so the shared e2e servers are left alone).
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { cacheControl, enclaveHeaders, normalizeConfig } from '../../build/enclave-config';
import {
  createManifest,
  listFiles,
  type Manifest,
  writeManifest,
} from '../../build/release/manifest';
import { signManifest } from '../../build/release/sign';
import { p256 } from '../../scripts/verify/test-fixtures';
import { TEST_ALLOWED_ORIGINS } from './ports';

/** How the bridge must see a tampered copy. */
export type Outcome = 'ENCLAVE_UNAVAILABLE' | 'HANDSHAKE_TIMEOUT' | 'DIGEST_MISMATCH' | 'any';

/** One altered copy: `file` has one byte changed at `offset`. */
export interface TamperCase {
  /** Folder name under the root, e.g. `t3`. */
  readonly id: string;
  /** Release path of the altered file. */
  readonly file: string;
  readonly offset: number;
  /** What the byte was in, for the test title. */
  readonly where: string;
  /** The precise outcome when known; `any` of the three otherwise. */
  readonly outcome: Outcome;
}

/** Everything the suite needs. */
export interface TamperFixture {
  readonly root: string;
  readonly cases: readonly TamperCase[];
  readonly manifest: Manifest;
  readonly manifestPath: string;
  readonly bundlePath: string;
  readonly publicKeyPath: string;
}

/** Replace one byte with another printable ASCII byte, so text files stay text. */
function alter(byte: number): number {
  return byte === 0x61 ? 0x62 : 0x61;
}

/** The offset of the middle of the first match of `pattern`'s group 1 in `text`. */
function inside(text: string, pattern: RegExp, where: string): number {
  const m = pattern.exec(text);
  if (!m?.[1]) throw new Error(`tamper: no ${where} in index.html`);
  return Buffer.byteLength(text.slice(0, m.index + m[0].indexOf(m[1]) + m[1].length / 2));
}

/** Every file at its middle byte, plus chosen places in index.html. */
async function planCases(dir: string): Promise<TamperCase[]> {
  const cases: TamperCase[] = [];
  const add = (file: string, offset: number, where: string, outcome: Outcome) =>
    cases.push({ id: `t${cases.length}`, file, offset, where, outcome });
  for (const file of await listFiles(dir)) {
    const size = (await readFile(join(dir, file))).byteLength;
    const outcome: Outcome = file.startsWith('assets/worker-')
      ? 'ENCLAVE_UNAVAILABLE' // the integrity-checked fetch fails: refused, worker-failed
      : file.endsWith('.css')
        ? 'ENCLAVE_UNAVAILABLE' // SRI blocks the stylesheet: refused, integrity-failed
        : file.endsWith('.js')
          ? 'HANDSHAKE_TIMEOUT' // SRI blocks the page script: nothing runs, nothing answers
          : 'any';
    add(file, Math.floor(size / 2), 'the middle byte', outcome);
  }
  const html = await readFile(join(dir, 'index.html'), 'utf8');
  const script = /<script[^>]*\sintegrity="sha384-([^"]+)"/;
  const style = /<link rel="stylesheet"[^>]*\sintegrity="sha384-([^"]+)"/;
  const preload = /<link rel="preload"[^>]*\sintegrity="sha384-([^"]+)"/;
  add(
    'index.html',
    inside(html, script, 'script integrity'),
    'the script integrity',
    'HANDSHAKE_TIMEOUT',
  );
  add(
    'index.html',
    inside(html, style, 'stylesheet integrity'),
    'the stylesheet integrity',
    'ENCLAVE_UNAVAILABLE',
  );
  add(
    'index.html',
    inside(html, /<script[^>]*\ssrc="\.\/assets\/([^"]+)"/, 'script src'),
    'the script src',
    'HANDSHAKE_TIMEOUT',
  );
  // The worker's preload (build/vite-enclave.ts) pinned with another hash: the browser drops
  // the preload, the page's own fetch still checks the worker's bytes against the compiled-in
  // pin and runs it, but the page's pins and that pin disagree, so no digest is reported.
  add(
    'index.html',
    inside(html, preload, 'preload integrity'),
    'the worker preload integrity',
    'DIGEST_MISMATCH',
  );
  // A preload of a file that is not in the release: nothing runs it, but the digest names it.
  add(
    'index.html',
    inside(html, /<link rel="preload"[^>]*\shref="\.\/assets\/([^"]+)"/, 'preload href'),
    'the worker preload href',
    'DIGEST_MISMATCH',
  );
  // Harmless to the code: the enclave runs, but its digest names another index.html.
  add('index.html', inside(html, /<title>([^<]+)</, 'title'), 'the title text', 'DIGEST_MISMATCH');
  return cases;
}

/**
 * Copy `dir` once untouched (`pristine/`) and once per case with its byte altered, and sign a
 * manifest of the untouched build with a fresh P-256 key.
 */
export async function makeTamperFixture(dir: string): Promise<TamperFixture> {
  const root = await mkdtemp(join(tmpdir(), 'strongroom-tamper-'));
  await cp(dir, join(root, 'pristine'), { recursive: true });
  const cases = await planCases(dir);
  for (const c of cases) {
    await cp(dir, join(root, c.id), { recursive: true });
    const path = join(root, c.id, c.file);
    const bytes = await readFile(path);
    bytes[c.offset] = alter(bytes[c.offset] ?? 0);
    await writeFile(path, bytes);
  }
  const manifest = await createManifest({
    dir,
    name: 'strongroom',
    version: '0.0.0-test',
    commit: '0'.repeat(40),
    allowedOrigins: TEST_ALLOWED_ORIGINS,
  });
  const manifestPath = await writeManifest(manifest, join(root, 'manifest.json'));
  const { privateKeyPem, publicKeyPem } = p256();
  const bundle = await signManifest(await readFile(manifestPath), { kind: 'key', privateKeyPem });
  const bundlePath = join(root, 'manifest.sigstore.json');
  await writeFile(bundlePath, JSON.stringify(bundle));
  const publicKeyPath = join(root, 'public.pem');
  await writeFile(publicKeyPath, publicKeyPem);
  return { root, cases, manifest, manifestPath, bundlePath, publicKeyPath };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Serve `root` on 127.0.0.1 (a free port) with the enclave's headers for the test allowlist;
 * a path ending in `/` serves that folder's index.html. Each case is a folder holding a release,
 * so `Cache-Control` is the release's own for the path inside that folder (errors `no-store`).
 */
export async function serveRoot(root: string): Promise<{ port: number; close(): Promise<void> }> {
  const headers = enclaveHeaders(
    normalizeConfig({ allowedOrigins: TEST_ALLOWED_ORIGINS }).allowedOrigins,
  );
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, '');
    if (rel.startsWith('..')) {
      res.writeHead(400, headers).end();
      return;
    }
    const path = rel.endsWith('/') || rel === '' ? `${rel}index.html` : rel;
    const file = join(root, path);
    // The path inside the case folder, as the release knows it.
    const inRelease = path.split('/').slice(1).join('/');
    readFile(file).then(
      (body) =>
        res
          .writeHead(200, {
            ...headers,
            'Cache-Control': cacheControl(inRelease),
            'Content-Type': TYPES[extname(file)] ?? 'text/plain',
          })
          .end(body),
      () => res.writeHead(404, { ...headers, 'Cache-Control': cacheControl(inRelease, 404) }).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
