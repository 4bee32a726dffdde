/**
 * Vitest configuration of the WebKitGTK suites (the root config excludes `e2e/**`): the driver
 * layer's own tests and the shared core e2e suites (`core.test.ts`). Run:
 * `npx vitest run --config e2e/webkit/vitest.config.ts`. One browser at a time. The e2e servers
 * run on their own ports (`STRONGROOM_WEBKIT_BASE_PORT`, default 4711…4714), so they never
 * collide with Playwright's.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { workspaceResolve, workspaceSsrResolve } from '../../build/workspace-resolve';

const base = process.env.STRONGROOM_WEBKIT_BASE_PORT ?? '4711';
// Read by e2e/support/ports.ts in this process (global setup) and in the test workers.
process.env.STRONGROOM_E2E_BASE_PORT = base;

export default defineConfig({
  resolve: workspaceResolve,
  ssr: { resolve: workspaceSsrResolve },
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.ts'],
    globalSetup: ['./global-setup.ts'],
    env: { STRONGROOM_E2E_BASE_PORT: base },
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
