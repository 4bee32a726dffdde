/**
 * The shape of a shared e2e suite: named test bodies over a {@link CoreContext}, registered by
 * the Playwright specs (Chromium, Firefox) and by the WebKitGTK Vitest file alike, so one
 * behaviour is written once. Assertions use Playwright's `expect`, which also runs under Vitest.
 */
import type { Topology } from '../../scripts/topology';
import type { BrowserName, CoreContext } from './harness';

/** Where a test cannot run, and why (the reason is shown with the skip). */
export interface SkipWhen {
  readonly browser: BrowserName;
  readonly topology?: Topology;
  readonly reason: string;
}

/** One test: its title and its body. */
export interface CoreTest {
  readonly name: string;
  /** Browsers (and topologies) where the test is skipped, each with its stated reason. */
  readonly skip?: readonly SkipWhen[];
  /** This test's timeout in ms, where it needs more than the runner's default (60 s). */
  readonly timeoutMs?: number;
  run(ctx: CoreContext): Promise<void>;
}

/** The reason `test` is skipped in `browser` × `topology`, or `null` when it runs. */
export function skipReason(
  test: CoreTest,
  browser: BrowserName,
  topology: Topology,
): string | null {
  const hit = test.skip?.find(
    (s) => s.browser === browser && (s.topology === undefined || s.topology === topology),
  );
  return hit ? hit.reason : null;
}

/** A `describe` block of {@link CoreTest}s. */
export interface CoreSuite {
  readonly describe: string;
  readonly tests: readonly CoreTest[];
}

export { expect } from '@playwright/test';
