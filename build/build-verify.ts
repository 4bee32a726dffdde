/**
 * `npm run build:verify`: compile `strongroom-verify` for publishing as `@strongroom/verify`:
 * one ES module `verify/dist/cli.js` (with a `#!/usr/bin/env node` line) that runs on plain Node,
 * no `tsx` at run time. The verifier's own code and the repository modules it uses
 * (`build/release/*`, `build/enclave-config.ts`, …) are bundled in, unminified, so that what
 * runs can still be read; the npm packages it needs (Sigstore, parse5) stay imports, declared as
 * the package's dependencies. `npm pack` in `verify/` runs it first (`prepack`).
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { build, type Rolldown } from 'vite';
import { isMain } from './is-main';
import { ROOT } from './vite-enclave';

/** The verify package's manifest. */
export function verifyPackage(): { dependencies: Record<string, string>; version: string } {
  return JSON.parse(readFileSync(`${ROOT}verify/package.json`, 'utf8'));
}

/** Whether `id` is one of `packages` or a subpath of one. */
function within(id: string, packages: readonly string[]): boolean {
  return packages.some((name) => id === name || id.startsWith(`${name}/`));
}

/** Build `verify/dist/cli.js`; resolves with the bare imports it kept (all declared dependencies). */
export async function buildVerify(): Promise<{ imports: string[] }> {
  const dependencies = Object.keys(verifyPackage().dependencies);
  const builtins = new Set(builtinModules);
  const kept = new Set<string>();
  const output = await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    build: {
      ssr: `${ROOT}scripts/verify/cli.ts`,
      outDir: `${ROOT}verify/dist`,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      sourcemap: false,
      reportCompressedSize: false,
      copyPublicDir: false,
      rolldownOptions: {
        external: (id) => {
          if (id.startsWith('node:') || builtins.has(id)) return true;
          if (within(id, dependencies)) {
            kept.add(id);
            return true;
          }
          if (!id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0')) {
            throw new Error(
              `strongroom-verify imports ${id}, which is not a dependency of verify/package.json`,
            );
          }
          return false;
        },
        output: {
          format: 'es',
          entryFileNames: 'cli.js',
          codeSplitting: false,
          banner: '#!/usr/bin/env node',
        },
      },
    },
    ssr: { noExternal: true },
  });
  const outputs = (Array.isArray(output) ? output : [output]) as Rolldown.RolldownOutput[];
  const files = outputs.flatMap((o) => o.output.map((f) => f.fileName));
  if (files.join() !== 'cli.js') throw new Error(`expected only cli.js, got ${files.join(', ')}`);
  return { imports: [...kept].sort() };
}

if (isMain(import.meta.url)) {
  const { imports } = await buildVerify();
  console.log(`built verify/dist/cli.js (imports ${imports.join(', ')})`);
}
