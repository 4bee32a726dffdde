/**
 * `npm start -- --no-demo --allow <origin>` (issue 12 §8), used the way a developer uses it: the
 * enclave it builds and serves is embedded by a page on the allowed origin (here the e2e
 * harness, served on a free loopback port as a dev server would be), which connects through the
 * bridge and signs; the same page on an origin that was not allowed is refused. This checks the
 * build's own allowlist, not only the printed line and the CSP header (scripts/start.test.ts).
 *
 * Runs in one project only: `start()` builds into `dist/start/`, which two browsers' workers
 * must not write at the same time; the behaviour does not depend on the engine.
 */
import { ROOT } from '../build/vite-enclave';
import { type Served, serveSites } from '../scripts/serve';
import { start } from '../scripts/start';
import { call, connectHarness, expect, openHarness, test } from './support/test';

test.skip(
  ({ browserName, topology }) => browserName !== 'chromium' || topology !== 'cross-site',
  'start() builds into dist/start/, shared by every worker: one project only (engine-independent)',
);
test.describe.configure({ mode: 'serial' });

const HOST = `${ROOT}${process.env.STRONGROOM_E2E_BUILD_DIR ?? 'dist/test'}/host`;

let apps: Served;
let enclave: { ports: readonly number[]; close(): Promise<void> };
let allowed = '';
let other = '';
let enclaveUrl = '';

test.beforeAll(async () => {
  test.setTimeout(180_000);
  // Two "dev servers" of the harness page: one allowed, one not.
  apps = await serveSites([
    { port: 0, root: HOST },
    { port: 0, root: HOST },
  ]);
  allowed = `http://127.0.0.1:${apps.ports[0]}`;
  other = `http://127.0.0.1:${apps.ports[1]}`;
  enclave = await start({
    hostPort: 0,
    enclavePort: 0,
    topology: 'cross-site',
    allowedOrigins: [allowed],
    demo: false,
    log: () => undefined,
  });
  enclaveUrl = `http://localhost:${enclave.ports[0]}/`;
});

test.afterAll(async () => {
  await enclave?.close();
  await apps?.close();
});

test('a page on the --allow origin connects to the enclave npm start serves, and signs', async ({
  page,
}) => {
  await openHarness(page, allowed);
  await connectHarness(page, { url: enclaveUrl });
  const key = await call<{ id: string }>(page, 'generateKey', { alg: 'EdDSA', purpose: 'sign' });
  const signature = await call<Uint8Array>(page, 'sign', key.id, new Uint8Array([1, 2, 3]));
  expect(signature.byteLength).toBe(64);
});

test('the same page on an origin that was not allowed gets no enclave', async ({ page }) => {
  await openHarness(page, other);
  const err = (await page.evaluate(
    (url) => window.sr.connect({ url, timeoutMs: 3000 }),
    enclaveUrl,
  )) as { $error?: { code: string } };
  // The enclave's frame-ancestors keeps it out of the page: no handshake, no channel.
  expect(err.$error?.code).toBe('HANDSHAKE_TIMEOUT');
  expect(await page.evaluate(() => window.sr.iframeCount())).toBe(0);
});
