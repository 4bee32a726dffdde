/**
 * Where the deployment under audit comes from: a folder on disk or a live base URL. Both read
 * only paths that passed the manifest's path check, with a size cap; the URL source follows no
 * redirects (a redirect to elsewhere would be serving something other than what was asked for).
 */
import { lstat, readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { isSafeReleasePath, listFiles } from '../../build/release/manifest';

/** The largest file the verifier reads or downloads. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** A deployment to audit. */
export interface DeploymentSource {
  /** Human-readable location, for the report. */
  readonly location: string;
  /** The URL index.html is resolved against (a placeholder origin for folders). */
  readonly documentUrl: URL;
  /** Read index.html; `headers` only for live deployments. */
  readIndex(): Promise<{ bytes: Uint8Array; headers?: Headers }>;
  /** Read a release path; `undefined` when absent. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Every file present (folders only: a live server cannot be listed). */
  list?(): Promise<string[]>;
  /**
   * Live deployments only: request a release path (`''` is the base URL itself) the way
   * `profile` would, with `query` (without `?`) as its query — the bridge's fresh `sr`
   * parameter, for the requests a browser makes — and `referer` as a browser profile's
   * `Referer`, whatever the status; never follows a redirect.
   */
  request?(
    path: string,
    profile?: RequestProfile,
    query?: string,
    referer?: string,
  ): Promise<HttpAnswer>;
}

/** One HTTP answer, whatever its status. */
export interface HttpAnswer {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Uint8Array;
}

/**
 * Who the request pretends to be: `node` (the verifier's own fetch), `iframe` (Chromium
 * navigating the enclave iframe of a cross-site app), `iframe-firefox` (the same in Firefox),
 * `iframe-same-site` and `iframe-firefox-same-site` (the same two for an app on the enclave's
 * own site, e.g. `app.example.com` framing `kms.example.com`) or `self-fetch` (the enclave page
 * fetching its own URL for the release digest, `enclave/src/release-digest.ts`).
 */
export type RequestProfile =
  | 'node'
  | 'iframe'
  | 'iframe-firefox'
  | 'iframe-same-site'
  | 'iframe-firefox-same-site'
  | 'self-fetch';

/** A current desktop Chromium's User-Agent (Linux). */
export const BROWSER_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** Firefox ESR 153's User-Agent (Linux). */
export const FIREFOX_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64; rv:153.0) Gecko/20100101 Firefox/153.0';

/**
 * The request headers a browser sends for each profile, in the browser's order (Node's fetch
 * cannot send them: it forces `Sec-Fetch-Mode: cors`, so these go through `node:http`). `Host`
 * and `Referer` are placeholders filled per request ({@link profileHeaders}); no cookie.
 *
 * The iframe profiles are what Chromium 156 and Firefox ESR 153 send over HTTP/1.1 for a
 * cross-site and for a same-site iframe navigation, names, order and values, as measured by
 * e2e/verification-iframe-profile.spec.ts in both topologies (which fails when a browser sends
 * otherwise). Over
 * HTTP/2 a browser also sends its own pseudo-headers and, in Chromium, `Priority`: the verifier
 * speaks HTTP/1.1 only, and that difference is one a server can still split on.
 */
export const PROFILE_HEADERS: Readonly<
  Record<Exclude<RequestProfile, 'node'>, Record<string, string>>
