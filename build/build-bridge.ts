/**
 * `npm run build:bridge`: compile `@strongroom/bridge` for publishing: ES modules in
 * `bridge/dist/` (one per entry of the `exports` map, Comlink left as a dependency) and `.d.ts`
 * declarations beside them. `npm pack` in `bridge/` runs it first (`prepack`).
 */
import { execFileSync } from 'node:child_process';
import { build } from 'vite';
import { ROOT } from './vite-enclave';
import { workspaceResolve } from './workspace-resolve';

/** The entries of the bridge's `exports` map. */
export const BRIDGE_ENTRIES = ['index', 'protocol', 'errors'] as const;

/** Build `bridge/dist/`. */
export async function buildBridge(): Promise<void> {
  const src = `${ROOT}bridge/src`;
  await build({
    configFile: false,
    root: `${ROOT}bridge`,
    logLevel: 'warn',
    resolve: workspaceResolve,
    build: {
      outDir: `${ROOT}bridge/dist`,
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: false,
      lib: {
        entry: Object.fromEntries(BRIDGE_ENTRIES.map((name) => [name, `${src}/${name}.ts`])),
        formats: ['es'],
        fileName: (_format, name) => `${name}.js`,
      },
      rolldownOptions: { external: ['comlink'] },
    },
  });
  execFileSync(
    process.execPath,
    [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}bridge/tsconfig.build.json`],
    {
      stdio: 'inherit',
    },
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildBridge();
  console.log('built bridge/dist');
}
