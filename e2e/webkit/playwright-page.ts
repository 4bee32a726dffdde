/**
 * {@link BrowserPage} on a Playwright `Page`, so test bodies written against the interface run on
 * Chromium and Firefox too. Uses the same evaluate envelope as the WebKit side, so argument and
 * result rules (JSON only, `undefined` preserved, page errors as `Error("<name>: <message>")`) are
 * identical in every browser.
 */
import type { Frame, Page } from '@playwright/test';
import {
  type BrowserFrame,
  type BrowserPage,
  decodeEnvelope,
  encodeArg,
  expressionFor,
  type Json,
  type PageFunction,
} from './browser-page';

async function frameFor(page: Page, selectors: readonly string[]): Promise<Frame> {
  let frame = page.mainFrame();
  for (const selector of selectors) {
    const handle = await frame.waitForSelector(selector, { state: 'attached' });
    const child = await handle.contentFrame();
    await handle.dispose();
    if (!child) throw new Error(`${selector} is not an iframe`);
    await child.waitForLoadState('load');
    frame = child;
  }
  return frame;
}

/** Wrap a Playwright page. `close()` closes the page (not the browser or context). */
export function playwrightPage(page: Page): BrowserPage {
  const frameOf = (selectors: readonly string[]): BrowserFrame => ({
    evaluate: async <R, A extends Json | undefined = undefined>(
      fn: PageFunction<A, R>,
      arg?: A,
    ): Promise<R> => {
      const expression = expressionFor(fn as PageFunction<never, unknown>, encodeArg(arg));
      const frame = await frameFor(page, selectors);
      const env: unknown = await frame.evaluate(expression);
      return decodeEnvelope<R>(env, selectors.length ? `frame ${selectors.join(' > ')}` : 'page');
    },
    click: async (selector) => {
      const frame = await frameFor(page, selectors);
      // As a person would, and exactly as the WebKit side (page.ts) does: scroll the element
      // into view first (e.g. the skip-or-replace choice below the fold of the enclave dialog's
      // scrolling text). Its box is where it is laid out, not where it can be seen: clicked out
      // of view, the point is on whatever covers it — the dialog's Cancel button.
      const target = frame.locator(selector);
      await target.evaluate((el) => el.scrollIntoView({ block: 'nearest', inline: 'nearest' }));
      const box = await target.boundingBox();
      if (!box) throw new Error(`${selector} has no box`);
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    },
  });
  const top = frameOf([]);
  return {
    evaluate: top.evaluate,
    goto: async (url) => {
      await page.goto(url, { waitUntil: 'load' });
    },
    reload: async () => {
      await page.reload({ waitUntil: 'load' });
    },
    url: async () => page.url(),
    click: top.click,
    press: async (key) => {
      await page.keyboard.press(key === 'Space' ? ' ' : key);
    },
    type: async (text) => {
      await page.keyboard.type(text);
    },
    frame: (selector) => frameOf(typeof selector === 'string' ? [selector] : [...selector]),
    close: () => page.close(),
  };
}
