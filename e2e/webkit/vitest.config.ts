/**
 * Vitest configuration for the WebKitGTK driver layer's own tests (the root config excludes
 * `e2e/**`). Run: `npx vitest run --config e2e/webkit/vitest.config.ts`. One browser at a time.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
