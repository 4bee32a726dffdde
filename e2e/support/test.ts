/**
 * The Playwright `test` of the e2e suites: adds the `topology` option (set per project) and
 * the origins that go with it, plus helpers to drive the harness page.
 */
import { test as base, type Frame, type Page } from '@playwright/test';
import type { Topology } from '../../scripts/topology';
import { decode, encode, type Json } from '../fixtures/src/wire-json';
import { origins } from './ports';

/** The per-project option. */
export interface TopologyOptions {
  topology: Topology;
}

/** An error as the harness reports it. */
export interface ErrorView {
  name: string;
  code: string | null;
  message: string;
  isStrongroomError: boolean;
}

/** Thrown on the Node side when a harness call failed; carries the page-side error. */
export class HarnessError extends Error {
  constructor(readonly view: ErrorView) {
    super(`${view.code}: ${view.message}`);
  }
}

function unwrap(result: Json): unknown {
  if (result && typeof result === 'object' && !Array.isArray(result) && '$error' in result) {
    throw new HarnessError(result.$error as unknown as ErrorView);
  }
  return decode(result);
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

/** The `test` with the topology option and its origins. */
export const test = base.extend<TopologyOptions & { urls: ReturnType<typeof origins> }>({
  topology: ['cross-site', { option: true }],
  urls: async ({ topology }, use) => {
    await use(origins(topology));
  },
});

export { expect } from '@playwright/test';
