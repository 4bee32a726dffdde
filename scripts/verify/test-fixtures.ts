/**
 * Test fixtures for the verifier: a small release folder whose index.html pins its script and
 * stylesheet with SRI, its manifest, signatures (key-based and keyless against the mock
 * Sigstore), and a loopback HTTP server that serves a folder with the enclave's headers.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheControl, enclaveHeaders } from '../../build/enclave-config';
import { sha384Sri } from '../../build/release/digest';
import {
  createManifest,
  type Manifest,
  type ManifestToolchain,
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
    /** One more file in the release (listed in the manifest, not referenced by index.html). */
    extraFile?: [path: string, text: string];
    /** The toolchain recorded in the manifest. */
    toolchain?: ManifestToolchain;
  } = {},
): Promise<FixtureRelease> {
  const root = await mkdtemp(join(tmpdir(), 'strongroom-verify-'));
  const dir = join(root, 'enclave');
  await mkdir(join(dir, 'assets'), { recursive: true });
  const files: Record<string, string> = {
    'assets/main-1a2b.js': options.script ?? 'export const main = 1;\n',
    'assets/style-3c4d.css': 'body{margin:0}\n',
    'assets/worker-5e6f.js': 'self.onmessage = () => {};\n',
    ...(options.extraFile ? { [options.extraFile[0]]: options.extraFile[1] } : {}),
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
    ...(options.toolchain ? { toolchain: options.toolchain } : {}),
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

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** How a fixture server answers: by default as the release should be served. */
export interface ServeOptions {
  /**
   * Replace index.html's bytes for some requests (a request-splitting server): return the
   * bytes to serve instead, or `undefined` for the real file.
   */
  readonly splitIndex?: (req: IncomingMessage) => Uint8Array | undefined;
  /** Cache-Control of a 404 (default `no-store`, as every generated config sends it). */
  readonly notFoundCacheControl?: string;
  /** Content-Type by extension, replacing the defaults. */
  readonly types?: Record<string, string>;
  /**
   * Per-path header overrides, applied last: `file` is the release path (`index.html` for `/`),
   * a value replaces the header, `null` removes it (a deployment whose /assets/ lost headers).
   */
  readonly pathHeaders?: (file: string, status: number) => Record<string, string | null>;
}

/** `headers` with `overrides` applied (`null` removes a header, whatever its case). */
function overridden(
  headers: Record<string, string>,
  overrides: Record<string, string | null>,
): Record<string, string> {
  const out: Record<string, string> = {};
  const lower = new Map(Object.entries(overrides).map(([n, v]) => [n.toLowerCase(), v]));
  for (const [name, value] of Object.entries(headers)) {
    if (!lower.has(name.toLowerCase())) out[name] = value;
  }
  for (const [name, value] of Object.entries(overrides)) if (value !== null) out[name] = value;
  return out;
}

/**
 * Serve `dir` on 127.0.0.1 with `headers` (default: the enclave's), the right Content-Type and
 * Cache-Control per file, and `no-store` on a 404; `/` serves index.html. `options.pathHeaders`
 * changes the headers of some paths only.
 */
export async function serveDir(
  dir: string,
  headers: Record<string, string> = enclaveHeaders(ORIGINS),
  options: ServeOptions = {},
): Promise<{ url: string; stop(): Promise<void> }> {
  const types = { ...TYPES, ...options.types };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path === '/' ? 'index.html' : decodeURIComponent(path.slice(1));
    if (file.split('/').includes('..')) {
      res.writeHead(400).end();
      return;
    }
    const ext = file.slice(file.lastIndexOf('.') + 1);
    readFile(join(dir, file)).then(
      (body) => {
        const split = file === 'index.html' ? options.splitIndex?.(req) : undefined;
        const sent = {
          ...headers,
          'Cache-Control': cacheControl(file),
          ...(types[ext] ? { 'Content-Type': types[ext] } : {}),
        };
        res
          .writeHead(200, overridden(sent, options.pathHeaders?.(file, 200) ?? {}))
          .end(split ?? body);
      },
      () => {
        const sent = {
          ...headers,
          'Cache-Control': options.notFoundCacheControl ?? cacheControl(file, 404),
        };
        res.writeHead(404, overridden(sent, options.pathHeaders?.(file, 404) ?? {})).end();
      },
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

/**
 * A request-splitting server's rule: tampered bytes only for a browser's iframe navigation
 * (`Sec-Fetch-Dest: iframe`), the release to everything else — the verifier's plain fetch and
 * the enclave's own self-fetch included, so that the release digest still looks right.
 */
export function splitForIframes(
  tampered: Uint8Array,
): (req: IncomingMessage) => Uint8Array | undefined {
  return (req) => (req.headers['sec-fetch-dest'] === 'iframe' ? tampered : undefined);
}
