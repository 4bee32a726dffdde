/**
 * `npm run build:bridge`: compile `@strongroom/bridge` for publishing into `bridge/dist/`:
 *
 * - `index.js`, the ES module of the package's one entry (Comlink left as a dependency, for
 *   bundlers);
 * - `strongroom-bridge.js`, the same API as one self-contained, minified ES module with Comlink
 *   inlined, for a page without a bundler. The build prints its sha384 (and returns it), so that a
 *   page can pin it with SRI;
 * - `.d.ts` declarations whose relative imports carry their `.js` extension, so that they resolve
 *   under every TypeScript `moduleResolution` (`bundler`, `node16`, `nodenext`): an extensionless
 *   `'./connect'` is an error under node16/nodenext, and with `skipLibCheck` it silently turns
 *   every bridge type into `any`.
 *
 * `npm pack` in `bridge/` runs it first (`prepack`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { isMain } from './is-main';
import { sha384Sri } from './release/digest';
import { ROOT } from './vite-enclave';
import { workspaceResolve } from './workspace-resolve';

/** The self-contained build's file name in `bridge/dist/`. */
export const STANDALONE_FILE = 'strongroom-bridge.js';

/** What {@link buildBridge} produced. */
export interface BuiltBridge {
  /** The self-contained ES module and its SRI value (`sha384-…`). */
  readonly standalone: { readonly path: string; readonly integrity: string };
}

const RELATIVE = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"]+)\2/g;

/**
 * Give every relative import of a declaration file its `.js` extension; throws when one names a
 * module that has no declaration beside it.
 */
export function withJsExtensions(text: string, exists: (specifier: string) => boolean): string {
  return text.replace(RELATIVE, (all, head: string, quote: string, specifier: string) => {
    if (/\.(m?js|json)$/.test(specifier)) return all;
    if (!exists(specifier)) throw new Error(`declaration import ${specifier} names no module`);
    return `${head}${quote}${specifier}.js${quote}`;
  });
}

/** Rewrite the declarations in `dir` in place (see {@link withJsExtensions}). */
function fixDeclarations(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.d.ts')) continue;
    const path = join(dir, name);
    const text = readFileSync(path, 'utf8');
    const fixed = withJsExtensions(text, (spec) => existsSync(join(dir, `${spec}.d.ts`)));
    if (fixed !== text) writeFileSync(path, fixed);
  }
}

/**
 * Build the self-contained ES module (`strongroom-bridge.js`, Comlink inlined, minified) into
 * `outDir`, and return its path and `integrity` value.
 */
export async function buildStandaloneBridge(
  outDir: string,
): Promise<{ readonly path: string; readonly integrity: string }> {
  await build({
    configFile: false,
    root: `${ROOT}bridge`,
    logLevel: 'warn',
    resolve: workspaceResolve,
    build: {
      outDir,
      emptyOutDir: false,
      target: 'es2022',
      minify: true,
      sourcemap: false,
      reportCompressedSize: false,
      lib: {
        entry: { 'strongroom-bridge': `${ROOT}bridge/src/index.ts` },
        formats: ['es'],
        fileName: () => STANDALONE_FILE,
      },
      rolldownOptions: { output: { codeSplitting: false } },
    },
  });
  const path = join(outDir, STANDALONE_FILE);
  return { path, integrity: sha384Sri(readFileSync(path)) };
}

/**
 * Build the bridge package's `dist/`: `bridge/dist/` by default, or `outDir` (tests that pack
 * the package build into a staging copy of their own, so that test files running at the same
 * time never see another one's half-built `bridge/dist/`).
 */
export async function buildBridge(outDir = `${ROOT}bridge/dist`): Promise<BuiltBridge> {
  const entry = `${ROOT}bridge/src/index.ts`;
  const common = {
    configFile: false,
    root: `${ROOT}bridge`,
    logLevel: 'warn',
    resolve: workspaceResolve,
  } as const;
  await build({
    ...common,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      reportCompressedSize: false,
      lib: { entry: { index: entry }, formats: ['es'], fileName: (_format, name) => `${name}.js` },
      rolldownOptions: { external: ['comlink'] },
    },
  });
  const standalone = await buildStandaloneBridge(outDir);
  execFileSync(
    process.execPath,
    [
      `${ROOT}node_modules/typescript/bin/tsc`,
      '-p',
      `${ROOT}bridge/tsconfig.build.json`,
      '--outDir',
      outDir,
    ],
    { stdio: 'inherit' },
  );
  fixDeclarations(outDir);
  return { standalone };
}

if (isMain(import.meta.url)) {
  const { standalone } = await buildBridge();
  console.log('built bridge/dist');
  console.log(`  ${STANDALONE_FILE} (self-contained, for pages without a bundler):`);
  console.log(`  integrity="${standalone.integrity}"`);
}
