/**
 * The demo's verification panel, end to end: the page compares the release digest the enclave
 * computes in the browser (`info().releaseDigest`) with the release manifest the demo server
 * publishes (`--manifest`, `GET /strongroom-manifest.json`). With the test build's own manifest
 * (written, unsigned, by `scripts/build-test.ts`) it shows a match; with a manifest whose
 * `releaseDigest` was edited, or a consistent manifest of other bytes, a mismatch; with no
 * manifest published, unavailable. Each time it shows the `strongroom-verify` command for this
 * deployment. Nothing is stubbed but the app's `strongroom-config.json`, as in demo.spec.ts: the
 * enclave, the demo server and the manifest bytes are real.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releaseDigest } from '../build/release/release-digest';
import { DemoServer, demoReady, openDemo } from './support/demo-server';
import { expect, test } from './support/test';

const BUILD = process.env.STRONGROOM_E2E_BUILD_DIR ?? 'dist/test';

/** The test build's manifest as `scripts/build-test.ts` wrote it. */
const GENUINE = readFileSync(`${BUILD}/release/manifest.json`, 'utf8');

// As in demo.spec.ts: the service worker would hide requests from page.route in Chromium.
test.use({ serviceWorkers: 'block' });

let server: DemoServer;
/** The file the server publishes; each test writes what it needs (the server reads it per request). */
let published: string;

test.beforeEach(async ({ urls }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-demo-verify-'));
  published = join(dataDir, 'published-manifest.json');
  server = new DemoServer(dataDir, new URL(urls.app).origin, ['--manifest', published]);
  await server.start();
});
test.afterEach(async () => {
  await server.kill();
  rmSync(server.dataDir, { recursive: true, force: true });
});

function manifestUrl(): string {
  return `${server.origin}/strongroom-manifest.json`;
}

test.describe("the verification panel checks the enclave's digest against the published manifest", () => {
  test('the genuine build: match, with the command that audits this deployment', async ({
    page,
    urls,
    topology,
    browserName,
  }) => {
    writeFileSync(published, GENUINE);
    const manifest = JSON.parse(GENUINE) as { releaseDigest: string; commit: string };
    await openDemo(page, urls.app, urls.enclave, server, { manifestUrl: manifestUrl() });
    const result = page.locator('#verify-result');
    await expect(result).toHaveAttribute('data-state', 'match');
    await expect(result).toHaveAttribute('data-reason', 'digest-equal');
    await expect(result).toContainText('unsigned');
    // The digest the enclave computed in the browser is the manifest's, shown side by side.
    await expect(page.locator('#release-digest')).toHaveText(manifest.releaseDigest);
    await expect(page.locator('#manifest-digest')).toHaveText(manifest.releaseDigest);
    await expect(page.locator('#manifest-source')).toContainText(manifestUrl());
    const command = page.locator('#verify-command');
    await expect(command).toContainText(`curl -sSfo $D/manifest.json ${manifestUrl()}`);
    await expect(command).toContainText(
      `npx strongroom-verify --url ${urls.enclave} --manifest $D/manifest.json`,
    );
    if (browserName === 'chromium' && topology === 'cross-site') {
      await page
        .locator('section[aria-labelledby="verify-h"]')
        .screenshot({ path: 'host-demo/docs/demo-verify.png' });
    }
  });

  test('a manifest whose releaseDigest was altered: mismatch', async ({
    page,
    urls,
    topology,
    browserName,
  }) => {
    const manifest = JSON.parse(GENUINE) as { releaseDigest: string };
    const altered = `${manifest.releaseDigest.slice(0, -1)}${manifest.releaseDigest.endsWith('0') ? '1' : '0'}`;
    writeFileSync(published, GENUINE.replace(manifest.releaseDigest, altered));
    await openDemo(page, urls.app, urls.enclave, server, { manifestUrl: manifestUrl() });
    const result = page.locator('#verify-result');
    await expect(result).toHaveAttribute('data-state', 'mismatch');
    // Its releaseDigest is no longer the digest of its own file list, recomputed in the page.
    await expect(result).toHaveAttribute('data-reason', 'manifest-inconsistent');
    await expect(result).toContainText(manifest.releaseDigest);
    await expect(page.locator('#manifest-digest')).toHaveText(altered);
    await expect(page.locator('#release-digest')).toHaveText(manifest.releaseDigest);
    if (browserName === 'chromium' && topology === 'cross-site') {
      await page
        .locator('section[aria-labelledby="verify-h"]')
        .screenshot({ path: 'host-demo/docs/demo-verify-mismatch.png' });
    }
  });

  test('a consistent manifest of other bytes (another build): mismatch', async ({ page, urls }) => {
    const manifest = JSON.parse(GENUINE) as {
      releaseDigest: string;
      files: { path: string; sha384: string }[];
    };
    // Another index.html: its hash changes, and releaseDigest is recomputed to agree.
    const files = manifest.files.map((f) =>
      f.path === 'index.html' ? { ...f, sha384: `sha384-${'A'.repeat(64)}` } : f,
    );
    const other = { ...manifest, files, releaseDigest: releaseDigest(files) };
    expect(other.releaseDigest).not.toBe(manifest.releaseDigest);
    writeFileSync(published, JSON.stringify(other));
    await openDemo(page, urls.app, urls.enclave, server, { manifestUrl: manifestUrl() });
    const result = page.locator('#verify-result');
    await expect(result).toHaveAttribute('data-state', 'mismatch');
    await expect(result).toHaveAttribute('data-reason', 'digest-differs');
    await expect(page.locator('#manifest-digest')).toHaveText(other.releaseDigest);
    await expect(page.locator('#release-digest')).toHaveText(manifest.releaseDigest);
  });

  test('no manifest published: unavailable, and the app works on', async ({ page, urls }) => {
    // The published file does not exist: the server answers 404.
    await openDemo(page, urls.app, urls.enclave, server, { manifestUrl: manifestUrl() });
    const result = page.locator('#verify-result');
    await expect(result).toHaveAttribute('data-state', 'unavailable');
    await expect(result).toHaveAttribute('data-reason', 'manifest-unreachable');
    await expect(result).toContainText('HTTP 404');
    await demoReady(page);
  });
});
