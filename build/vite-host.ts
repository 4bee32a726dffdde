/**
 * Builds of app-side pages: the demo host (`host-demo/`) and the e2e fixtures (`e2e/fixtures/`).
 * Both are ordinary Vite multi-page builds that bundle the bridge.
 */
import { readdirSync } from 'node:fs';
import { build } from 'vite';
import { ROOT } from './vite-enclave';
import { workspaceResolve } from './workspace-resolve';

/** Build every `*.html` of `sourceDir` (relative to the repo root) into `outDir`. */
export async function buildPages(sourceDir: string, outDir: string): Promise<void> {
  const root = `${ROOT}${sourceDir}`;
  const input = Object.fromEntries(
    readdirSync(root)
      .filter((f) => f.endsWith('.html'))
      .map((f) => [f.replace(/\.html$/, ''), `${root}/${f}`]),
  );
  await build({
    configFile: false,
    resolve: workspaceResolve,
    root,
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', rollupOptions: { input } },
  });
}
