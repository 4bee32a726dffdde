/**
 * The enclave document is never reused from a cache (issue 13 §1), measured at the server:
 *
 * - Served as the release serves it (`Cache-Control: no-store` on index.html): each
 *   connection — `connect()`, `reconnect()`, a second `connect()` in the same page — makes one
 *   iframe navigation to the server, each with its own fresh `?sr=<22 base64url characters>`,
 *   and the enclave's self-fetch of its document asks for that same URL with the request
 *   headers of a `no-store` fetch, the ones `strongroom-verify`'s self-fetch profile sends.
 * - Served with a year of caching (what a misconfigured server, or a host that served other
 *   code for a while, could have left in the browser's cache): each connection still fetches
 *   the document, thanks to the fresh query; the control — two iframes loading the same URL
 *   without a query — is answered once by the server and then from the cache, so the count
 *   above is the query's doing.
 *
 * Served by its own loopback servers (free ports, counting requests) with the enclave's real
 * headers for the test allowlist; runs in the cross-site projects (the topology plays no part).
 */
import type { IncomingMessage } from 'node:http';
import type { Page } from '@playwright/test';
import { cacheControl, enclaveHeaders, normalizeConfig } from '../build/enclave-config';
import { ROOT } from '../build/vite-enclave';
import { type Served, serveSites } from '../scripts/serve';
import { enclaveUrl } from '../scripts/topology';
import { PROFILE_HEADERS } from '../scripts/verify/sources';
import { TEST_ALLOWED_ORIGINS } from './support/ports';
import { expect, openHarness, test } from './support/test';

test.describe.configure({ mode: 'default' });
test.skip(
  ({ topology }) => topology !== 'cross-site',
  'caching does not depend on the embedding topology',
);

const HEADERS = enclaveHeaders(
  normalizeConfig({ allowedOrigins: TEST_ALLOWED_ORIGINS }).allowedOrigins,
);
/** What a server could have sent for index.html: stored, and fresh, for a year. */
const YEAR = 'public, max-age=31536000';

/** One request for the enclave document, as the server saw it. */
interface DocumentRequest {
  readonly search: string;
  /** `Sec-Fetch-Dest`: `iframe` for a navigation, `empty` for the enclave's self-fetch. */
  readonly dest: string;
  readonly cacheControl: string | null;
  readonly pragma: string | null;
}

/** Requests for `/` and `/index.html` at the server with the release's headers. */
const atRelease: DocumentRequest[] = [];
/** The same at the server that caches index.html for a year. */
const atYearLong: DocumentRequest[] = [];

function recorder(into: DocumentRequest[]): (req: IncomingMessage) => void {
  return (req) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/' && url.pathname !== '/index.html') return;
    const one = (name: string) => {
      const value = req.headers[name];
      return typeof value === 'string' ? value : null;
    };
    into.push({
      search: url.search,
      dest: one('sec-fetch-dest') ?? '(none)',
      cacheControl: one('cache-control'),
      pragma: one('pragma'),
    });
  };
}

let served: Served;
let release: string;
let yearLong: string;

test.beforeAll(async () => {
  const built = process.env.STRONGROOM_E2E_BUILD_DIR ?? 'dist/test';
  const root = process.env.STRONGROOM_E2E_ENCLAVE_DIR ?? `${ROOT}${built}/enclave`;
  served = await serveSites([
    {
      port: 0,
      root,
      headers: (path) => ({ ...HEADERS, 'Cache-Control': cacheControl(path) }),
      onRequest: recorder(atRelease),
    },
    {
      port: 0,
      root,
      headers: (path) => ({
        ...HEADERS,
        'Cache-Control': path.startsWith('assets/') ? cacheControl(path) : YEAR,
      }),
      onRequest: recorder(atYearLong),
    },
  ]);
  release = enclaveUrl('cross-site', served.ports[0] ?? 0);
  yearLong = enclaveUrl('cross-site', served.ports[1] ?? 0);
});

test.beforeEach(() => {
  atRelease.length = 0;
  atYearLong.length = 0;
});

test.afterAll(async () => {
  await served?.close();
});

const FRESH = /^\?sr=[A-Za-z0-9_-]{22}$/;