> = {
  iframe: {
    Host: '',
    Connection: 'keep-alive',
    'sec-ch-ua': '"Not:A-Brand";v="8", "Chromium";v="156"',
    'sec-ch-ua-mobile': '?0',
    'sec-ch-ua-platform': '"Linux"',
    'Upgrade-Insecure-Requests': '1',
    'User-Agent': BROWSER_USER_AGENT,
    'Accept-Language': 'en-US,en;q=0.9',
    Accept:
      'text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
    'Sec-Fetch-Site': 'cross-site',
    'Sec-Fetch-Mode': 'navigate',
    'Sec-Fetch-Dest': 'iframe',
    'Sec-Fetch-Storage-Access': 'none',
    Referer: '',
    'Accept-Encoding': 'gzip, deflate, br, zstd',
  },
  'iframe-firefox': {
    Host: '',
    'User-Agent': FIREFOX_USER_AGENT,
    Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Accept-Language': 'en-US,en;q=0.5',
    'Accept-Encoding': 'gzip, deflate, br, zstd',
    'Sec-Fetch-Storage-Access': 'none',
    Connection: 'keep-alive',
    Referer: '',
    'Upgrade-Insecure-Requests': '1',
    'Sec-Fetch-Dest': 'iframe',
    'Sec-Fetch-Mode': 'navigate',
    'Sec-Fetch-Site': 'cross-site',
    Priority: 'u=4',
  },
  'iframe-same-site': {
    Host: '',
    Connection: 'keep-alive',
    'sec-ch-ua': '"Not:A-Brand";v="8", "Chromium";v="156"',
    'sec-ch-ua-mobile': '?0',
    'sec-ch-ua-platform': '"Linux"',
    'Upgrade-Insecure-Requests': '1',
    'User-Agent': BROWSER_USER_AGENT,
    'Accept-Language': 'en-US,en;q=0.9',
    Accept:
      'text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
    'Sec-Fetch-Site': 'same-site',
    'Sec-Fetch-Mode': 'navigate',
    'Sec-Fetch-Dest': 'iframe',
    Referer: '',
    'Accept-Encoding': 'gzip, deflate, br, zstd',
  },
  'iframe-firefox-same-site': {
    Host: '',
    'User-Agent': FIREFOX_USER_AGENT,
    Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Accept-Language': 'en-US,en;q=0.5',
    'Accept-Encoding': 'gzip, deflate, br, zstd',
    Connection: 'keep-alive',
    Referer: '',
    'Upgrade-Insecure-Requests': '1',
    'Sec-Fetch-Dest': 'iframe',
    'Sec-Fetch-Mode': 'navigate',
    'Sec-Fetch-Site': 'same-site',
    Priority: 'u=4',
  },
  // fetch(location.href, { cache: 'no-store', credentials: 'same-origin', redirect: 'error' }):
  // a same-origin GET in cors mode (no Origin header); cache mode no-store adds
  // `Cache-Control: no-cache` and `Pragma: no-cache` (Fetch standard; what Chromium and Firefox
  // send, e2e/fresh-document.spec.ts). No Referer: the enclave sends `Referrer-Policy: no-referrer`.
  'self-fetch': {
    Accept: '*/*',
    'Accept-Encoding': 'gzip, deflate, br',
    'Accept-Language': 'en-US,en;q=0.9',
    'Cache-Control': 'no-cache',
    Pragma: 'no-cache',
    'Sec-Fetch-Dest': 'empty',
    'Sec-Fetch-Mode': 'cors',
    'Sec-Fetch-Site': 'same-origin',
    'User-Agent': BROWSER_USER_AGENT,
  },
};

/**
 * The headers of `profile` for a request to `url`: `Host` is the URL's, `Referer` is `referer`
 * (a browser sends the embedding app's origin, by the default referrer policy) or left out.
 */
export function profileHeaders(
  profile: Exclude<RequestProfile, 'node'>,
  url: URL,
  referer?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(PROFILE_HEADERS[profile])) {
    if (name === 'Host') out[name] = url.host;
    else if (name === 'Referer') {
      if (referer !== undefined) out[name] = referer;
    } else out[name] = value;
  }
  return out;
}

function decode(bytes: Buffer, encoding: string | undefined): Uint8Array {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case '':
    case 'identity':
      return bytes;
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(bytes, { maxOutputLength: MAX_FILE_BYTES });
    case 'deflate':
      return inflateSync(bytes, { maxOutputLength: MAX_FILE_BYTES });
    case 'br':
      return brotliDecompressSync(bytes, { maxOutputLength: MAX_FILE_BYTES });
    case 'zstd': {
      // Sent as accepted by the browser profiles; Node has a decoder from 22.15 and 23.8.
      const zstd = (zlib as { zstdDecompressSync?: typeof brotliDecompressSync })
        .zstdDecompressSync;
      if (typeof zstd !== 'function') throw new Error('zstd Content-Encoding needs Node 22.15+');
      return zstd(bytes, { maxOutputLength: MAX_FILE_BYTES });
    }
    default:
      throw new Error(`unsupported Content-Encoding ${encoding}`);
  }
}

/**
 * GET `url` with exactly `headers` (node:http, no redirects, size-capped, 30 s timeout),
 * decoding gzip, deflate and br.
 */
export function rawGet(url: URL, headers: Record<string, string>): Promise<HttpAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'GET', headers, timeout: 30_000 }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_FILE_BYTES) {
          req.destroy(new Error(`${url.href}: larger than ${MAX_FILE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        try {
          const out = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            out.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
          }
          resolve({
            url: url.href,
            status: res.statusCode ?? 0,
            headers: out,
            bytes: decode(Buffer.concat(chunks), res.headers['content-encoding']),
          });
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url.href}: timed out`)));
    req.on('error', (err) =>
      reject(new Error(`${url.href}: ${describeFailure(err)}`, { cause: err })),
    );
    req.end();
  });
}

/**
 * GET `url` as `profile`: Node's own fetch, or a browser's headers through {@link rawGet}
 * (with `referer` as the browser profiles' `Referer`).
 */
export async function fetchAs(
  url: URL,
  profile: RequestProfile = 'node',
  referer?: string,
): Promise<HttpAnswer> {
  if (profile !== 'node') return rawGet(url, profileHeaders(profile, url, referer));
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new Error(`${url.href}: ${describeFailure(err)}`, { cause: err });
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.byteLength > MAX_FILE_BYTES)
    throw new Error(`${url.href}: larger than ${MAX_FILE_BYTES} bytes`);
  return { url: url.href, status: res.status, headers: res.headers, bytes };
}

/** One error's own text: its message, else its code, else its name. */
function ownText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  if (err.message) return err.message;
  if (typeof code === 'string') return code;
  return err.name;
}

