/**
 * The shape of a shared e2e suite: named test bodies over a {@link CoreContext}, registered by
 * the Playwright specs (Chromium, Firefox) and by the WebKitGTK Vitest file alike, so one
 * behaviour is written once. Assertions use Playwright's `expect`, which also runs under Vitest.
 */
import type { CoreContext } from './harness';

/** One test: its title and its body. */
export interface CoreTest {
  readonly name: string;
  run(ctx: CoreContext): Promise<void>;
}

/** A `describe` block of {@link CoreTest}s. */
export interface CoreSuite {
  readonly describe: string;
  readonly tests: readonly CoreTest[];
}

export { expect } from '@playwright/test';
