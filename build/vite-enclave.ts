/**
 * The enclave's Vite build, in two phases so that every file name stays content-addressed and
 * nothing is patched after hashing:
 *
 * 1. the key worker alone, as one self-contained file `assets/worker-[hash].js` (no imports:
 *    it runs from a blob URL, which has no base to resolve them against);
 * 2. the page, with the worker's path and sha384 compiled in as constants (the page fetches it
 *    with `fetch(url, { integrity })`), a `<link rel="preload" as="fetch">` of the worker in
 *    `index.html` (so that its fetch starts while the page is parsed, not once the page's
 *    script runs; Chromium hands the preloaded response to the page's `fetch`, Firefox reads it
 *    again from its HTTP cache, WebKitGTK fetches it again: docs/performance.md; the browser
 *    checks the integrity of each), and every script, stylesheet and preload of `index.html`
 *    pinned with sha384 SRI by {@link sriPlugin}.
 *
 * The allowlist, version (the release's, when given) and dev flag are compiled in as constants; no source maps, no inline
 * assets, so the output depends only on the sources and this configuration (reproducible).
 * Finally {@link checkEnclaveBundle} re-reads the output and fails the build on `eval`,
 * `new Function`, a `*` origin, or any file that would run without an integrity check.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig, type Plugin, type Rolldown } from 'vite';
import { type CheckedBundle, checkEnclaveBundle } from './bundle-check';
import { type EnclaveBuildConfig, normalizeConfig } from './enclave-config';
import { sha384Sri } from './release/digest';
import { releaseDigest } from './release/release-digest';
import { sriPlugin } from './sri';
import { workspaceResolve } from './workspace-resolve';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The enclave package's version. */
export function enclaveVersion(): string {
  const pkg = JSON.parse(readFileSync(`${ROOT}enclave/package.json`, 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Options of {@link buildEnclave}. */
export interface BuildEnclaveOptions extends EnclaveBuildConfig {
  /** Output folder (absolute). */
  readonly outDir: string;
  /**
   * Development/test build: allows loopback `http:` VAPID audiences and dev-only test seams
   * (see `enclave/src/build-info.ts`). Default `false`; never set for a release.
   */
  readonly dev?: boolean;
  /**
   * The version the enclave reports in `info().version`: the release's own
   * (`releaseVersion()` in build/build.ts, what the manifest says). Default: the enclave
   * package's version.
   */
  readonly version?: string;
  /**
   * TEST ONLY: another enclave source folder (with `index.html` and `src/worker.ts`), used by
   * the build check's tests to build bundles that must fail. Default `enclave/`.
   */
  readonly sourceRoot?: string;
}

/**
 * Bench-only variants, a separate argument of {@link buildEnclave} so that no build
 * configuration (`strongroom.config.json`, spread into the options by the release build) can
 * reach them. `npm run bench` alone passes them; the release build never does.
 */
export interface BenchVariant {
  /**
   * Compile the audit log out of the key worker (no entry, no chain, no shared counters or
   * buckets), to measure what it costs. Default `false`.
   */
  readonly auditOff?: boolean;
}

/** What {@link buildEnclave} produced. */
export interface BuiltEnclave extends CheckedBundle {
  /** Release path of the key worker, e.g. `assets/worker-3f2a.js`. */
  readonly workerPath: string;
  /** The release digest the enclave reports in `info()` (see `release/release-digest.ts`). */
  readonly releaseDigest: string;
}

const COMMON_BUILD = {
  target: 'es2022',
  sourcemap: false,
  assetsInlineLimit: 0,
  modulePreload: { polyfill: false },
  reportCompressedSize: false,
  copyPublicDir: false,
} as const;

function defines(options: BuildEnclaveOptions, bench: BenchVariant): Record<string, string> {
  const { allowedOrigins, rateLimits, consentTimeoutMs, consentOnFirstConnection } =
    normalizeConfig(options);
  return {
    __STRONGROOM_ALLOWED_ORIGINS__: JSON.stringify(allowedOrigins),
    __STRONGROOM_RATE_LIMITS__: JSON.stringify(rateLimits),
    __STRONGROOM_CONSENT_TIMEOUT_MS__: JSON.stringify(consentTimeoutMs),
    __STRONGROOM_CONSENT_FIRST_CONNECTION__: JSON.stringify(consentOnFirstConnection),
    __STRONGROOM_VERSION__: JSON.stringify(options.version ?? enclaveVersion()),
    __STRONGROOM_DEV__: JSON.stringify(options.dev === true),
    __STRONGROOM_BENCH_AUDIT_OFF__: JSON.stringify(bench.auditOff === true),
  };
}

function chunksOf(output: Awaited<ReturnType<typeof build>>): {
  chunks: Rolldown.OutputChunk[];
  assets: number;
} {
  const outputs = (Array.isArray(output) ? output : [output]) as Rolldown.RolldownOutput[];
  const all = outputs.flatMap((o) => o.output);
  const chunks = all.filter((f): f is Rolldown.OutputChunk => f.type === 'chunk');
  return { chunks, assets: all.length - chunks.length };
}

/** Phase 1: the worker alone, one file with no imports. Returns its release path. */
async function buildWorker(
  options: BuildEnclaveOptions,
  bench: BenchVariant,
  root: string,
): Promise<string> {
  const config: InlineConfig = {
    configFile: false,
    resolve: workspaceResolve,
    root,
    base: './',
    logLevel: 'warn',
    define: defines(options, bench),
    build: {
      ...COMMON_BUILD,
      outDir: options.outDir,
      emptyOutDir: true,
      rolldownOptions: {
        input: join(root, 'src/worker.ts'),
        output: {
          format: 'es',
          entryFileNames: 'assets/worker-[hash].js',
          codeSplitting: false,
        },
      },
    },
  };
  const { chunks, assets } = chunksOf(await build(config));
  const [worker] = chunks;
  // A blob-URL worker cannot resolve imports, and nothing it imported would be integrity-checked.
  if (!worker || chunks.length !== 1 || assets !== 0) {
    throw new Error(
      `the key worker must build to exactly one file (got ${chunks.length + assets})`,
    );
  }
  if (
    worker.imports.length + worker.dynamicImports.length > 0 ||
    /\bimport\.meta\b/.test(worker.code)
  ) {
    throw new Error(
      `the key worker ${worker.fileName} must not import anything or use import.meta`,
    );
  }
  return worker.fileName;
}

/**
 * Adds `<link rel="preload" as="fetch" href="./<worker>" crossorigin>` at the end of
 * the page's `<head>`, after Vite's own HTML processing (so Vite does not try to resolve it as a
 * source asset). `crossorigin` (anonymous: same-origin credentials, CORS mode) matches the
 * page's `fetch(url, { integrity, credentials: 'same-origin' })`, so an engine that hands
 * preloads to `fetch` (Chromium) uses the preloaded response; {@link sriPlugin} pins it with the
 * worker's sha384 afterwards.
 */
function workerPreloadPlugin(workerPath: string): Plugin {
  return {
    name: 'strongroom:worker-preload',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: () => [
        {
          tag: 'link',
          attrs: { rel: 'preload', as: 'fetch', href: `./${workerPath}`, crossorigin: true },
          injectTo: 'head',
        },
      ],
    },
  };
}

/** Phase 2: the page, with the worker's path and integrity compiled in, and its preload. */
async function buildPage(
  options: BuildEnclaveOptions,
  bench: BenchVariant,
  root: string,
  workerPath: string,
): Promise<void> {
  const workerBytes = await readFile(join(options.outDir, workerPath));
  const config: InlineConfig = {
    configFile: false,
    resolve: workspaceResolve,
    root,
    base: './',
    logLevel: 'warn',
    define: {
      ...defines(options, bench),
      __STRONGROOM_WORKER_PATH__: JSON.stringify(workerPath),
      __STRONGROOM_WORKER_INTEGRITY__: JSON.stringify(sha384Sri(workerBytes)),
    },
    plugins: [workerPreloadPlugin(workerPath), sriPlugin(new Map([[workerPath, workerBytes]]))],
    build: {
      ...COMMON_BUILD,
      outDir: options.outDir,
      emptyOutDir: false,
      rolldownOptions: { output: { codeSplitting: false } },
    },
  };
  const { chunks } = chunksOf(await build(config));
  // Static imports between chunks would be fetched without SRI; dynamic ones too (no import map).
  for (const chunk of chunks) {
    if (chunk.imports.length + chunk.dynamicImports.length > 0) {
      throw new Error(`${chunk.fileName} imports other chunks, which SRI would not cover`);
    }
  }
}

/**
 * Build the enclave into `options.outDir` (emptied first) and check the result; throws when the
 * build or the check fails.
 *
 * @example
 * ```ts
 * const built = await buildEnclave({ allowedOrigins: ['https://app.example'], outDir: '/abs/dist/enclave' });
 * built.releaseDigest; // what info().releaseDigest will report
 * ```
 */
export async function buildEnclave(
  options: BuildEnclaveOptions,
  bench: BenchVariant = {},
): Promise<BuiltEnclave> {
  const root = options.sourceRoot ?? `${ROOT}enclave`;
  const workerPath = await buildWorker(options, bench, root);
  await buildPage(options, bench, root, workerPath);
  const checked = await checkEnclaveBundle(options.outDir, workerPath);
  return { ...checked, workerPath, releaseDigest: releaseDigest(checked.files) };
}
