/**
 * What the enclave's response headers refuse in the browser, measured rather than assumed:
 *
 * - `worker-src blob:` (no `'self'`): a page on the enclave origin cannot register a service
 *   worker, even with a Trusted Types policy in hand (what code injected before the enclave's
 *   own script could have). The control — the same page under the former
 *   `worker-src 'self' blob:` — registers one, so the refusal is the CSP's doing.
 * - `Integrity-Policy: blocked-destinations=(script)`: the built enclave with a script added to
 *   index.html WITHOUT `integrity` still runs and connects, the added script does not run
 *   (Chromium 156 and Firefox ESR 153; the control without the header runs it), and `info().releaseDigest` is `null` (release-digest.ts refuses to name a release
 *   when a script is not pinned).
 *
 * Served by its own loopback servers (free ports) with the enclave's real headers for the test
 * allowlist; runs in the cross-site projects (the topology plays no part).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheControl, enclaveHeaders, normalizeConfig } from '../build/enclave-config';
import { ROOT } from '../build/vite-enclave';
import { type Served, serveSites } from '../scripts/serve';
import { enclaveUrl } from '../scripts/topology';
import { TEST_ALLOWED_ORIGINS } from './support/ports';
import { expect, openHarness, test } from './support/test';

test.describe.configure({ mode: 'default' });
test.skip(
  ({ topology }) => topology !== 'cross-site',
  'header enforcement does not depend on the embedding topology',
);

const HEADERS = enclaveHeaders(
  normalizeConfig({ allowedOrigins: TEST_ALLOWED_ORIGINS }).allowedOrigins,
);
const CSP = HEADERS['Content-Security-Policy'] ?? '';
/** The CSP before this change: `worker-src 'self' blob:`. */
const FORMER_CSP = CSP.replace('worker-src blob:;', "worker-src 'self' blob:;");

let root: string;
let served: Served;
let current: string;
let former: string;
let noIntegrityPolicy: string;

test.beforeAll(async () => {
  expect(CSP).toContain('worker-src blob:;');
  expect(FORMER_CSP).not.toBe(CSP);
  root = await mkdtemp(join(tmpdir(), 'strongroom-verification-headers-'));
  // A page on the enclave origin, and the service worker it tries to register.
  await writeFile(join(root, 'page.html'), '<!doctype html><title>enclave origin</title>\n');
  await writeFile(join(root, 'sw.js'), "self.addEventListener('fetch', () => {});\n");
  // The built enclave, once as built and once with an unpinned script added to index.html.
  const built = process.env.STRONGROOM_E2E_BUILD_DIR ?? 'dist/test';
  const enclave = process.env.STRONGROOM_E2E_ENCLAVE_DIR ?? `${ROOT}${built}/enclave`;
  await cp(enclave, join(root, 'injected'), { recursive: true });
  const index = await readFile(join(root, 'injected', 'index.html'), 'utf8');
  const injected = index.replace(
    '<title>',
    '<script type="module" src="./injected.js"></script>\n    <title>',
  );
  expect(injected).not.toBe(index);
  await writeFile(join(root, 'injected', 'index.html'), injected);
  await writeFile(
    join(root, 'injected', 'injected.js'),
    'document.documentElement.dataset.injected = "ran";\n',
  );
  served = await serveSites([
    {
      port: 0,
      root,
      headers: (path) => ({ ...HEADERS, 'Cache-Control': cacheControl(path) }),
    },
    {
      port: 0,
      root,
      headers: (path) => ({
        ...HEADERS,
        'Content-Security-Policy': FORMER_CSP,
        'Cache-Control': cacheControl(path),
      }),
    },
    {
      port: 0,
      root,
      headers: (path) => {
        const { 'Integrity-Policy': _, ...rest } = HEADERS;
        return { ...rest, 'Cache-Control': cacheControl(path) };
      },
    },
  ]);
  noIntegrityPolicy = enclaveUrl('cross-site', served.ports[2] ?? 0);
  current = enclaveUrl('cross-site', served.ports[0] ?? 0);
  former = enclaveUrl('cross-site', served.ports[1] ?? 0);
});

test.afterAll(async () => {
  await served?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

interface Registration {
  readonly registered: boolean;
  readonly error: string | null;
  /** `securitypolicyviolation` events seen, as `directive blockedURI`. */
  readonly violations: string[];
}

/** On a page of `origin`: create a Trusted Types policy and register `/sw.js` with it. */
async function tryRegister(page: import('@playwright/test').Page, origin: string) {
  await page.goto(`${origin}page.html`);
  return (await page.evaluate(async () => {
    const violations: string[] = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      violations.push(`${e.effectiveDirective} ${e.blockedURI}`),
    );
    const tt = (
      globalThis as unknown as {
        trustedTypes?: {
          createPolicy(
            n: string,
            r: { createScriptURL(s: string): string },
          ): { createScriptURL(s: string): unknown };
        };
      }
    ).trustedTypes;
    // The one policy name the CSP allows, as injected code that ran first could create it.
    const url = tt
      ? (tt
          .createPolicy('strongroom', { createScriptURL: (s) => s })
          .createScriptURL('/sw.js') as string)
      : '/sw.js';
    try {
      const reg = await navigator.serviceWorker.register(url, { scope: '/' });
      await reg.unregister();
      await new Promise((r) => setTimeout(r, 100));
      return { registered: true, error: null, violations };
    } catch (err) {
      await new Promise((r) => setTimeout(r, 100));
      return { registered: false, error: String(err), violations };
    }
  })) as Registration;
}

test.describe('worker-src blob: (no self)', () => {
  test('a service worker registration from the enclave origin is refused by the CSP', async ({
    page,
  }) => {
    const got = await tryRegister(page, current);
    expect(got.registered, got.error ?? '').toBe(false);
    expect(got.violations.some((v) => v.startsWith('worker-src '))).toBe(true);
  });

  test("control: under the former worker-src 'self' blob: the same registration succeeds", async ({
    page,
  }) => {
    const got = await tryRegister(page, former);
    expect(got, 'the refusal above is the CSP, not the test setup').toMatchObject({
      registered: true,
      violations: [],
    });
  });
});

/** Connect the harness to the injected copy at `base`; the digest and whether the script ran. */
async function injectedRun(page: import('@playwright/test').Page, app: string, base: string) {
  await openHarness(page, app);
  const result = await page.evaluate(
    (url) => window.sr.connect({ url, timeoutMs: 10_000 }),
    `${base}injected/`,
  );
  expect(result).toEqual({ ok: true });
  const info = (await page.evaluate(() => window.sr.call('info', []))) as {
    releaseDigest: string | null;
  };
  const frame = page.frames().find((f) => f.url().startsWith(`${base}injected/`));
  expect(frame).toBeDefined();
  const ran = await frame?.evaluate(() => document.documentElement.dataset.injected ?? null);
  return { releaseDigest: info.releaseDigest, ran };
}

test.describe('Integrity-Policy: blocked-destinations=(script)', () => {
  test('a script added to index.html without integrity does not run and the digest is null', async ({
    page,
    urls,
  }) => {
    const got = await injectedRun(page, urls.app, current);
    // Not pinned by SRI: no release can honestly be named.
    expect(got.releaseDigest).toBeNull();
    // Measured 2026-11-30: blocked in Chromium 156 and Firefox ESR 153 alike.
    expect(got.ran, 'Integrity-Policy blocks it').toBeNull();
  });

  test('control: without the header the added script runs', async ({ page, urls }) => {
    const got = await injectedRun(page, urls.app, noIntegrityPolicy);
    expect(got).toEqual({ releaseDigest: null, ran: 'ran' });
  });
});
