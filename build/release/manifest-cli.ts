/**
 * `npm run release:manifest -- --origin https://app.example [--origin …] [--dir dist/enclave]
 * [--commit <sha>] [--out dist/release/manifest.json] [--deploy-dir dist/deploy]`: write the
 * release manifest of the built enclave and the server configurations derived from the same
 * allowlist. Name and version come from the root package.json, the commit from `git rev-parse HEAD`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { parseArgs, promisify } from 'node:util';
import { describeError, isMain } from './cli-util';
import { DEPLOY_DIR, writeDeployConfigs } from './generate-deploy-configs';
import { createManifest, MANIFEST_PATH, writeManifest } from './manifest';

const USAGE = `usage: release:manifest -- --origin <https://app.example> [--origin …] [--dir dist/enclave]
                        [--commit <sha>] [--out ${MANIFEST_PATH}] [--deploy-dir ${DEPLOY_DIR}]
       (origins may also come from STRONGROOM_ALLOWED_ORIGINS, comma-separated)`;

async function gitHead(): Promise<string> {
  const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD']);
  return stdout.trim();
}

/**
 * Run the manifest CLI; resolves with the process exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['--origin', 'https://app.example']);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        origin: { type: 'string', multiple: true },
        dir: { type: 'string', default: 'dist/enclave' },
        commit: { type: 'string' },
        out: { type: 'string', default: MANIFEST_PATH },
        'deploy-dir': { type: 'string', default: DEPLOY_DIR },
      },
      strict: true,
    });
    const fromEnv = (process.env.STRONGROOM_ALLOWED_ORIGINS ?? '')
      .split(',')
      .filter((o) => o !== '');
    const allowedOrigins = values.origin ?? fromEnv;
    if (allowedOrigins.length === 0) throw new Error(`no --origin given\n${USAGE}`);
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as {
      name: string;
      version: string;
    };
    const manifest = await createManifest({
      dir: values.dir,
      name: pkg.name,
      version: pkg.version,
      commit: values.commit ?? (await gitHead()),
      allowedOrigins,
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
