/**
 * `npm run release:manifest -- [--dir dist/enclave] [--commit <sha>]
 * [--out dist/release/manifest.json] [--deploy-dir dist/deploy]`: write the release manifest of
 * the built enclave and the server configurations. The allowlist is read exactly as `npm run build`
 * reads it (strongroom.config.json or STRONGROOM_ALLOWED_ORIGINS), so the manifest lists what was
 * compiled in (rate limits and consent settings too); the version is the release's
 * (`STRONGROOM_RELEASE_VERSION` or the git tag on HEAD, else the enclave package's), the commit
 * `git rev-parse HEAD`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs, promisify } from 'node:util';
import { readBuildConfig, releaseVersion } from '../build';
import { ROOT } from '../vite-enclave';
import { describeError, isMain } from './cli-util';
import { DEPLOY_DIR, writeDeployConfigs } from './generate-deploy-configs';
import { createManifest, MANIFEST_PATH, writeManifest } from './manifest';
import { currentToolchain } from './toolchain';

async function gitHead(): Promise<string> {
  const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD']);
  return stdout.trim();
}

/**
 * Run the manifest CLI; resolves with the process exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['--commit', '0123…']);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        dir: { type: 'string', default: 'dist/enclave' },
        commit: { type: 'string' },
        out: { type: 'string', default: MANIFEST_PATH },
        'deploy-dir': { type: 'string', default: DEPLOY_DIR },
      },
      strict: true,
    });
    const pkg = JSON.parse(await readFile(`${ROOT}package.json`, 'utf8')) as { name: string };
    const manifest = await createManifest({
      dir: values.dir,
      name: pkg.name,
      version: releaseVersion(),
      commit: values.commit ?? (await gitHead()),
      toolchain: currentToolchain(),
      ...readBuildConfig(),
    });
    const path = await writeManifest(manifest, values.out);
    const configs = await writeDeployConfigs(manifest.allowedOrigins, values['deploy-dir']);
    console.log(`wrote ${path} (${manifest.files.length} files) and ${configs.join(', ')}`);
    return 0;
  } catch (err) {
    console.error(`release:manifest: ${describeError(err)}`);
    return 1;
  }
}

if (isMain(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
