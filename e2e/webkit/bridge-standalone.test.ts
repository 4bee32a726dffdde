/**
 * The bridge without a bundler in WebKitGTK (the Playwright half: e2e/bridge-standalone.spec.ts):
 * `strongroom-bridge.js` loaded through an import map with its `integrity` pin connects and
 * signs; with a pin of other bytes the browser does not run it. The pages are the WebKit build's
 * (`scripts/build-test.ts`, e2e/fixtures/standalone-pages.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { STANDALONE } from '../fixtures/standalone-pages';
import { origins } from '../support/ports';
import { findWebKit } from './find-webkit';
import { openWebKitPage, type WebKitPage } from './page';

const available = findWebKit().ok;

/** Wait until the page's module ran or was refused; returns `window.standalone`'s flags. */
async function settled(page: WebKitPage): Promise<{ loaded: boolean; failed: boolean }> {
  for (let i = 0; i < 200; i++) {
    const state = await page.evaluate<{ loaded: boolean; failed: boolean }>(
      '() => ({ loaded: window.standalone.loaded, failed: window.standalone.failed })',
    );
    if (state.loaded || state.failed) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the page neither ran nor refused the module');
}

describe.skipIf(!available)('webkit: the bridge without a bundler', () => {
  const pages: WebKitPage[] = [];
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
  });

  it('loaded with its integrity pin in an import map, it connects and signs', async () => {
    const urls = origins('cross-site');
    const page = await openWebKitPage();
    pages.push(page);
    await page.goto(`${urls.app}/${STANDALONE.pages}/index.html`);
    expect(await settled(page)).toEqual({ loaded: true, failed: false });
    const result = await page.evaluate<{ signatureBytes: number; protocol: number }, string>(
      '(url) => window.standalone.run(url)',
      urls.enclave,
    );
    expect(result).toEqual({ signatureBytes: 64, protocol: 1 });
  });

  it('with a pin of other bytes, the browser does not run it', async () => {
    const urls = origins('cross-site');
    const page = await openWebKitPage();
    pages.push(page);
    await page.goto(`${urls.app}/${STANDALONE.pages}/tampered.html`);
    expect(await settled(page)).toEqual({ loaded: false, failed: true });
    expect(await page.evaluate<string>('() => typeof window.standalone.run')).toBe('undefined');
  });
});
