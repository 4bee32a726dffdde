/**
 * Builds of app-side pages: the demo host (`host-demo/`), the e2e fixtures (`e2e/fixtures/`)
 * and the bench pages. All are ordinary Vite multi-page builds that bundle the bridge; a page
 * that is served with the enclave's headers (the bench's raw-channel page) is built on its own,
 * self-contained and SRI-pinned, because `Integrity-Policy` refuses any script without an
 * integrity (WebKitGTK 2.50 enforces it, static imports included).
 */
import { readdirSync } from 'node:fs';
import { build } from 'vite';
import { sriPlugin } from './sri';
import { ROOT } from './vite-enclave';
import { workspaceResolve } from './workspace-resolve';

/** Options of {@link buildPages}. */
export interface BuildPagesOptions {
  /**
   * Pages (file names, e.g. `raw.html`) to build alone, each as one self-contained script
   * pinned with sha384 SRI, so they run under the enclave's `Integrity-Policy`.
   */
  readonly pinned?: readonly string[];
}

/** Build every `*.html` of `sourceDir` (relative to the repo root) into `outDir`. */
export async function buildPages(
  sourceDir: string,
  outDir: string,
  options: BuildPagesOptions = {},
): Promise<void> {
  const root = `${ROOT}${sourceDir}`;
  const pinned = new Set(options.pinned ?? []);
  const pages = readdirSync(root).filter((f) => f.endsWith('.html'));
  const input = Object.fromEntries(
    pages.filter((f) => !pinned.has(f)).map((f) => [f.replace(/\.html$/, ''), `${root}/${f}`]),
  );
  await build({
    configFile: false,
    resolve: workspaceResolve,
    root,
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', rollupOptions: { input } },
  });
  for (const page of pages.filter((f) => pinned.has(f))) {
    await build({
      configFile: false,
      resolve: workspaceResolve,
      root,
      base: './',
      logLevel: 'warn',
      plugins: [sriPlugin()],
      build: {
        outDir,
        emptyOutDir: false,
        target: 'es2022',
        modulePreload: false,
        rolldownOptions: {
          input: { [page.replace(/\.html$/, '')]: `${root}/${page}` },
          output: { codeSplitting: false },
        },
      },
    });
  }
}
