/**
 * The demo as an installable PWA, served by its own server (`host-demo/server/`) as in
 * `npm start`: the server serves the built app, a valid web app manifest, and a service worker
 * whose offline shell still opens the app without the network, saying what needs it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './support/test';

const BUILD = process.env.STRONGROOM_E2E_BUILD_DIR ?? 'dist/test';

let child: ChildProcess;
let origin: string;
let dataDir: string;

test.beforeEach(async ({ urls }) => {
  dataDir = mkdtempSync(join(tmpdir(), 'strongroom-demo-pwa-'));
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'host-demo/server/main.ts',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--static',
      `${BUILD}/host/demo`,
      '--enclave-url',
      urls.enclave,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`demo server exited (${code})`)));
  });
  origin = `http://127.0.0.1:${port}`;
});

test.afterEach(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test('the demo server serves an installable app with an offline shell', async ({
  page,
  context,
  request,
  browserName,
  topology,
  urls,
}) => {
  const manifest = await request.get(`${origin}/manifest.webmanifest`);
  expect(manifest.headers()['content-type']).toBe('application/manifest+json');
  expect(await manifest.json()).toMatchObject({
    name: expect.any(String),
    start_url: './',
    display: 'standalone',
    icons: [
      expect.objectContaining({ src: 'icon.svg' }),
      expect.objectContaining({ src: 'icon-192.png', sizes: '192x192', type: 'image/png' }),
      expect.objectContaining({ src: 'icon-512.png', sizes: '512x512', type: 'image/png' }),
    ],
  });
  for (const size of [192, 512]) {
    const icon = await request.get(`${origin}/icon-${size}.png`);
    expect(icon.headers()['content-type']).toBe('image/png');
    expect((await icon.body()).subarray(1, 4).toString('latin1')).toBe('PNG');
  }
  await page.goto(`${origin}/`);
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute(
    'href',
    './manifest.webmanifest',
  );
  // The service worker installs and caches the shell.
  expect(
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return registration.active?.scriptURL ?? null;
    }),
  ).toBe(`${origin}/sw.js`);
  // Offline: the shell still opens, and the configuration comes from the worker's cache (network
  // first), so the page still knows its enclave and tries it; the enclave is another origin,
  // which the browser cannot load offline, so the page says that, naming the enclave.
  await context.setOffline(true);
  await page.evaluate(() => {
    (window as { beforeReload?: boolean }).beforeReload = true;
  });
  // Firefox's driver has once reported the offline reload as failed ("Address rejected") after
  // it had navigated; what counts is the page that follows, checked below: a new document (the
  // mark is gone) that booted offline from the shell.
  await page.reload().catch((err: unknown) => {
    if (!(browserName === 'firefox' && String(err).includes('Address rejected'))) throw err;
  });
  await expect(page.locator('h1')).toHaveText('Strongroom notes');
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'offline', {
    timeout: 20_000,
  });
  expect(await page.evaluate(() => 'beforeReload' in window)).toBe(false);
  await expect(page.locator('#status')).toContainText(
    `the enclave (${new URL(urls.enclave).origin}) cannot be reached without the network`,
  );
  await expect(page.locator('#message')).toBeVisible();
  if (browserName === 'chromium' && topology === 'cross-site') {
    await page.screenshot({ path: 'host-demo/docs/demo-offline.png' });
  }
  await context.setOffline(false);
});

test('the app is usable from the keyboard alone', async ({ page }) => {
  await page.goto(`${origin}/`);
  // This origin is not allowlisted by the test enclave: the app explains it after the timeout.
  await expect(page.locator('#status')).toHaveAttribute('data-state', 'unavailable', {
    timeout: 20_000,
  });
  await page.keyboard.press('Tab');
  await expect(page.locator('#note-text')).toBeFocused();
});
