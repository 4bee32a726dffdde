/**
 * Two documented refusals: the per-origin key quota (`QUOTA_EXCEEDED`, atomic under concurrent
 * calls, nothing half-written) and storage that the browser denies (`STORAGE_UNAVAILABLE`, with
 * `info()` still answering).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { dumpKeystore } from './core/keystore';
import { CHROMIUM_ARGS, findChromium } from './support/browsers';
import {
  call,
  callError,
  connectHarness,
  enclaveFrame,
  expect,
  openHarness,
  test,
} from './support/test';
import { playwrightPage } from './webkit/playwright-page';

test.describe('when an origin reaches its key quota', () => {
  test('1010 concurrent generateKey calls make exactly 1000 keys; the rest are QUOTA_EXCEEDED', async ({
    page,
    urls,
  }) => {
    test.setTimeout(120_000);
    await openHarness(page, urls.app);
    await connectHarness(page);
    const outcomes = await page.evaluate(async () => {
      const results = await Promise.all(
        Array.from({ length: 1010 }, () =>
          window.sr.call('generateKey', [{ alg: 'HS256', purpose: 'mac' }]),
        ),
      );
      return results.map((r) =>
        r && typeof r === 'object' && '$error' in r ? (r.$error as { code: string }).code : 'ok',
      );
    });
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1000);
    expect(outcomes.filter((o) => o === 'QUOTA_EXCEEDED')).toHaveLength(10);
    expect(await call<unknown[]>(page, 'listKeys')).toHaveLength(1000);
    expect(await callError(page, 'generateKey', { alg: 'EdDSA', purpose: 'sign' })).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      isStrongroomError: true,
    });
    // Nothing half-written: exactly the 1000 records in IndexedDB.
    const frame = playwrightPage(page).frame(`iframe[src^="${urls.enclave}"]`);
    expect(await dumpKeystore(frame)).toHaveLength(1000);
    expect(await enclaveFrame(page, urls.enclave)).toBeTruthy();
  });
});

test.describe('when the browser denies the enclave its storage', () => {
  test('key operations are STORAGE_UNAVAILABLE and info() still answers', async ({
    browserName,
    urls,
  }) => {
    test.skip(
      browserName !== 'chromium',
      'needs a Chromium profile whose content settings block all site data (a Preferences file)',
    );
    // A profile that blocks site data for every site, as a user or an administrator can.
    const profile = mkdtempSync(join(tmpdir(), 'strongroom-nostorage-'));
    mkdirSync(join(profile, 'Default'));
    writeFileSync(
      join(profile, 'Default', 'Preferences'),
      JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }),
    );
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: findChromium(),
      args: CHROMIUM_ARGS,
    });
    try {
      const page = await context.newPage();
      await openHarness(page, urls.app);
      await connectHarness(page);
      expect(await call(page, 'info')).toMatchObject({ origin: urls.app });
      for (const [op, args] of [
        ['generateKey', [{ alg: 'EdDSA', purpose: 'sign' }]],
        ['listKeys', []],
        ['getKey', ['AAAAAAAAAAAAAAAAAAAAAA']],
      ] as const) {
        expect(await callError(page, op, ...args), op).toMatchObject({
          code: 'STORAGE_UNAVAILABLE',
          isStrongroomError: true,
        });
      }
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
