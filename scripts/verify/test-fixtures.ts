/**
 * Test fixtures for the verifier: a small release folder whose index.html pins its script and
 * stylesheet with SRI, its manifest, signatures (key-based and keyless against the mock
 * Sigstore), and a loopback HTTP server that serves a folder with the enclave's headers.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enclaveHeaders } from '../../build/enclave-config';
import { sha384Sri } from '../../build/release/digest';
import {
  createManifest,
  type Manifest,
  manifestBytes,
  writeManifest,
} from '../../build/release/manifest';

/** The origins every fixture release allows. */
export const ORIGINS = ['https://app.example'];

/** A release built into a temporary folder. */
export interface FixtureRelease {
  readonly root: string;
  /** The release folder (what gets deployed). */
  readonly dir: string;
  readonly manifest: Manifest;
  /** Path of manifest.json. */
  readonly manifestPath: string;
}

/**
 * Write a release folder and its manifest under a fresh temporary folder.
 * `extraReference` makes index.html load a script that is not part of the release.
 */
export async function makeRelease(
  options: {
    version?: string;
    commit?: string;
    script?: string;
    extraReference?: string;
    /** Markup added to index.html's head as it is (before the manifest is made). */
    extraMarkup?: string;
  } = {},
): Promise<FixtureRelease> {
  const root = await mkdtemp(join(tmpdir(), 'strongroom-verify-'));
  const dir = join(root, 'enclave');
  await mkdir(join(dir, 'assets'), { recursive: true });
  const files: Record<string, string> = {
    'assets/main-1a2b.js': options.script ?? 'export const main = 1;\n',
    'assets/style-3c4d.css': 'body{margin:0}\n',
    'assets/worker-5e6f.js': 'self.onmessage = () => {};\n',
  };
  for (const [path, text] of Object.entries(files)) await writeFile(join(dir, path), text);
  const sri = (path: string) => sha384Sri(new TextEncoder().encode(files[path]));
  const extra = options.extraReference
    ? `<script type="module" src="${options.extraReference}" integrity="sha384-x" crossorigin></script>`
    : '';
  await writeFile(
    join(dir, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8">
<!-- <script src="/assets/commented-out.js"></script> -->
<link rel="stylesheet" href="/assets/style-3c4d.css" integrity="${sri('assets/style-3c4d.css')}" crossorigin>
<script type="module" src="/assets/main-1a2b.js" integrity="${sri('assets/main-1a2b.js')}" crossorigin="anonymous"></script>
${extra}${options.extraMarkup ?? ''}</head><body></body></html>
`,
  );
  const manifest = await createManifest({
    dir,
    name: 'strongroom',
    version: options.version ?? '0.1.0',
    commit: options.commit ?? '1'.repeat(40),
    allowedOrigins: ORIGINS,
  });
  const manifestPath = await writeManifest(manifest, join(root, 'release', 'manifest.json'));
  return { root, dir, manifest, manifestPath };
}

/** A fresh P-256 key pair as PEM. */
export function p256(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** The bytes of a fixture's manifest (as written). */
export function bytesOf(release: FixtureRelease): Uint8Array {
  return manifestBytes(release.manifest);
}

/** Serve `dir` on 127.0.0.1 with the enclave's headers; `/` serves index.html. */
export async function serveDir(
  dir: string,
  headers: Record<string, string> = enclaveHeaders(ORIGINS),
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path === '/' ? 'index.html' : decodeURIComponent(path.slice(1));
    if (file.split('/').includes('..')) {
      res.writeHead(400).end();
      return;
    }
    readFile(join(dir, file)).then(
      (body) => res.writeHead(200, headers).end(body),
      () => res.writeHead(404, headers).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
