/**
 * The demo app's messages for what goes wrong in the enclave (issue 15, item 8), each caused for
 * real: the enclave's iframe removed from the page (`ENCLAVE_DISCONNECTED`, then the bridge
 * reconnects), the person declining in the enclave's own dialog (`CONSENT_DECLINED`); and the app
 * on a phone-sized screen (no horizontal overflow) and driven by the keyboard alone (a note
 * written and saved without a click), and a locked vault (`LOCKED`): another page of the app's
 * origin enables vault mode (the passphrase typed in the enclave's dialog) and locks it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  call as coreCall,
  connectHarness as coreConnect,
  openHarness as coreOpen,
} from './core/harness';
import { enable } from './core/vault';
import { DemoServer, demoReady, openDemo } from './support/demo-server';
import { enclaveFrame, expect, test } from './support/test';

// The service worker would hide requests from page.route in Chromium; it is not needed here.
test.use({ serviceWorkers: 'block' });

let server: DemoServer;
test.beforeEach(async ({ urls }) => {
  server = new DemoServer(
    mkdtempSync(join(tmpdir(), 'strongroom-demo-msg-')),
    new URL(urls.app).origin,
  );
  await server.start();
});
test.afterEach(async () => {
  await server.kill();
  rmSync(server.dataDir, { recursive: true, force: true });
});

test.describe('when the enclave goes wrong, the app says so', () => {
  test('the enclave frame removed: ENCLAVE_DISCONNECTED, then it reconnects and works', async ({
    page,
    urls,
    browserName,
    topology,
  }) => {
    await openDemo(page, urls.app, urls.enclave, server);
    await demoReady(page);
    const enclaveOrigin = new URL(urls.enclave).origin;
    // As a script or a framework re-render that drops the iframe would.
    await page.evaluate((origin) => {
      for (const frame of document.querySelectorAll('iframe')) {
        if (new URL(frame.src, location.href).origin === origin) frame.remove();
      }
    }, enclaveOrigin);
    await expect(page.locator('#message')).toHaveAttribute('data-code', 'ENCLAVE_DISCONNECTED');
    await expect(page.locator('#message')).toBeVisible();
    await expect(page.locator('#message')).toContainText(
      'The enclave was disconnected (ENCLAVE_DISCONNECTED): the page reconnects',
    );
    if (browserName === 'chromium' && topology === 'cross-site') {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: 'host-demo/docs/demo-disconnected.png' });
    }
    // The bridge (connect({ reconnect: true })) makes a new frame; the app works on.
    await expect(page.locator('#status')).toHaveAttribute('data-state', 'connected', {
      timeout: 20_000,
    });
    await page.fill('#note-text', 'after the reconnection');
    await page.click('#note-save');
    await expect(
      page.locator('#notes td.plain', { hasText: 'after the reconnection' }),
    ).toBeVisible();
    await expect(page.locator('#message')).toBeHidden();
  });

  test('the person declines in the enclave’s dialog: CONSENT_DECLINED, nothing changed', async ({
    page,
    urls,
    browserName,
    topology,
  }) => {
    test.skip(
      browserName === 'firefox' && topology === 'cross-site',
      "Stock Firefox ESR does not route Playwright's input into an out-of-process (cross-site) frame (NEEDS_INPUT in e2e/core/consent.ts): nobody can decline there",
    );
    await openDemo(page, urls.app, urls.enclave, server);
    await demoReady(page);
    await page.click('#key-delete');
    await expect(page.locator('#key-state')).toHaveAttribute('data-state', 'pending-deletion');
    await expect(page.locator('#key-destroy')).toBeEnabled();
    await page.click('#key-destroy');
    const frame = await enclaveFrame(page, urls.enclave);
    await frame.waitForFunction(() => document.documentElement.dataset.consent === 'open');
    await page.waitForTimeout(300);
    await frame.click('#consent-decline');
    await expect(page.locator('#message')).toHaveAttribute('data-code', 'CONSENT_DECLINED');
    await expect(page.locator('#message')).toContainText(
      'You declined in the enclave’s dialog: nothing was changed (CONSENT_DECLINED).',
    );
    if (browserName === 'chromium' && topology === 'cross-site') {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: 'host-demo/docs/demo-declined.png' });
    }
    // Nothing changed: the key is still pending deletion, and can be cancelled.
    await expect(page.locator('#key-state')).toHaveAttribute('data-state', 'pending-deletion');
    await page.click('#key-cancel');
    await expect(page.locator('#key-state')).toHaveAttribute('data-state', 'active');
  });
});

test.describe('when the vault is locked', () => {
  test('the app says LOCKED, and how to unlock', async ({
    page,
    urls,
    core,
    browserName,
    topology,
  }) => {
    test.skip(
      browserName === 'firefox' && topology === 'cross-site',
      "Stock Firefox ESR does not route Playwright's input into an out-of-process (cross-site) frame (NEEDS_INPUT in e2e/core/consent.ts): nobody can type the vault's passphrase there",
    );
    // Another page of the app's origin turns vault mode on and locks it, as the app's own
    // settings page might.
    const other = await core.newPage();
    await coreOpen(other, urls.app);
    await coreConnect(other, { url: urls.enclave });
    await enable({ ...core, page: other });
    await coreCall(other, 'lock');
    await openDemo(page, urls.app, urls.enclave, server);
    await expect(page.locator('#message')).toHaveAttribute('data-code', 'LOCKED', {
      timeout: 20_000,
    });
    await expect(page.locator('#message')).toContainText(
      'The enclave is locked (LOCKED): unlock it in the enclave’s own dialog, then try again.',
    );
    if (browserName === 'chromium' && topology === 'cross-site') {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: 'host-demo/docs/demo-locked.png' });
    }
  });
});

test.describe('on a phone and from the keyboard', () => {
  test('a phone-sized screen (390×844) has no horizontal overflow, with a note and a relay token shown', async ({
    page,
    urls,
    browserName,
    topology,
  }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await openDemo(page, urls.app, urls.enclave, server);
    await demoReady(page);
    await page.fill('#note-text', 'a note on a phone, long enough to wrap over several lines');
    await page.click('#note-save');
    await expect(page.locator('#notes tbody tr')).toHaveCount(1);
    await page.click('#relay-run');
    await expect(page.locator('#relay-result')).toHaveAttribute('data-state', 'ok');
    const widths = await page.evaluate(() => ({
      window: window.innerWidth,
      // Without a classic scroll bar's width (Firefox draws one: 378 of 390 px).
      viewport: document.documentElement.clientWidth,
      document: document.documentElement.scrollWidth,
      body: document.body.scrollWidth,
      // Any element wider than the screen, or reaching past its right edge.
      overflowing: [...document.querySelectorAll('body *')]
        .filter((e) => {
          const r = e.getBoundingClientRect();
          return (
            r.width > 0 && (r.right > document.documentElement.clientWidth + 0.5 || r.left < -0.5)
          );
        })
        // Inside a box that scrolls sideways (the notes table, the command's <pre>) is allowed:
        // that box itself must fit, and is checked as any other element.
        .filter((e) => {
          for (let a = e.parentElement; a; a = a.parentElement) {
            if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return false;
          }
          return true;
        })
        .map((e) => `${e.tagName.toLowerCase()}#${e.id}`),
    }));
    expect(widths.window).toBe(390);
    expect(widths.document).toBeLessThanOrEqual(widths.viewport);
    expect(widths.body).toBeLessThanOrEqual(widths.viewport);
    expect(widths.overflowing).toEqual([]);
    if (browserName === 'chromium' && topology === 'cross-site') {
      await page.screenshot({ path: 'host-demo/docs/demo-phone-notes.png', fullPage: true });
    }
  });

  test('a note is written and saved with the keyboard alone', async ({ page, urls }) => {
    await openDemo(page, urls.app, urls.enclave, server);
    await demoReady(page);
    await expect(page.locator('#note-save')).toBeEnabled();
    // Tab from the top of the page to the note field, as a keyboard user would.
    await page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.id === 'note-text');
    }
    expect(reached).toBe(true);
    await page.keyboard.type('typed, never clicked');
    await page.keyboard.press('Tab');
    await expect(page.locator('#note-save')).toBeFocused();
    // The focus ring is visible (the CSS :focus-visible outline).
    const outline = await page
      .locator('#note-save')
      .evaluate((b) => getComputedStyle(b).outlineStyle);
    expect(outline).toBe('solid');
    await page.keyboard.press('Enter');
    await expect(
      page.locator('#notes td.plain', { hasText: 'typed, never clicked' }),
    ).toBeVisible();
    // The server holds it (signed, sealed): one note for this identity.
    await expect(page.locator('#notes tbody tr')).toHaveCount(1);
  });
});