/**
 * An error with the chain of its causes, e.g. `fetch failed: connect ECONNREFUSED 127.0.0.1:9`.
 * An `AggregateError` (one try per address of a host name) lists each distinct reason.
 *
 * @example
 * ```ts
 * describeFailure(new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND x') }));
 * // 'fetch failed: getaddrinfo ENOTFOUND x'
 * ```
 */
export function describeFailure(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof AggregateError && current.errors.length > 0) {
      parts.push([...new Set(current.errors.map(ownText))].join('; '));
      break;
    }
    const text = ownText(current);
    // An error that already names its cause (our own wrappers do) is not repeated by the cause.
    if (!parts.some((part) => part.includes(text))) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

/**
 * Fetch a URL's body (no redirects, size-capped, 30 s timeout); `undefined` on 404.
 *
 * @example
 * ```ts
 * const bytes = await fetchBytes(new URL('https://kms.app.example/assets/a.js'));
 * ```
 */
export async function fetchBytes(
  url: URL,
): Promise<{ bytes: Uint8Array; headers: Headers } | undefined> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    // fetch() says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a certificate
    // error, a redirect) is in its cause.
    throw new Error(`${url.href}: ${describeFailure(err)}`, { cause: err });
  }
  if (res.status === 404 || res.status === 410) return undefined;
  if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status}`);
  const length = Number(res.headers.get('content-length') ?? '0');
  if (length > MAX_FILE_BYTES) throw new Error(`${url.href}: larger than ${MAX_FILE_BYTES} bytes`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.byteLength > MAX_FILE_BYTES)
    throw new Error(`${url.href}: larger than ${MAX_FILE_BYTES} bytes`);
  return { bytes, headers: res.headers };
}

/**
 * A built release folder, e.g. `dist/enclave`.
 *
 * @example
 * ```ts
 * const source = dirSource('dist/enclave');
 * ```
 */
export function dirSource(dir: string): DeploymentSource {
  async function read(path: string): Promise<Uint8Array | undefined> {
    if (!isSafeReleasePath(path))
      throw new Error(`refusing to read unsafe path ${JSON.stringify(path)}`);
    const full = join(dir, ...path.split('/'));
    const info = await lstat(full).catch(() => undefined);
    if (!info) return undefined;
    if (!info.isFile()) throw new Error(`${path}: not a regular file`);
    if (info.size > MAX_FILE_BYTES) throw new Error(`${path}: larger than ${MAX_FILE_BYTES} bytes`);
    return readFile(full);
  }
  return {
    location: dir,
    documentUrl: new URL('https://release.invalid/'),
    async readIndex() {
      const bytes = await read('index.html');
      if (!bytes) throw new Error(`${dir}: no index.html`);
      return { bytes };
    },
    read,
    list: () => listFiles(dir),
  };
}

/**
 * A live deployment. `base` is the URL the enclave is loaded from (`https://kms.app.example/`);
 * index.html is that URL itself when it ends with `/`.
 *
 * @example
 * ```ts
 * const source = urlSource('https://kms.app.example/');
 * ```
 */
export function urlSource(base: string): DeploymentSource {
  const documentUrl = new URL(base);
  if (
    documentUrl.protocol !== 'https:' &&
    documentUrl.hostname !== '127.0.0.1' &&
    documentUrl.hostname !== 'localhost'
  ) {
    throw new Error(`${base}: https required (http only on loopback)`);
  }
  const root = new URL('./', documentUrl);
  return {
    location: documentUrl.href,
    documentUrl,
    async readIndex() {
      const got = await fetchBytes(documentUrl);
      if (!got) throw new Error(`${documentUrl.href}: 404`);
      return got;
    },
    async read(path) {
      if (!isSafeReleasePath(path))
        throw new Error(`refusing to fetch unsafe path ${JSON.stringify(path)}`);
      const url = new URL(path.split('/').map(encodeURIComponent).join('/'), root);
      return (await fetchBytes(url))?.bytes;
    },
    async request(path, profile = 'node', query, referer) {
      if (path !== '' && !isSafeReleasePath(path))
        throw new Error(`refusing to fetch unsafe path ${JSON.stringify(path)}`);
      const url = new URL(path.split('/').map(encodeURIComponent).join('/'), root);
      if (query !== undefined) url.search = query;
      return fetchAs(url, profile, referer);
    },
  };
}

/**
 * The release path a URL in index.html points to, or `undefined` when it leaves the deployment
 * (another origin, or outside the base folder).
 *
 * @example
 * ```ts
 * releasePath('/assets/a.js', new URL('https://kms.app.example/')); // 'assets/a.js'
 * ```
 */
export function releasePath(ref: string, documentUrl: URL): string | undefined {
  let url: URL;
  try {
    url = new URL(ref, documentUrl);
  } catch {
    return undefined;
  }
  const root = new URL('./', documentUrl);
  if (url.origin !== root.origin || !url.pathname.startsWith(root.pathname)) return undefined;
  try {
    const path = decodeURIComponent(url.pathname.slice(root.pathname.length));
    return isSafeReleasePath(path) ? path : undefined;
  } catch {
    return undefined;
  }
}
