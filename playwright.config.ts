/**
 * Playwright: the e2e suites in Chromium and Firefox ESR, each in both topologies
 * (cross-site `127.0.0.1` ↔ `localhost`, same-site `app.` ↔ `kms.strongroom.localhost`),
 * against the real loopback servers of `scripts/serve-test.ts`.
 */
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium, findFirefox } from './e2e/support/browsers';
import { PORTS } from './e2e/support/ports';
import type { TopologyOptions } from './e2e/support/test';

const chromium = {
  browserName: 'chromium' as const,
  launchOptions: { executablePath: findChromium(), args: CHROMIUM_ARGS },
};
const firefox = {
  browserName: 'firefox' as const,
  channel: 'moz-firefox',
  launchOptions: { executablePath: findFirefox() },
};

export default defineConfig<TopologyOptions>({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  fullyParallel: true,
  workers: 2,
  // In CI (a loaded 2-core machine) a failed test runs once more; one that then passes is
  // reported as flaky — by name, with its first error, in `npm test`'s list above the summary —
  // and a test that fails twice fails the run. Locally, no retry.
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  forbidOnly: true,
  reporter: [['list'], ['json', { outputFile: 'test-results/e2e.json' }]],
  use: { trace: 'off', screenshot: 'off', video: 'off' },
  webServer: {
    command: 'npx tsx scripts/serve-test.ts',
    port: PORTS.enclave,
    reuseExistingServer: !process.env.CI,
    stdout: 'ignore',
    stderr: 'pipe',
  },
  projects: [
    { name: 'chromium-cross-site', use: { ...chromium, topology: 'cross-site' } },
    { name: 'chromium-same-site', use: { ...chromium, topology: 'same-site' } },
    { name: 'firefox-cross-site', use: { ...firefox, topology: 'cross-site' } },
    { name: 'firefox-same-site', use: { ...firefox, topology: 'same-site' } },
  ],
});
