/**
 * Driving the harness page (`window.sr`, e2e/fixtures/src/harness.ts) from Node over the
 * browser-neutral {@link BrowserPage}, so one test body runs in Playwright (Chromium, Firefox)
 * and in WebKitGTK. Values cross as JSON (`wire-json.ts`); page-side errors come back as
 * {@link HarnessError} carrying the error's class view and code.
 */
import type { Topology } from '../../scripts/topology';
import { decode, encode, type Json } from '../fixtures/src/wire-json';
import type { origins } from '../support/ports';
import type { BrowserFrame, BrowserPage } from '../webkit/browser-page';

/** The browsers the core suites run in. */
export type BrowserName = 'chromium' | 'firefox' | 'webkit';

/** The origins of one topology (see `e2e/support/ports.ts`). */
export type Urls = ReturnType<typeof origins>;

/** Everything a core test body gets: the browser, the topology, its origins and pages. */
export interface CoreContext {
  readonly browserName: BrowserName;
  readonly topology: Topology;
  readonly urls: Urls;
  /** A fresh page (tab) in a fresh browser context / session. */
  readonly page: BrowserPage;
  /** Another page in the same context (same storage, like a second tab). */
  newPage(): Promise<BrowserPage>;
}

/** An error as the harness reports it. */
export interface ErrorView {
  name: string;
  code: string | null;
  message: string;
  isStrongroomError: boolean;
  /** `StrongroomError.retryAfterMs` (RATE_LIMITED), else `null`. */
  retryAfterMs?: number | null;
}

/** Thrown on the Node side when a harness call failed; carries the page-side error. */
export class HarnessError extends Error {
  /** @param view - the page-side error, as the harness reported it. */
  constructor(readonly view: ErrorView) {
    super(`${view.code}: ${view.message}`);
  }
}

/** Decode a harness result, throwing {@link HarnessError} for `{ $error }`. */
export function unwrap(result: Json): unknown {
  if (result && typeof result === 'object' && !Array.isArray(result) && '$error' in result) {
    throw new HarnessError(result.$error as unknown as ErrorView);
  }
  return decode(result);
}

/** Wait `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `read` until it returns `want` (or `timeoutMs` passes); returns the last value read. */
export async function waitFor<T>(
  read: () => Promise<T>,
  want: T,
  timeoutMs = 15_000,
): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  do {
    try {
      last = await read();
      if (last === want) return last;
    } catch {
      // Not there yet (navigating, frame not loaded).
    }
    await sleep(50);
  } while (Date.now() < until);
  return last;
}

/** Wait until the harness script in `frame` has run. */
export async function harnessReady(frame: BrowserFrame): Promise<void> {
  const state = await waitFor(
    () => frame.evaluate(() => document.documentElement.dataset.harness ?? null),
    'ready',
  );
  if (state !== 'ready') throw new Error('the harness page did not get ready');
}

/** Open the harness page on `origin` and wait until it is ready. */
export async function openHarness(page: BrowserPage, origin: string, query = ''): Promise<void> {
  await page.goto(`${origin}/harness.html${query}`);
  await harnessReady(page);
}

/** Connect the harness to an enclave through the bridge; throws {@link HarnessError}. */
export async function connectHarness(
  frame: BrowserFrame,
  options: { url?: string; timeoutMs?: number } = {},
): Promise<void> {
  unwrap(await frame.evaluate((o) => window.sr.connect(o), options));
}

/** Call an enclave operation through the bridge; throws {@link HarnessError}. */
export async function call<T = unknown>(
  frame: BrowserFrame,
  op: string,
  ...args: unknown[]
): Promise<T> {
  const result = await frame.evaluate(
    (input: { op: string; args: Json[] }) => window.sr.call(input.op, input.args),
    { op, args: args.map(encode) },
  );
  return unwrap(result) as T;
}

/** Call an operation that must fail; returns the error view (throws if it succeeds). */
export async function callError(
  frame: BrowserFrame,
  op: string,
  ...args: unknown[]
): Promise<ErrorView> {
  try {
    await call(frame, op, ...args);
  } catch (err) {
    if (err instanceof HarnessError) return err.view;
    throw err;
  }
  throw new Error(`${op} was expected to fail but succeeded`);
}

/** The CSS selector of the iframe whose `src` starts with `url`. */
export function frameSelector(url: string): string {
  return `iframe[src^=${JSON.stringify(url)}]`;
}

/** The enclave iframe of a page (the iframe whose `src` starts with `enclaveUrl`). */
export function enclaveFrame(page: BrowserPage, enclaveUrl: string): BrowserFrame {
  return page.frame(frameSelector(enclaveUrl));
}
