/**
 * The enclave's Vite build: compiles the allowlist, version and release digest in as
 * constants, emits content-addressed files, no source maps and no inline assets, so the
 * output depends only on the sources and this configuration (reproducible).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig } from 'vite';
import { type EnclaveBuildConfig, normalizeConfig } from './enclave-config';

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
  /** Release digest to build in; `null` for non-release builds. */
  readonly releaseDigest?: string | null;
  /**
   * Development/test build: allows loopback `http:` VAPID audiences and dev-only test seams
   * (see `enclave/src/build-info.ts`). Default `false`; never set for a release.
   */
  readonly dev?: boolean;
}

/** The Vite configuration of the enclave build. */
export function enclaveViteConfig(options: BuildEnclaveOptions): InlineConfig {
  const { allowedOrigins } = normalizeConfig(options);
  return {
    configFile: false,
    root: `${ROOT}enclave`,
    base: './',
    logLevel: 'warn',
    define: {
      __STRONGROOM_ALLOWED_ORIGINS__: JSON.stringify(allowedOrigins),
      __STRONGROOM_VERSION__: JSON.stringify(enclaveVersion()),
      __STRONGROOM_RELEASE_DIGEST__: JSON.stringify(options.releaseDigest ?? null),
      __STRONGROOM_DEV__: JSON.stringify(options.dev === true),
    },
    build: {
      outDir: options.outDir,
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
      assetsInlineLimit: 0,
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
    },
    worker: { format: 'es' },
  };
}

/** Build the enclave into `options.outDir`. */
export async function buildEnclave(options: BuildEnclaveOptions): Promise<void> {
  await build(enclaveViteConfig(options));
}
