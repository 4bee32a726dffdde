/**
 * The bridge without a bundler (issue 12 §5): `strongroom-bridge.js`, the self-contained ES
 * module, loaded exactly as bridge/README.md shows — an import map with an `integrity` pin —
 * connects and signs in each engine; with a pin of other bytes the browser refuses to run it,
 * so nothing of the bridge is there to call. The pages come from `scripts/build-test.ts`
 * (e2e/fixtures/standalone-pages.ts), which builds the module with the same function as
 * `npm run build:bridge` and pins the sha384 that command prints.
 */
import { readFileSync } from 'node:fs';
import { sha384Sri } from '../build/release/digest';
import { ROOT } from '../build/vite-enclave';
import { STANDALONE } from './fixtures/standalone-pages';
import { expect, test } from './support/test';

declare global {
  interface Window {
    standalone: {
      loaded: boolean;
      failed: boolean;
      run?: (url: string) => Promise<{ signatureBytes: number; protocol: number }>;
    };
  }
}

const HOST = `${ROOT}${process.env.STRONGROOM_E2E_BUILD_DIR ?? 'dist/test'}/host`;

test('loaded with its integrity pin in an import map, it connects and signs', async ({
  page,
  urls,
}) => {
  const pinned = readFileSync(`${HOST}/${STANDALONE.pages}/index.html`, 'utf8');
  const integrity = sha384Sri(readFileSync(`${HOST}${STANDALONE.module}`));
  expect(pinned).toContain(`"integrity":{"${STANDALONE.module}":"${integrity}"}`);
  const modules: string[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith(STANDALONE.module)) modules.push(r.url());
  });
  await page.goto(`${urls.app}/${STANDALONE.pages}/index.html`);
  await page.waitForFunction(() => window.standalone.loaded || window.standalone.failed);
  expect(await page.evaluate(() => window.standalone)).toMatchObject({
    loaded: true,
    failed: false,
  });
  expect(modules).toHaveLength(1);
  const result = await page.evaluate((url) => window.standalone.run?.(url), urls.enclave);
  expect(result).toEqual({ signatureBytes: 64, protocol: 1 });
});

test('with a pin of other bytes, the browser does not run it', async ({ page, urls }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${urls.app}/${STANDALONE.pages}/tampered.html`);
  await page.waitForFunction(() => window.standalone.loaded || window.standalone.failed);
  expect(await page.evaluate(() => window.standalone)).toEqual({ loaded: false, failed: true });
  expect(await page.evaluate(() => typeof window.standalone.run)).toBe('undefined');
  // Firefox also reports the refusal as a page error; nothing else may have gone wrong.
  for (const message of errors) expect(message).toMatch(/integrity/);
});