/** connect(), reconnect(), then a second connect() in the same page, each to `url`. */
async function threeConnections(page: Page, url: string): Promise<void> {
  expect(await page.evaluate((u) => window.srLife.connect({ url: u }), url)).toMatchObject({
    ok: true,
  });
  expect(await page.evaluate(() => window.srLife.reconnect())).toMatchObject({ ok: true });
  expect(await page.evaluate((u) => window.sr.connect({ url: u }), url)).toEqual({ ok: true });
}

/** The `src` of every enclave iframe in the page that starts with `url`. */
function frameSources(page: Page, url: string): Promise<string[]> {
  return page.evaluate(
    (u) =>
      [...document.querySelectorAll('iframe')].map((f) => f.src).filter((s) => s.startsWith(u)),
    url,
  );
}

test.describe('served as the release serves it (index.html no-store)', () => {
  test('each connect and reconnect fetches the document from the server, with a fresh query, and gets no-store', async ({
    page,
    urls,
  }) => {
    const documentCaching: (string | null)[] = [];
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (`${url.origin}/` === release && (url.pathname === '/' || url.pathname === '/index.html'))
        documentCaching.push(response.headers()['cache-control'] ?? null);
    });
    await openHarness(page, urls.app);
    await threeConnections(page, release);

    const navigations = atRelease.filter((r) => r.dest === 'iframe');
    expect(navigations).toHaveLength(3);
    for (const n of navigations) expect(n.search).toMatch(FRESH);
    expect(new Set(navigations.map((n) => n.search)).size).toBe(3);
    // The frames still in the page (the reconnect removed the first) carry those URLs.
    const sources = await frameSources(page, release);
    expect(sources).toHaveLength(2);
    for (const src of sources)
      expect(navigations.map((n) => `${release}${n.search}`)).toContain(src);

    // The enclave's self-fetch (release digest): the document's own URL, query included, with
    // the headers of a no-store fetch — what strongroom-verify's self-fetch profile sends.
    const selfFetches = atRelease.filter((r) => r.dest === 'empty');
    expect(selfFetches.map((r) => r.search).sort()).toEqual(
      navigations.map((n) => n.search).sort(),
    );
    for (const r of selfFetches) {
      expect(r.cacheControl).toBe(PROFILE_HEADERS['self-fetch']['Cache-Control']);
      expect(r.pragma).toBe(PROFILE_HEADERS['self-fetch'].Pragma);
    }
    expect(PROFILE_HEADERS['self-fetch']).toMatchObject({
      'Cache-Control': 'no-cache',
      Pragma: 'no-cache',
    });

    // Every answer for the document (navigations and self-fetches) was no-store.
    expect(documentCaching.length).toBeGreaterThanOrEqual(3);
    for (const value of documentCaching) expect(value).toBe('no-store');
  });
});

test.describe('served with a year of caching on index.html', () => {
  test('each connection still fetches the document: the fresh query never hits the stored copy', async ({
    page,
    urls,
  }) => {
    await openHarness(page, urls.app);
    await threeConnections(page, yearLong);
    const navigations = atYearLong.filter((r) => r.dest === 'iframe');
    expect(navigations.map((n) => FRESH.test(n.search))).toEqual([true, true, true]);
    expect(new Set(navigations.map((n) => n.search)).size).toBe(3);
  });

  test('control: the same URL without a fresh query is loaded from the cache the second time', async ({
    page,
    urls,
  }) => {
    await openHarness(page, urls.app);
    const loads = await page.evaluate(async (u) => {
      const load = () =>
        new Promise<void>((resolve) => {
          const iframe = document.createElement('iframe');
          iframe.addEventListener('load', () => resolve(), { once: true });
          iframe.src = u;
          document.body.append(iframe);
        });
      await load();
      await load();
      return document.querySelectorAll('iframe').length;
    }, yearLong);
    expect(loads).toBe(2);
    const navigations = atYearLong.filter((r) => r.dest === 'iframe');
    expect(navigations, 'one fetch: the second load came from the cache').toHaveLength(1);
    expect(navigations[0]?.search).toBe('');
  });
});
