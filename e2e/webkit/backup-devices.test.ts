/**
 * Moving keys Chromium → Firefox → WebKitGTK (issue 14 §7), in one test: Chromium (Playwright,
 * a fresh context) makes and uses `backup: true` keys and exports a passphrase backup; Firefox
 * (a fresh context) restores it, checks it, and exports the restored keys again under a
 * recovery phrase; a fresh WebKitGTK session restores that file with the 24 words typed into
 * the enclave's dialog, and another fresh session restores Chromium's passphrase file. Each
 * restore runs the checks of e2e/core/backup-devices.ts (ids, kids, versions, old signatures
 * and envelopes, new signatures and tokens against the original public keys, non-extractable
 * keys at rest).
 *
 * The files are made inside this test, not read from a file the Playwright spec wrote: a
 * backup is bound to its app origin, port included, and these suites run on their own ports
 * and build (global-setup.ts), so a file made for the Playwright servers is refused here
 * (`BACKUP_INVALID`: origin), and this test would depend on another run's leftovers. Same-site
 * topology only: Firefox takes typed input there (NEEDS_INPUT), and the origin must be one.
 */
import { type Browser, chromium, firefox } from '@playwright/test';
import { describe, it } from 'vitest';
import {
  DEVICE_PASSPHRASE,
  expectRestored,
  exportWithPassphrase,
  exportWithPhrase,
  connected as harnessConnected,
  makeKeys,
  restore,
} from '../core/backup-devices';
import type { BrowserName, CoreContext } from '../core/harness';
import { CHROMIUM_ARGS, findChromium, findFirefox } from '../support/browsers';
import { origins } from '../support/ports';
import { findWebKit } from './find-webkit';
import { openWebKitPage } from './page';
import { playwrightPage } from './playwright-page';

const URLS = origins('same-site');

async function playwrightProfile(
  browser: Browser,
  browserName: BrowserName,
): Promise<{ ctx: CoreContext; close: () => Promise<void> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const ctx: CoreContext = {
    browserName,
    topology: 'same-site',
    urls: URLS,
    page: playwrightPage(page),
    newPage: async () => playwrightPage(await context.newPage()),
  };
  await harnessConnected(ctx);
  return { ctx, close: () => context.close() };
}

/** A fresh WebKitGTK session (in-memory storage: a new profile). */
async function webkitProfile(): Promise<{ ctx: CoreContext; close: () => Promise<void> }> {
  const page = await openWebKitPage();
  const ctx: CoreContext = {
    browserName: 'webkit',
    topology: 'same-site',
    urls: URLS,
    page,
    newPage: () => page.newPage(),
  };
  try {
    await harnessConnected(ctx);
  } catch (err) {
    await page.close();
    throw err;
  }
  return { ctx, close: () => page.close() };
}

describe.skipIf(!findWebKit().ok)('backup across browsers', () => {
  it('Chromium → Firefox → WebKitGTK: the keys move with a passphrase file, then a recovery-phrase file', async () => {
    const cr = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    let made: Awaited<ReturnType<typeof makeKeys>>;
    let chromiumFile: Uint8Array;
    try {
      const a = await playwrightProfile(cr, 'chromium');
      made = await makeKeys(a.ctx);
      chromiumFile = await exportWithPassphrase(a.ctx);
      await a.close();
    } finally {
      await cr.close();
    }

    const ff = await firefox.launch({ channel: 'moz-firefox', executablePath: findFirefox() });
    let firefoxPhrase: { file: Uint8Array; words: string[] };
    try {
      const b = await playwrightProfile(ff, 'firefox');
      await restore(b.ctx, made, chromiumFile, { passphrase: DEVICE_PASSPHRASE });
      await expectRestored(b.ctx, made);
      // The restored keys leave again, now under a recovery phrase.
      firefoxPhrase = await exportWithPhrase(b.ctx);
      await b.close();
    } finally {
      await ff.close();
    }

    const c = await webkitProfile();
    try {
      await restore(c.ctx, made, firefoxPhrase.file, { words: firefoxPhrase.words });
      await expectRestored(c.ctx, made);
    } finally {
      await c.close();
    }
    const d = await webkitProfile();
    try {
      await restore(d.ctx, made, chromiumFile, { passphrase: DEVICE_PASSPHRASE });
      await expectRestored(d.ctx, made);
    } finally {
      await d.close();
    }
  }, 360_000);
});
