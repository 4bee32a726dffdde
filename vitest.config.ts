/** Vitest configuration for the unit tests of every workspace (e2e runs under Playwright). */
import { defineConfig } from 'vitest/config';
import { workspaceResolve, workspaceSsrResolve } from './build/workspace-resolve';

export default defineConfig({
  resolve: workspaceResolve,
  ssr: { resolve: workspaceSsrResolve },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'e2e/**'],
  },
});
