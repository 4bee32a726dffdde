/**
 * A small static HTTP server for loopback use: one listener per port, each serving one folder
 * with its own headers. `npm start` and the e2e tests serve the enclave through it with the
 * enclave's real response headers (`build/enclave-config.ts`).
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

/** A dynamic route: answers a request from its URL and `Host`. */
export type Route = (req: IncomingMessage) => { type: string; body: string };

/** One served site: a port, a folder, headers per file, optional dynamic routes. */
export interface SiteSpec {
  readonly port: number;
  readonly root: string;
  /** Headers for a response; `path` is relative to `root` (e.g. `index.html`). */
  readonly headers?: (path: string) => Record<string, string>;
  readonly routes?: Readonly<Record<string, Route>>;
  /** Told of every request before it is answered (tests count and inspect requests with it). */
  readonly onRequest?: (req: IncomingMessage) => void;
}

/** Running servers. */
export interface Served {
  /** The ports listened on, in the order of the specs (useful with port 0). */
  readonly ports: readonly number[];
  close(): Promise<void>;
}

function resolvePath(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = normalize(decoded).replace(/^[/\\]+/, '');
  if (relative.startsWith('..')) return null;
  const path = relative === '' || relative.endsWith(sep) ? join(relative, 'index.html') : relative;
  return path;
}

function serveSite(spec: SiteSpec): Server {
  return createServer((req, res) => {
    spec.onRequest?.(req);
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const route = spec.routes?.[url.pathname];
    if (route) {
      const { type, body } = route(req);
      res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(body);
      return;
    }
    const path = resolvePath(url.pathname);
    const headers = spec.headers?.(path ?? '') ?? {};
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, 'Cache-Control': 'no-store', Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const file = path === null ? null : join(spec.root, path);
    let size = -1;
    try {
      if (file) {
        const stat = statSync(file);
        if (stat.isFile()) size = stat.size;
      }
    } catch {
      size = -1;
    }
    if (!file || size < 0 || !path) {
      // Never cacheable: a cached 404 under assets/ would hide the file once it is deployed.
      res.writeHead(404, {
        ...headers,
        'Cache-Control': 'no-store',
        'Content-Type': 'text/plain; charset=utf-8',
      });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(size),
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
}

/** Start one server per site on 127.0.0.1 (port 0: any free port). Rejects if a port is taken. */
export async function serveSites(specs: readonly SiteSpec[]): Promise<Served> {
  const servers: Server[] = [];
  try {
    for (const spec of specs) {
      const server = serveSite(spec);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(spec.port, '127.0.0.1', () => resolve());
      });
      servers.push(server);
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw err;
  }
  return {
    ports: servers.map((s) => {
      const address = s.address();
      return typeof address === 'object' && address ? address.port : 0;
    }),
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
