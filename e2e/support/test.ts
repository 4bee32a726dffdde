/**
 * The Playwright `test` of the e2e suites: adds the `topology` option (set per project), the
 * origins that go with it, and the `core` context of the shared suites (`e2e/core/`), plus
 * helpers to drive the harness page through a Playwright `Page` or `Frame`.
 */
import { test as base, type Frame, type Page } from '@playwright/test';
import type { Topology } from '../../scripts/topology';
import { type CoreContext, type ErrorView, HarnessError, unwrap } from '../core/harness';
import { type CoreSuite, skipReason } from '../core/suite';
import { encode, type Json } from '../fixtures/src/wire-json';
import { playwrightPage } from '../webkit/playwright-page';
import { origins } from './ports';

export { type ErrorView, HarnessError } from '../core/harness';

/** The per-project option. */
export interface TopologyOptions {
  topology: Topology;
}

/** Open the harness page on `origin` (default: the topology's app origin). */
export async function openHarness(page: Page, origin: string, query = ''): Promise<void> {
  await page.goto(`${origin}/harness.html${query}`);
  await page.waitForFunction(() => document.documentElement.dataset.harness === 'ready');
}

/** Connect the harness page to an enclave through the bridge; throws {@link HarnessError}. */
export async function connectHarness(
  page: Page | Frame,
  options: { url?: string; timeoutMs?: number } = {},
): Promise<void> {
  unwrap((await page.evaluate((o) => window.sr.connect(o), options)) as Json);
}

/** Call an enclave operation through the bridge; throws {@link HarnessError}. */
export async function call<T = unknown>(
  page: Page | Frame,
  op: string,
  ...args: unknown[]
): Promise<T> {
  const encoded: Json[] = args.map(encode);
  const result = (await page.evaluate(
    (input: { op: string; args: unknown }) => window.sr.call(input.op, input.args as Json[]),
    { op, args: encoded as unknown },
  )) as Json;
  return unwrap(result) as T;
}

/** Call an operation that must fail; returns the error view (fails the test if it succeeds). */
export async function callError(
  page: Page | Frame,
  op: string,
  ...args: unknown[]
): Promise<ErrorView> {
  try {
    await call(page, op, ...args);
  } catch (err) {
    if (err instanceof HarnessError) return err.view;
    throw err;
  }
  throw new Error(`${op} was expected to fail but succeeded`);
}

/** The enclave iframe of a page (the frame whose URL starts with `enclaveUrl`). */
export async function enclaveFrame(page: Page, enclaveUrl: string): Promise<Frame> {
  for (let i = 0; i < 100; i++) {
    const frame = page.frames().find((f) => f.url().startsWith(enclaveUrl));
    if (frame) return frame;
    await page.waitForTimeout(50);
  }
  throw new Error(`no enclave frame for ${enclaveUrl}`);
}

/** The `test` with the topology option, its origins, and the shared suites' context. */
export const test = base.extend<
  TopologyOptions & { urls: ReturnType<typeof origins>; core: CoreContext }
>({
  topology: ['cross-site', { option: true }],
  urls: async ({ topology }, use) => {
    await use(origins(topology));
  },
  core: async ({ page, context, urls, topology, browserName }, use) => {
    await use({
      browserName,
      topology,
      urls,
      page: playwrightPage(page),
      newPage: async () => playwrightPage(await context.newPage()),
    });
  },
});

/** Register shared suites (`e2e/core/`) as Playwright tests of the current project. */
export function registerCore(suites: readonly CoreSuite[]): void {
  for (const suite of suites) {
    test.describe(suite.describe, () => {
      for (const t of suite.tests) {
        test(t.name, ({ core }) => {
          const reason = skipReason(t, core.browserName, core.topology);
          test.skip(reason !== null, reason ?? '');
          if (t.timeoutMs !== undefined) test.setTimeout(t.timeoutMs);
          return t.run(core);
        });
      }
    });
  }
}

export { expect } from '@playwright/test';
