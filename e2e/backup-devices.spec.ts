/**
 * A backup made in one browser profile restores in another (issue 14 §7): a fresh profile of
 * the same browser (a new browser context: storage of its own, nothing shared with the first),
 * and Chromium → Firefox, with a passphrase and with a recovery phrase typed word by word into
 * the enclave's dialog. The steps and checks are e2e/core/backup-devices.ts; Chromium → Firefox
 * → WebKitGTK is e2e/webkit/backup-devices.test.ts.
 *
 * A backup is bound to its app origin (`origin` in the file), so the target must embed the
 * enclave from the same app origin. Across browsers that is the same-site topology: Firefox
 * cross-site does not route automated input into the enclave frame (NEEDS_INPUT), and the
 * restore needs the secret typed there.
 */
import { type Browser, type BrowserContext, firefox } from '@playwright/test';
import type { Topology } from '../scripts/topology';
import {
  DEVICE_PASSPHRASE,
  expectRestored,
  exportWithPassphrase,
  exportWithPhrase,
  connected as harnessConnected,
  type Made,
  makeKeys,
  NEEDS_INPUT,
  restore,
} from './core/backup-devices';
import type { BrowserName, CoreContext } from './core/harness';
import { skipReason } from './core/suite';
import { findFirefox } from './support/browsers';
import { origins } from './support/ports';
import { expect, test } from './support/test';
import { playwrightPage } from './webkit/playwright-page';

/** A profile: a browser context of its own, as a {@link CoreContext}. */
async function profile(
  browser: Browser,
  browserName: BrowserName,
  topology: Topology,
): Promise<{ ctx: CoreContext; context: BrowserContext }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const ctx: CoreContext = {
    browserName,
    topology,
    urls: origins(topology),
    page: playwrightPage(page),
    newPage: async () => playwrightPage(await context.newPage()),
  };
  await harnessConnected(ctx);
  return { ctx, context };
}

/** The source profile: keys made and used, then exported under `secret`. */
async function source(ctx: CoreContext): Promise<Made> {
  const made = await makeKeys(ctx);
  // Before anything is exported, the source's own keys are non-extractable too.
  for (const key of [made.sign, made.jwt, made.seal, made.agree]) {
    expect(key.extractable).toBe(false);
  }
  return made;
}

test.describe('backup across profiles and browsers', () => {
  test('a passphrase backup made in one profile restores in a fresh profile of the same browser', async ({
    browser,
    browserName,
    topology,
  }) => {
    const reason = skipReason(
      { name: '', skip: NEEDS_INPUT, run: async () => {} },
      browserName,
      topology,
    );
    test.skip(reason !== null, reason ?? '');
    test.setTimeout(180_000);
    const a = await profile(browser, browserName, topology);
    const made = await source(a.ctx);
    const file = await exportWithPassphrase(a.ctx);
    await a.context.close();
    const b = await profile(browser, browserName, topology);
    await restore(b.ctx, made, file, { passphrase: DEVICE_PASSPHRASE });
    await expectRestored(b.ctx, made);
    await b.context.close();
  });

  test('Chromium → Firefox: a passphrase backup and a recovery-phrase backup both restore', async ({
    browser,
    browserName,
    topology,
  }) => {
    test.skip(
      browserName !== 'chromium' || topology !== 'same-site',
      'drives Chromium and Firefox itself: runs once, in the chromium-same-site project (a backup is bound to its app origin, and Firefox takes typed input in the same-site topology only)',
    );
    test.setTimeout(300_000);
    const a = await profile(browser, 'chromium', 'same-site');
    const made = await source(a.ctx);
    const passphraseFile = await exportWithPassphrase(a.ctx);
    const phrase = await exportWithPhrase(a.ctx);
    await a.context.close();

    const ff = await firefox.launch({ channel: 'moz-firefox', executablePath: findFirefox() });
    try {
      const withPassphrase = await profile(ff, 'firefox', 'same-site');
      await restore(withPassphrase.ctx, made, passphraseFile, { passphrase: DEVICE_PASSPHRASE });
      await expectRestored(withPassphrase.ctx, made);
      await withPassphrase.context.close();

      const withPhrase = await profile(ff, 'firefox', 'same-site');
      await restore(withPhrase.ctx, made, phrase.file, { words: phrase.words });
      await expectRestored(withPhrase.ctx, made);
      await withPhrase.context.close();
    } finally {
      await ff.close();
    }
  });
});
