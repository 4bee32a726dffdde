/**
 * {@link BrowserPage} on a WebKitGTK selenium session: `evaluate` runs through WebDriver
 * `executeAsyncScript` (function source inlined, JSON argument, JSON result), frames through
 * `switchTo().frame()`.
 */
import { By, Key, type WebDriver } from 'selenium-webdriver';
import {
  asyncScriptFor,
  type BrowserFrame,
  type BrowserPage,
  decodeEnvelope,
  encodeArg,
  type Json,
  type PageFunction,
} from './browser-page';
import { startWebKitSession, type WebKitSession, type WebKitSessionOptions } from './session';

/** A {@link BrowserPage} backed by WebKitGTK, with access to the underlying session. */
export interface WebKitPage extends BrowserPage {
  /** The running session (driver, display, timings). */
  readonly session: WebKitSession;
  /**
   * Open another tab in the same browser (same in-memory storage, like a second Playwright page
   * in one context). Its `close()` closes only that tab; the first page's `close()` stops all.
   */
  newPage(): Promise<WebKitPage>;
}

async function runIn<R>(
  driver: WebDriver,
  frames: readonly string[],
  fn: PageFunction<never, unknown>,
  arg: unknown,
): Promise<R> {
  const argJson = encodeArg(arg);
  const script = asyncScriptFor(fn);
  const where = frames.length === 0 ? 'page' : `frame ${frames.join(' > ')}`;
  // Every call leaves the session on the top-level document (and navigation resets it there),
  // so no leading defaultContent() round trip is needed.
  try {
    for (const selector of frames) {
      const el = await driver.findElement(By.css(selector));
      await driver.switchTo().frame(el);
    }
    const env: unknown = await driver.executeAsyncScript(script, argJson);
    return decodeEnvelope<R>(env, where);
  } finally {
    if (frames.length > 0) await driver.switchTo().defaultContent();
  }
}

/**
 * Wrap an existing WebKit session as a {@link WebKitPage}. `close()` stops the session.
 */
export function webkitPage(session: WebKitSession): WebKitPage {
  const { driver } = session;
  // WebDriver is one command at a time per session; serialise so concurrent evaluate() calls
  // on the page, a frame or another tab cannot interleave their switchTo() calls.
  let queue: Promise<unknown> = Promise.resolve();
  /** The window WebDriver is on; `null` when unknown (after a tab was closed). */
  let current: string | null = null;
  /** The first tab's window handle, read when a second tab is opened. */
  let firstHandle: string | null = null;
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const next = queue.then(op, op);
    queue = next.catch(() => undefined);
    return next;
  };
  const tab = (handle: string | null, closeTab: () => Promise<void>): WebKitPage => {
    /** Run `op` with this tab's window current (only switching when another tab was used). */
    const inTab = <T>(op: () => Promise<T>): Promise<T> =>
      serial(async () => {
        const target = handle ?? firstHandle;
        if (target !== null && current !== target) {
          await driver.switchTo().window(target);
          current = target;
        }
        return op();
      });
    const frameOf = (frames: readonly string[]): BrowserFrame => ({
      evaluate: <R, A extends Json | undefined = undefined>(fn: PageFunction<A, R>, arg?: A) =>
        inTab(() => runIn<R>(driver, frames, fn as PageFunction<never, unknown>, arg)),
      click: (selector) =>
        inTab(async () => {
          try {
            for (const frame of frames) {
              await driver.switchTo().frame(await driver.findElement(By.css(frame)));
            }
            const el = await driver.findElement(By.css(selector));
            // As Playwright does before a click (and a person would): scroll the element into
            // view when it is not — e.g. a field below the fold of the enclave dialog's
            // scrolling text. 'nearest' scrolls nothing when it is already in view. A W3C
            // pointer action does not scroll, and WebKitGTK answers ElementNotInteractable.
            await driver.executeScript(
              "arguments[0].scrollIntoView({ block: 'nearest', inline: 'nearest' });",
              el,
            );
            // A pointer action at the element's centre: delivered to whatever is on top there.
            await driver.actions().move({ origin: el }).click().perform();
          } finally {
            if (frames.length > 0) await driver.switchTo().defaultContent();
          }
        }),
    });
    const top = frameOf([]);
    return {
      session,
      evaluate: top.evaluate,
      goto: (url) => inTab(() => driver.get(url)),
      reload: () => inTab(() => driver.navigate().refresh()),
      url: () => inTab(() => driver.getCurrentUrl()),
      click: top.click,
      press: (key) =>
        inTab(async () => {
          const keys = { Enter: Key.ENTER, Tab: Key.TAB, Escape: Key.ESCAPE, Space: Key.SPACE };
          await driver.actions().sendKeys(keys[key]).perform();
        }),
      type: (text) =>
        inTab(async () => {
          await driver.actions().sendKeys(text).perform();
        }),
      frame: (selector) => frameOf(typeof selector === 'string' ? [selector] : [...selector]),
      newPage: () =>
        serial(async () => {
          if (firstHandle === null) {
            firstHandle = await driver.getWindowHandle();
            current = firstHandle;
          }
          // A second window (not a tab), as the audit suite's "two WebKit windows" asks.
          await driver.switchTo().newWindow('window');
          const created = await driver.getWindowHandle();
          current = created;
          return tab(created, () =>
            inTab(async () => {
              await driver.close();
              current = null;
            }),
          );
        }),
      close: closeTab,
    };
  };
  const first = tab(null, () => session.stop());
  return first;
}

/** Start a fresh WebKitGTK session (see {@link startWebKitSession}) and return its page. */
export async function openWebKitPage(options?: WebKitSessionOptions): Promise<WebKitPage> {
  return webkitPage(await startWebKitSession(options));
}
